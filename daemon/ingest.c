/*
 * ingest: see ingest.h.
 *
 * Poison messages: ARCHITECTURE.md suggests an IMAP keyword set before
 * the attempt.  We count attempts in the database instead (committed
 * before the parse, for the one message in hand), which survives the same
 * crashes and lets a message that was merely interrupted (kill -9, power
 * loss) be tried again instead of being quarantined on the first
 * interruption.
 */
#include "ingest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "form.h"
#include "log.h"
#include "access.h"
#include "bounce.h"
#include "commands.h"
#include "events.h"
#include "notify.h"
#include "reply.h"
#include "util.h"

#define BATCH_SIZE	100
/* Filed messages are moved in commands of about this many: a MOVE out of
 * a big maildir INBOX costs Dovecot time in the size of the folder, so
 * moving every batch made a 40,000-message backlog quadratic.  What was
 * committed and not yet moved is moved at the next cycle's start after a
 * crash (messages.state). */
#define MOVE_EVERY	1000
#define MAX_ATTEMPTS	3

/* UIDs on their way to one folder. */
struct filing {
	const char *folder;
	uint32_t *uids;
	size_t n;
};

struct cycle {
	struct app *app;
	struct inbox *ib;
	struct parser *ps;
	uint32_t uidvalidity;
	const char *mailbox;
	struct filing files[3];	/* processed, rejected, held */
	struct ingest_stats *stats;
	bool (*stop)(void);
};

/* The outcome of handling one message. */
struct handled {
	const char *folder;
	const char *outcome;
	size_t too_large;	/* size of a message we read only the header of */
};

static enum hp_status
db_status(struct app *app, const char *what)
{
	log_warnx("ingest %s: %s", what, store_error(app->store));
	store_rollback(app->store);
	return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
}

int
ingest_prepare_folders(struct app *app, struct inbox *ib)
{
	const char *folders[] = { app->cfg->mailbox.processed_folder,
	    app->cfg->mailbox.rejected_folder, app->cfg->mailbox.held_folder };

	for (size_t i = 0; i < HP_NELEM(folders); i++)
		if (inbox_ensure_folder(ib, folders[i]) == -1)
			return -1;
	return 0;
}

static void
file_uid(struct cycle *c, const char *folder, uint32_t uid)
{
	for (size_t i = 0; i < HP_NELEM(c->files); i++) {
		struct filing *f = &c->files[i];
		if (strcmp(f->folder, folder) == 0) {
			f->uids = xreallocarray(f->uids, f->n + 1, sizeof(uint32_t));
			f->uids[f->n++] = uid;
			return;
		}
	}
}

/* UIDs filed and not yet moved. */
static size_t
filed_count(const struct cycle *c)
{
	size_t n = 0;

	for (size_t i = 0; i < HP_NELEM(c->files); i++)
		n += c->files[i].n;
	return n;
}

/* Move what the cycle filed, one command per folder, then note it. */
static enum hp_status
move_filed(struct cycle *c)
{
	enum hp_status rc = HP_OK;

	for (size_t i = 0; i < HP_NELEM(c->files); i++) {
		struct filing *f = &c->files[i];
		if (f->n == 0)
			continue;
		if (inbox_move(c->ib, f->uids, f->n, f->folder) == -1) {
			log_warnx("ingest move failed folder=%s uids=%zu; retried next cycle",
			    f->folder, f->n);
			rc = HP_RETRY;
		} else if (store_begin(c->app->store) == -1 ||
		    store_message_set_moved(c->app->store, c->uidvalidity, f->uids, f->n) == -1 ||
		    store_commit(c->app->store) == -1) {
			rc = db_status(c->app, "note moved");
		} else
			c->stats->moved += f->n;
		f->n = 0;
	}
	return rc;
}

static int
move_pending_cb(const char *folder, const uint32_t *uids, size_t n, void *arg)
{
	struct cycle *c = arg;

	for (size_t i = 0; i < n; i++)
		file_uid(c, folder, uids[i]);
	return 0;
}

/* The language of the answer: what the text says, else Content-Language,
 * else the configured default. */
