/* service: see service.h. */
#include "service.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bounce.h"
#include "ingest.h"
#include "newsletter.h"

enum hp_status
service_status_worse(enum hp_status a, enum hp_status b)
{
	static const int rank[] = { [HP_OK] = 0, [HP_REJECT] = 1, [HP_RETRY] = 2,
	    [HP_FATAL] = 3 };

	return rank[b] > rank[a] ? b : a;
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

int
service_inbox_open(struct app *app, struct inbox **ib, bool *tmpfail,
    char *err, size_t errlen)
{
	struct inbox_config ic;

	inbox_config_from(app->cfg, &ic);
	*tmpfail = true;
	if (inbox_open(&ic, ib, tmpfail, err, errlen) == -1)
		return -1;
	if (ingest_prepare_folders(app, *ib) == -1) {
		snprintf(err, errlen, "cannot create the folders: %s",
		    inbox_last_error(*ib));
		inbox_close(*ib);
		*ib = NULL;
		return -1;
	}
	return 0;
}

enum hp_status
service_send_round(struct app *app, bool (*stop)(void), struct send_totals *t)
{
	enum hp_status rc = HP_OK;

	memset(t, 0, sizeof(*t));
	/* Errors are logged by the services; a store error is retried. */
	if (newsletter_schedule_tick(app, time(NULL), &t->next_issue) == -1)
		rc = HP_RETRY;
	rc = service_status_worse(rc, outbox_deliver_due(app, &t->os));
	rc = service_status_worse(rc, mailing_deliver_due(app, stop, &t->ms));
	if (bounce_summary_tick(app, time(NULL)) == -1)
		rc = service_status_worse(rc, HP_RETRY);
	return rc;
}

unsigned
service_send_pause(struct app *app, const struct send_totals *t)
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
