/*
 * store_events: the events part of the store adapter (see store.h):
 * events, their invitation mailings and the answers of the attendees.
 *
 * Why attendees are recorded when the mailing is created: an update or a
 * cancellation must reach exactly the people who were invited, also when
 * the audience has changed since (a new contact in the sector is not
 * "updated" about an event they never heard of).
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * or judge which answer is newer beyond comparing (sequence, dtstamp).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* ---- events */

static struct store_event *
event_from_row(sqlite3_stmt *s)
{
	struct store_event *ev = xcalloc(1, sizeof(*ev));

	ev->id = sqlite3_column_int64(s, 0);
	ev->uid = store_col_str(s, 1);
	ev->sequence = (unsigned)sqlite3_column_int64(s, 2);
	ev->summary = store_col_str(s, 3);
	ev->location = store_col_str(s, 4);
	ev->description = store_col_str(s, 5);
	ev->tzid = store_col_str(s, 6);
	ev->start_local = store_col_str(s, 7);
	ev->end_local = store_col_str(s, 8);
	ev->all_day = sqlite3_column_int(s, 9) != 0;
	ev->start_utc = (time_t)sqlite3_column_int64(s, 10);
	ev->end_utc = (time_t)sqlite3_column_int64(s, 11);
	ev->audience = store_col_str(s, 12);
	ev->sector = store_col_str(s, 13);
	ev->organiser = store_col_str(s, 14);
	ev->state = store_col_str(s, 15);
	ev->created_at = (time_t)sqlite3_column_int64(s, 16);
	ev->updated_at = (time_t)sqlite3_column_int64(s, 17);
	return ev;
}

void
store_event_free(struct store_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->uid);
	free(ev->summary);
	free(ev->location);
	free(ev->description);
	free(ev->tzid);
	free(ev->start_local);
	free(ev->end_local);
	free(ev->audience);
	free(ev->sector);
	free(ev->organiser);
	free(ev->state);
	free(ev);
}

/* ?1..?15 as S_EV_INSERT and S_EV_UPDATE share them, ?16 = now. */
static int
event_bind(struct store *st, sqlite3_stmt *s, const struct store_event *ev,
    time_t now)
{
	const char *texts[] = { ev->uid, NULL, ev->summary, ev->location,
	    ev->description, ev->tzid, ev->start_local, ev->end_local, NULL,
	    NULL, NULL, ev->audience, ev->sector, ev->organiser, ev->state };
	const int64_t ints[] = { [1] = ev->sequence, [8] = ev->all_day,
	    [9] = (int64_t)ev->start_utc, [10] = (int64_t)ev->end_utc };

	for (int i = 0; i < (int)HP_NELEM(texts); i++) {
		bool is_int = i == 1 || (i >= 8 && i <= 10);
		if ((is_int ? store_bind_int(st, s, i + 1, ints[i]) :
		    store_bind_text(st, s, i + 1, texts[i])) == -1)
			return -1;
	}
	return store_bind_int(st, s, 16, (int64_t)now);
}

int
store_event_put(struct store *st, struct store_event *ev, time_t now)
{
	sqlite3_stmt *s = NULL;
	bool insert = ev->id == 0;
	int ret = -1;

	if (ev->uid == NULL || ev->summary == NULL || ev->start_local == NULL ||
	    ev->end_local == NULL || ev->audience == NULL ||
	    ev->organiser == NULL || ev->state == NULL)
		return store_fail(st, 0, "save event: a required field is missing");
	if ((s = store_stmt_get(st, insert ? S_EV_INSERT : S_EV_UPDATE)) == NULL ||
	    event_bind(st, s, ev, now) == -1 ||
	    (!insert && store_bind_int(st, s, 17, ev->id) == -1) ||
	    store_step_done(st, s, "save event") == -1)
		goto fail;
	if (!insert && sqlite3_changes(st->db) != 1) {
		store_fail(st, 0, "save event: no event %lld", (long long)ev->id);
		goto fail;
	}
	if (insert) {
		ev->id = sqlite3_last_insert_rowid(st->db);
		ev->created_at = now;
	}
	ev->updated_at = now;
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static int
event_one(struct store *st, sqlite3_stmt *s, struct store_event **out)
{
	int rc = sqlite3_step(s), ret = -1;

	if (rc == SQLITE_ROW) {
		*out = event_from_row(s);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_fail_db(st, "read event");
	store_stmt_done(s);
	return ret;
}

int
store_event_get(struct store *st, int64_t id, struct store_event **out)
{
	sqlite3_stmt *s = store_stmt_get(st, S_EV_GET);

	*out = NULL;
	if (s == NULL || store_bind_int(st, s, 1, id) == -1) {
		store_stmt_done(s);
		return -1;
	}
	return event_one(st, s, out);
}

int
store_event_by_uid(struct store *st, const char *uid,
    struct store_event **out)
{
	sqlite3_stmt *s = store_stmt_get(st, S_EV_BY_UID);

	*out = NULL;
	if (s == NULL || store_bind_text(st, s, 1, uid) == -1) {
		store_stmt_done(s);
		return -1;
	}
	return event_one(st, s, out);
}

int
store_event_list(struct store *st, time_t after,
    int (*cb)(const struct store_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_EV_LIST);
	struct store_event **v = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, (int64_t)after) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = event_from_row(s);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, "list events");
		goto fail;
	}
	/* Done with the statement before cb runs, so cb may use the store. */
	store_stmt_done(s);
	s = NULL;
	ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = cb(v[i], arg);
