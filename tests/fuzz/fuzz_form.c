/*
 * libFuzzer target for form_read and form_read_event.  Input: the first
 * line is the Subject, the rest the body; the first byte's low bit picks
 * the default language.  The country db is loaded once.  Besides crashes
 * and sanitizer reports it checks the readers' promises: limits hold,
 * every problem has both languages, contacts are sendable addresses,
 * websites are https, an event without errors has a title, real dates
 * in order, a well-formed zone and a normalised audience, and a second
 * read of the same input gives the same result.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon $(pkg-config --cflags jansson) tests/fuzz/fuzz_form.c \
 *       daemon/form.c daemon/form_cmd.c daemon/form_field.c \
 *       daemon/form_event.c daemon/addr.c \
 *       daemon/country.c daemon/util.c daemon/model.c daemon/buf.c \
 *       $(pkg-config --libs jansson) -o fuzz_form
 *   ./fuzz_form -max_total_time=20 tests/fuzz/corpus/form
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "form.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct country_db *db;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	if (country_db_load(NULL, NULL, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_form: %s\n", err);
		abort();
	}
	return 0;
}

static void
check_problems(const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].text[LANG_NL] == NULL || p->v[i].text[LANG_EN] == NULL ||
		    p->v[i].line < 0 || p->v[i].line > FORM_MAX_LINES)
			abort();
}

static void
check_form(const struct form *f)
{
	if (f->n_commands > FORM_MAX_COMMANDS ||
	    f->n_activities > FORM_MAX_ACTIVITIES ||
	    f->n_contacts > FORM_MAX_CONTACTS ||
	    f->n_networks > FORM_MAX_NETWORKS ||
	    f->n_lines_read > FORM_MAX_LINES)
		abort();
	for (size_t i = 0; i < f->n_contacts; i++)
		if (!addr_valid(f->contacts[i].email))
			abort();
	if (f->website != NULL && strncmp(f->website, "https://", 8) != 0)
		abort();
	if (f->description != NULL &&
	    strlen(f->description) > FORM_MAX_DESCRIPTION)
		abort();
	for (size_t i = 0; i < f->n_activities; i++)
		if (strlen(f->activities[i].country) != 2)
			abort();
	check_problems(&f->errors);
	check_problems(&f->warnings);
}

static bool
same(const struct form *a, const struct form *b)
{
	return a->lang == b->lang && a->present == b->present &&
	    a->errors.n == b->errors.n && a->warnings.n == b->warnings.n &&
	    a->n_commands == b->n_commands && a->n_activities == b->n_activities &&
	    a->n_contacts == b->n_contacts && a->n_lines_read == b->n_lines_read &&
	    hp_streq_null(a->organisation, b->organisation) &&
	    hp_streq_null(a->description, b->description);
}

static bool
time_sane(const struct itip_time *t)
{
	return t->year >= 2000 && t->year <= 2101 && t->month >= 1 &&
	    t->month <= 12 && t->day >= 1 && t->day <= 31 && t->hour >= 0 &&
	    t->hour <= 23 && t->minute >= 0 && t->minute <= 59 &&
	    t->second == 0;
}

static bool
time_before(const struct itip_time *a, const struct itip_time *b)
{
	const int x[] = { a->year, a->month, a->day, a->hour, a->minute };
	const int y[] = { b->year, b->month, b->day, b->hour, b->minute };

	for (size_t i = 0; i < 5; i++)
		if (x[i] != y[i])
			return x[i] < y[i];
	return false;
}

static void
check_event(const struct event_form *ev, int r)
{
	check_problems(&ev->errors);
	check_problems(&ev->warnings);
	if ((r == 0) != (ev->errors.n == 0) || ev->audience == NULL ||
	    ev->n_lines_read > FORM_MAX_LINES)
		abort();
	if (r != 0)
		return;
	if (ev->title == NULL || strlen(ev->title) > FORM_MAX_EVENT_TITLE ||
	    !time_sane(&ev->start) || !time_sane(&ev->end) ||
	    ev->start.all_day != ev->end.all_day ||
	    time_before(&ev->end, &ev->start))
		abort();
	if (ev->tzid != NULL && (strlen(ev->tzid) > FORM_MAX_TZID ||
	    ev->tzid[0] == '/' || strstr(ev->tzid, "..") != NULL ||
	    strspn(ev->tzid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(ev->tzid)))
		abort();
	if (strcmp(ev->audience, "all") != 0 &&
	    strncmp(ev->audience, "sector ", 7) != 0 &&
	    strncmp(ev->audience, "network ", 8) != 0 &&
	    !(strncmp(ev->audience, "country ", 8) == 0 &&
	    strlen(ev->audience) == 10))
		abort();
	if (ev->event_id != NULL && (strlen(ev->event_id) > FORM_MAX_EVENT_ID ||
	    strpbrk(ev->event_id, " \t\r\n<>\"'") != NULL))
		abort();
}

static void
fuzz_event(const char *subject, const char *body, size_t body_len)
{
	struct event_form a, b;
	int ra = form_read_event(subject, body, body_len, db, &a);
	int rb = form_read_event(subject, body, body_len, db, &b);

	check_event(&a, ra);
	if (ra != rb || a.errors.n != b.errors.n ||
	    a.warnings.n != b.warnings.n || !hp_streq_null(a.title, b.title) ||
	    !hp_streq_null(a.audience, b.audience))
		abort();
	event_form_clear(&a);
	event_form_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	enum lang lang = size > 0 && (data[0] & 1) ? LANG_EN : LANG_NL;
	char *subject = NULL;
	const char *body = s;
	size_t body_len = size;
	struct form *f, *g;

	nl = size > 0 ? memchr(s, '\n', size) : NULL;
	if (nl != NULL) {
		subject = xstrndup(s, (size_t)(nl - s));	/* stops at a NUL */
		body = nl + 1;
		body_len = size - (size_t)(nl - s) - 1;
	}
	f = form_read(subject, body, body_len, lang, db);
	check_form(f);
	g = form_read(subject, body, body_len, lang, db);
	if (!same(f, g))
		abort();
	(void)form_has_fields(f);
	fuzz_event(subject, body, body_len);
	form_free(f);
	form_free(g);
	free(subject);
	return 0;
}
