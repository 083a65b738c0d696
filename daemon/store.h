/*
 * store: the SQLite adapter (L2).  The one file of the daemon that
 * includes sqlite3.h and the only place any SQL lives; everything above
 * it speaks in domain terms (organisations, handled messages, outbox).
 *
 * The database runs in WAL mode with synchronous=NORMAL, foreign keys on,
 * a 5 s busy timeout, STRICT tables, and a schema brought up to date on
 * open by numbered migrations (PRAGMA user_version).  A database written
 * by a newer hanzepost is refused, never touched.  Every statement is
 * prepared once per connection and reused; no SQL is ever built from data.
 *
 * Transactions: store_begin() opens a BEGIN IMMEDIATE transaction.  A
 * deferred read-then-write transaction in WAL mode fails at once with
 * SQLITE_BUSY_SNAPSHOT when another connection committed in between
 * (notes/libraries.md #18), so every read-modify-write goes through
 * store_begin().  Functions that write several rows (store_org_save,
 * store_org_delete, store_message_set_moved) join the caller's transaction
 * when one is open and otherwise run in their own; functions that read
 * several tables (store_org_get, store_org_list) read one snapshot.
 *
 * Errors: a function that fails returns -1 and leaves a one-line
 * description in store_error(st); store_error_is_temporary(st) says
 * whether it was "busy / locked / disk full / I/O error" (try again later)
 * rather than a bug or a bad database.  Nothing here logs or exits.
 *
 * Must not: log, call other adapters, or know about mail formats.  One
 * struct store is one connection and must be used by one thread; never
 * use it in a forked child.
 *
 * Ownership: pointers passed in are borrowed for the duration of the call;
 * everything returned through an out-parameter belongs to the caller and
 * is freed with the function named in its contract.
 */
#ifndef HP_STORE_H
#define HP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct org;
struct store;

/* Open (creating when absent, mode 0600) the database at path and bring
 * its schema up to date.  The directory must exist.  ":memory:" gives a
 * private in-memory database (tests).  On success returns 0 and *out; on
 * failure returns -1, *out = NULL and a message in err (errlen bytes). */
int store_open(const char *path, struct store **out, char *err,
    size_t errlen);

/* Close the connection; an open transaction is rolled back.  NULL is a
 * no-op. */
void store_close(struct store *st);

/* The schema version this program creates and understands. */
int store_schema_version(void);

/* How long a statement waits for another connection's lock before it
 * fails with a temporary error (default 5000 ms). */
void store_set_busy_timeout(struct store *st, int ms);

/* The last error as one line ("" before any error).  Borrowed: valid until
 * the next call on st. */
const char *store_error(const struct store *st);

/* True when the last error was SQLITE_BUSY, LOCKED, FULL or IOERR: leave
 * the work for the next run rather than reporting it as a failure. */
bool store_error_is_temporary(const struct store *st);

/* BEGIN IMMEDIATE: take the write lock now (waiting up to the busy
 * timeout).  Fails when a transaction is already open. */
int store_begin(struct store *st);
/* COMMIT.  On failure the transaction may still be open: call
 * store_rollback(). */
int store_commit(struct store *st);
/* ROLLBACK.  Safe when no transaction is open; keeps store_error() as it
 * was so the caller can still report why it rolled back. */
void store_rollback(struct store *st);

/* ---- mailbox state: UIDVALIDITY and the last UID handled, per mailbox */

/* Returns 0 with the recorded values, or 0 with both zero when the
 * mailbox is unknown; -1 on error. */
int store_mailbox_get(struct store *st, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid);
/* Insert or replace the state of mailbox. */
int store_mailbox_set(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid);

/* ---- handled messages: deduplication and moves still to do */

enum store_msg_state {
	STORE_MSG_DONE = 1,	/* effects committed, not yet moved */
	STORE_MSG_MOVED = 2,
};