static enum lang
reply_lang(const struct app *app, const struct msg *m, const struct form *f)
{
	if (f->lang_detected)
		return f->lang;
	if (m->content_language) {
		if (strncasecmp(m->content_language, "en", 2) == 0)
			return LANG_EN;
		if (strncasecmp(m->content_language, "nl", 2) == 0)
			return LANG_NL;
	}
	return app->cfg->office.language;
}

static json_t *
warnings_json(const struct form *f, enum lang lang)
{
	json_t *a = json_array();

	for (size_t i = 0; i < f->warnings.n; i++)
		json_array_append_new(a, f->warnings.v[i].line > 0 ?
		    json_pack("{s:i,s:s}", "line", f->warnings.v[i].line,
		    "text", f->warnings.v[i].text[lang]) :
		    json_pack("{s:s}", "text", f->warnings.v[i].text[lang]));
	return a;
}

/*
 * Outlook's answer to an invitation when it sends Rich Text: "Accepted:
 * ..." with only a winmail.dat (TNEF), no calendar part we could read.
 * It goes to a person (the office is told) instead of getting the form
 * format explained; a TNEF part beside a form or commands is ignored.
 */
static bool
tnef_answer(const struct msg *m)
{
	return m->has_tnef && m->calendar == NULL;
}

/* A calendar answer (or what must have been one): recorded or outdated
 * ones are done with, the rest waits for a person. */
static enum hp_status
handle_answer(struct app *app, const struct msg *m, struct handled *h,
    time_t now)
{
	enum hp_status rc = events_handle_reply(app, m, now, &h->outcome);

	h->folder = strcmp(h->outcome, "rsvp") == 0 ||
	    strcmp(h->outcome, "rsvp_old") == 0 ?
	    app->cfg->mailbox.processed_folder : app->cfg->mailbox.held_folder;
	return rc;
}

/* A calendar that submits an event: METHOD PUBLISH, REQUEST or none. */
static bool
event_calendar(const struct msg *m)
{
	const char *meth = m->calendar_method;

	return m->calendar != NULL && (meth == NULL ||
	    strcasecmp(meth, "PUBLISH") == 0 || strcasecmp(meth, "REQUEST") == 0);
}

/* A person's mail: the form and the commands it holds, one reply. */
static enum hp_status
handle_request(struct app *app, const struct msg *m, struct handled *h,
    time_t now)
{
	struct form *f = form_read(m->subject, m->text, strlen(m->text),
	    app->cfg->office.language, app->countries);
	struct request r = { app, m, f, reply_lang(app, m, f),
	    access_authenticated(app, m), json_object(), now };
	enum hp_status rc = HP_OK;
	bool fields = form_has_fields(f);
	bool event = f->has_event_keys || m->calendar != NULL;

	h->folder = app->cfg->mailbox.processed_folder;
	h->outcome = "command";
	json_object_set_new(r.ctx, "warnings", warnings_json(f, r.lang));
	json_object_set_new(r.ctx, "has_warnings", json_boolean(f->warnings.n > 0));
	if (!event && !fields && f->n_commands == 0 && tnef_answer(m)) {
		rc = handle_answer(app, m, h, now);
		goto done;
	}
	if (event || fields) {
		rc = event ? events_submit(&r, &h->outcome) :
		    commands_form(&r, &h->outcome);
		if (rc == HP_REJECT) {
			h->folder = app->cfg->mailbox.rejected_folder;
			rc = HP_OK;
		}
	}
	if (rc == HP_OK)
		rc = commands_run(&r);
	if (rc == HP_OK && !event && !fields && f->n_commands == 0) {
		/* Nothing we understood: explain the format, once. */
		h->folder = app->cfg->mailbox.rejected_folder;
		h->outcome = "not-understood";
		json_object_set_new(r.ctx, "rejected", json_true());
		json_object_set_new(r.ctx, "help", json_true());
	}
	if (rc == HP_OK)
		rc = reply_queue(app, m, r.lang, "reply.txt", r.ctx, now);
done:
	json_decref(r.ctx);
	form_free(f);
	return rc;
}

