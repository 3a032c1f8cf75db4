#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "banned.h"

int util_read_file(const char *path, const char *what, size_t max,
		   struct buf *out)
{
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;
	int ret = 0;

	if (!f)
		return error("cannot open %s '%s': %s", what, path,
			     strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			ret = error("%s '%s' is larger than %zu bytes", what,
				    path, max);
			break;
		}
		buf_add(out, chunk, n);
	}
	if (!ret && ferror(f))
		ret = error("cannot read %s '%s': %s", what, path,
			    strerror(errno));
	fclose(f);
	return ret;
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, struct buf *dir)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		buf_adds(dir, ".");
	else if (slash == path)
		buf_adds(dir, "/");
	else
		buf_add(dir, path, (size_t)(slash - path));
}

static int fsync_dir(const char *path)
{
	struct buf dir = BUF_INIT;
	int fd, ret = 0;

	dir_of(path, &dir);
	fd = open(dir.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		ret = error("cannot sync directory '%s': %s", dir.buf,
			    strerror(errno));
	if (fd >= 0)
		close(fd);
	buf_release(&dir);
	return ret;
}

int util_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode)
{
	struct buf tmp = BUF_INIT;
	const char *p = data;
	size_t done = 0;
	int fd, ret = 0;

	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = error("cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	while (!ret && done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = error("cannot write '%s': %s", tmp.buf,
				    n < 0 ? strerror(errno) : "short write");
		else
			done += (size_t)n;
	}
	if (!ret && fsync(fd))
		ret = error("cannot write '%s': %s", tmp.buf, strerror(errno));
	if (close(fd) && !ret)
		ret = error("cannot write '%s': %s", tmp.buf, strerror(errno));
	if (!ret && rename(tmp.buf, path))
		ret = error("cannot rename '%s' to '%s': %s", tmp.buf, path,
			    strerror(errno));
	if (ret)
		unlink(tmp.buf);
	else
		ret = fsync_dir(path);
out:
	buf_release(&tmp);
	return ret;
}

int util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int util_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < min || d > max)
		return -1;
	*out = d;
	return 0;
}

const char *json_get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

const char *ref_prefix(const char *ref, char out[13])
{
	snprintf(out, 13, "%s", str_or(ref, "?"));
	return out;
}

int util_check_private_file(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warning("%s '%s' is accessible by group or others (mode %04o); "
			"run: chmod 600 '%s'", what, path,
			(unsigned)(st.st_mode & 07777), path);
		return 1;
	}
	return 0;
}
