/* loop: see loop.h. */
#include "loop.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "inbox.h"
#include "ingest.h"
#include "log.h"
#include "notify.h"
#include "parser.h"
#include "sched.h"
#include "service.h"
#include "signals.h"
#include "templates.h"
#include "util.h"

#define SEC		INT64_C(1000000)
#define IDLE_RENEW	(10 * 60 * SEC)	/* RFC 2177: re-IDLE well before 29 min */
#define RETRY_BASE	1		/* s: first retry after a failure */
#define RETRY_CAP	60		/* s: longest pause between retries */
#define BUSY_RETRY	(5 * SEC)	/* the database was busy: look again */
#define NEVER		INT64_MAX

struct loop {
	struct app *app;
	const char *config_path;
	int sigfd, tfd;
	struct inbox *ib;		/* NULL while disconnected */
	struct parser *ps;
	bool idling;			/* IDLE sent, DONE not yet */
	bool stopping;
	bool ready_told;		/* READY=1 sent since start or reload */
	bool busy;			/* something was done: tell STATUS= */
	unsigned imap_failures;		/* connection attempts failed in a row */
	unsigned smtp_failures;		/* send rounds that failed in a row */
	char imap_error[256];		/* the reason last logged, logged once */
	int64_t down_since;		/* when the IMAP link was lost; 0: up */
	int64_t connect_at;		/* next connection attempt */
	int64_t check_at;		/* next look at the mailbox */
	int64_t idle_since;
	int64_t send_at;		/* next send round */
};

/* Work inside a round asks this between messages and copies: it also
 * keeps the watchdog fed while a big issue goes out. */
static bool
loop_should_stop(void)
{
	notify_watchdog();
	return signals_stop_requested();
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Seconds before retry number `failures`, doubling up to RETRY_CAP,
 * with jitter so that many daemons do not come back in step. */
static unsigned
retry_delay(unsigned failures)
{
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)hp_monotonic_us();
	return sched_backoff(failures, RETRY_BASE, RETRY_CAP, rnd);
}

/* IDLE when the configuration allows it and the server offers it. */
static bool
use_idle(const struct loop *l)
{
	return l->app->cfg->mailbox.idle && inbox_has_idle(l->ib);
}

static void
tell_idle(struct loop *l)
{
	if (l->ib == NULL)
		return;
	if (l->idling)
		notify_status("idle, waiting for mail (IDLE)");
	else
		notify_status("idle, looking for mail every %u s",
		    l->app->cfg->mailbox.poll_interval);
}

/* Close the connection; DONE first when it is idling and healthy. */
static void
imap_close(struct loop *l)
{
	if (l->ib == NULL)
		return;
	if (l->idling && !inbox_is_broken(l->ib))
		inbox_idle_done(l->ib);
	inbox_close(l->ib);
	l->ib = NULL;
	l->idling = false;
}

/* The connection broke: one line, then reconnect at once (the backoff
 * starts with the attempts that fail). */
static void
imap_lost(struct loop *l)
{
	log_warnx("imap connection lost: %s; reconnecting",
	    inbox_last_error(l->ib));
	imap_close(l);
	l->down_since = hp_monotonic_us();
	l->imap_failures = 0;
	l->imap_error[0] = '\0';
	l->connect_at = l->down_since;
	notify_status("IMAP connection lost, reconnecting");
}

static void
imap_connected(struct loop *l)
{
	const struct config *cfg = l->app->cfg;
	int64_t now = hp_monotonic_us();

	if (l->down_since != 0 || l->imap_failures > 0)
		log_info("imap connected again to %s after %" PRId64 " s",
		    cfg->mailbox.url.host, l->down_since ?
		    (now - l->down_since) / SEC : 0);
	else
		log_info("imap connected to %s; %s", cfg->mailbox.url.host,
		    use_idle(l) ? "waiting for mail with IDLE" :
		    !inbox_has_idle(l->ib) ? "the server has no IDLE, polling" :
		    "IDLE is off in the configuration, polling");
	l->imap_failures = 0;
	l->imap_error[0] = '\0';
	l->down_since = 0;
	l->check_at = now;
	if (!l->ready_told) {
		notify_ready();
		l->ready_told = true;
	}
}

static void
imap_connect(struct loop *l)
{
	char err[512];
	bool tmpfail = true;
	unsigned delay;

	if (service_inbox_open(l->app, &l->ib, &tmpfail, err, sizeof(err)) == 0) {
		imap_connected(l);
		return;
	}
	if (l->down_since == 0)
		l->down_since = hp_monotonic_us();
	delay = retry_delay(++l->imap_failures);
	if (strcmp(err, l->imap_error) != 0) {
		/* A new reason is worth a line; the same one again is not. */
		log_warnx("imap %s; retrying%s, at most every %u s", err,
		    tmpfail ? "" : " (check the configuration)", RETRY_CAP);
		hp_strlcpy(l->imap_error, err, sizeof(l->imap_error));
	} else
		log_debug("imap %s; attempt %u, next in %u s", err,
		    l->imap_failures, delay);
	notify_status("IMAP server unreachable (%s), retrying in %u s", err,
	    delay);
	l->connect_at = hp_monotonic_us() + delay * SEC;
}