/* A message over max_message_size: tell the sender, read nothing more. */
static enum hp_status
answer_too_large(struct app *app, const struct msg *m, struct handled *h,
    time_t now)
{
	json_t *ctx = json_pack("{s:{s:I,s:I}}", "too_large", "size",
	    (json_int_t)(h->too_large / 1024), "max",
	    (json_int_t)(app->cfg->mailbox.max_message_size / 1024));
	enum lang lang = app->cfg->office.language;
	enum hp_status rc;

	h->folder = app->cfg->mailbox.rejected_folder;
	h->outcome = "too-large";
	if (m->content_language && strncasecmp(m->content_language, "en", 2) == 0)
		lang = LANG_EN;
	rc = reply_queue(app, m, lang, "reply.txt", ctx, now);
	json_decref(ctx);
	return rc;
}

/* A bounce: scored against the subscriber it names (bounce.h); one we
 * cannot read is held for a person.  HP_RETRY leaves the message for the
 * next cycle, like any temporary database error. */
static enum hp_status
handle_bounce(struct app *app, const struct msg *m, struct handled *h,
    const char *why, time_t now)
{
	bool understood = false;
	enum hp_status rc = bounce_handle_message(app, m, now, &understood);

	h->outcome = classify_name(CLASS_BOUNCE);
	h->folder = understood ? app->cfg->mailbox.processed_folder :
	    app->cfg->mailbox.held_folder;
	if (rc == HP_OK && !understood)
		log_info("ingest held msgid=<%s> class=%s reason=\"%s\"",
		    m->message_id ? m->message_id : "", h->outcome, why);
	return rc;
}

/* SPEC §2 steps 2-6 for a message not seen before. */
static enum hp_status
handle_new(struct cycle *c, const struct msg *m, struct handled *h, time_t now)
{
	const struct config *cfg = c->app->cfg;
	const char *own[] = { cfg->office.address, cfg->mailbox.user,
	    cfg->office.bounce_address, cfg->office.unsubscribe_address };
	struct classify_rules rules = { own, HP_NELEM(own), cfg->office.bounce_address,
	    cfg->office.unsubscribe_address };
	const char *why;
	enum msg_class cls = classify_message(m, m->delivered_to, &rules, &why);
	bool unsub = false;
	enum hp_status rc;

	switch (cls) {
	case CLASS_BOUNCE:
		return handle_bounce(c->app, m, h, why, now);
	case CLASS_CALENDAR_REPLY:
		return handle_answer(c->app, m, h, now);
	case CLASS_AUTOMATED:
		h->folder = cfg->mailbox.rejected_folder;
		h->outcome = "automated";
		log_info("ingest not answered msgid=<%s> from=%s reason=\"%s\"",
		    m->message_id ? m->message_id : "", m->from_addr ? m->from_addr : "",
		    why);
		return HP_OK;
	case CLASS_UNSUBSCRIBE:
		h->folder = cfg->mailbox.processed_folder;
		h->outcome = "unsubscribe";
		rc = commands_unsubscribe_address(c->app, m, m->delivered_to,
		    !classify_is_automated(m, &rules), now, &unsub);
		return rc;
	case CLASS_REQUEST:
		break;
	}
	if (h->too_large)
		return answer_too_large(c->app, m, h, now);
	if (m->calendar != NULL && !event_calendar(m)) {
		/* COUNTER, REFRESH, CANCEL from outside: for a person. */
		h->folder = cfg->mailbox.held_folder;
		h->outcome = "calendar-other";
		log_info("ingest held msgid=<%s> class=calendar method=%s",
		    m->message_id ? m->message_id : "", m->calendar_method);
		return HP_OK;
	}
	if (commands_is_intro(m)) {
		rc = commands_intro(c->app, m, now, &h->outcome);
		h->folder = strcmp(h->outcome, "intro") == 0 ?
		    cfg->mailbox.processed_folder : cfg->mailbox.rejected_folder;
		return rc;
	}
	return handle_request(c->app, m, h, now);
}

