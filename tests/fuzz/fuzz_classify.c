/*
 * libFuzzer target for classify (the MIME classification of SPEC §2:
 * bounce, calendar reply, unsubscribe, automated, request).  classify
 * reads the header fields the parser child extracted, so the input is
 * those fields, separated by NUL bytes, in this order:
 *
 *   flags  to  report_type  from  auto_submitted  precedence  list_id
 *   return_path  calendar  calendar_method  bounce_base  unsubscribe_base
 *
 * A field past the end of the input is absent (NULL).  flags is one
 * byte: bit 0 has_return_path (return_path is then "" when absent, as
 * for "Return-Path: <>").  The fields are arbitrary bytes, which is more
 * than msg_decode lets through (valid UTF-8, limits): classify must not
 * rely on that.
 *
 * Besides crashes and sanitizer reports it checks the module's promises:
 * a class within the enum with a reason and a name, the same answer
 * twice, and mail classified as automated is also reported automated by
 * classify_is_automated (the rule ingest relies on to never answer it).
 *
 *   make build/fuzz/fuzz_classify
 *   build/fuzz/fuzz_classify -max_total_time=20 tests/fuzz/corpus/classify
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define N_FIELDS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_classify: broken promise: %s\n", what);
		abort();
	}
}

/* Split into at most N_FIELDS heap strings; the rest stay NULL. */
static void
split(const uint8_t *data, size_t size, char **f)
{
	size_t i = 0, start = 0;

	for (size_t k = 0; k <= size && i < N_FIELDS; k++) {
		if (k == size || data[k] == '\0') {
			f[i++] = xstrndup((const char *)data + start, k - start);
			start = k + 1;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[N_FIELDS] = { NULL };
	const char *own[] = { "office@example.org", NULL, NULL };
	struct classify_rules rules;
	struct msg m;
	const char *why = NULL, *why2 = NULL, *name;
	enum msg_class c, c2;

	split(data, size, f);
	memset(&m, 0, sizeof(m));
	m.report_type = f[2];
	m.from_addr = f[3];
	m.auto_submitted = f[4];
	m.precedence = f[5];
	m.list_id = f[6];
	m.has_return_path = f[0] != NULL && (f[0][0] & 1);
	m.return_path = m.has_return_path ? (f[7] ? f[7] : (char *)"") : NULL;
	m.calendar = f[8];
	m.calendar_method = f[9];
	m.text = (char *)"";
	own[1] = f[10];
	own[2] = f[11];
	rules.own_addresses = own;
	rules.n_own = f[11] ? 3 : f[10] ? 2 : 1;
	rules.bounce_address = f[10];
	rules.unsubscribe_address = f[11];

	c = classify_message(&m, f[1], &rules, &why);
	c2 = classify_message(&m, f[1], &rules, &why2);
	check(c >= CLASS_BOUNCE && c <= CLASS_REQUEST, "a class of the enum");
	check(c == c2 && why == why2, "the same answer twice");
	check(why != NULL && *why != '\0', "a reason");
	name = classify_name(c);
	check(name != NULL && *name != '\0', "a name");
	if (c == CLASS_AUTOMATED)
		check(classify_is_automated(&m, &rules), "automated is automated");
	for (size_t i = 0; i < N_FIELDS; i++)
		free(f[i]);
	return 0;
}
