/*
 * libFuzzer target for authres.  Input: Authentication-Results values
 * separated by NUL bytes (so one input is one message's set of headers,
 * up to a few more than AUTHRES_MAX_HEADERS).  Each value goes through
 * authres_parse, the whole set through authres_check with a fixed
 * trusted id and From address and libpsl's built-in list.  Besides
 * crashes and sanitizer reports it checks the module's promises: at most
 * AUTHRES_MAX_RESULTS results, every stored string terminated inside its
 * field and printable ASCII, keywords lower-case, a verdict that is
 * consistent with itself and the same on a second run, and never
 * "authenticated" for input that does not even contain the trusted id
 * and "pass".
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon $(pkg-config --cflags libpsl) tests/fuzz/fuzz_authres.c \
 *       daemon/authres.c daemon/util.c $(pkg-config --libs libpsl) \
 *       -o fuzz_authres
 *   ./fuzz_authres -max_total_time=30 tests/fuzz/corpus/authres
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "util.h"

#define TRUSTED "mx.example.org"
#define FROM "anna@partner.example"
#define MAX_PIECES (AUTHRES_MAX_HEADERS + 3)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t size, bool keyword)
{
	size_t n = strnlen(s, size);

	if (n >= size)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch > 0x7e || (keyword && ch >= 'A' && ch <= 'Z'))
			abort();
	}
}

static void
check_header(const char *value)
{
	struct authres_header h;
	int rc = authres_parse(value, &h);

	check_field(h.authserv_id, sizeof(h.authserv_id), false);
	if (rc == -1 && (h.n_results != 0 || h.results != NULL))
		abort();
	if (h.n_results > AUTHRES_MAX_RESULTS)
		abort();
	for (size_t i = 0; i < h.n_results; i++) {
		const struct authres_result *r = &h.results[i];

		check_field(r->method, sizeof(r->method), true);
		check_field(r->result, sizeof(r->result), true);
		if (r->method[0] == '\0' || r->result[0] == '\0')
			abort();
		check_field(r->reason, sizeof(r->reason), false);
		check_field(r->header_d, sizeof(r->header_d), false);
		check_field(r->header_i, sizeof(r->header_i), false);
		check_field(r->header_from, sizeof(r->header_from), false);
	}
	authres_header_clear(&h);
}

static void
check_verdict(const struct authres_verdict *v, const char *const *hs, size_t n)
{
	bool id = false, pass = false;

	if (v->authenticated != (v->method != NULL) || v->reason[0] == '\0')
		abort();
	check_field(v->reason, sizeof(v->reason), false);
	if (v->method != NULL && strcmp(v->method, "dkim") != 0 &&
	    strcmp(v->method, "dmarc") != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		id |= strcasestr(hs[i], TRUSTED) != NULL;
		pass |= strcasestr(hs[i], "pass") != NULL;
	}
	if (v->authenticated && !(id && pass))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const psl_ctx_t *psl;
	const char *hs[MAX_PIECES];
	struct authres_verdict v, w;
	char *copy;
	size_t n = 0, start = 0;

	if (psl == NULL && (psl = psl_builtin()) == NULL)
		abort();
	/* One spare NUL so the last piece is terminated too. */
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i <= size && n < MAX_PIECES; i++)
		if (copy[i] == '\0') {
			hs[n++] = copy + start;
			start = i + 1;
		}
	for (size_t i = 0; i < n; i++)
		check_header(hs[i]);
	authres_check(hs, n, TRUSTED, FROM, psl, &v);
	check_verdict(&v, hs, n);
	authres_check(hs, n, TRUSTED, FROM, psl, &w);
	if (v.authenticated != w.authenticated || strcmp(v.reason, w.reason) != 0)
		abort();
	free(copy);
	return 0;
}
