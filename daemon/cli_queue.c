/*
 * cli_queue: `hanzepost queue list [--json]` and `hanzepost queue retry
 * ID | --all` -- what is waiting to be delivered or failed, and putting
 * failures back.  Part of cli (cli.h).
 *
 * Two queues are shown as one: replies in the outbox (IDs "r123") and
 * the copies of mailings (IDs "d456", one per recipient), each in state
 * queued or failed, plus one summary line per mailing still being sent.
 * `--json` prints one array of {id, kind, mailing_id, recipient, state,
 * attempts, smtp_code, reply, next_attempt} (SPEC §10 style: absent
 * values null; next_attempt ISO 8601 UTC, only for queued rows).
 *
 * Must not: send mail (the next `send --once` or the daemon does), call
 * exit(), or hold SQL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "store.h"
#include "util.h"

#define REPLY_COLUMN	60	/* bytes of the server's reply in the table */

static const char queue_usage[] =
    "usage: hanzepost queue list [--json]\n"
    "       hanzepost queue retry ID | --all\n"
    "  list    replies (IDs r123) and mailing copies (IDs d456) that are\n"
    "          queued or failed, and one line per mailing being sent\n"
    "  retry   put a failed reply or copy back in the queue, due now\n"
    "          (--all: every failed one)\n";

/* The mailings, for the kind of each copy and the summary lines. */
struct mailings {
	struct mailing_row {
		int64_t id;
		char *kind, *label, *state;
		size_t n_queued, n_sent, n_failed, n_skipped;
	} *rows;
	size_t n;
};

/* One listing, to a table or a JSON array. */
struct listing {
	const struct mailings *ms;
	json_t *array;		/* NULL: table rows */
	size_t n;
};

static int
queue_store_fail(struct store *st)
{
	fprintf(stderr, "hanzepost: database: %s\n", store_error(st));
	return store_error_is_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

static int
mailing_collect(const struct store_mailing *m, void *arg)
{
	struct mailings *ms = arg;
	struct mailing_row *r;

	ms->rows = xreallocarray(ms->rows, ms->n + 1, sizeof(*ms->rows));
	r = &ms->rows[ms->n++];
	r->id = m->id;
	r->kind = xstrdup(m->kind);
	r->label = xstrdup(m->label);
	r->state = xstrdup(m->state);
	r->n_queued = m->n_queued;
	r->n_sent = m->n_sent;
	r->n_failed = m->n_failed;
	r->n_skipped = m->n_skipped;
	return 0;
}

static void
mailings_clear(struct mailings *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->rows[i].kind);
		free(ms->rows[i].label);
		free(ms->rows[i].state);
	}
	free(ms->rows);
	memset(ms, 0, sizeof(*ms));
}

static const char *
mailing_kind(const struct mailings *ms, int64_t id)
{
	for (size_t i = 0; i < ms->n; i++)
		if (ms->rows[i].id == id)
			return ms->rows[i].kind;
	return "mailing";
}

static json_t *
json_str_or_null(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

/* One row of either queue.  mailing_id 0 = a reply. */
static int
listing_row(struct listing *l, char prefix, int64_t id, int64_t mailing_id,
    const char *kind, const char *rcpt, const char *state, int attempts,
    int code, const char *reply, time_t next)
{
	char ident[32], when[32] = "-", codes[16] = "-";
	bool queued = strcmp(state, "queued") == 0;
	json_t *o;

	if (!queued && strcmp(state, "failed") != 0)
		return 0;
	l->n++;
	snprintf(ident, sizeof(ident), "%c%" PRId64, prefix, id);
	if (queued)
		hp_iso8601_utc(next, when, sizeof(when));
	if (l->array == NULL) {
		if (code != 0)
			snprintf(codes, sizeof(codes), "%d", code);
		printf("%-9s %-11s %-7s %4d %4s %-20s %-32s %.*s\n", ident, kind, state,
		    attempts, codes, when, rcpt, REPLY_COLUMN, reply != NULL ? reply : "");
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(ident));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "mailing_id", mailing_id != 0 ?
	    json_integer(mailing_id) : json_null());
	json_object_set_new(o, "recipient", json_str_or_null(rcpt));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "attempts", json_integer(attempts));
	json_object_set_new(o, "smtp_code", code != 0 ? json_integer(code) : json_null());
	json_object_set_new(o, "reply", json_str_or_null(reply));
	json_object_set_new(o, "next_attempt", queued ? json_string(when) : json_null());
	return json_array_append_new(l->array, o);
}