static void
imap_check(struct loop *l)
{
	struct ingest_stats is;
	enum hp_status rc;
	uint32_t exists;
	int64_t now;

	l->check_at = NEVER;
	l->busy = true;
	/* Without IDLE the server tells of new mail only in answer to a
	 * command, and Dovecot answers a SEARCH from the view it had before
	 * it: NOOP first, or a message waits one extra poll_interval. */
	if (!use_idle(l) && inbox_noop(l->ib) == -1 && inbox_is_broken(l->ib)) {
		imap_lost(l);
		return;
	}
	exists = inbox_exists(l->ib);
	rc = ingest_run_once(l->app, l->ib, l->ps, loop_should_stop, &is);
	now = hp_monotonic_us();
	if (is.seen > 0)
		log_info("poll done new=%zu handled=%zu duplicates=%zu "
		    "unreadable=%zu moved=%zu", is.seen, is.handled,
		    is.duplicates, is.unreadable, is.moved);
	/* Replies were queued: send them now, unless SMTP is in backoff. */
	if (is.handled + is.unreadable > 0 && l->smtp_failures == 0)
		l->send_at = now;
	if (rc == HP_RETRY && inbox_is_broken(l->ib))
		imap_lost(l);
	else if (rc == HP_RETRY)
		l->check_at = now + BUSY_RETRY;
	else if (rc == HP_FATAL)
		log_warnx("ingest failed; looking again in %u s",
		    l->app->cfg->mailbox.poll_interval);
	/* Mail that arrived while this look was busy was announced in the
	 * answers to its commands, and IDLE tells only of what comes later:
	 * look again until a look finds nothing and hears of nothing new. */
	if (l->ib != NULL && rc == HP_OK && (is.seen > 0 || is.moved > 0 ||
	    inbox_exists(l->ib) != exists))
		l->check_at = now;
	else if (l->ib != NULL && l->check_at == NEVER &&
	    (rc == HP_FATAL || !use_idle(l)))
		l->check_at = now + l->app->cfg->mailbox.poll_interval * SEC;
}

/* Wait for mail in IDLE when it is used and nothing is due. */
static void
imap_idle_begin(struct loop *l)
{
	if (l->ib == NULL || l->idling || l->check_at != NEVER || !use_idle(l))
		return;
	if (inbox_idle_start(l->ib) == -1) {
		if (inbox_is_broken(l->ib)) {
			imap_lost(l);
			return;
		}
		log_warnx("imap IDLE refused: %s; polling instead",
		    inbox_last_error(l->ib));
		l->check_at = hp_monotonic_us() +
		    l->app->cfg->mailbox.poll_interval * SEC;
		return;
	}
	l->idling = true;
	l->idle_since = hp_monotonic_us();
}

/* Leave IDLE (the server said something, or it is time to renew) and
 * look at the mailbox. */
static void
imap_idle_end(struct loop *l)
{
	l->idling = false;
	if (inbox_idle_done(l->ib) == -1) {
		if (inbox_is_broken(l->ib)) {
			imap_lost(l);
			return;
		}
		log_warnx("imap IDLE ended badly: %s", inbox_last_error(l->ib));
	}
	l->check_at = hp_monotonic_us();
}

static void
send_due(struct loop *l)
{
	struct send_totals t;
	enum hp_status rc;
	unsigned delay;

	l->busy = true;
	rc = service_send_round(l->app, loop_should_stop, &t);
	if (rc == HP_OK || rc == HP_REJECT) {
		if (l->smtp_failures > 0)
			log_info("send works again after %u failed rounds",
			    l->smtp_failures);
		l->smtp_failures = 0;
		l->send_at = hp_monotonic_us() +
		    service_send_pause(l->app, &t) * SEC;
		return;
	}
	/* The services logged why; here only when it is tried again. */
	delay = rc == HP_FATAL ? l->app->cfg->mailbox.poll_interval :
	    retry_delay(++l->smtp_failures);
	if (rc == HP_FATAL || l->smtp_failures == 1)
		log_warnx("send round did not finish; trying again in %u s%s",
		    delay, rc == HP_FATAL ? "" : ", then backing off");
	else
		log_debug("send round failed %u times; next in %u s",
		    l->smtp_failures, delay);
	l->send_at = hp_monotonic_us() + delay * SEC;
}