/* Returns 1 when this (uidvalidity, uid) was already handled, or -- when
 * message_id is neither NULL nor "" -- a message with this Message-ID was
 * (compared byte for byte: pass it normalised the same way every time).
 * Then the folder it was filed to is copied into folder (folder_len bytes,
 * truncated; folder may be NULL).  Returns 0 when new, -1 on error. */
int store_message_seen(struct store *st, uint32_t uidvalidity, uint32_t uid,
    const char *message_id, char *folder, size_t folder_len);

/* Record how a message was handled, in state STORE_MSG_DONE; call it in
 * the same transaction as the message's effects.  message_id and sender
 * may be NULL; folder is where it is to be moved; outcome is a short word
 * ("applied", "unchanged", "rejected", "command", "unreadable", "ignored",
 * "duplicate", ...).  Recording the same (uidvalidity, uid) twice is an
 * error. */
int store_message_record(struct store *st, uint32_t uidvalidity,
    uint32_t uid, const char *message_id, const char *sender,
    const char *folder, const char *outcome, time_t now);

/* Mark these UIDs as moved (unknown UIDs are ignored).  One transaction:
 * the caller's, or its own. */
int store_message_set_moved(struct store *st, uint32_t uidvalidity,
    const uint32_t *uids, size_t n);

/* UIDs recorded DONE but not MOVED under uidvalidity, grouped by folder:
 * calls cb(folder, uids, n, arg) once per folder, UIDs ascending.  The rows
 * are read before the first call, so cb may use the store (e.g.
 * store_message_set_moved).  cb returns 0 to go on; any other value stops
 * the walk and is returned.  Returns 0 when all were visited, -1 on a
 * store error. */
int store_message_pending_moves(struct store *st, uint32_t uidvalidity,
    int (*cb)(const char *folder, const uint32_t *uids, size_t n, void *arg),
    void *arg);

/* Count parse attempts of (uidvalidity, uid), so a message that keeps
 * killing the parser is filed as unreadable instead of looping: adds one
 * and returns the new count in *attempts (1 the first time).  Atomic by
 * itself; batching several in one transaction is the caller's job. */
int store_attempt_bump(struct store *st, uint32_t uidvalidity, uint32_t uid,
    unsigned *attempts);

/* ---- registry */

/* Returns 1 and a new org (free with org_free) when an organisation is
 * named name, compared case-insensitively for ASCII letters only (SQLite
 * NOCASE: "lübeck" does not match "LÜBECK"); 0 and *out = NULL when
 * there is none; -1 on error.  Lists come back in their stored order. */
int store_org_get(struct store *st, const char *name, struct org **out);

/* Names of the organisations that list email as a contact (compared
 * ASCII-case-insensitively), sorted.  *names is a new array of new strings
 * (free each and the array; NULL when *n == 0). */
int store_org_names_for_contact(struct store *st, const char *email,
    char ***names, size_t *n);

/* One changelog entry.  field names what changed ("sector", "website",
 * "activity", "contact", "network", "organisation", ...); a NULL value
 * means absent (e.g. old_value NULL for something added). */
struct store_change {
	const char *field;
	const char *old_value;
	const char *new_value;
};

/* Insert (org->id == 0) or replace the whole entry org->id: scalars,
 * networks, contacts and activities (lists keep their order), with
 * updated_at = now, and append one changelog row per change under
 * org->name, actor and message_id (both may be NULL).  A name already used
 * by another organisation (ASCII case ignored) is an error.  On success
 * sets org->id and org->updated_at; if the caller's own transaction is
 * rolled back afterwards, that id is void (reset it to 0). */
int store_org_save(struct store *st, struct org *org, const char *actor,
    const char *message_id, const struct store_change *changes,
    size_t n_changes, time_t now);

/* Delete the organisation named name (ASCII case ignored) with its lists,
 * and log a changelog row (field "organisation", old value its name, new
 * value NULL).  Returns 1 when deleted, 0 when there was none, -1 on
 * error. */
