/* outbox: see outbox.h. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "mailer.h"
#include "util.h"

#define DUE_BATCH	100

unsigned
outbox_backoff(unsigned attempts, unsigned rnd)
{
	unsigned base = 60, cap = 3600, delay = base;

	for (unsigned i = 1; i < attempts && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	/* Up to +25 % so many deferred rows do not retry in one burst. */
	return delay + rnd % (delay / 4 + 1);
}

void
outbox_mailer_config(const struct config *cfg, struct mailer_config *mc)
{
	const char *at = strrchr(cfg->office.address, '@');

	memset(mc, 0, sizeof(*mc));
	mc->url = cfg->smtp.url_text;
	mc->tls = cfg->smtp.tls == CONFIG_TLS_REQUIRED;
	mc->ca_file = cfg->smtp.ca_file && *cfg->smtp.ca_file ? cfg->smtp.ca_file : NULL;
	mc->user = cfg->smtp.user && *cfg->smtp.user ? cfg->smtp.user : NULL;
	mc->password = cfg->smtp.password;
	mc->helo_name = at ? at + 1 : "localhost";
	mc->timeout_s = 60;
}

static struct mailer *
open_mailer(const struct config *cfg, char *err, size_t errlen)
{
	struct mailer_config mc;
	struct mailer *m = NULL;

	outbox_mailer_config(cfg, &mc);
	if (mailer_new(&mc, &m, err, errlen) == -1)
		return NULL;
	return m;
}

/* Record one attempt's result.  Returns -1 on a database error. */
static int
record_result(struct app *app, const struct store_outmsg *o,
    const struct mailer_result *res, time_t now, struct outbox_stats *stats)
{
	enum store_out_state state = STORE_OUT_QUEUED;
	time_t next = now;
	unsigned rnd = 0;
	void (*say)(const char *, ...);

	switch (res->verdict) {
	case MAILER_SENT:
		state = STORE_OUT_SENT;
		stats->sent++;
		break;
	case MAILER_PERMFAIL:
		state = STORE_OUT_FAILED;
		stats->failed++;
		break;
	case MAILER_TEMPFAIL:
		if (res->smtp_code != 0) {
			if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
				rnd = 0;
			next = now + outbox_backoff((unsigned)o->attempts + 1, rnd);
		}
		if ((uint64_t)(now - o->created_at) > app->cfg->smtp.max_age) {
			state = STORE_OUT_FAILED;
			stats->failed++;
		} else
			stats->deferred++;
		break;
	}
	/* Not reached at all is the server's event, logged by the mailer
	 * once per outage, not one line per waiting reply per round. */
	say = res->smtp_code == 0 && state == STORE_OUT_QUEUED ? log_debug :
	    log_info;
	say("outbox=%lld to=%s %s code=%d reply=\"%s\"", (long long)o->id,
	    o->recipient, state == STORE_OUT_SENT ? "sent" :
	    state == STORE_OUT_FAILED ? "failed" : "deferred", res->smtp_code,
	    res->reply);
	return store_outbox_result(app->store, o->id, state, res->smtp_code,
	    res->reply, next, now);
}

enum hp_status
outbox_deliver_due(struct app *app, struct outbox_stats *stats)
{
	struct store_outmsg *msgs = NULL;
	struct mailer *mailer = NULL;
	size_t n = 0;
	char err[512];
	enum hp_status rc = HP_OK;
	bool server_down = false;

	*stats = (struct outbox_stats){ 0 };
	while (rc == HP_OK && !server_down) {
		time_t now = time(NULL);
		if (store_outbox_due(app->store, now, DUE_BATCH, &msgs, &n) == -1) {
			log_warnx("outbox due: %s", store_error(app->store));
			return HP_RETRY;
		}
		if (n == 0)
			break;
		if (mailer == NULL && (mailer = open_mailer(app->cfg, err, sizeof(err))) == NULL) {
			log_warnx("outbox smtp: %s", err);
			store_outmsgs_free(msgs, n);
			return HP_FATAL;
		}
		for (size_t i = 0; i < n; i++) {
			struct mailer_result res;
			mailer_send(mailer, msgs[i].sender, msgs[i].recipient,
			    msgs[i].data, msgs[i].len, &res);
			if (record_result(app, &msgs[i], &res, time(NULL), stats) == -1) {
				log_warnx("outbox record: %s", store_error(app->store));
				rc = HP_RETRY;
				break;
			}
			/* No answer at all: the server is down; the rest waits. */
			if (res.verdict == MAILER_TEMPFAIL && res.smtp_code == 0) {
				server_down = true;
				rc = HP_RETRY;
				break;
			}
		}
		store_outmsgs_free(msgs, n);
		msgs = NULL;
	}
	mailer_free(mailer);
	if (stats->sent + stats->failed > 0 || (stats->deferred > 0 && !server_down))
		log_info("outbox sent=%zu deferred=%zu failed=%zu", stats->sent,
		    stats->deferred, stats->failed);
	return rc;
}
