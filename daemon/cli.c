/* cli: see cli.h. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "bounce.h"
#include "entry.h"
#include "ingest.h"
#include "log.h"
#include "mailing.h"
#include "newsletter.h"
#include "outbox.h"
#include "signals.h"
#include "tpl.h"
#include "util.h"

static int
load_config(const struct cli_opts *o, struct config **cfg)
{
	char **errs = NULL;
	size_t n = 0;

	if (config_load(o->config_path, cfg, &errs, &n) == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", errs[i]);
	if (n == 0)
		fprintf(stderr, "%s: cannot load configuration\n", o->config_path);
	config_errors_free(errs, n);
	return -1;
}

void
cli_app_close(struct app *app)
{
	store_close(app->store);
	country_db_free(app->countries);
	templates_free(app->templates);
	if (app->psl)
		psl_free(app->psl);
	config_free(app->cfg);
	memset(app, 0, sizeof(*app));
}

int
cli_open_store(const struct cli_opts *o, struct config **cfg,
    struct store **st)
{
	char err[512];

	*cfg = NULL;
	*st = NULL;
	if (load_config(o, cfg) == -1)
		return EX_CONFIG;
	if (store_open((*cfg)->database.path, st, err, sizeof(err)) == -1) {
		fprintf(stderr, "hanzepost: database %s: %s\n",
		    (*cfg)->database.path, err);
		config_free(*cfg);
		*cfg = NULL;
		return EX_CANTCREAT;
	}
	return 0;
}

int
cli_app_open(const struct cli_opts *o, struct app *app)
{
	char err[512];
	int rc;

	memset(app, 0, sizeof(*app));
	app->verbose = o->verbose;
	if ((rc = cli_open_store(o, &app->cfg, &app->store)) != 0)
		return rc;
	if (country_db_load(NULL, NULL, &app->countries, err, sizeof(err)) == -1) {
		fprintf(stderr, "hanzepost: country names: %s\n", err);
		cli_app_close(app);
		return EX_OSFILE;
	}
	app->templates = templates_new(app->cfg->templates.dir);
	return 0;
}

static void
inbox_config_from(const struct config *cfg, struct inbox_config *ic)
{
	memset(ic, 0, sizeof(*ic));
	ic->host = cfg->mailbox.url.host;
	ic->port = cfg->mailbox.url.port;
	ic->implicit_tls = cfg->mailbox.url.implicit_tls;
	ic->tls = cfg->mailbox.tls == CONFIG_TLS_REQUIRED;
	ic->ca_file = cfg->mailbox.ca_file && *cfg->mailbox.ca_file ?
	    cfg->mailbox.ca_file : NULL;
	ic->user = cfg->mailbox.user;
	ic->password = cfg->mailbox.password;
	ic->mailbox = cfg->mailbox.mailbox;
	ic->timeout_s = 60;
}

/* One look at the mailbox: ingest what is new.  Returns an hp_status. */
static enum hp_status
ingest_cycle(struct app *app)
{
	struct inbox_config ic;
	struct inbox *ib = NULL;
	struct parser *ps = NULL;
	struct ingest_stats is;
	enum hp_status rc;
	char err[512];
	bool tmpfail = true;

	inbox_config_from(app->cfg, &ic);
	if (inbox_open(&ic, &ib, &tmpfail, err, sizeof(err)) == -1) {
		log_warnx("imap %s", err);
		rc = tmpfail ? HP_RETRY : HP_FATAL;
	} else if (ingest_prepare_folders(app, ib) == -1) {
		log_warnx("imap cannot create the folders");
		rc = HP_RETRY;
	} else {
		ps = parser_new(NULL);
		rc = ingest_run_once(app, ib, ps, &is);
		log_info("poll done new=%zu handled=%zu duplicates=%zu unreadable=%zu moved=%zu",
		    is.seen, is.handled, is.duplicates, is.unreadable, is.moved);
	}
	parser_free(ps);
	if (ib)
		inbox_close(ib);
	return rc;
}

static enum hp_status
status_worse(enum hp_status a, enum hp_status b)
{
	static const int rank[] = { [HP_OK] = 0, [HP_REJECT] = 1, [HP_RETRY] = 2,
	    [HP_FATAL] = 3 };

	return rank[b] > rank[a] ? b : a;
}

struct send_totals {
	struct outbox_stats os;
	struct mailing_stats ms;
	time_t next_issue;	/* the schedule's next occurrence; 0: none */
};

/* One send round, in this order: create the newsletter issue when one is
 * due, deliver replies, deliver mailing copies, the weekly bounce
 * summary (queued now, sent next round).  Returns the worst status. */