int store_org_delete(struct store *st, const char *name, const char *actor,
    const char *message_id, time_t now);

/* Every organisation, fully loaded, sorted by name (ASCII case ignored).
 * *orgs is a new array (NULL when *n == 0): free with store_orgs_free. */
int store_org_list(struct store *st, struct org ***orgs, size_t *n);
void store_orgs_free(struct org **orgs, size_t n);

/* Changelog rows with at >= since, oldest first, one cb call each (values
 * NULL when absent; strings borrowed for the call).  cb must not write to
 * the store; it returns 0 to go on, any other value stops the walk and is
 * returned. */
int store_changes_since(struct store *st, time_t since,
    int (*cb)(const char *org, const char *field, const char *old_value,
        const char *new_value, const char *actor, const char *message_id,
        time_t at, void *arg),
    void *arg);

/* ---- outbox: durable, so a reply is never lost while SMTP is down */

struct store_outmsg {
	int64_t id;
	char *sender;		/* envelope sender */
	char *recipient;	/* envelope recipient */
	char *message_id;
	char *data;		/* the message, CRLF, NUL-terminated for convenience */
	size_t len;		/* bytes of data, without that NUL */
	int attempts;
	time_t created_at;
};

/* What an outbox row is: an answer to someone's mail (counted by the
 * reply rate limit) or one copy of a mailing (newsletter, invitation). */
enum store_out_kind { STORE_OUT_REPLY, STORE_OUT_MAILING };

/* Queue a fully built RFC 5322 message (CRLF bytes, len of them) of the
 * given kind for one recipient: state queued, next attempt now.
 * message_id must be unique in the outbox (a second add with the same one
 * fails).  Sets *id (may be NULL). */
int store_outbox_add(struct store *st, enum store_out_kind kind,
    const char *sender, const char *recipient, const char *message_id,
    const char *data, size_t len, time_t now, int64_t *id);

/* Up to limit queued rows whose next attempt is <= now, oldest first.
 * *msgs is a new array (NULL when *n == 0): free with store_outmsgs_free. */
int store_outbox_due(struct store *st, time_t now, size_t limit,
    struct store_outmsg **msgs, size_t *n);
void store_outmsgs_free(struct store_outmsg *msgs, size_t n);

enum store_out_state { STORE_OUT_QUEUED, STORE_OUT_SENT, STORE_OUT_FAILED };

/* Record a delivery attempt of queued row id: its new state, the SMTP
 * reply code (0 = no answer) and text (may be NULL), and for
 * STORE_OUT_QUEUED the time of the next attempt.  attempts += 1.  A sent
 * row keeps its headers' Message-ID and bookkeeping but drops its data
 * (the outbox would otherwise keep every newsletter ever sent).  Fails
 * when id is not a queued row. */
int store_outbox_result(struct store *st, int64_t id,
    enum store_out_state state, int smtp_code, const char *reply,
    time_t next_attempt, time_t now);

/* Every outbox row without its data, oldest first (for `queue list`);
 * kind is STORE_OUT_REPLY or STORE_OUT_MAILING; state is "queued", "sent"
 * or "failed"; reply NULL when none.  cb must not write to the store; it
 * returns 0 to go on, any other value stops the walk and is returned. */
int store_outbox_list(struct store *st,
    int (*cb)(int64_t id, enum store_out_kind kind, const char *recipient,
        const char *message_id, const char *state, int attempts,
        int smtp_code, const char *reply, time_t created_at,
        time_t next_attempt, void *arg),
    void *arg);

/* Count the outbox rows of kind STORE_OUT_REPLY (any state) queued to
 * recipient (ASCII case ignored) at or after since: the reply rate
 * limit's bookkeeping.  Mailings do not count. */
int store_outbox_count_to(struct store *st, const char *recipient,
    time_t since, unsigned *count);

