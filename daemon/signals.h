/*
 * signals: how hanzepost hears SIGTERM, SIGINT and SIGHUP.  Process
 * plumbing (L4, next to main).
 *
 * The daemon (`run`) blocks the three signals and reads them from a
 * signalfd in its event loop (signals_open_fd), so no handler ever runs
 * in the middle of a transaction.  One-shot commands (`send --once`)
 * catch SIGTERM/SIGINT with a handler that only sets a flag
 * (signals_catch_stop).  Either way, long work (a newsletter issue being
 * delivered, a mailbox full of forms) asks signals_stop_requested()
 * between copies and messages and ends after the current transaction.
 *
 * Must not: exit, log or do anything in a signal handler but set a flag.
 */
#ifndef HP_SIGNALS_H
#define HP_SIGNALS_H

#include <stdbool.h>

/* One-shot commands: SIGTERM/SIGINT set the stop flag. */
void signals_catch_stop(void);

/* The daemon: block SIGTERM, SIGINT and SIGHUP and return a non-blocking,
 * close-on-exec signalfd for them, or -1 (errno set).  A parser child
 * started later unblocks them again itself (parser.c). */
int signals_open_fd(void);

/* Read one signal from fd: the signal number, 0 when none is pending,
 * -1 on a read error. */
int signals_read(int fd);

/* True once SIGTERM or SIGINT arrived: the flag set by the handler or by
 * signals_note_stop, or either signal pending while blocked (so work
 * running inside the event loop sees it before the loop reads the fd). */
bool signals_stop_requested(void);

/* Remember a stop the event loop read from the signalfd. */
void signals_note_stop(void);

#endif
