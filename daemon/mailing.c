/*
 * mailing: see mailing.h.  One call walks the mailings in state
 * "sending", oldest first.  For each it reads the due deliveries a page
 * at a time by id (keyset), and for each delivery builds its copy (by
 * the mailing's kind), waits for a free connection of the pool and for
 * the rate limit, and hands the copy to the pool.  Every answer is
 * recorded with its own autocommit statement before the copy's memory
 * is freed; a page is freed only when all its copies were answered.  So
 * memory holds one page of rows and `concurrency` messages, whatever
 * the list's length.
 *
 * The round stops early, leaving rows queued, when the server cannot be
 * reached (an answer without a reply code: HP_RETRY), the database
 * fails (HP_RETRY) or *stop is set (HP_OK); in each case the copies in
 * flight are answered and recorded first.
 *
 * Must not: decide the rate or what an answer means (mailing_policy),
 * build messages (newsletter), talk SMTP (mailer) or hold SQL (store).
 */
#include "mailing.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "bounce.h"
#include "dsn.h"
#include "events.h"
#include "log.h"
#include "mailer.h"
#include "mailing_policy.h"
#include "newsletter.h"
#include "notify.h"
#include "outbox.h"
#include "util.h"

#define PAGE_ROWS	256	/* deliveries read at a time */
#define SLICE_MS	1000	/* longest wait between looks at *stop */
#define STATUS_MS	1000	/* STATUS= at most this often */
#define MAX_PARTS	8	/* languages of one mailing */
#define ADDR_MAX	512

/* How a copy of each kind of mailing is built.
 * A kind may also offer a copier: state built once per (mailing, part)
 * that makes each copy cheaper and gives the same bytes as build. */
static void *nl_copier_open(struct app *, const struct store_mailing *,
    const struct store_mailing_part *);
static int nl_copier_run(void *, const struct store_delivery *,
    char **, size_t *, char *, size_t);
static void nl_copier_close(void *);

static const struct mailing_kind {
	const char *kind;
	int (*build)(struct app *, const struct store_mailing *,
	    const struct store_mailing_part *, const struct store_delivery *,
	    char **, size_t *, char *, size_t);
	/* NULL when the kind has no copier */
	void *(*copier_new)(struct app *, const struct store_mailing *,
	    const struct store_mailing_part *);
	int (*copier_build)(void *, const struct store_delivery *, char **,
	    size_t *, char *, size_t);
	void (*copier_free)(void *);
} kinds[] = {
	{ "newsletter", newsletter_build_copy, nl_copier_open,
	  nl_copier_run, nl_copier_close },
	/* Invitations are rendered whole per copy (hundreds, not 100,000). */
	{ EVENTS_KIND_REQUEST, events_build_copy, NULL, NULL, NULL },
	{ EVENTS_KIND_CANCEL, events_build_copy, NULL, NULL, NULL },
};

/* The newsletter copier behind the kind table's untyped slots. */
static void *
nl_copier_open(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part)
{
	return newsletter_copier_new(app, m, part);
}

static int
nl_copier_run(void *c, const struct store_delivery *d, char **out,
    size_t *len, char *err, size_t errlen)
{
	return newsletter_copier_build(c, d, out, len, err, errlen);
}

static void
nl_copier_close(void *c)
{
	newsletter_copier_free(c);
}

/* One copy in flight: owns its bytes, borrows its row from the page. */
struct copy {
	const struct store_delivery *d;
	char from[ADDR_MAX];
	char *data;
	size_t len;
};

/* The state of one mailing_deliver_due call. */
struct run {
	struct app *app;
	bool (*stop)(void);
	struct mailing_stats *stats;
	struct mailer_pool *pool;	/* opened for the first copy */
	struct mailing_rate rate;
	bool server_down, db_error, fatal;
	/* the mailing being sent */
	struct store_mailing *m;
	const struct mailing_kind *kind;
	struct store_mailing_part parts[MAX_PARTS];
	void *copiers[MAX_PARTS];	/* parts[i]'s copier, made on first use */
	size_t n_parts;
	size_t total, done;		/* for STATUS= */
	int64_t status_ms;
	long connects;			/* SMTP connections opened (reuse check) */
};

static bool
halted(const struct run *r)
{
	return r->server_down || r->db_error || r->fatal ||
	    (r->stop != NULL && r->stop());
}

static void
db_failed(struct run *r, const char *what)
{
	log_warnx("mailing %s: %s", what, store_error(r->app->store));
	r->db_error = true;
}

/* STATUS= progress, at most once every STATUS_MS. */
static void
status_tick(struct run *r)
{
	int64_t now = hp_monotonic_us() / 1000;

	if (r->status_ms != 0 && now - r->status_ms < STATUS_MS)
		return;
	r->status_ms = now;
	notify_status("sending %s %s: %zu/%zu", r->m->kind, r->m->label,
	    r->done, r->total);
}