/* ---- pending actions: confirmations and moderation (store_access.c)
 *
 * A pending action is something held until the right person says yes: an
 * update or removal confirmed by a registered contact, a new organisation
 * approved by an ambassador or the office, a subscription confirmed by the
 * address itself.  It is found by the SHA-256 (hex) of its token, never by
 * the token: the store never sees a usable token.  Expiry is the caller's
 * check (expires_at is stored and returned as given). */

struct store_pending {
	int64_t id;
	char *kind;		/* "update", "new_org", "remove", "subscribe", "event" */
	char *org_name;		/* NULL when none */
	char *sector;		/* canonical English name; NULL when none */
	char *requester;	/* the address that asked */
	char *authorisers;	/* comma list of who may authorise (log, mail) */
	char *payload;		/* JSON, as given */
	char *source_msgid;	/* NULL when none */
	char *state;		/* "pending", "done", "rejected" */
	char *done_by;		/* NULL while pending */
	char *done_msgid;	/* NULL while pending or when none */
	time_t created_at, expires_at;
	time_t done_at;		/* 0 while pending */
};

/* Add a pending action in state "pending".  token_hash must be new (a
 * second add with the same hash fails); kind must be one of the four
 * above; requester, authorisers and payload must not be NULL; org_name,
 * sector and source_msgid may be.  Sets *id (may be NULL). */
int store_pending_add(struct store *st, const char *token_hash,
    const char *kind, const char *org_name, const char *sector,
    const char *requester, const char *authorisers, const char *payload,
    const char *source_msgid, time_t now, time_t expires_at, int64_t *id);

/* The action whose token hashes to token_hash, in any state: returns 1
 * and a new *out (free with store_pending_free), 0 and *out = NULL when
 * there is none, -1 on error. */
int store_pending_get(struct store *st, const char *token_hash,
    struct store_pending **out);

/* NULL is a no-op. */
void store_pending_free(struct store_pending *p);

/* Close action id: state "done" or "rejected", by (the address that
 * decided; may be NULL), msgid (the Message-ID that carried the decision;
 * may be NULL), at now.  Single use: returns 0 when it was pending and is
 * closed now, 1 when it was already closed (a second use: nothing is
 * changed), -1 on error (an unknown id, a bad state).  Run it in the same
 * transaction as the action's effects. */
int store_pending_finish(struct store *st, int64_t id, const char *state,
    const char *by, const char *msgid, time_t now);

/* ---- subscribers (store_access.c) */

struct store_subscriber {
	int64_t id;			/* 0 until stored */
	char *email;
	char *name;			/* NULL when unknown */
	char *lang;			/* "nl" or "en" */
	char *status;			/* "active", "unsubscribed", "disabled" */
	char *consent_source_msgid;	/* the mail that asked; "cli" for the office */
	char *consent_confirm_msgid;	/* the mail that confirmed; NULL when none */
	char *unsub_token;		/* 32 hex chars, unique */
	bool newsletter, events;	/* the lists */
	time_t consent_at;		/* 0 when none */
	time_t created_at, updated_at;
};

/* The subscriber with this address (ASCII case ignored): 1 and a new *out
 * (free with store_subscriber_free), 0 and *out = NULL when none, -1 on
 * error. */
int store_subscriber_get(struct store *st, const char *email,
    struct store_subscriber **out);

/* The subscriber whose unsubscribe token is unsub_token (exact): 1 and a
 * new *out, 0 and *out = NULL, or -1, as store_subscriber_get. */
int store_subscriber_by_token(struct store *st, const char *unsub_token,
    struct store_subscriber **out);

/* Insert the subscriber s->email, or update the row with that address
 * (ASCII case ignored) from every field of s, with updated_at = now
 * (created_at = now for a new row; s->id, s->created_at and s->updated_at
 * are not read).  When s->unsub_token is NULL an existing row keeps its
 * token; a new row needs one (else -1).  lang and status must be values
 * of the lists above (else -1); consent_at 0 stores "none". */
