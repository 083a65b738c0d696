/*
 * cli_events: `hanzepost events list [--json]` and `hanzepost events show
 * ID [--json]` -- the events with their state and the answers of the
 * invited -- and `hanzepost events export ID`, the event as an .ics file
 * for a website (METHOD:PUBLISH, no attendees, with its VTIMEZONE; built
 * by events_calendar, the same calendar the invitations carry).  ID is
 * the Event-Id (the event's UID, as in the mails) or the number `events
 * list` shows.  Part of cli (cli.h).
 *
 * --json follows SPEC §10: list prints an array of events, show one
 * event object, each with an `attendees` array of {email, partstat,
 * comment, updated_at} (comment and updated_at null when absent) and
 * `counts` {invited, accepted, declined, tentative}.
 *
 * Must not: send mail, change anything, call exit(), or hold SQL.
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
#include "events_copy.h"
#include "itip.h"
#include "store.h"
#include "util.h"

static const char events_usage[] =
    "usage: hanzepost events list [--json]\n"
    "       hanzepost events show ID [--json]\n"
    "       hanzepost events export ID > event.ics\n"
    "  ID is the Event-Id from the mails (the event's UID) or the number\n"
    "  that `events list` shows\n";

static int
events_store_fail(struct store *st)
{
	fprintf(stderr, "hanzepost: database: %s\n", store_error(st));
	return store_error_is_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
json_time_or_null(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	hp_iso8601_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

static int
attendee_json(const char *email, const char *name, const char *partstat,
    const char *comment, time_t updated_at, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:o,s:s,s:o,s:o}",
	    "email", email, "name", json_str_or_null(name), "partstat", partstat,
	    "comment", json_str_or_null(comment),
	    "updated_at", json_time_or_null(updated_at)));
	return 0;
}

/* The event as SPEC §10-style JSON, with its answers; NULL on a store
 * error. */
static json_t *
event_json(struct store *st, const struct store_event *ev)
{
	struct store_rsvp_counts c;
	json_t *att = json_array();
	json_t *o;

	if (store_attendee_list(st, ev->id, attendee_json, att) != 0 ||
	    store_attendee_counts(st, ev->id, &c) == -1) {
		json_decref(att);
		return NULL;
	}
	o = json_pack("{s:I,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:s,s:s,s:b,s:s,s:o,s:s}",
	    "id", (json_int_t)ev->id, "event_id", ev->uid, "state", ev->state,
	    "sequence", (json_int_t)ev->sequence, "summary", ev->summary,
	    "location", json_str_or_null(ev->location),
	    "description", json_str_or_null(ev->description),
	    "timezone", json_str_or_null(ev->tzid), "start", ev->start_local,
	    "end", ev->end_local, "all_day", ev->all_day,
	    "audience", ev->audience, "sector", json_str_or_null(ev->sector),
	    "organiser", ev->organiser);
	json_object_set_new(o, "counts", json_pack("{s:I,s:I,s:I,s:I}",
	    "invited", (json_int_t)c.invited, "accepted", (json_int_t)c.accepted,
	    "declined", (json_int_t)c.declined,
	    "tentative", (json_int_t)c.tentative));
	json_object_set_new(o, "attendees", att);
	return o;
}

struct listing {
	struct store *st;
	json_t *array;		/* NULL: a table */
};

static int
event_row(const struct store_event *ev, void *arg)
{
	struct listing *l = arg;
	struct store_rsvp_counts c;
	json_t *o;

	if (l->array != NULL) {
		if ((o = event_json(l->st, ev)) == NULL)
			return -1;
		json_array_append_new(l->array, o);
		return 0;
	}
	if (store_attendee_counts(l->st, ev->id, &c) == -1)
		return -1;
	printf("%-5" PRId64 " %-9s %-19s %-32s %4zu invited, %zu yes, %zu no, "
	    "%zu maybe  %s\n", ev->id, ev->state, ev->start_local, ev->summary,
	    c.invited, c.accepted, c.declined, c.tentative, ev->uid);
	return 0;
}

static int
print_json(json_t *j)
{
	int rc = EX_OK;

	if (json_dumpf(j, stdout, JSON_INDENT(2)) == -1 || fputc('\n', stdout) == EOF)
		rc = EX_IOERR;
	return rc;
}

static int
events_list(struct store *st, bool json)
{
	struct listing l = { st, json ? json_array() : NULL };
	int rc = EX_OK;

	if (store_event_list(st, 0, event_row, &l) != 0)
		rc = events_store_fail(st);
	else if (json)
		rc = print_json(l.array);
	json_decref(l.array);
	return rc;
}