/* The configured folder of that name (the record may predate a rename). */
static const char *
known_folder(const struct config *cfg, const char *name)
{
	if (strcmp(name, cfg->mailbox.rejected_folder) == 0)
		return cfg->mailbox.rejected_folder;
	if (strcmp(name, cfg->mailbox.held_folder) == 0)
		return cfg->mailbox.held_folder;
	return cfg->mailbox.processed_folder;
}

/*
 * One message in one transaction: the seen check, its effects and reply,
 * the record of it and the mailbox's last UID.  m is NULL for a message
 * that could not be parsed; h then already says where it goes.
 */
static enum hp_status
commit_message(struct cycle *c, uint32_t uid, const struct msg *m,
    struct handled *h)
{
	struct app *app = c->app;
	time_t now = time(NULL);
	char folder[256];
	enum hp_status rc = HP_OK;
	int seen;

	if (store_begin(app->store) == -1)
		return db_status(app, "begin");
	seen = store_message_seen(app->store, c->uidvalidity, uid,
	    m ? m->message_id : NULL, folder, sizeof(folder));
	if (seen == -1)
		return db_status(app, "seen");
	if (seen) {
		h->folder = known_folder(app->cfg, folder);
		h->outcome = "duplicate";
		c->stats->duplicates++;
		log_info("ingest already handled uid=%u msgid=<%s> folder=%s", uid,
		    m && m->message_id ? m->message_id : "", h->folder);
	} else if (m != NULL)
		rc = handle_new(c, m, h, now);
	if (rc != HP_OK) {
		store_rollback(app->store);
		return rc;
	}
	if (store_message_record(app->store, c->uidvalidity, uid,
	    m ? m->message_id : NULL, m ? m->from_addr : NULL, h->folder,
	    h->outcome, now) == -1 ||
	    store_mailbox_set(app->store, c->mailbox, c->uidvalidity, uid) == -1 ||
	    store_commit(app->store) == -1)
		return db_status(app, "commit");
	c->stats->handled++;
	log_info("ingest uid=%u msgid=<%s> from=%s outcome=%s folder=%s", uid,
	    m && m->message_id ? m->message_id : "",
	    m && m->from_addr ? m->from_addr : "-", h->outcome, h->folder);
	return HP_OK;
}

/*
 * Parse one fetched message in the child.  Unreadable ones come back NULL
 * with h set; *retry is set when no child could be started at all (a
 * local problem: the message waits for the next cycle).
 */
static struct msg *
parse_item(struct cycle *c, const struct inbox_item *it, unsigned attempts,
    struct handled *h, bool *retry)
{
	struct msg *m = NULL;
	char err[256];
	int rc;

	*retry = false;
	h->folder = c->app->cfg->mailbox.rejected_folder;
	if (attempts > MAX_ATTEMPTS) {
		h->outcome = "unreadable";
		log_warnx("ingest uid=%u failed %u times before; filed as unreadable",
		    it->uid, attempts - 1);
	} else if (it->oversize) {
		h->outcome = "too-large";
		h->too_large = it->size;
		log_warnx("ingest uid=%u size=%zu exceeds max_message_size; only its header is read",
		    it->uid, it->size);
		/* The header alone (if the server gave it) says whom to tell. */
		if (it->data == NULL || parser_parse(c->ps, it->data, it->len, &m,
		    err, sizeof(err)) != 0)
			m = NULL;
	} else if ((rc = parser_parse(c->ps, it->data, it->len, &m, err,
	    sizeof(err))) == PARSER_FAILED) {
		log_warnx("ingest uid=%u: %s; retried next cycle", it->uid, err);
		*retry = true;
		return NULL;
	} else if (rc != 0) {
		h->outcome = "unreadable";
		log_warnx("ingest uid=%u unreadable: %s", it->uid,
		    rc == PARSER_UNREADABLE ? "the parser child died" : err);
	}
	if (m == NULL)
		c->stats->unreadable++;
	return m;
}

/*
 * Count an attempt at this one message, committed before it is parsed and
 * handled.  Only the message in hand is counted: counting the whole batch
 * up front made every interruption (kill -9, power loss) count against the
 * batch's unhandled messages too, and after three such interruptions they
 * were filed as unreadable without being applied.  The batch's FETCH needs
 * no count: the message bytes are literals libetpan does not parse.
 */