fail:
	store_stmt_done(s);
	for (size_t i = 0; i < n; i++)
		store_event_free(v[i]);
	free(v);
	return ret;
}

/* ---- invitation mailings */

/* "sector culture" -> ("sector", "culture"); "all" -> ("all", ""). */
static int
audience_split(const char *audience, bool invited_only, char *kind,
    size_t kindlen, const char **value)
{
	const char *sp;

	if (invited_only) {
		hp_strlcpy(kind, "invited", kindlen);
		*value = "";
		return 0;
	}
	sp = strchr(audience, ' ');
	if (sp == NULL) {
		if (strcmp(audience, "all") != 0)
			return -1;
		hp_strlcpy(kind, audience, kindlen);
		*value = "";
		return 0;
	}
	if ((size_t)(sp - audience) >= kindlen)
		return -1;
	memcpy(kind, audience, (size_t)(sp - audience));
	kind[sp - audience] = '\0';
	*value = sp + 1;
	return strcmp(kind, "sector") == 0 || strcmp(kind, "country") == 0 ||
	    strcmp(kind, "network") == 0 ? 0 : -1;
}

static int
snapshot_event(struct store *st, int64_t id, int64_t event_id,
    const char *kind, const char *value, time_t now, size_t *n)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_SNAPSHOT_EVENT);
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)now) == -1 ||
	    store_bind_text(st, s, 3, kind) == -1 ||
	    store_bind_text(st, s, 4, value) == -1 ||
	    store_bind_int(st, s, 5, event_id) == -1 ||
	    store_step_done(st, s, "list the invitees") == -1)
		goto fail;
	*n = (size_t)sqlite3_changes(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static int
event_mailing_rows(struct store *st, const char *kind, const char *label,
    int64_t event_id, const char *aud_kind, const char *aud_value,
    const struct store_mailing_part *parts, size_t n_parts, time_t now,
    int64_t *id, size_t *n)
{
	/* What is still queued of an earlier invitation is out of date: the
	 * new mailing reaches the same people with the current event. */
	if (store_run_ints(st, S_EV_SUPERSEDE,
	    (const int64_t[]){ event_id, (int64_t)now }, 2, NULL,
	    "supersede earlier invitations") == -1 ||
	    store_mailing_insert(st, kind, label, 0, "events", parts, n_parts,
	    now, id) == -1 ||
	    store_run_ints(st, S_ML_SET_EVENT, (const int64_t[]){ *id, event_id },
	    2, NULL, "tie the mailing to its event") == -1 ||
	    snapshot_event(st, *id, event_id, aud_kind, aud_value, now, n) == -1)
		return -1;
	return store_run_ints(st, S_ATT_INVITE,
	    (const int64_t[]){ event_id, (int64_t)now, *id }, 3, NULL,
	    "record the invitees");
}

int
store_mailing_create_for_event(struct store *st, const char *kind,
    const char *label, int64_t event_id, const char *audience,
    bool invited_only, const struct store_mailing_part *parts,
    size_t n_parts, time_t now, int64_t *id, size_t *n_recipients)
{
	char aud_kind[16];
	const char *aud_value;
	bool own;
	int ret;

	*id = 0;
	*n_recipients = 0;
	if (audience_split(audience ? audience : "", invited_only, aud_kind,
	    sizeof(aud_kind), &aud_value) == -1)
		return store_fail(st, 0, "create invitation: unknown audience");
	if (store_tx_start(st, &own, true) == -1)
		return -1;
	ret = event_mailing_rows(st, kind, label, event_id, aud_kind,
	    aud_value, parts, n_parts, now, id, n_recipients);
	ret = store_tx_end(st, own, ret);
	if (ret != 0) {
		*id = 0;
		*n_recipients = 0;
	}
	return ret;
}

int
store_mailing_event(struct store *st, int64_t mailing_id, int64_t *event_id)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_EVENT);
	int ret = -1;

	*event_id = 0;
	if (s != NULL && store_bind_int(st, s, 1, mailing_id) == 0)
		ret = store_row_int(st, s, event_id, "read the mailing's event");
	store_stmt_done(s);
	return ret < 0 ? -1 : 0;
}

