#ifndef ERASECTL_DIGEST_H
#define ERASECTL_DIGEST_H
/*
 * digest: SHA-256, HMAC-SHA256, hex encoding and random bytes (OpenSSL
 * libcrypto), the HMAC key file, and the subject references derived from
 * an identity with it.
 */
#include <stddef.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

void digest_hex(const unsigned char *bin, size_t n, char *out);
int digest_unhex(const char *hex, unsigned char *out, size_t n);
void digest_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN]);
void digest_sha256_hex(const void *data, size_t n,
		       char out[SHA256_HEX_LEN + 1]);
int digest_hmac_sha256_hex(const unsigned char *key, size_t keylen,
			   const void *data, size_t n,
			   char out[SHA256_HEX_LEN + 1]);
/* Fills out with cryptographically random bytes; -1 on failure. */
int digest_random(unsigned char *out, size_t n);
/* A random UUID v4 in lower-case text form (37 bytes with the NUL). */
int digest_uuid4(char out[37]);

/*
 * Normalizes an email the way the whole tool compares them: trimmed of
 * white space and lower-cased. Caller frees.
 */
char *email_normalize(const char *email);

struct hmac_key {
	unsigned char bytes[32];
};
/*
 * Creates the key file (32 random bytes, mode 0600) unless it exists.
 * Returns 1 when it was created, 0 when it already existed, -1 on error.
 */
int hmac_key_create(const char *path);
int hmac_key_load(const char *path, struct hmac_key *key);
void hmac_key_wipe(struct hmac_key *key);
/* subject_ref = hex HMAC-SHA256(key, normalized email). */
int subject_ref_of_email(const struct hmac_key *key, const char *email,
			 char out[SHA256_HEX_LEN + 1]);
/*
 * subject_ref of a customer named by its exact username: hex
 * HMAC-SHA256(key, username) (an email-shaped username written in lower
 * case therefore has the same ref as that email).
 */
int subject_ref_of_customer(const struct hmac_key *key, const char *username,
			    char out[SHA256_HEX_LEN + 1]);
/*
 * The key's fingerprint: hex HMAC-SHA256(key, "erasectl key fingerprint
 * v1"). It names the key without revealing it, so a database can tell
 * when it is given another key.
 */
int hmac_key_fingerprint(const struct hmac_key *key,
			 char out[SHA256_HEX_LEN + 1]);

#endif