/* ---- answers ---- */

/* The Message-ID of a built copy, without <>, from its header; "" when
 * none.  The bounce record names our copy by it. */
static void
copy_message_id(const struct copy *c, char *out, size_t outlen)
{
	const char *p = c->data, *end = c->data + c->len;

	out[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '\r'))
			return;		/* end of the header */
		if (n > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			const char *s = memchr(p, '<', n);
			const char *e = s ? memchr(s, '>', (size_t)(p + n - s)) : NULL;
			if (e != NULL && (size_t)(e - s - 1) < outlen) {
				memcpy(out, s + 1, (size_t)(e - s - 1));
				out[e - s - 1] = '\0';
			}
			return;
		}
		p += n + 1;
	}
}

/* A 5xx for a subscriber: judged like a bounce (a refusal that blames
 * us does not count against the subscriber). */
static void
record_bounce(struct run *r, const struct copy *c,
    const struct mailer_result *res, time_t now)
{
	struct dsn_recipient dr;
	char msgid[256];

	memset(&dr, 0, sizeof(dr));
	hp_strlcpy(dr.final_recipient, c->d->email, sizeof(dr.final_recipient));
	dr.action = DSN_FAILED;
	if (dsn_status_from_reply(res->reply, dr.status, sizeof(dr.status)) == -1)
		hp_strlcpy(dr.status, "5.0.0", sizeof(dr.status));
	hp_strlcpy(dr.diagnostic, res->reply, sizeof(dr.diagnostic));
	dsn_recipient_judge(&dr);
	copy_message_id(c, msgid, sizeof(msgid));
	if (bounce_record(r->app, c->d->email, &dr, "smtp",
	    msgid[0] != '\0' ? msgid : NULL, now) == -1)
		log_warnx("mailing=%lld delivery=%lld bounce not recorded: %s",
		    (long long)r->m->id, (long long)c->d->id,
		    store_error(r->app->store));
}

static void
count_outcome(struct run *r, const struct mailing_outcome *o)
{
	switch (o->state) {
	case STORE_DLV_SENT:
		r->stats->sent++;
		r->done++;
		break;
	case STORE_DLV_FAILED:
		r->stats->failed++;
		r->done++;
		break;
	default:
		r->stats->deferred++;
		break;
	}
}