static int
outbox_row(int64_t id, enum store_out_kind kind, const char *recipient,
    const char *message_id, const char *state, int attempts, int smtp_code,
    const char *reply, time_t created_at, time_t next_attempt, void *arg)
{
	/* Outbox rows of kind mailing are our own notices (bounce summary). */
	return listing_row(arg, 'r', id, 0,
	    kind == STORE_OUT_REPLY ? "reply" : "notice", recipient, state,
	    attempts, smtp_code, reply, next_attempt);
}

static int
delivery_row(int64_t id, int64_t mailing_id, const char *email,
    const char *state, int attempts, int smtp_code, const char *reply,
    time_t next_attempt, time_t updated_at, void *arg)
{
	struct listing *l = arg;

	return listing_row(l, 'd', id, mailing_id, mailing_kind(l->ms, mailing_id),
	    email, state, attempts, smtp_code, reply, next_attempt);
}

static void
print_summaries(const struct mailings *ms)
{
	for (size_t i = ms->n; i > 0; i--) {
		const struct mailing_row *r = &ms->rows[i - 1];
		if (strcmp(r->state, "sending") == 0)
			printf("%s %s (mailing %" PRId64 "): sending, %zu queued, %zu sent, "
			    "%zu failed, %zu skipped\n", r->kind, r->label, r->id,
			    r->n_queued, r->n_sent, r->n_failed, r->n_skipped);
	}
}

static int
queue_list(struct store *st, bool json)
{
	struct mailings ms = { NULL, 0 };
	struct listing l = { &ms, NULL, 0 };
	int rc = EX_OK;

	if (json)
		l.array = json_array();
	else
		printf("%-9s %-11s %-7s %4s %4s %-20s %-32s %s\n", "ID", "KIND", "STATE",
		    "ATT", "CODE", "NEXT", "RECIPIENT", "REPLY");
	if (store_mailing_list(st, false, 0, mailing_collect, &ms) != 0 ||
	    store_outbox_list(st, outbox_row, &l) != 0 ||
	    store_delivery_list(st, 0, "queued", delivery_row, &l) != 0 ||
	    store_delivery_list(st, 0, "failed", delivery_row, &l) != 0) {
		rc = queue_store_fail(st);
		goto done;
	}
	if (json) {
		if (json_dumpf(l.array, stdout, JSON_INDENT(2)) == -1 ||
		    fputc('\n', stdout) == EOF)
			rc = EX_IOERR;
	} else
		print_summaries(&ms);
	if (fflush(stdout) == EOF)
		rc = EX_IOERR;
done:
	json_decref(l.array);
	mailings_clear(&ms);
	return rc;
}

/* "r123" or "d456": 0 with *kind and *id, or -1. */
static int
parse_id(const char *s, char *kind, int64_t *id)
{
	char *end = NULL;
	long long v;

	if ((s[0] != 'r' && s[0] != 'd') || s[1] < '1' || s[1] > '9')
		return -1;
	errno = 0;
	v = strtoll(s + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*kind = s[0];
	*id = (int64_t)v;
	return 0;
}

static int
queue_retry(struct store *st, const char *arg)
{
	time_t now = time(NULL);
	size_t n_r = 0, n_d = 0;
	int64_t id = 0;
	char kind = 0;

	if (strcmp(arg, "--all") == 0) {
		if (store_outbox_retry(st, 0, now, &n_r) == -1 ||
		    store_delivery_retry(st, 0, 0, now, &n_d) == -1)
			return queue_store_fail(st);
		printf("retried %zu replies, %zu mailing copies\n", n_r, n_d);
		return EX_OK;
	}
	if (parse_id(arg, &kind, &id) == -1) {
		fprintf(stderr, "hanzepost: %s is not a queue ID (r123 or d456)\n", arg);
		return EX_USAGE;
	}
	if ((kind == 'r' ? store_outbox_retry(st, id, now, &n_r) :
	    store_delivery_retry(st, 0, id, now, &n_d)) == -1)
		return queue_store_fail(st);
	if (n_r + n_d == 0) {
		fprintf(stderr, "hanzepost: %s is not a failed message\n", arg);
		return EX_DATAERR;
	}
	printf("%s queued again\n", arg);
	return EX_OK;
}

int
cli_queue(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	bool list = argc >= 2 && strcmp(argv[1], "list") == 0;
	bool json = list && argc == 3 && strcmp(argv[2], "--json") == 0;
	int rc;

	if (!(list && (argc == 2 || json)) &&
	    !(argc == 3 && strcmp(argv[1], "retry") == 0)) {
		fputs(queue_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cli_open_store(o, &cfg, &st)) != 0)
		return rc;
	rc = list ? queue_list(st, json) : queue_retry(st, argv[2]);
	store_close(st);
	config_free(cfg);
	return rc;
}