static void
loop_reload(struct loop *l)
{
	struct app *app = l->app;
	struct config *cfg = NULL;
	char **errs = NULL;
	size_t n = 0;

	notify_reloading();
	if (config_load(l->config_path, &cfg, &errs, &n) == -1) {
		for (size_t i = 0; i < n; i++)
			log_warnx("reload: %s", errs[i]);
		log_warnx("reload refused: %s has errors; still running with the "
		    "configuration loaded before", l->config_path);
		config_errors_free(errs, n);
		goto done;
	}
	if (strcmp(cfg->database.path, app->cfg->database.path) != 0) {
		log_warnx("reload refused: [database] path changed (%s -> %s); "
		    "restart hanzepost to move the database",
		    app->cfg->database.path, cfg->database.path);
		config_free(cfg);
		goto done;
	}
	/* The mailbox settings may have changed: log in again with them. */
	imap_close(l);
	config_free(app->cfg);
	app->cfg = cfg;
	templates_free(app->templates);
	app->templates = templates_new(cfg->templates.dir);
	l->imap_failures = l->smtp_failures = 0;
	l->imap_error[0] = '\0';
	l->connect_at = l->send_at = hp_monotonic_us();
	log_info("reload: %s and the templates read again", l->config_path);
done:
	/* A reload job waits for READY=1, also when nothing changed. */
	notify_ready();
	l->busy = true;
}

/* Read every signal that arrived: stop, or reload. */
static void
loop_signals(struct loop *l)
{
	int sig;

	while ((sig = signals_read(l->sigfd)) > 0) {
		if (sig == SIGHUP && !l->stopping) {
			loop_reload(l);
		} else if (sig != SIGHUP && !l->stopping) {
			log_info("hanzepost stopping (%s)", strsignal(sig));
			signals_note_stop();
			notify_stopping();
			l->stopping = true;
		}
	}
	if (sig == -1)
		log_warn("loop: reading signals");
}

/* Arm the timer for the earliest deadline; NEVER disarms it. */
static void
timer_arm(struct loop *l, int64_t deadline)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (deadline != NEVER) {
		if (deadline < 1)
			deadline = 1;	/* 0 would disarm it */
		its.it_value.tv_sec = deadline / SEC;
		its.it_value.tv_nsec = (long)(deadline % SEC) * 1000;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("loop: timerfd_settime");
}

static int64_t
next_deadline(const struct loop *l)
{
	int64_t d = l->send_at;
	uint64_t wd = notify_watchdog_interval();

	if (l->ib == NULL)
		d = min64(d, l->connect_at);
	else if (l->idling)
		d = min64(d, l->idle_since + IDLE_RENEW);
	else
		d = min64(d, l->check_at);
	if (wd > 0)
		d = min64(d, hp_monotonic_us() + (int64_t)wd);
	return d;
}

/* Sleep in poll() until a signal, the timer or the IMAP server. */
static void
loop_wait(struct loop *l)
{
	struct pollfd fds[3] = { { l->sigfd, POLLIN, 0 }, { l->tfd, POLLIN, 0 },
	    { -1, POLLIN, 0 } };
	int64_t deadline = next_deadline(l);
	uint64_t expirations;
	nfds_t n = 2;

	if (l->idling) {
		if (inbox_idle_pending(l->ib)) {
			imap_idle_end(l);
			return;
		}
		fds[2].fd = inbox_fd(l->ib);
		n = 3;
	}
	if (deadline <= hp_monotonic_us())
		return;
	timer_arm(l, deadline);
	if (poll(fds, n, -1) == -1) {
		if (errno != EINTR)
			log_warn("loop: poll");
		return;
	}
	if (fds[1].revents & POLLIN)
		(void)!read(l->tfd, &expirations, sizeof(expirations));
	if (fds[0].revents & POLLIN)
		loop_signals(l);
	if (n == 3 && fds[2].revents != 0 && l->idling && !l->stopping)
		imap_idle_end(l);
}

/* Everything that is due now, then wait. */
static void
loop_step(struct loop *l)
{
	notify_watchdog();
	l->busy = false;
	if (l->ib == NULL && hp_monotonic_us() >= l->connect_at)
		imap_connect(l);
	if (l->ib != NULL && l->idling &&
	    hp_monotonic_us() >= l->idle_since + IDLE_RENEW)
		imap_idle_end(l);
	if (l->ib != NULL && !l->idling && hp_monotonic_us() >= l->check_at &&
	    !signals_stop_requested())
		imap_check(l);
	if (hp_monotonic_us() >= l->send_at && !signals_stop_requested())
		send_due(l);
	if (signals_stop_requested()) {
		loop_signals(l);
		return;
	}
	imap_idle_begin(l);
	if (l->busy)
		tell_idle(l);
	loop_wait(l);
}

int
loop_run(struct app *app, const char *config_path)
{
	struct loop l;

	memset(&l, 0, sizeof(l));
	l.app = app;
	l.config_path = config_path;
	l.tfd = -1;
	l.check_at = NEVER;
	if ((l.sigfd = signals_open_fd()) == -1 ||
	    (l.tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_warn("loop: cannot set up signals and timers");
		if (l.sigfd != -1)
			close(l.sigfd);
		return -1;
	}
	l.ps = parser_new(NULL);
	log_info("hanzepost %s running (pid %ld)", HP_VERSION, (long)getpid());
	notify_status("starting: logging in to %s", app->cfg->mailbox.url.host);
	while (!l.stopping)
		loop_step(&l);
	imap_close(&l);
	parser_free(l.ps);
	close(l.tfd);
	close(l.sigfd);
	log_info("hanzepost stopped");
	return 0;
}