int store_subscriber_put(struct store *st, const struct store_subscriber *s,
    time_t now);

/* Turn off the lists named (newsletter, events) for email; the status
 * becomes "unsubscribed" when no list is left on.  Returns 1 when a named
 * list was on and is off now, 0 when the address is unknown or none of
 * the named lists was on (nothing changed), -1 on error. */
int store_subscriber_unsubscribe(struct store *st, const char *email,
    bool newsletter, bool events, time_t now);

/* Erase the subscriber's row, consent record included (`subscribers
 * remove`).  1 when deleted, 0 when there was none, -1 on error. */
int store_subscriber_delete(struct store *st, const char *email);

/* Every subscriber, sorted by address (ASCII case ignored), one cb call
 * each (s borrowed for the call).  The rows are read before the first
 * call, so cb may use the store.  cb returns 0 to go on; any other value
 * stops the walk and is returned.  Returns 0 when all were visited, -1
 * on a store error. */
int store_subscriber_list(struct store *st,
    int (*cb)(const struct store_subscriber *s, void *arg), void *arg);

/* Free s and its strings.  NULL is a no-op. */
void store_subscriber_free(struct store_subscriber *s);

/* ---- office addresses (besides [office] admins of the config) and
 * sector ambassadors (store_access.c).  Addresses compare ASCII case
 * insensitively; sector is the canonical English name
 * (model_sector_name), stored as given. */

/* 0 when added, 1 when it was already there, -1 on error. */
int store_office_add(struct store *st, const char *email, time_t now);
/* 1 when removed, 0 when it was not there, -1 on error. */
int store_office_remove(struct store *st, const char *email);
/* *is = whether email is an office address in the store (the config's
 * admins are not consulted).  0, or -1 on error. */
int store_office_is(struct store *st, const char *email, bool *is);
/* Every office address in the store, sorted; cb as store_changes_since
 * (must not write to the store; non-zero stops and is returned). */
int store_office_list(struct store *st,
    int (*cb)(const char *email, time_t added_at, void *arg), void *arg);

/* 0 when added, 1 when email was already an ambassador of sector, -1. */
int store_ambassador_add(struct store *st, const char *email,
    const char *sector, time_t now);
/* 1 when removed, 0 when there was no such pair, -1 on error. */
int store_ambassador_remove(struct store *st, const char *email,
    const char *sector);
/* *is = whether email is an ambassador of sector.  0, or -1. */
int store_ambassador_is(struct store *st, const char *email,
    const char *sector, bool *is);
/* Every (email, sector) pair, sorted by sector, then address; cb as
 * store_office_list. */
int store_ambassador_list(struct store *st,
    int (*cb)(const char *email, const char *sector, time_t added_at,
        void *arg), void *arg);
/* The ambassadors of sector, sorted.  *emails is a new array of new
 * strings (free each and the array; NULL when *n == 0). */
int store_ambassadors_for_sector(struct store *st, const char *sector,
    char ***emails, size_t *n);

/* ---- mailings: newsletter issues and their recipients (store_mailing.c)
 *
 * A mailing is one thing sent to many: a newsletter issue (kind
 * "newsletter"; issue 5 adds invitations).  It is created in one
 * transaction together with its content per language and one delivery row
 * per recipient, a snapshot of the active subscribers of its list taken at
 * that moment.  So after a crash the same recipients get the same content
 * (and the same Message-ID, made from the mailing and delivery ids): the
 * only duplicates are the messages in flight when it died.  Message bytes
 * are not stored per recipient; each copy is built when it is sent, so
 * the database grows by one small row per recipient. */

enum store_dlv_state {
	STORE_DLV_QUEUED,	/* not sent yet (also: 4xx, waiting to retry) */
	STORE_DLV_SENT,		/* the server accepted it */
	STORE_DLV_FAILED,	/* 5xx, or 4xx until max_age */
	STORE_DLV_SKIPPED,	/* the subscriber left or was disabled meanwhile */
};