static enum hp_status
send_round(struct app *app, struct send_totals *t)
{
	enum hp_status rc = HP_OK;

	memset(t, 0, sizeof(*t));
	/* Errors are logged by the services; a store error is retried. */
	if (newsletter_schedule_tick(app, time(NULL), &t->next_issue) == -1)
		rc = HP_RETRY;
	rc = status_worse(rc, outbox_deliver_due(app, &t->os));
	rc = status_worse(rc, mailing_deliver_due(app, signals_stop_requested, &t->ms));
	if (bounce_summary_tick(app, time(NULL)) == -1)
		rc = status_worse(rc, HP_RETRY);
	return rc;
}

static int
status_exit(enum hp_status rc)
{
	switch (rc) {
	case HP_OK:
	case HP_REJECT:
		return EX_OK;
	case HP_RETRY:
		return EX_TEMPFAIL;
	case HP_FATAL:
		break;
	}
	return EX_UNAVAILABLE;
}

static bool
has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return true;
	return false;
}

int
cli_poll(const struct cli_opts *o, int argc, char **argv)
{
	struct app app;
	struct outbox_stats os;
	enum hp_status in;
	int rc;

	if (!has_flag(argc, argv, "--once")) {
		fprintf(stderr, "usage: hanzepost poll --once (the daemon is 'hanzepost run')\n");
		return EX_USAGE;
	}
	if ((rc = cli_app_open(o, &app)) != 0)
		return rc;
	/* Then the replies queued now, or left over from an earlier SMTP
	 * outage: two statements, as C leaves the order in which arguments
	 * are evaluated open. */
	in = ingest_cycle(&app);
	rc = status_exit(status_worse(in, outbox_deliver_due(&app, &os)));
	cli_app_close(&app);
	return rc;
}

int
cli_send(const struct cli_opts *o, int argc, char **argv)
{
	struct app app;
	struct send_totals t;
	int rc;

	if (!has_flag(argc, argv, "--once")) {
		fprintf(stderr, "usage: hanzepost send --once\n");
		return EX_USAGE;
	}
	if ((rc = cli_app_open(o, &app)) != 0)
		return rc;
	signals_catch_stop();
	rc = status_exit(send_round(&app, &t));
	printf("sent %zu, deferred %zu, failed %zu\n", t.os.sent, t.os.deferred,
	    t.os.failed);
	printf("mailings: sent %zu, deferred %zu, failed %zu, skipped %zu\n",
	    t.ms.sent, t.ms.deferred, t.ms.failed, t.ms.skipped);
	cli_app_close(&app);
	return rc;
}

/* Sleep up to seconds, waking early when a stop signal arrives. */
static void
sleep_interruptible(unsigned seconds)
{
	for (unsigned i = 0; i < seconds && !signals_stop_requested(); i++)
		sleep(1);
}

/* Seconds until the next round: the poll interval, or sooner when the
 * next issue or a deferred copy is due before it. */
static unsigned
round_pause(struct app *app, const struct send_totals *t)
{
	unsigned pause = app->cfg->mailbox.poll_interval;
	time_t now = time(NULL), due = 0;

	if (t->next_issue > now && (uint64_t)(t->next_issue - now) < pause)
		pause = (unsigned)(t->next_issue - now);
	if (store_deliveries_next_due(app->store, &due) == 1 && due > now &&
	    (uint64_t)(due - now) < pause)
		pause = (unsigned)(due - now);
	return pause > 0 ? pause : 1;
}

int
cli_run(const struct cli_opts *o, int argc, char **argv)
{
	struct app app;
	struct send_totals t;
	int rc;

	signals_catch_stop();
	if ((rc = cli_app_open(o, &app)) != 0)
		return rc;
	log_info("hanzepost %s running, polling every %u s", HP_VERSION,
	    app.cfg->mailbox.poll_interval);
	while (!signals_stop_requested()) {
		/* Network trouble is retried next cycle; never exit for it. */
		enum hp_status rc_in = ingest_cycle(&app);
		if (status_worse(rc_in, send_round(&app, &t)) == HP_FATAL)
			log_warnx("cycle failed; retrying in %u s",
			    app.cfg->mailbox.poll_interval);
		sleep_interruptible(round_pause(&app, &t));
	}
	log_info("hanzepost stopping");
	cli_app_close(&app);
	return EX_OK;
}

int
cli_check_config(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;

	if (load_config(o, &cfg) == -1)
		return EX_CONFIG;
	printf("%s: ok\n", o->config_path);
	config_free(cfg);
	return EX_OK;
}
