/*
 * store: see store.h.  This file holds the connection (open, close,
 * pragmas), the schema migrations, the statement table with the helpers
 * every part uses to run a statement, transactions and errors.  The
 * domain functions live in store_registry.c (organisations and the
 * changelog), store_mail.c (mailbox state, handled messages, parse
 * attempts), store_outbox.c (the outbox) and store_access.c (pending
 * actions, subscribers, office addresses, ambassadors); store_int.h is
 * what they share.
 *
 * All SQL of hanzepost is in the two tables below (migrations,
 * statements); the functions only bind values and read columns, so no
 * text from mail can ever become SQL.
 *
 * Statements are prepared lazily (the schema must exist first) with
 * SQLITE_PREPARE_PERSISTENT, kept in struct store, and always reset and
 * cleared before a function returns, so no statement keeps a transaction
 * or a read snapshot open behind the caller's back.  Values are bound
 * SQLITE_STATIC for that same reason: the caller's strings outlive the
 * binding.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"
#include "util.h"

#define STORE_BUSY_MS	5000

/*
 * Schema migrations: entry i brings user_version i to i + 1.  Append only;
 * never edit a step that has shipped.
 */
static const char *const migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE orgs ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
	" sector TEXT, website TEXT, description TEXT, internships TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE org_networks ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE TABLE org_contacts ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT, email TEXT NOT NULL COLLATE NOCASE,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE INDEX org_contacts_email ON org_contacts(email);"
	"CREATE TABLE org_activities ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL,"
	" country TEXT NOT NULL CHECK (length(country) = 2),"
	" city TEXT, kind TEXT, note TEXT,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE TABLE changes ("
	" id INTEGER PRIMARY KEY, org_name TEXT NOT NULL, field TEXT NOT NULL,"
	" old_value TEXT, new_value TEXT, actor TEXT, message_id TEXT,"
	" at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX changes_at ON changes(at);"
	"CREATE TABLE mailbox_state ("
	" mailbox TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL) STRICT;"
	"CREATE TABLE messages ("
	" uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, message_id TEXT,"
	" sender TEXT, folder TEXT NOT NULL, outcome TEXT NOT NULL,"
	" state INTEGER NOT NULL CHECK (state IN (1, 2)), at INTEGER NOT NULL,"
	" PRIMARY KEY (uidvalidity, uid)) STRICT;"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE INDEX messages_pending ON messages(uidvalidity, folder, uid)"
	" WHERE state = 1;"
	"CREATE TABLE attempts ("
	" uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY (uidvalidity, uid)) STRICT;"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY, sender TEXT NOT NULL,"
	" recipient TEXT NOT NULL COLLATE NOCASE, message_id TEXT NOT NULL UNIQUE,"
	" data BLOB NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0, smtp_code INTEGER NOT NULL DEFAULT 0,"
	" reply TEXT, created_at INTEGER NOT NULL, next_attempt INTEGER NOT NULL,"
	" sent_at INTEGER) STRICT;"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, created_at);",
	/* 2: who may do what (issue 3): pending confirmations and
	 * moderation, subscribers with their consent record, office
	 * addresses and ambassadors managed by the CLI, and the kind of an
	 * outbox row so mailings do not count against the reply limit. */
	"CREATE TABLE pending ("
	" id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL"
	"  CHECK (kind IN ('update', 'new_org', 'remove', 'subscribe')),"
	" org_name TEXT, sector TEXT, requester TEXT NOT NULL,"
	" authorisers TEXT NOT NULL, payload TEXT NOT NULL, source_msgid TEXT,"
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'rejected')),"
	" done_at INTEGER, done_by TEXT, done_msgid TEXT) STRICT;"
	"CREATE TABLE subscribers ("
	" id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE UNIQUE,"
	" name TEXT, lang TEXT NOT NULL CHECK (lang IN ('nl', 'en')),"
	" newsletter INTEGER NOT NULL CHECK (newsletter IN (0, 1)),"
	" events INTEGER NOT NULL CHECK (events IN (0, 1)),"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('active', 'unsubscribed', 'disabled')),"
	" consent_at INTEGER, consent_source_msgid TEXT,"
	" consent_confirm_msgid TEXT, unsub_token TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE office ("
	" email TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,"
	" added_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE ambassadors ("
	" email TEXT NOT NULL COLLATE NOCASE, sector TEXT NOT NULL,"
	" added_at INTEGER NOT NULL, PRIMARY KEY (email, sector)) STRICT;"
	"CREATE INDEX ambassadors_sector ON ambassadors(sector, email);"
	"ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply'"
	" CHECK (kind IN ('reply', 'mailing'));",
	/* 3: newsletters (issue 4): a mailing with its content per language
	 * and one delivery row per recipient, snapshot at creation; the
	 * editorial intros; bounces with their score; small settings. */
	"CREATE TABLE mailings ("
	" id INTEGER PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL,"
	" slot INTEGER, list TEXT NOT NULL CHECK (list IN ('newsletter', 'events')),"
	" state TEXT NOT NULL CHECK (state IN ('sending', 'done')),"
	" created_at INTEGER NOT NULL, done_at INTEGER) STRICT;"
	"CREATE UNIQUE INDEX mailings_slot ON mailings(kind, slot)"
	" WHERE slot IS NOT NULL;"
	"CREATE TABLE mailing_parts ("
	" mailing_id INTEGER NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,"
	" lang TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT,"
	" PRIMARY KEY (mailing_id, lang)) STRICT;"
	"CREATE TABLE deliveries ("
	" id INTEGER PRIMARY KEY,"
	" mailing_id INTEGER NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,"
	" email TEXT NOT NULL COLLATE NOCASE, name TEXT, lang TEXT NOT NULL,"
	" unsub_token TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),"
	" attempts INTEGER NOT NULL DEFAULT 0, smtp_code INTEGER NOT NULL DEFAULT 0,"
	" reply TEXT, next_attempt INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" UNIQUE (mailing_id, email)) STRICT;"
	"CREATE INDEX deliveries_state ON deliveries(mailing_id, state, id);"
	"CREATE TABLE intros ("
	" id INTEGER PRIMARY KEY, markdown TEXT NOT NULL, author TEXT NOT NULL,"
	" message_id TEXT, at INTEGER NOT NULL,"
	" mailing_id INTEGER REFERENCES mailings(id) ON DELETE SET NULL) STRICT;"
	"CREATE TABLE bounces ("
	" id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE,"
	" at INTEGER NOT NULL, score REAL NOT NULL, status TEXT,"
	" blame TEXT NOT NULL, diagnostic TEXT, source TEXT NOT NULL,"
	" message_id TEXT) STRICT;"
	"CREATE INDEX bounces_email ON bounces(email, at);"
	"CREATE INDEX bounces_at ON bounces(at);"
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;",
	/* 4: events (issue 5): the events with their invited attendees and
	 * answers, invitation mailings tied to their event, and 'event' as a
	 * kind of pending action (SQLite cannot change a CHECK in place, so
	 * pending is copied into a new table; nothing references it). */
	"CREATE TABLE pending_v4 ("
	" id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK (kind IN ('update', 'new_org', 'remove',"
	"  'subscribe', 'event')),"
	" org_name TEXT, sector TEXT, requester TEXT NOT NULL,"
	" authorisers TEXT NOT NULL, payload TEXT NOT NULL, source_msgid TEXT,"
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'rejected')),"
	" done_at INTEGER, done_by TEXT, done_msgid TEXT) STRICT;"
	"INSERT INTO pending_v4 SELECT * FROM pending;"
	"DROP TABLE pending;"
	"ALTER TABLE pending_v4 RENAME TO pending;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,"
	" sequence INTEGER NOT NULL DEFAULT 0, summary TEXT NOT NULL,"
	" location TEXT, description TEXT, tzid TEXT,"
	" start_local TEXT NOT NULL, end_local TEXT NOT NULL,"
	" all_day INTEGER NOT NULL CHECK (all_day IN (0, 1)),"
	" start_utc INTEGER NOT NULL, end_utc INTEGER NOT NULL,"
	" audience TEXT NOT NULL, sector TEXT, organiser TEXT NOT NULL,"
	" state TEXT NOT NULL"
	"  CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX events_start ON events(start_utc);"
	"CREATE TABLE event_attendees ("
	" event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	" email TEXT NOT NULL COLLATE NOCASE, name TEXT,"
	" partstat TEXT NOT NULL DEFAULT 'NEEDS-ACTION', comment TEXT,"
	" reply_sequence INTEGER, reply_dtstamp INTEGER,"
	" invited_at INTEGER NOT NULL, updated_at INTEGER,"
	" PRIMARY KEY (event_id, email)) STRICT;"
	"ALTER TABLE mailings ADD COLUMN event_id INTEGER REFERENCES events(id);",
	/* 5: the reply limit counts from the index alone.  With kind outside
	 * it, every count read each recent reply's row past its message
	 * BLOB: a mailbox of 40,000 forms took 12 times as long as one of
	 * 10,000 (make bench, issue 8). */
	("DROP INDEX outbox_recipient;"
	"CREATE INDEX outbox_recipient ON outbox(recipient, kind, created_at);"),
};
#define STORE_VERSION ((int)HP_NELEM(migrations))