static enum hp_status
bump_attempt(struct cycle *c, uint32_t uid, unsigned *attempts)
{
	if (store_begin(c->app->store) == -1)
		return db_status(c->app, "begin");
	if (store_attempt_bump(c->app->store, c->uidvalidity, uid,
	    attempts) == -1)
		return db_status(c->app, "attempts");
	if (store_commit(c->app->store) == -1)
		return db_status(c->app, "commit attempts");
	return HP_OK;
}

static enum hp_status
run_batch(struct cycle *c, const uint32_t *uids, size_t n)
{
	struct inbox_item *items = NULL;
	size_t n_items = 0;
	enum hp_status rc = HP_OK;

	if (inbox_fetch(c->ib, uids, n, c->app->cfg->mailbox.max_message_size,
	    &items, &n_items) == -1)
		return HP_RETRY;
	for (size_t i = 0; i < n_items && rc == HP_OK; i++) {
		struct handled h = { 0 };
		unsigned attempts = 0;
		struct msg *m;
		bool retry;

		if (c->stop != NULL && c->stop()) {
			c->stats->stopped = true;
			break;
		}
		if ((rc = bump_attempt(c, items[i].uid, &attempts)) != HP_OK)
			break;
		m = parse_item(c, &items[i], attempts, &h, &retry);
		if (retry) {
			rc = HP_RETRY;
			break;
		}
		rc = commit_message(c, items[i].uid, m, &h);
		if (rc == HP_OK)
			file_uid(c, h.folder, items[i].uid);
		msg_free(m);
	}
	inbox_items_free(items, n_items);
	return rc;
}

static void
cycle_free(struct cycle *c)
{
	for (size_t i = 0; i < HP_NELEM(c->files); i++)
		free(c->files[i].uids);
}

enum hp_status
ingest_run_once(struct app *app, struct inbox *ib, struct parser *ps,
    bool (*stop)(void), struct ingest_stats *stats)
{
	struct cycle c = { app, ib, ps, inbox_uidvalidity(ib),
	    app->cfg->mailbox.mailbox, { { app->cfg->mailbox.processed_folder, NULL, 0 },
	    { app->cfg->mailbox.rejected_folder, NULL, 0 },
	    { app->cfg->mailbox.held_folder, NULL, 0 } }, stats, stop };
	uint32_t known_validity, last_uid, *uids = NULL;
	size_t n = 0;
	enum hp_status rc;

	memset(stats, 0, sizeof(*stats));
	if (store_mailbox_get(app->store, c.mailbox, &known_validity, &last_uid) == -1)
		return db_status(app, "mailbox state");
	if (known_validity != c.uidvalidity) {
		if (known_validity != 0)
			log_warnx("ingest UIDVALIDITY of %s changed %u -> %u; "
			    "re-reading it, known Message-IDs are skipped",
			    c.mailbox, known_validity, c.uidvalidity);
		last_uid = 0;
	}
	/* First the messages whose move failed last time. */
	if (store_message_pending_moves(app->store, c.uidvalidity,
	    move_pending_cb, &c) == -1) {
		rc = db_status(app, "pending moves");
		goto done;
	}
	if ((rc = move_filed(&c)) != HP_OK)
		goto done;
	if (inbox_list_uids(ib, last_uid, &uids, &n) == -1) {
		rc = HP_RETRY;
		goto done;
	}
	stats->seen = n;
	if (n > 0)
		notify_status("processing %zu new message%s", n, n == 1 ? "" : "s");
	for (size_t off = 0; off < n && rc == HP_OK && !stats->stopped;
	    off += BATCH_SIZE) {
		size_t len = n - off < BATCH_SIZE ? n - off : BATCH_SIZE;
		rc = run_batch(&c, uids + off, len);
		if (rc == HP_OK && !stats->stopped && off + len < n &&
		    filed_count(&c) < MOVE_EVERY)
			continue;
		/* File what was committed even when the batch stopped early. */
		enum hp_status mrc = move_filed(&c);
		if (rc == HP_OK)
			rc = mrc;
	}
done:
	free(uids);
	cycle_free(&c);
	return rc;
}
