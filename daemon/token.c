/* token: see token.h.  SHA-256 comes from GnuTLS's crypto API, which the
 * process links anyway for the IMAP certificate checks. */
#include "token.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

static const char hexdigits[] = "0123456789abcdef";

void
token_format(const unsigned char rnd[16], char *out)
{
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hexdigits[rnd[i] >> 4];
		out[2 * i + 1] = hexdigits[rnd[i] & 0x0f];
	}
	out[TOKEN_LEN] = '\0';
}

bool
token_valid(const char *s)
{
	size_t i;

	for (i = 0; i < TOKEN_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[i] == '\0';
}

int
token_hash(const char *token, char *out)
{
	unsigned char digest[32];
	char lower[TOKEN_LEN + 1];

	if (!token_valid(token))
		return -1;
	for (int i = 0; i <= TOKEN_LEN; i++)
		lower[i] = (char)tolower((unsigned char)token[i]);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, lower, TOKEN_LEN, digest) != 0)
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hexdigits[digest[i] >> 4];
		out[2 * i + 1] = hexdigits[digest[i] & 0x0f];
	}
	out[TOKEN_HASH_LEN] = '\0';
	return 0;
}

int
token_find(const char *text, char *out)
{
	const char *p = text;

	while (p && *p) {
		const char *start = p;
		size_t run = 0;

		while (isalnum((unsigned char)p[run]))
			run++;
		if (run == TOKEN_LEN) {
			size_t hex = 0;
			while (hex < run && isxdigit((unsigned char)start[hex]))
				hex++;
			if (hex == TOKEN_LEN) {
				for (int i = 0; i < TOKEN_LEN; i++)
					out[i] = (char)tolower((unsigned char)start[i]);
				out[TOKEN_LEN] = '\0';
				return 0;
			}
		}
		p = start + (run ? run : 1);
	}
	return -1;
}