/* Record the answer res for copy c and free the copy. */
static void
copy_answered(struct run *r, struct copy *c, const struct mailer_result *res)
{
	struct mailing_outcome o;
	time_t now = time(NULL);
	uint32_t rnd = 0;

	/* Jitter for a retry, so deferred copies do not return in a burst. */
	if (res->verdict == MAILER_TEMPFAIL &&
	    getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = 0;
	mailing_policy_outcome(res, c->d->attempts, r->m->created_at, now,
	    r->app->cfg->smtp.max_age, rnd, &o);
	if (!o.record) {
		/* The mailer logged why; the row waits for the next round. */
		r->server_down = true;
		goto done;
	}
	if (store_delivery_result(r->app->store, c->d->id, o.state,
	    res->smtp_code, res->reply, o.next_attempt, now) == -1) {
		db_failed(r, "record");
		goto done;
	}
	count_outcome(r, &o);
	if (o.state == STORE_DLV_SENT)
		log_debug("mailing=%lld delivery=%lld to=%s sent", (long long)r->m->id,
		    (long long)c->d->id, c->d->email);
	else
		log_info("mailing=%lld delivery=%lld to=%s %s code=%d reply=\"%s\"",
		    (long long)r->m->id, (long long)c->d->id, c->d->email,
		    o.state == STORE_DLV_FAILED ? "failed" : "deferred",
		    res->smtp_code, res->reply);
	if (o.bounce)
		record_bounce(r, c, res, now);
done:
	free(c->data);
	free(c);
	status_tick(r);
}

/* Wait at most timeout_ms for an answer, then take every other answer
 * that is ready too, and record them in one transaction: one WAL write
 * instead of one per copy.  The crash bound holds: a slot is only reused
 * after this returns, so every answer is committed before its connection
 * carries the next copy.  Without the write lock (busy) each answer is
 * committed on its own. */
static void
pool_step(struct run *r, int timeout_ms)
{
	struct store *st = r->app->store;
	struct mailer_result res;
	void *cookie = NULL;
	bool tx;

	if (mailer_pool_wait(r->pool, timeout_ms, &cookie, &res) != 1) {
		status_tick(r);
		return;
	}
	tx = store_begin(st) == 0;
	do {
		r->connects += res.connects;
		copy_answered(r, cookie, &res);
	} while (mailer_pool_wait(r->pool, 0, &cookie, &res) == 1);
	if (tx && (r->db_error || store_commit(st) == -1)) {
		store_rollback(st);
		db_failed(r, "record answers");
	}
}

/* Every copy in flight answered (before its page is freed). */
static void
drain(struct run *r)
{
	while (r->pool != NULL && mailer_pool_busy(r->pool) > 0)
		pool_step(r, SLICE_MS);
}

/* ---- copies ---- */

static int
pool_open(struct run *r)
{
	struct mailer_config mc;
	char err[512];

	outbox_mailer_config(r->app->cfg, &mc);
	if (mailer_pool_new(&mc, r->app->cfg->smtp.concurrency, &r->pool, err,
	    sizeof(err)) == -1) {
		log_warnx("mailing smtp: %s", err);
		r->fatal = true;
		return -1;
	}
	mailing_policy_rate_init(&r->rate, r->app->cfg->smtp.rate,
	    r->app->cfg->smtp.concurrency);
	return 0;
}

/* The mailing's content in lang, else in the office's language; loaded
 * once per mailing.  NULL when there is none (or on a store error). */
static const struct store_mailing_part *
part_for(struct run *r, const char *lang)
{
	const char *tries[] = { lang, model_lang_code(r->app->cfg->office.language) };

	for (size_t t = 0; t < HP_NELEM(tries); t++) {
		for (size_t i = 0; i < r->n_parts; i++)
			if (strcmp(r->parts[i].lang, tries[t]) == 0)
				return &r->parts[i];
		if (r->n_parts == MAX_PARTS)
			return NULL;
		int got = store_mailing_part_get(r->app->store, r->m->id, tries[t],
		    &r->parts[r->n_parts]);
		if (got == -1) {
			db_failed(r, "content");
			return NULL;
		}
		if (got == 1)
			return &r->parts[r->n_parts++];
	}
	return NULL;
}

/* A copy that can never be built fails for good (no SMTP answer). */
static void
copy_unbuildable(struct run *r, const struct store_delivery *d, const char *why)
{
	struct mailer_result res;
	struct copy *c = xcalloc(1, sizeof(*c));

	memset(&res, 0, sizeof(res));
	res.verdict = MAILER_PERMFAIL;
	snprintf(res.reply, sizeof(res.reply), "not built: %s", why);
	log_warnx("mailing=%lld delivery=%lld cannot build the copy: %s",
	    (long long)r->m->id, (long long)d->id, why);
	c->d = d;
	copy_answered(r, c, &res);
}

/* d's copy of part into c: by the part's copier when the kind has one. */
static int
part_build(struct run *r, const struct store_mailing_part *part,
    const struct store_delivery *d, struct copy *c, char *err, size_t errlen)
{
	size_t i = (size_t)(part - r->parts);

	if (r->kind->copier_new == NULL)
		return r->kind->build(r->app, r->m, part, d, &c->data, &c->len,
		    err, errlen);
	if (r->copiers[i] == NULL)
		r->copiers[i] = r->kind->copier_new(r->app, r->m, part);
	return r->kind->copier_build(r->copiers[i], d, &c->data, &c->len, err,
	    errlen);
}

/* Build d's copy: 0 with *out (free), 1 when it failed for good and was
 * recorded, -1 on a store error. */
static int
copy_build(struct run *r, const struct store_delivery *d, struct copy **out)
{
	const struct store_mailing_part *part = part_for(r, d->lang);
	struct copy *c = NULL;
	char err[256];

	*out = NULL;
	if (part == NULL) {
		if (r->db_error)
			return -1;
		copy_unbuildable(r, d, "no content in the subscriber's language");
		return 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	if (part_build(r, part, d, c, err, sizeof(err)) == -1) {
		free(c);
		copy_unbuildable(r, d, err);
		return 1;
	}
	/* Without a VERP form (a long address) the plain base is the sender. */
	if (dsn_verp_encode(r->app->cfg->office.bounce_address, d->email, c->from,
	    sizeof(c->from)) == -1)
		hp_strlcpy(c->from, r->app->cfg->office.bounce_address, sizeof(c->from));
	*out = c;
	return 0;
}

/* Wait for a free connection and for the rate limit, answering copies
 * meanwhile.  0 when a copy may start now, -1 when the round halted. */
static int
slot_wait(struct run *r)
{
	for (;;) {
		if (halted(r))
			return -1;
		uint64_t wait_us = mailing_policy_rate_wait(&r->rate,
		    (uint64_t)hp_monotonic_us());
		if (wait_us == 0 && mailer_pool_idle(r->pool) > 0)
			return 0;
		int ms = wait_us > 0 ? (int)((wait_us + 999) / 1000) : SLICE_MS;
		pool_step(r, ms < SLICE_MS ? ms : SLICE_MS);
	}
}

static void
copy_send(struct run *r, const struct store_delivery *d)
{
	struct copy *c = NULL;

	if (r->pool == NULL && pool_open(r) == -1)
		return;
	if (slot_wait(r) == -1 || copy_build(r, d, &c) != 0)
		return;
	mailing_policy_rate_take(&r->rate, (uint64_t)hp_monotonic_us());
	/* slot_wait saw a free slot and nothing took it since. */
	if (mailer_pool_send(r->pool, c->from, d->email, c->data, c->len, c) == -1) {
		log_warnx("mailing=%lld no free SMTP slot", (long long)r->m->id);
		free(c->data);
		free(c);
		r->fatal = true;
	}
}

/* ---- mailings ---- */

static const struct mailing_kind *
kind_find(const char *kind)
{
	for (size_t i = 0; i < HP_NELEM(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

/* Send every due copy of r->m, a page at a time. */
static void
send_pages(struct run *r)
{
	struct store_delivery *d = NULL;
	int64_t after = 0;
	size_t n = 0;

	while (!halted(r)) {
		if (store_deliveries_due(r->app->store, r->m->id, after, time(NULL),
		    PAGE_ROWS, &d, &n) == -1) {
			db_failed(r, "due");
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < n && !halted(r); i++) {
			copy_send(r, &d[i]);
			after = d[i].id;
		}
		drain(r);
		store_deliveries_free(d, n);
		d = NULL;
	}
}

/* Mark the mailing done when nothing is queued, count what the store
 * skipped, and say so. */
static void
mailing_close(struct run *r)
{
	struct store_mailing *now = NULL;
	const struct store_mailing *m = r->m;
	int done = store_mailing_finish(r->app->store, m->id, time(NULL));

	if (done == -1 || store_mailing_get(r->app->store, m->id, &now) != 1) {
		db_failed(r, "finish");
		return;
	}
	if (now->n_skipped > m->n_skipped)
		r->stats->skipped += now->n_skipped - m->n_skipped;
	if (done == 1) {
		log_info("%s %s: %zu sent, %zu failed, %zu skipped", now->kind,
		    now->label, now->n_sent, now->n_failed, now->n_skipped);
		notify_status("sent %s %s: %zu sent, %zu failed, %zu skipped",
		    now->kind, now->label, now->n_sent, now->n_failed, now->n_skipped);
	}
	store_mailing_free(now);
}

static void
mailing_send(struct run *r, int64_t id)
{
	int got = store_mailing_get(r->app->store, id, &r->m);

	if (got != 1) {
		if (got == -1)
			db_failed(r, "get");
		return;
	}
	if ((r->kind = kind_find(r->m->kind)) == NULL) {
		log_warnx("mailing=%lld unknown kind %s: not sent", (long long)id,
		    r->m->kind);
		goto done;
	}
	r->total = r->m->n_queued + r->m->n_sent + r->m->n_failed + r->m->n_skipped;
	r->done = r->m->n_sent + r->m->n_failed + r->m->n_skipped;
	status_tick(r);
	send_pages(r);
	if (!r->db_error)
		mailing_close(r);
done:
	for (size_t i = 0; i < r->n_parts; i++) {
		if (r->copiers[i] != NULL)
			r->kind->copier_free(r->copiers[i]);
		r->copiers[i] = NULL;
		store_mailing_part_clear(&r->parts[i]);
	}
	r->n_parts = 0;
	store_mailing_free(r->m);
	r->m = NULL;
}

struct id_list {
	int64_t *ids;
	size_t n;
};

static int
collect_id(const struct store_mailing *m, void *arg)
{
	struct id_list *l = arg;

	l->ids = xreallocarray(l->ids, l->n + 1, sizeof(*l->ids));
	l->ids[l->n++] = m->id;
	return 0;
}

enum hp_status
mailing_deliver_due(struct app *app, bool (*stop)(void),
    struct mailing_stats *stats)
{
	struct run r;
	struct id_list l = { NULL, 0 };

	memset(&r, 0, sizeof(r));
	memset(stats, 0, sizeof(*stats));
	r.app = app;
	r.stop = stop;
	r.stats = stats;
	if (store_mailing_list(app->store, true, 0, collect_id, &l) != 0)
		db_failed(&r, "list");
	/* The list is newest first; the oldest mailing goes out first. */
	for (size_t i = l.n; i > 0 && !halted(&r); i--)
		mailing_send(&r, l.ids[i - 1]);
	mailer_pool_free(r.pool);
	free(l.ids);
	if (stats->sent + stats->deferred + stats->failed + stats->skipped > 0)
		log_info("mailing sent=%zu deferred=%zu failed=%zu skipped=%zu "
		    "connections=%ld", stats->sent, stats->deferred, stats->failed,
		    stats->skipped, r.connects);
	if (r.fatal)
		return HP_FATAL;
	return r.server_down || r.db_error ? HP_RETRY : HP_OK;
}