struct store_mailing {
	int64_t id;
	char *kind;		/* "newsletter" */
	char *label;		/* "2027-01", or "2027-01-15 10:22 (manual)" */
	time_t slot;		/* the schedule slot; 0 for a manual issue */
	char *state;		/* "sending" or "done" */
	time_t created_at, done_at;	/* done_at 0 while sending */
	/* Delivery counts by state (filled by get and list). */
	size_t n_queued, n_sent, n_failed, n_skipped;
};

/* The content of a mailing in one language: subject and the shared text
 * and HTML bodies (rendered once; the per-recipient frame is added when a
 * copy is built).  html may be NULL. */
struct store_mailing_part {
	char *lang;		/* "nl" or "en" */
	char *subject;
	char *text;
	char *html;
};

/* Create mailing kind/label with its parts and a delivery row for every
 * subscriber with status "active" on list ("newsletter" or "events"),
 * with their address, name, language and unsubscribe token, in one
 * transaction (the caller's when one is open).  slot != 0 must be new: a
 * second mailing of kind for the same slot returns 1 and changes nothing
 * (the issue for that slot exists already).  Otherwise 0 with *id and
 * *n_recipients set.  Also marks every unused editorial intro as used by
 * this mailing (see store_intro_*). */
int store_mailing_create(struct store *st, const char *kind,
    const char *label, time_t slot, const char *list,
    const struct store_mailing_part *parts, size_t n_parts, time_t now,
    int64_t *id, size_t *n_recipients);

/* Mailing id: 1 and a new *out (free with store_mailing_free), 0 when
 * there is none, -1 on error. */
int store_mailing_get(struct store *st, int64_t id,
    struct store_mailing **out);
void store_mailing_free(struct store_mailing *m);

/* Mailings newest first, at most limit (0 = all); only those in state
 * "sending" when sending_only.  cb gets each (borrowed; may use the
 * store); non-zero stops and is returned. */
int store_mailing_list(struct store *st, bool sending_only, size_t limit,
    int (*cb)(const struct store_mailing *m, void *arg), void *arg);

/* The latest slot of a mailing of kind (0 when none): the schedule's
 * memory (sched_due's last_slot). */
int store_mailing_last_slot(struct store *st, const char *kind,
    time_t *slot);

/* When the last mailing of kind was created (0 when none): "new since the
 * last issue". */
int store_mailing_last_created(struct store *st, const char *kind,
    time_t *at);

/* The part of mailing id in lang: 1 and *out filled (strings new; free
 * with store_mailing_part_clear), 0 when there is none, -1. */
int store_mailing_part_get(struct store *st, int64_t id, const char *lang,
    struct store_mailing_part *out);
void store_mailing_part_clear(struct store_mailing_part *p);

/* Mark mailing id "done" when no delivery is queued any more.  1 when it
 * is done (now or before), 0 when rows are still queued, -1. */
int store_mailing_finish(struct store *st, int64_t id, time_t now);

struct store_delivery {
	int64_t id;		/* unique across mailings */
	int64_t mailing_id;
	char *email, *name;	/* name NULL when unknown */
	char *lang;
	char *unsub_token;
	int attempts;
	time_t next_attempt;
};

/* Up to limit queued deliveries of mailing_id with id > after_id and
 * next_attempt <= now, by id (keyset paging: pass the last id seen as
 * after_id, so memory stays flat however long the list).  Deliveries
 * whose subscriber is no longer active on the mailing's list are set to
 * skipped here and not returned.  *out is a new array (NULL when *n == 0):
 * free with store_deliveries_free. */
int store_deliveries_due(struct store *st, int64_t mailing_id,
    int64_t after_id, time_t now, size_t limit, struct store_delivery **out,
    size_t *n);
void store_deliveries_free(struct store_delivery *d, size_t n);

/* The earliest next_attempt of a queued delivery of any mailing in state
 * "sending": 1 and *at, or 0 when nothing is queued, -1. */
