/* cli: see cli.h. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "app.h"
#include "ingest.h"
#include "loop.h"
#include "log.h"
#include "outbox.h"
#include "service.h"
#include "signals.h"
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

/* One look at the mailbox: ingest what is new.  Returns an hp_status. */
static enum hp_status
ingest_cycle(struct app *app)
{
	struct inbox *ib = NULL;
	struct parser *ps = NULL;
	struct ingest_stats is;
	enum hp_status rc;
	char err[512];
	bool tmpfail = true;

	if (service_inbox_open(app, &ib, &tmpfail, err, sizeof(err)) == -1) {
		log_warnx("imap %s", err);
		return tmpfail ? HP_RETRY : HP_FATAL;
	}
	ps = parser_new(NULL);
	rc = ingest_run_once(app, ib, ps, NULL, &is);
	log_info("poll done new=%zu handled=%zu duplicates=%zu unreadable=%zu moved=%zu",
	    is.seen, is.handled, is.duplicates, is.unreadable, is.moved);
	parser_free(ps);
	inbox_close(ib);
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
	rc = status_exit(service_status_worse(in, outbox_deliver_due(&app, &os)));
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
	rc = status_exit(service_send_round(&app, signals_stop_requested, &t));
	printf("sent %zu, deferred %zu, failed %zu\n", t.os.sent, t.os.deferred,
	    t.os.failed);
	printf("mailings: sent %zu, deferred %zu, failed %zu, skipped %zu\n",
	    t.ms.sent, t.ms.deferred, t.ms.failed, t.ms.skipped);
	cli_app_close(&app);
	return rc;
}

int
cli_run(const struct cli_opts *o, int argc, char **argv)
{
	struct app app;
	int rc;

	if ((rc = cli_app_open(o, &app)) != 0)
		return rc;
	rc = loop_run(&app, o->config_path) == 0 ? EX_OK : EX_OSERR;
	cli_app_close(&app);
	return rc;
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