/* By UID, else by the number of `events list`. */
static int
event_find(struct store *st, const char *id, struct store_event **ev)
{
	char *end;
	long long n;
	int found = store_event_by_uid(st, id, ev);

	if (found != 0)
		return found;
	errno = 0;
	n = strtoll(id, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return 0;
	return store_event_get(st, (int64_t)n, ev);
}

static void
print_attendee_line(json_t *a)
{
	const char *comment = json_string_value(json_object_get(a, "comment"));

	printf("  %-12s %s", json_string_value(json_object_get(a, "partstat")),
	    json_string_value(json_object_get(a, "email")));
	if (comment != NULL)
		printf("  \"%s\"", comment);
	putchar('\n');
}

static void
print_event(json_t *o)
{
	json_t *a;
	size_t i;
	const char *loc = json_string_value(json_object_get(o, "location"));

	printf("%s (%s, sequence %" JSON_INTEGER_FORMAT ")\n",
	    json_string_value(json_object_get(o, "summary")),
	    json_string_value(json_object_get(o, "state")),
	    json_integer_value(json_object_get(o, "sequence")));
	printf("Event-Id: %s\n", json_string_value(json_object_get(o, "event_id")));
	printf("When:     %s - %s %s\n", json_string_value(json_object_get(o, "start")),
	    json_string_value(json_object_get(o, "end")),
	    json_is_string(json_object_get(o, "timezone")) ?
	    json_string_value(json_object_get(o, "timezone")) : "(all day)");
	if (loc != NULL)
		printf("Where:    %s\n", loc);
	printf("Audience: %s\n\n", json_string_value(json_object_get(o, "audience")));
	json_array_foreach(json_object_get(o, "attendees"), i, a)
		print_attendee_line(a);
}

static int
events_show(struct store *st, const char *id, bool json)
{
	struct store_event *ev = NULL;
	json_t *o = NULL;
	int found = event_find(st, id, &ev), rc = EX_OK;

	if (found == -1)
		return events_store_fail(st);
	if (found == 0) {
		fprintf(stderr, "hanzepost: no event %s (see `hanzepost events list`)\n", id);
		return EX_DATAERR;
	}
	if ((o = event_json(st, ev)) == NULL)
		rc = events_store_fail(st);
	else if (json)
		rc = print_json(o);
	else
		print_event(o);
	json_decref(o);
	store_event_free(ev);
	return rc;
}

/* The .ics of an approved (or cancelled) event: METHOD:PUBLISH. */
static int
events_export(const struct config *cfg, struct store *st, const char *id)
{
	struct store_event *ev = NULL;
	char *cal = NULL, err[256];
	size_t len = 0;
	int found = event_find(st, id, &ev), rc = EX_OK;

	if (found == -1)
		return events_store_fail(st);
	if (found == 0) {
		fprintf(stderr, "hanzepost: no event %s (see `hanzepost events list`)\n", id);
		return EX_DATAERR;
	}
	if (strcmp(ev->state, "approved") != 0 && strcmp(ev->state, "cancelled") != 0) {
		fprintf(stderr, "hanzepost: event %s is %s: only approved or "
		    "cancelled events are exported\n", ev->uid, ev->state);
		rc = EX_DATAERR;
	} else if (events_calendar(cfg, ev, ITIP_PUBLISH, NULL, time(NULL), &cal,
	    &len, err, sizeof(err)) == -1) {
		fprintf(stderr, "hanzepost: event %s: %s\n", ev->uid, err);
		rc = EX_DATAERR;
	} else if (fwrite(cal, 1, len, stdout) != len)
		rc = EX_IOERR;
	free(cal);
	store_event_free(ev);
	return rc;
}

/* list [--json] | show ID [--json] | export ID */
static bool
events_args_ok(int nargs, char **argv, bool json)
{
	if (nargs < 2)
		return false;
	if (strcmp(argv[1], "list") == 0)
		return nargs == 2;
	if (strcmp(argv[1], "show") == 0)
		return nargs == 3;
	return strcmp(argv[1], "export") == 0 && nargs == 3 && !json;
}

int
cli_events(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	bool json = argc >= 2 && strcmp(argv[argc - 1], "--json") == 0;
	int nargs = argc - (json ? 1 : 0), rc;

	if (!events_args_ok(nargs, argv, json)) {
		fputs(events_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cli_open_store(o, &cfg, &st)) != 0)
		return rc;
	if (strcmp(argv[1], "list") == 0)
		rc = events_list(st, json);
	else if (strcmp(argv[1], "show") == 0)
		rc = events_show(st, argv[2], json);
	else
		rc = events_export(cfg, st, argv[2]);
	if (fflush(stdout) == EOF)
		rc = EX_IOERR;
	store_close(st);
	config_free(cfg);
	return rc;
}