int store_deliveries_next_due(struct store *st, time_t *at);

/* Record an attempt of delivery id (attempts += 1): state, SMTP code (0 =
 * no answer), reply text (may be NULL), next_attempt for
 * STORE_DLV_QUEUED.  Fails when id is not queued.  Its own statement:
 * autocommit, so an accepted copy is recorded at once (the crash bound). */
int store_delivery_result(struct store *st, int64_t id,
    enum store_dlv_state state, int smtp_code, const char *reply,
    time_t next_attempt, time_t now);

/* Deliveries of mailing_id (0 = all mailings) in state (NULL = any:
 * "queued", "sent", "failed", "skipped"), by id; cb gets each (strings
 * borrowed for the call; must not write to the store; non-zero stops and
 * is returned). */
int store_delivery_list(struct store *st, int64_t mailing_id,
    const char *state,
    int (*cb)(int64_t id, int64_t mailing_id, const char *email,
        const char *state, int attempts, int smtp_code, const char *reply,
        time_t next_attempt, time_t updated_at, void *arg),
    void *arg);

/* `queue retry`: failed deliveries (of mailing_id, 0 = all; or the one
 * delivery_id when it is not 0) back to queued, due now, attempts 0, and
 * their mailing back to "sending".  *n = rows changed. */
int store_delivery_retry(struct store *st, int64_t mailing_id,
    int64_t delivery_id, time_t now, size_t *n);

/* `queue retry` for the reply outbox: failed rows (or the one id) back to
 * queued, due now.  *n = rows changed. */
int store_outbox_retry(struct store *st, int64_t id, time_t now, size_t *n);

/* ---- editorial introductions (subject `newsletter` from the office) */

/* Store markdown (UTF-8, as sent) from author with message_id (may be
 * NULL) as the intro of the next issue; a newer one replaces an older
 * unused one (both kept; the newest unused wins). */
int store_intro_add(struct store *st, const char *markdown,
    const char *author, const char *message_id, time_t now);
/* The newest intro not yet used by a mailing: 1 and new strings
 * (*markdown, *author; free both), 0 when none, -1. */
int store_intro_get(struct store *st, char **markdown, char **author,
    time_t *at);

/* ---- bounces (SPEC §6) */

struct store_bounce {
	const char *email;	/* the subscriber */
	double score;		/* 0, 0.5 or 1 */
	const char *status;	/* "5.1.1" */
	const char *blame;	/* "recipient", "sender", "transient", "none" */
	const char *diagnostic;	/* may be NULL */
	const char *source;	/* "dsn", "smtp" */
	const char *message_id;	/* of the bounce or of our copy; may be NULL */
};

/* Record one bounce at now. */
int store_bounce_add(struct store *st, const struct store_bounce *b,
    time_t now);
/* Sum of the scores of email's bounces at or after since. */
int store_bounce_score(struct store *st, const char *email, time_t since,
    double *score);
/* Set an active subscriber's status to "disabled" (bounces).  1 when it
 * changed, 0 when not active or unknown, -1. */
int store_subscriber_disable(struct store *st, const char *email,
    time_t now);
/* Subscribers disabled (status "disabled", changed) at or after since,
 * oldest first; cb as store_bounce_list. */
int store_subscribers_disabled_since(struct store *st, time_t since,
    int (*cb)(const char *email, time_t at, void *arg), void *arg);
/* Bounces at or after since, oldest first; cb gets each (borrowed;
 * must not write; non-zero stops and is returned). */
int store_bounce_list(struct store *st, time_t since,
    int (*cb)(const struct store_bounce *b, time_t at, void *arg),
    void *arg);

/* ---- small durable settings (schedule anchor, last summary, ...) */

/* 1 and *value when key is set, 0 when not, -1. */
int store_setting_get_int(struct store *st, const char *key,
    int64_t *value);
int store_setting_set_int(struct store *st, const char *key, int64_t value);