#define ORG_COLS "id, name, sector, website, description, internships, updated_at"
/* Read by sub_from_row() in store_access.c, in this order. */
#define SUB_COLS "id, email, name, lang, status, consent_source_msgid," \
	" consent_confirm_msgid, unsub_token, newsletter, events, consent_at," \
	" created_at, updated_at"

/* Read by mailing_from_row() in store_mailing.c, in this order. */
#define ML_COLS "m.id, m.kind, m.label, m.slot, m.state, m.created_at," \
	" m.done_at, count(d.id) FILTER (WHERE d.state = 'queued')," \
	" count(d.id) FILTER (WHERE d.state = 'sent')," \
	" count(d.id) FILTER (WHERE d.state = 'failed')," \
	" count(d.id) FILTER (WHERE d.state = 'skipped')"

/* Read by event_from_row() in store_events.c, in this order. */
#define EV_COLS "id, uid, sequence, summary, location, description, tzid," \
	" start_local, end_local, all_day, start_utc, end_utc, audience, sector," \
	" organiser, state, created_at, updated_at"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN DEFERRED",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_USER_VERSION] = "PRAGMA user_version",
	[S_WAL] = "PRAGMA journal_mode = WAL",
	[S_MAILBOX_GET] = "SELECT uidvalidity, last_uid FROM mailbox_state"
	    " WHERE mailbox = ?1",
	[S_MAILBOX_SET] = "INSERT INTO mailbox_state (mailbox, uidvalidity,"
	    " last_uid) VALUES (?1, ?2, ?3) ON CONFLICT (mailbox) DO UPDATE SET"
	    " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
	[S_MSG_BY_UID] = "SELECT folder FROM messages"
	    " WHERE uidvalidity = ?1 AND uid = ?2",
	[S_MSG_BY_ID] = "SELECT folder FROM messages WHERE message_id = ?1"
	    " LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages (uidvalidity, uid, message_id,"
	    " sender, folder, outcome, state, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
	[S_MSG_MOVED] = "UPDATE messages SET state = 2"
	    " WHERE uidvalidity = ?1 AND uid = ?2",
	[S_MSG_PENDING] = "SELECT folder, uid FROM messages"
	    " WHERE uidvalidity = ?1 AND state = 1 ORDER BY folder, uid",
	[S_ATTEMPT_BUMP] = "INSERT INTO attempts (uidvalidity, uid, n)"
	    " VALUES (?1, ?2, 1) ON CONFLICT (uidvalidity, uid)"
	    " DO UPDATE SET n = n + 1 RETURNING n",
	[S_ORG_GET] = "SELECT " ORG_COLS " FROM orgs WHERE name = ?1",
	[S_ORG_ALL] = "SELECT " ORG_COLS " FROM orgs ORDER BY name, id",
	[S_ORG_INSERT] = "INSERT INTO orgs (name, sector, website, description,"
	    " internships, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[S_ORG_UPDATE] = "UPDATE orgs SET name = ?1, sector = ?2, website = ?3,"
	    " description = ?4, internships = ?5, updated_at = ?6 WHERE id = ?7",
	[S_ORG_DELETE] = "DELETE FROM orgs WHERE name = ?1 RETURNING name",
	[S_NET_ONE] = "SELECT org_id, name FROM org_networks"
	    " WHERE org_id = ?1 ORDER BY pos",
	[S_CONTACT_ONE] = "SELECT org_id, name, email FROM org_contacts"
	    " WHERE org_id = ?1 ORDER BY pos",
	[S_ACT_ONE] = "SELECT org_id, country, city, kind, note"
	    " FROM org_activities WHERE org_id = ?1 ORDER BY pos",
	[S_NET_ALL] = "SELECT org_id, name FROM org_networks"
	    " ORDER BY org_id, pos",
	[S_CONTACT_ALL] = "SELECT org_id, name, email FROM org_contacts"
	    " ORDER BY org_id, pos",
	[S_ACT_ALL] = "SELECT org_id, country, city, kind, note"
	    " FROM org_activities ORDER BY org_id, pos",
	[S_NET_CLEAR] = "DELETE FROM org_networks WHERE org_id = ?1",
	[S_CONTACT_CLEAR] = "DELETE FROM org_contacts WHERE org_id = ?1",
	[S_ACT_CLEAR] = "DELETE FROM org_activities WHERE org_id = ?1",
	[S_NET_ADD] = "INSERT INTO org_networks (org_id, pos, name)"
	    " VALUES (?1, ?2, ?3)",
	[S_CONTACT_ADD] = "INSERT INTO org_contacts (org_id, pos, name, email)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_ACT_ADD] = "INSERT INTO org_activities (org_id, pos, country, city,"
	    " kind, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_NAMES_FOR_CONTACT] = "SELECT DISTINCT o.name FROM orgs o"
	    " JOIN org_contacts c ON c.org_id = o.id WHERE c.email = ?1"
	    " ORDER BY o.name",
	[S_CHANGE_ADD] = "INSERT INTO changes (org_name, field, old_value,"
	    " new_value, actor, message_id, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_CHANGES_SINCE] = "SELECT org_name, field, old_value, new_value,"
	    " actor, message_id, at FROM changes WHERE at >= ?1 ORDER BY id",
	[S_OUT_ADD] = "INSERT INTO outbox (sender, recipient, message_id, data,"
	    " state, created_at, next_attempt, kind)"
	    " VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5, ?6)",
	[S_OUT_DUE] = "SELECT id, sender, recipient, message_id, data, attempts,"
	    " created_at FROM outbox WHERE state = 'queued'"
	    " AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
	[S_OUT_RESULT] = "UPDATE outbox SET state = ?2, attempts = attempts + 1,"
	    " smtp_code = ?3, reply = ?4,"
	    " next_attempt = CASE WHEN ?2 = 'queued' THEN ?5 ELSE next_attempt END,"
	    " sent_at = CASE WHEN ?2 = 'sent' THEN ?6 ELSE sent_at END,"
	    " data = CASE WHEN ?2 = 'sent' THEN X'' ELSE data END"
	    " WHERE id = ?1 AND state = 'queued'",
	[S_OUT_LIST] = "SELECT id, recipient, message_id, state, attempts,"
	    " smtp_code, reply, created_at, next_attempt, kind FROM outbox"
	    " ORDER BY id",
	[S_OUT_COUNT] = "SELECT count(*) FROM outbox"
	    " WHERE recipient = ?1 AND created_at >= ?2 AND kind = 'reply'",
	[S_OUT_RETRY] = "UPDATE outbox SET state = 'queued', next_attempt = ?2"
	    " WHERE state = 'failed' AND (?1 = 0 OR id = ?1)",
	[S_ML_INSERT] = "INSERT INTO mailings (kind, label, slot, list, state,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, 'sending', ?5)",
	[S_ML_BY_SLOT] = "SELECT id FROM mailings WHERE kind = ?1 AND slot = ?2",
	[S_ML_PART_ADD] = "INSERT INTO mailing_parts (mailing_id, lang, subject,"
	    " text, html) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_ML_SNAPSHOT] = "INSERT INTO deliveries (mailing_id, email, name, lang,"
	    " unsub_token, next_attempt, updated_at)"
	    " SELECT ?1, email, name, lang, unsub_token, ?2, ?2 FROM subscribers"
	    " WHERE status = 'active' AND CASE ?3 WHEN 'newsletter' THEN newsletter"
	    " WHEN 'events' THEN events ELSE 0 END = 1 ORDER BY id",
	[S_ML_INTRO_USE] = "UPDATE intros SET mailing_id = ?1"
	    " WHERE mailing_id IS NULL",
	[S_ML_GET] = "SELECT " ML_COLS " FROM mailings m"
	    " LEFT JOIN deliveries d ON d.mailing_id = m.id"
	    " WHERE m.id = ?1 GROUP BY m.id",
	[S_ML_LIST] = "SELECT " ML_COLS " FROM mailings m"
	    " LEFT JOIN deliveries d ON d.mailing_id = m.id"
	    " WHERE ?1 = 0 OR m.state = 'sending'"
	    " GROUP BY m.id ORDER BY m.id DESC LIMIT ?2",
	[S_ML_LAST_SLOT] = "SELECT coalesce(max(slot), 0) FROM mailings"
	    " WHERE kind = ?1",
	[S_ML_LAST_CREATED] = "SELECT coalesce(max(created_at), 0) FROM mailings"
	    " WHERE kind = ?1",
	[S_ML_PART_GET] = "SELECT lang, subject, text, html FROM mailing_parts"
	    " WHERE mailing_id = ?1 AND lang = ?2",
	[S_ML_FINISH] = "UPDATE mailings SET state = 'done', done_at = ?2"
	    " WHERE id = ?1 AND state = 'sending' AND NOT EXISTS (SELECT 1"
	    " FROM deliveries WHERE mailing_id = ?1 AND state = 'queued')",
	[S_ML_STATE] = "SELECT state FROM mailings WHERE id = ?1",
	[S_ML_REOPEN] = "UPDATE mailings SET state = 'sending', done_at = NULL"
	    " WHERE state = 'done' AND EXISTS (SELECT 1 FROM deliveries d"
	    " WHERE d.mailing_id = mailings.id AND d.state = 'queued')",
	[S_DLV_DUE] = "SELECT d.id, d.mailing_id, d.email, d.name, d.lang,"
	    " d.unsub_token, d.attempts, d.next_attempt,"
	    " coalesce(s.status = 'active' AND CASE m.list"
	    " WHEN 'newsletter' THEN s.newsletter WHEN 'events' THEN s.events"
	    " ELSE 0 END, 0)"
	    " FROM deliveries d JOIN mailings m ON m.id = d.mailing_id"
	    " LEFT JOIN subscribers s ON s.email = d.email"
	    " WHERE d.mailing_id = ?1 AND d.state = 'queued' AND d.id > ?2"
	    " AND d.next_attempt <= ?3 ORDER BY d.id LIMIT ?4",
	[S_DLV_SKIP] = "UPDATE deliveries SET state = 'skipped', updated_at = ?2"
	    " WHERE id = ?1 AND state = 'queued'",
	[S_DLV_NEXT] = "SELECT min(d.next_attempt) FROM deliveries d"
	    " JOIN mailings m ON m.id = d.mailing_id"
	    " WHERE m.state = 'sending' AND d.state = 'queued'",
	[S_DLV_RESULT] = "UPDATE deliveries SET state = ?2,"
	    " attempts = attempts + 1, smtp_code = ?3, reply = ?4,"
	    " next_attempt = CASE WHEN ?2 = 'queued' THEN ?5 ELSE next_attempt END,"
	    " updated_at = ?6 WHERE id = ?1 AND state = 'queued'",
	[S_DLV_LIST] = "SELECT id, mailing_id, email, state, attempts, smtp_code,"
	    " reply, next_attempt, updated_at FROM deliveries"
	    " WHERE (?1 = 0 OR mailing_id = ?1) AND (?2 IS NULL OR state = ?2)"
	    " ORDER BY id",
	[S_DLV_RETRY] = "UPDATE deliveries SET state = 'queued', attempts = 0,"
	    " next_attempt = ?3, updated_at = ?3 WHERE state = 'failed'"
	    " AND (?1 = 0 OR mailing_id = ?1) AND (?2 = 0 OR id = ?2)",
	[S_INTRO_ADD] = "INSERT INTO intros (markdown, author, message_id, at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_INTRO_GET] = "SELECT markdown, author, at FROM intros"
	    " WHERE mailing_id IS NULL ORDER BY id DESC LIMIT 1",
	[S_BOUNCE_ADD] = "INSERT INTO bounces (email, at, score, status, blame,"
	    " diagnostic, source, message_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_BOUNCE_SCORE] = "SELECT coalesce(sum(score), 0) FROM bounces"
	    " WHERE email = ?1 AND at >= ?2",
	[S_BOUNCE_LIST] = "SELECT email, score, status, blame, diagnostic, source,"
	    " message_id, at FROM bounces WHERE at >= ?1 ORDER BY id",
	[S_SUB_DISABLE] = "UPDATE subscribers SET status = 'disabled',"
	    " updated_at = ?2 WHERE email = ?1 AND status = 'active'",
	[S_SUB_DISABLED] = "SELECT email, updated_at FROM subscribers"
	    " WHERE status = 'disabled' AND updated_at >= ?1"
	    " ORDER BY updated_at, email",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_SETTING_SET] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[S_EV_INSERT] = "INSERT INTO events (uid, sequence, summary, location,"
	    " description, tzid, start_local, end_local, all_day, start_utc,"
	    " end_utc, audience, sector, organiser, state, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " ?15, ?16, ?16)",
	[S_EV_UPDATE] = "UPDATE events SET uid = ?1, sequence = ?2, summary = ?3,"
	    " location = ?4, description = ?5, tzid = ?6, start_local = ?7,"
	    " end_local = ?8, all_day = ?9, start_utc = ?10, end_utc = ?11,"
	    " audience = ?12, sector = ?13, organiser = ?14, state = ?15,"
	    " updated_at = ?16 WHERE id = ?17",
	[S_EV_GET] = "SELECT " EV_COLS " FROM events WHERE id = ?1",
	[S_EV_BY_UID] = "SELECT " EV_COLS " FROM events WHERE uid = ?1",
	[S_EV_LIST] = "SELECT " EV_COLS " FROM events"
	    " WHERE ?1 = 0 OR end_utc > ?1 ORDER BY start_utc, id",
	[S_ML_SET_EVENT] = "UPDATE mailings SET event_id = ?2 WHERE id = ?1",
	[S_ML_EVENT] = "SELECT coalesce(event_id, 0) FROM mailings WHERE id = ?1",
	[S_ML_SNAPSHOT_EVENT] = "INSERT INTO deliveries (mailing_id, email, name,"
	    " lang, unsub_token, next_attempt, updated_at)"
	    " SELECT ?1, s.email, s.name, s.lang, s.unsub_token, ?2, ?2"
	    " FROM subscribers s WHERE s.status = 'active' AND s.events = 1 AND ("
	    " (?3 = 'invited' AND EXISTS (SELECT 1 FROM event_attendees a"
	    "  WHERE a.event_id = ?5 AND a.email = s.email))"
	    " OR ?3 = 'all'"
	    " OR (?3 = 'sector' AND EXISTS (SELECT 1 FROM org_contacts c"
	    "  JOIN orgs o ON o.id = c.org_id WHERE c.email = s.email"
	    "  AND o.sector = ?4 COLLATE NOCASE))"
	    " OR (?3 = 'country' AND EXISTS (SELECT 1 FROM org_contacts c"
	    "  JOIN org_activities a ON a.org_id = c.org_id"
	    "  WHERE c.email = s.email AND a.country = upper(?4)))"
	    " OR (?3 = 'network' AND EXISTS (SELECT 1 FROM org_contacts c"
	    "  JOIN org_networks n ON n.org_id = c.org_id"
	    "  WHERE c.email = s.email AND n.name = ?4 COLLATE NOCASE)))"
	    " ORDER BY s.id",
	[S_EV_SUPERSEDE] = "UPDATE deliveries SET state = 'skipped', updated_at = ?2"
	    " WHERE state = 'queued' AND mailing_id IN"
	    " (SELECT id FROM mailings WHERE event_id = ?1)",
	[S_ATT_INVITE] = "INSERT OR IGNORE INTO event_attendees (event_id, email,"
	    " name, invited_at) SELECT ?1, email, name, ?2 FROM deliveries"
	    " WHERE mailing_id = ?3",
	[S_ATT_GET] = "SELECT partstat, reply_sequence, reply_dtstamp"
	    " FROM event_attendees WHERE event_id = ?1 AND email = ?2",
	[S_ATT_REPLY] = "UPDATE event_attendees SET partstat = ?3, comment = ?4,"
	    " reply_sequence = ?5, reply_dtstamp = ?6, updated_at = ?7"
	    " WHERE event_id = ?1 AND email = ?2",
	[S_ATT_LIST] = "SELECT email, name, partstat, comment,"
	    " coalesce(updated_at, 0) FROM event_attendees WHERE event_id = ?1"
	    " ORDER BY email",
	[S_ATT_COUNTS] = "SELECT count(*),"
	    " count(*) FILTER (WHERE partstat = 'ACCEPTED'),"
	    " count(*) FILTER (WHERE partstat = 'DECLINED'),"
	    " count(*) FILTER (WHERE partstat = 'TENTATIVE')"
	    " FROM event_attendees WHERE event_id = ?1",
	[S_PEND_ADD] = "INSERT INTO pending (token_hash, kind, org_name, sector,"
	    " requester, authorisers, payload, source_msgid, created_at,"
	    " expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_PEND_GET] = "SELECT id, kind, org_name, sector, requester,"
	    " authorisers, payload, source_msgid, state, done_by, done_msgid,"
	    " created_at, expires_at, done_at FROM pending WHERE token_hash = ?1",
	[S_PEND_FINISH] = "UPDATE pending SET state = ?2, done_at = ?3,"
	    " done_by = ?4, done_msgid = ?5 WHERE id = ?1 AND state = 'pending'",
	[S_PEND_STATE] = "SELECT state FROM pending WHERE id = ?1",
	[S_SUB_GET] = "SELECT " SUB_COLS " FROM subscribers WHERE email = ?1",
	[S_SUB_BY_TOKEN] = "SELECT " SUB_COLS " FROM subscribers"
	    " WHERE unsub_token = ?1",
	/* A NULL token keeps the row's own: looked up in the VALUES so
	 * that NOT NULL holds before the conflict is resolved. */
	[S_SUB_PUT] = "INSERT INTO subscribers (email, name, lang, newsletter,"
	    " events, status, consent_at, consent_source_msgid,"
	    " consent_confirm_msgid, unsub_token, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8, ?9,"
	    " coalesce(?10, (SELECT unsub_token FROM subscribers"
	    " WHERE email = ?1)), ?11, ?11)"
	    " ON CONFLICT (email) DO UPDATE SET name = excluded.name,"
	    " lang = excluded.lang, newsletter = excluded.newsletter,"
	    " events = excluded.events, status = excluded.status,"
	    " consent_at = excluded.consent_at,"
	    " consent_source_msgid = excluded.consent_source_msgid,"
	    " consent_confirm_msgid = excluded.consent_confirm_msgid,"
	    " unsub_token = excluded.unsub_token,"
	    " updated_at = excluded.updated_at",
	/* SET expressions all see the old row: a list stays on only when it
	 * was on and is not named. */
	[S_SUB_UNSUB] = "UPDATE subscribers SET"
	    " newsletter = CASE WHEN ?2 THEN 0 ELSE newsletter END,"
	    " events = CASE WHEN ?3 THEN 0 ELSE events END,"
	    " status = CASE WHEN (newsletter AND NOT ?2) OR (events AND NOT ?3)"
	    " THEN status ELSE 'unsubscribed' END, updated_at = ?4"
	    " WHERE email = ?1 AND ((?2 AND newsletter) OR (?3 AND events))",
	[S_SUB_DELETE] = "DELETE FROM subscribers WHERE email = ?1",
	[S_SUB_ALL] = "SELECT " SUB_COLS " FROM subscribers ORDER BY email, id",
	[S_OFFICE_ADD] = "INSERT INTO office (email, added_at) VALUES (?1, ?2)"
	    " ON CONFLICT (email) DO NOTHING",
	[S_OFFICE_REMOVE] = "DELETE FROM office WHERE email = ?1",
	[S_OFFICE_IS] = "SELECT 1 FROM office WHERE email = ?1",
	[S_OFFICE_ALL] = "SELECT email, added_at FROM office ORDER BY email",
	[S_AMB_ADD] = "INSERT INTO ambassadors (email, sector, added_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (email, sector) DO NOTHING",
	[S_AMB_REMOVE] = "DELETE FROM ambassadors WHERE email = ?1"
	    " AND sector = ?2",
	[S_AMB_IS] = "SELECT 1 FROM ambassadors WHERE email = ?1"
	    " AND sector = ?2",
	[S_AMB_ALL] = "SELECT email, sector, added_at FROM ambassadors"
	    " ORDER BY sector, email",
	[S_AMB_SECTOR] = "SELECT email FROM ambassadors WHERE sector = ?1"
	    " ORDER BY email",
};

