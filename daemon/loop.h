/*
 * loop: `hanzepost run`, the daemon's one event loop (SPEC §8).  L4.
 *
 * One poll() over three things: the IMAP connection while it is in IDLE
 * (RFC 2177; renewed every 10 minutes, under the 29-minute limit), a
 * timerfd armed for the earliest deadline (the next send round, the next
 * plain poll when the server has no IDLE, a reconnect, a watchdog ping)
 * and a signalfd (SIGTERM/SIGINT stop, SIGHUP reloads).  Idle, the process
 * sleeps in poll() and uses no CPU.
 *
 * A lost IMAP or SMTP server is logged once, told to systemd in STATUS=,
 * and retried with capped exponential backoff and jitter; the loop never
 * exits for a network error.  Exactly-once handling is ingest's: a
 * message whose effects were committed is never applied again, whatever
 * the connection did.
 *
 * SIGHUP re-reads the configuration and the templates; a configuration
 * with errors (or one that moves the database) is refused with the
 * reasons in the log, and the running one stays.  SIGTERM ends the loop
 * after the current message or copy; the rest waits for the next start.
 */
#ifndef HP_LOOP_H
#define HP_LOOP_H

#include "app.h"

/* Run until SIGTERM/SIGINT.  app is open (cli_app_open); config_path is
 * re-read on SIGHUP.  Returns 0, or -1 when the loop could not be set up
 * at all (no signalfd/timerfd; logged). */
int loop_run(struct app *app, const char *config_path);

#endif