/* ---- attendees */

/* 1 with the recorded (sequence, dtstamp) of an answer (-1, 0 when none
 * yet), 0 when email was not invited, -1. */
static int
attendee_get(struct store *st, int64_t event_id, const char *email,
    int64_t *seq, int64_t *dtstamp)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ATT_GET);
	int rc, ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, event_id) == -1 ||
	    store_bind_text(st, s, 2, email) == -1)
		goto fail;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(s, 1);
		*dtstamp = sqlite3_column_int64(s, 2);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_fail_db(st, "read attendee");
fail:
	store_stmt_done(s);
	return ret;
}

static int
attendee_write(struct store *st, int64_t event_id, const char *email,
    const char *partstat, const char *comment, unsigned sequence,
    time_t dtstamp, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ATT_REPLY);
	int ret = -1;

	if (s != NULL && store_bind_int(st, s, 1, event_id) == 0 &&
	    store_bind_text(st, s, 2, email) == 0 &&
	    store_bind_text(st, s, 3, partstat) == 0 &&
	    store_bind_text(st, s, 4, comment) == 0 &&
	    store_bind_int(st, s, 5, sequence) == 0 &&
	    store_bind_int(st, s, 6, (int64_t)dtstamp) == 0 &&
	    store_bind_int(st, s, 7, (int64_t)now) == 0)
		ret = store_step_done(st, s, "record answer");
	store_stmt_done(s);
	return ret;
}

static int
attendee_reply_rows(struct store *st, int64_t event_id, const char *email,
    const char *partstat, const char *comment, unsigned sequence,
    time_t dtstamp, time_t now)
{
	int64_t seq = -1, stamp = 0;
	int rc = attendee_get(st, event_id, email, &seq, &stamp);

	if (rc <= 0)
		return rc == 0 ? 2 : -1;
	/* RFC 5546 2.1.5: a reply with a lower SEQUENCE, or the same with an
	 * older DTSTAMP, is outdated. */
	if ((int64_t)sequence < seq ||
	    ((int64_t)sequence == seq && (int64_t)dtstamp < stamp))
		return 0;
	return attendee_write(st, event_id, email, partstat, comment, sequence,
	    dtstamp, now) == 0 ? 1 : -1;
}

int
store_attendee_reply(struct store *st, int64_t event_id, const char *email,
    const char *partstat, const char *comment, unsigned sequence,
    time_t dtstamp, time_t now)
{
	bool own;
	int ret;

	if (store_tx_start(st, &own, true) == -1)
		return -1;
	ret = attendee_reply_rows(st, event_id, email, partstat, comment,
	    sequence, dtstamp, now);
	return store_tx_end(st, own, ret);
}

int
store_attendee_list(struct store *st, int64_t event_id,
    int (*cb)(const char *email, const char *name, const char *partstat,
        const char *comment, time_t updated_at, void *arg),
    void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ATT_LIST);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL || store_bind_int(st, s, 1, event_id) == -1) {
		store_stmt_done(s);
		return -1;
	}
#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(T(0), T(1), T(2), T(3),
		    (time_t)sqlite3_column_int64(s, 4), arg);
#undef T
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list attendees");
	store_stmt_done(s);
	return ret;
}

int
store_attendee_counts(struct store *st, int64_t event_id,
    struct store_rsvp_counts *c)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ATT_COUNTS);
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (s == NULL || store_bind_int(st, s, 1, event_id) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "count answers");
		goto fail;
	}
	c->invited = (size_t)sqlite3_column_int64(s, 0);
	c->accepted = (size_t)sqlite3_column_int64(s, 1);
	c->declined = (size_t)sqlite3_column_int64(s, 2);
	c->tentative = (size_t)sqlite3_column_int64(s, 3);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}
