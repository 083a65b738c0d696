/*
 * token: the single-use tokens of confirmations, moderation and
 * per-recipient unsubscribe addresses.  Pure (L1): the caller supplies
 * the random bytes (getrandom), so tests are deterministic.
 *
 * A token is 128 random bits written as 32 lower-case hex digits.  Only
 * its SHA-256 is stored, so a copy of the database does not let anyone
 * confirm a pending action.
 */
#ifndef HP_TOKEN_H
#define HP_TOKEN_H

#include <stdbool.h>

#define TOKEN_LEN	32
#define TOKEN_HASH_LEN	64

/* Write rnd as a token into out (TOKEN_LEN + 1 bytes). */
void token_format(const unsigned char rnd[16], char *out);
/* True when s is exactly a token (32 hex digits, either case). */
bool token_valid(const char *s);
/* SHA-256 of the lower-cased token as hex into out (TOKEN_HASH_LEN + 1
 * bytes).  0, or -1 when token is not valid. */
int token_hash(const char *token, char *out);
/* The first token in text standing as a word of its own (not part of a
 * longer run of letters and digits), lower-cased into out (TOKEN_LEN + 1
 * bytes).  0, or -1 when there is none. */
int token_find(const char *text, char *out);

#endif