/* ---- errors, statements, binding (contracts in store_int.h) */

int
store_fail(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	st->err_code = code;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

int
store_fail_db(struct store *st, const char *what)
{
	return store_fail(st, sqlite3_extended_errcode(st->db), "%s: %s", what,
	    sqlite3_errmsg(st->db));
}

sqlite3_stmt *
store_stmt_get(struct store *st, enum store_stmt_id id)
{
	if (st->stmt[id] == NULL && sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL) != SQLITE_OK) {
		store_fail_db(st, "prepare");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

void
store_stmt_done(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int
store_bind_text(struct store *st, sqlite3_stmt *s, int i, const char *v)
{
	int rc = v == NULL ? sqlite3_bind_null(s, i) :
	    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);

	return rc == SQLITE_OK ? 0 : store_fail_db(st, "bind");
}

int
store_bind_int(struct store *st, sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 :
	    store_fail_db(st, "bind");
}

int
store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : store_fail_db(st, what);
}

/* Run a statement without parameters or rows to use. */
static int
run_simple(struct store *st, enum store_stmt_id id, const char *what)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int ret;

	if (s == NULL)
		return -1;
	ret = store_step_done(st, s, what);
	store_stmt_done(s);
	return ret;
}

/* Constant multi-statement SQL (migrations, connection pragmas) only. */
static int
exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	store_fail(st, sqlite3_extended_errcode(st->db), "%s: %s", what,
	    msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

char *
store_col_str(sqlite3_stmt *s, int i)
{
	return xstrdup((const char *)sqlite3_column_text(s, i));
}

int
store_row_text(struct store *st, sqlite3_stmt *s, char *out, size_t outlen,
    const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (out != NULL && outlen > 0)
			hp_strlcpy(out, v ? v : "", outlen);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : store_fail_db(st, what);
}

int
store_row_int(struct store *st, sqlite3_stmt *s, int64_t *out,
    const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : store_fail_db(st, what);
}

int
store_run_ints(struct store *st, enum store_stmt_id id, const int64_t *v,
    size_t nv, size_t *changes, const char *what)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int ret = -1;

	if (s == NULL)
		goto fail;
	for (size_t i = 0; i < nv; i++)
		if (store_bind_int(st, s, (int)i + 1, v[i]) == -1)
			goto fail;
	if (store_step_done(st, s, what) == -1)
		goto fail;
	if (changes != NULL)
		*changes = (size_t)sqlite3_changes(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

/* Joining is decided by SQLite's autocommit flag rather than a flag of
 * ours, so a transaction opened by store_begin() is always seen. */
int
store_tx_start(struct store *st, bool *own, bool write)
{
	*own = sqlite3_get_autocommit(st->db) != 0;
	if (!*own)
		return 0;
	return write ? store_begin(st) :
	    run_simple(st, S_BEGIN_READ, "begin read transaction");
}

int
store_tx_end(struct store *st, bool own, int ret)
{
	if (!own)
		return ret;
	if (ret >= 0 && store_commit(st) == 0)
		return ret;
	store_rollback(st);
	return -1;
}

/* ---- opening, migrations, transactions */

/* SQLite would create the file 0644 (less the umask); the registry holds
 * people's addresses, so create it 0600 ourselves.  SQLite gives the -wal
 * and -shm files the mode of the main file. */
static int
create_file(struct store *st, const char *path)
{
	struct stat sb;
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	int fd = -1, ret = -1;

	if (stat(dir, &sb) == -1) {
		store_fail(st, 0, "database directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		store_fail(st, 0, "database directory %s: not a directory", dir);
		goto fail;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		store_fail(st, 0, "database %s: %s", path, strerror(errno));
		goto fail;
	}
	ret = 0;
fail:
	if (fd != -1)
		close(fd);
	free(copy);
	return ret;
}

static int
read_user_version(struct store *st, int *v)
{
	sqlite3_stmt *s = store_stmt_get(st, S_USER_VERSION);
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	else
		store_fail_db(st, "read schema version");
	store_stmt_done(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
check_version(struct store *st, int v)
{
	if (v <= STORE_VERSION)
		return 0;
	return store_fail(st, 0, "database schema version %d is newer than this "
	    "hanzepost knows (%d): refusing to use it; upgrade hanzepost", v,
	    STORE_VERSION);
}

/* Each step in its own BEGIN IMMEDIATE transaction, re-reading the
 * version under the lock: two processes may open a fresh file at once. */
static int
migrate(struct store *st)
{
	char sql[64];
	int v;

	if (read_user_version(st, &v) == -1 || check_version(st, v) == -1)
		return -1;
	while (v < STORE_VERSION) {
		if (store_begin(st) == -1)
			return -1;
		if (read_user_version(st, &v) == -1 ||
		    check_version(st, v) == -1)
			goto fail;
		if (v == STORE_VERSION) {
			store_rollback(st);
			break;
		}
		/* PRAGMA takes no parameters; v is our own integer. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, migrations[v], "schema migration") == -1 ||
		    exec_sql(st, sql, "set schema version") == -1 ||
		    store_commit(st) == -1)
			goto fail;
		v++;
	}
	return 0;
fail:
	store_rollback(st);
	return -1;
}

static int
set_wal(struct store *st, bool memory)
{
	sqlite3_stmt *s = store_stmt_get(st, S_WAL);
	const char *mode;
	int ret = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "journal_mode=WAL");
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, memory ? "memory" : "wal") != 0) {
		store_fail(st, 0, "journal_mode=WAL: the database stays in mode %s",
		    mode ? mode : "?");
		goto fail;
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static int
store_setup(struct store *st, const char *path)
{
	bool memory = strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE |
	    (memory ? SQLITE_OPEN_CREATE : 0);
	int v;

	if (path[0] == '\0')
		return store_fail(st, 0, "empty database path");
	if (!memory && create_file(st, path) == -1)
		return -1;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			return store_fail(st, SQLITE_NOMEM, "%s: out of memory", path);
		return store_fail(st, sqlite3_extended_errcode(st->db), "%s: %s",
		    path, sqlite3_errmsg(st->db));
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/* No writable_schema tricks and no SQL functions with side effects
	 * from inside the schema: the file might come from elsewhere. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    (int *)NULL);
	/* Refuse a newer schema before changing anything in the file. */
	if (read_user_version(st, &v) == -1 || check_version(st, v) == -1)
		return -1;
	if (exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1 ||
	    set_wal(st, memory) == -1 ||
	    exec_sql(st, "PRAGMA synchronous = NORMAL", "synchronous") == -1)
		return -1;
	return migrate(st);
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));

	*out = NULL;
	if (store_setup(st, path) == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", st->err);
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(void)
{
	return STORE_VERSION;
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

bool
store_error_is_temporary(const struct store *st)
{
	switch (st->err_code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return true;
	default:
		return false;
	}
}

int
store_begin(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		return store_fail(st, 0, "begin: a transaction is already open");
	return run_simple(st, S_BEGIN, "begin transaction");
}

int
store_commit(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return store_fail(st, 0, "commit: no transaction is open");
	return run_simple(st, S_COMMIT, "commit");
}

void
store_rollback(struct store *st)
{
	char saved[STORE_ERRLEN];
	int code;

	if (st == NULL || sqlite3_get_autocommit(st->db))
		return;
	code = st->err_code;
	memcpy(saved, st->err, sizeof(saved));
	(void)run_simple(st, S_ROLLBACK, "rollback");
	st->err_code = code;
	memcpy(st->err, saved, sizeof(saved));
}

int
store_strings(struct store *st, enum store_stmt_id id, const char *param,
    char ***out, size_t *n, const char *what)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	char **v = NULL;
	size_t cnt = 0;
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (s == NULL || store_bind_text(st, s, 1, param) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = store_col_str(s, 0);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, what);
		goto fail;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
fail:
	store_stmt_done(s);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return ret;
}
