/*
 * libFuzzer target for dsn.  Input: a first line, read as an envelope
 * address (VERP) and as an SMTP reply, then the whole input as a
 * delivery-status text (dsn_parse) and as a plain-text bounce
 * (dsn_guess_from_text).  Besides crashes and sanitizer reports it checks
 * the module's promises: every stored string terminated inside its array,
 * valid UTF-8 without control characters; at most DSN_MAX_RCPTS
 * recipients, each with a well-formed status and a score that matches
 * its blame; the same answer on a second run; and VERP round trips
 * (decode then encode gives the input back, case aside; encode then
 * decode gives the recipient back).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon tests/fuzz/fuzz_dsn.c daemon/dsn.c daemon/dsn_text.c \
 *       daemon/addr.c daemon/util.c -o fuzz_dsn
 *   ./fuzz_dsn -max_total_time=30 tests/fuzz/corpus/dsn
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "dsn.h"
#include "util.h"

#define BASE "office+bounce@example.org"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n >= size || !hp_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

/* "C.S.D", C one of 2 4 5, S and D 1..3 digits; or "" when allowed. */
static void
check_status(const char *s, bool empty_ok)
{
	size_t i = 2, k;

	if (s[0] == '\0' && empty_ok)
		return;
	if (strchr("245", s[0]) == NULL || s[0] == '\0' || s[1] != '.')
		abort();
	for (int part = 0; part < 2; part++) {
		for (k = 0; s[i] >= '0' && s[i] <= '9'; i++, k++)
			;
		if (k < 1 || k > 3 || s[i] != (part == 0 ? '.' : '\0'))
			abort();
		i++;
	}
}

static void
check_rcpt(const struct dsn_recipient *r, bool empty_status_ok)
{
	check_field(r->final_recipient, sizeof(r->final_recipient));
	check_field(r->original_recipient, sizeof(r->original_recipient));
	check_field(r->remote_mta, sizeof(r->remote_mta));
	check_field(r->diagnostic, sizeof(r->diagnostic));
	check_status(r->status, empty_status_ok);
	if (r->final_recipient[0] != '\0' && strchr(r->final_recipient, '@') == NULL)
		abort();
	switch (r->blame) {
	case DSN_BLAME_RECIPIENT:
		if (r->score != 1 || r->action != DSN_FAILED || r->status[0] != '5')
			abort();
		break;
	case DSN_BLAME_TRANSIENT:
		if (r->score != (r->action == DSN_FAILED ? 0.5 : 0))
			abort();
		break;
	case DSN_BLAME_SENDER:
	case DSN_BLAME_NONE:
		if (r->score != 0)
			abort();
		break;
	default:
		abort();
	}
}

static void
check_parse(const char *data, size_t size)
{
	struct dsn_report a, b;
	int rc = dsn_parse(data, size, &a);

	check_field(a.reporting_mta, sizeof(a.reporting_mta));
	if ((rc == 0) != (a.n_rcpts > 0) || a.n_rcpts > DSN_MAX_RCPTS ||
	    (a.n_rcpts == 0) != (a.rcpts == NULL))
		abort();
	for (size_t i = 0; i < a.n_rcpts; i++) {
		check_rcpt(&a.rcpts[i], false);
		if (a.rcpts[i].final_recipient[0] == '\0' &&
		    a.rcpts[i].original_recipient[0] == '\0')
			abort();
	}
	if (dsn_parse(data, size, &b) != rc || b.n_rcpts != a.n_rcpts)
		abort();
	for (size_t i = 0; i < a.n_rcpts; i++)
		if (strcmp(a.rcpts[i].status, b.rcpts[i].status) != 0 ||
		    strcmp(a.rcpts[i].diagnostic, b.rcpts[i].diagnostic) != 0)
			abort();
	dsn_report_clear(&a);
	dsn_report_clear(&b);
}

static void
check_guess(const char *data, size_t size)
{
	struct dsn_recipient g;
	int rc = dsn_guess_from_text(data, size, &g);

	check_rcpt(&g, rc == -1);
	if (rc == -1 && (g.status[0] != '\0' || g.final_recipient[0] != '\0'))
		abort();
	if (rc == 0 && (g.status[0] == '2' || (g.final_recipient[0] != '\0' &&
	    !addr_valid(g.final_recipient))))
		abort();
}

static void
check_verp(const char *line)
{
	char dec[300], enc[300], again[300], st[16];

	if (dsn_status_from_reply(line, st, sizeof(st)) == 0)
		check_status(st, false);
	if (dsn_verp_decode(BASE, line, dec, sizeof(dec)) == 0) {
		if (!addr_valid(dec))
			abort();
		if (dsn_verp_encode(BASE, dec, enc, sizeof(enc)) == 0 &&
		    strcasecmp(enc, line) != 0)
			abort();
	} else if (dec[0] != '\0') {
		abort();
	}
	if (addr_valid(line) && dsn_verp_encode(BASE, line, enc, sizeof(enc)) == 0) {
		if (dsn_verp_decode(BASE, enc, again, sizeof(again)) != 0 ||
		    strcasecmp(again, line) != 0 ||
		    strncmp(again, line, (size_t)(strrchr(line, '@') - line)) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = size > 0 ? memchr(s, '\n', size) : NULL;
	size_t n = nl != NULL ? (size_t)(nl - s) : size;
	char line[600];

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	check_verp(line);
	check_parse(s, size);
	check_guess(s, size);
	return 0;
}