/* ---- events and their attendees (store_events.c)
 *
 * An event is identified for users by its UID (the Event-Id in mails).
 * Times are kept twice: as written (wall clock in tzid, or a date for an
 * all-day event) for the calendar, and as UTC seconds for ordering and
 * "upcoming". */

struct store_event {
	int64_t id;			/* 0 until stored */
	char *uid;
	unsigned sequence;
	char *summary;
	char *location, *description;	/* NULL when absent */
	char *tzid;			/* NULL for all-day events */
	char *start_local, *end_local;	/* "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" */
	bool all_day;
	time_t start_utc, end_utc;
	char *audience;			/* "all", "sector NAME", "country CC", "network NAME" */
	char *sector;			/* for moderation; NULL when none */
	char *organiser;		/* the address that submitted it */
	char *state;			/* "pending", "approved", "rejected", "cancelled" */
	time_t created_at, updated_at;
};

/* Insert ev (ev->id 0; sets it) or replace every field of row ev->id,
 * with updated_at = now (created_at = now for a new row).  A UID used by
 * another event is an error. */
int store_event_put(struct store *st, struct store_event *ev, time_t now);
/* By id or by UID (exact): 1 and a new *out (store_event_free), 0 when
 * none, -1. */
int store_event_get(struct store *st, int64_t id, struct store_event **out);
int store_event_by_uid(struct store *st, const char *uid,
    struct store_event **out);
void store_event_free(struct store_event *ev);
/* Events ordered by start; only those ending after `after` when after is
 * not 0.  The rows are read before the first cb call, so cb may use the
 * store; non-zero from cb stops and is returned. */
int store_event_list(struct store *st, time_t after,
    int (*cb)(const struct store_event *ev, void *arg), void *arg);

/* Create the invitation mailing of kind ("invitation", "cancellation")
 * for event_id: content parts as store_mailing_create, recipients the
 * active subscribers of the events list in the event's audience ("all",
 * "sector NAME": contacts of organisations of that sector, "country CC":
 * of organisations active there, "network NAME": of its members), or,
 * with invited_only, those already invited to the event (updates and
 * cancellations reach exactly the people who had the invitation).  Every
 * recipient is recorded as invited (store_attendee_*) in the same
 * transaction, and copies of earlier mailings of the event that are still
 * queued are skipped (superseded).  0 with *id and *n_recipients, -1. */
int store_mailing_create_for_event(struct store *st, const char *kind,
    const char *label, int64_t event_id, const char *audience,
    bool invited_only, const struct store_mailing_part *parts,
    size_t n_parts, time_t now, int64_t *id, size_t *n_recipients);
/* The event a mailing was made for: *event_id 0 when none. */
int store_mailing_event(struct store *st, int64_t mailing_id,
    int64_t *event_id);

/* Record an attendee's answer (partstat "ACCEPTED", "DECLINED",
 * "TENTATIVE", ...; comment may be NULL) carrying (sequence, dtstamp).
 * Returns 1 when recorded, 0 when ignored because the attendee already
 * answered with a later (sequence, dtstamp), 2 when email was not invited
 * to event_id (nothing recorded), -1 on error. */
int store_attendee_reply(struct store *st, int64_t event_id,
    const char *email, const char *partstat, const char *comment,
    unsigned sequence, time_t dtstamp, time_t now);
/* The invited attendees of event_id by address; cb gets each (borrowed;
 * must not write; non-zero stops and is returned).  updated_at 0 when
 * the attendee has not answered. */
int store_attendee_list(struct store *st, int64_t event_id,
    int (*cb)(const char *email, const char *name, const char *partstat,
        const char *comment, time_t updated_at, void *arg),
    void *arg);
/* Counts of the answers to event_id. */
struct store_rsvp_counts {
	size_t invited, accepted, declined, tentative;
};
int store_attendee_counts(struct store *st, int64_t event_id,
    struct store_rsvp_counts *c);

#endif
