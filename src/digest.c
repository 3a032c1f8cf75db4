#include "digest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"
#include "log.h"
#include "banned.h"

void digest_hex(const unsigned char *bin, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[bin[i] >> 4];
		out[2 * i + 1] = hex[bin[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int digest_unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void digest_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;

	EVP_Digest(data, n, out, &len, EVP_sha256(), NULL);
}

void digest_sha256_hex(const void *data, size_t n,
		       char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];

	digest_sha256(data, n, md);
	digest_hex(md, SHA256_LEN, out);
}

int digest_hmac_sha256_hex(const unsigned char *key, size_t keylen,
			   const void *data, size_t n,
			   char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int len = SHA256_LEN;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, md, &len))
		return error("HMAC-SHA256 failed");
	digest_hex(md, SHA256_LEN, out);
	return 0;
}

int digest_random(unsigned char *out, size_t n)
{
	if (RAND_bytes(out, (int)n) != 1)
		return error("cannot get random bytes");
	return 0;
}

int digest_uuid4(char out[37])
{
	unsigned char b[16];
	char hex[33];

	if (digest_random(b, sizeof(b)))
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	digest_hex(b, sizeof(b), hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return 0;
}

char *email_normalize(const char *email)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, email);
	buf_trim(&b);
	for (i = 0; i < b.len; i++)
		b.buf[i] = (char)tolower((unsigned char)b.buf[i]);
	return buf_detach(&b, NULL);
}

int hmac_key_create(const char *path)
{
	unsigned char key[32];
	int fd, ret = 1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return error("cannot create key file '%s': %s", path,
			     strerror(errno));
	}
	if (digest_random(key, sizeof(key))) {
		ret = -1;
	} else if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
		   fsync(fd)) {
		ret = error("cannot write key file '%s': %s", path,
			    strerror(errno));
	}
	memset(key, 0, sizeof(key));
	if (close(fd) && ret > 0)
		ret = error("cannot write key file '%s': %s", path,
			    strerror(errno));
	if (ret < 0)
		unlink(path);
	return ret;
}

int hmac_key_load(const char *path, struct hmac_key *key)
{
	unsigned char extra;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return error("cannot open key file '%s': %s (run 'erasectl "
			     "init' to create it)", path, strerror(errno));
	n = read(fd, key->bytes, sizeof(key->bytes));
	if (n != (ssize_t)sizeof(key->bytes) || read(fd, &extra, 1) != 0)
		ret = error("key file '%s' must hold exactly 32 bytes", path);
	close(fd);
	if (ret)
		hmac_key_wipe(key);
	return ret;
}

void hmac_key_wipe(struct hmac_key *key)
{
	volatile unsigned char *p = key->bytes;
	size_t i;

	for (i = 0; i < sizeof(key->bytes); i++)
		p[i] = 0;
}

int subject_ref_of_email(const struct hmac_key *key, const char *email,
			 char out[SHA256_HEX_LEN + 1])
{
	char *norm = email_normalize(email);
	int ret;

	ret = digest_hmac_sha256_hex(key->bytes, sizeof(key->bytes), norm,
				     strlen(norm), out);
	memset(norm, 0, strlen(norm));
	free(norm);
	return ret;
}

int subject_ref_of_customer(const struct hmac_key *key, const char *username,
			    char out[SHA256_HEX_LEN + 1])
{
	return digest_hmac_sha256_hex(key->bytes, sizeof(key->bytes), username,
				      strlen(username), out);
}

int hmac_key_fingerprint(const struct hmac_key *key,
			 char out[SHA256_HEX_LEN + 1])
{
	static const char label[] = "erasectl key fingerprint v1";

	return digest_hmac_sha256_hex(key->bytes, sizeof(key->bytes), label,
				      sizeof(label) - 1, out);
}
