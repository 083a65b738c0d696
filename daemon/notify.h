/*
 * notify: tell the service manager what the daemon is doing (SPEC §8:
 * `STATUS=` lines under systemd Type=notify).  L2 adapter: the only file
 * that includes a libsystemd header.  Without NOTIFY_SOCKET in the
 * environment (a shell, a test, `send --once`) every call does nothing.
 * Must not: log (callers decide what is worth a log line) or block.
 */
#ifndef HP_NOTIFY_H
#define HP_NOTIFY_H

#include <stdint.h>

/* Send "STATUS=<text>" where text is printf-style fmt, cut at 256 bytes;
 * newlines in it become spaces (a newline would start another field).
 * 0 when sent or when there is no service manager, -1 on a send error. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* READY=1: the daemon is up (after its first login, and again after a
 * reload). */
void notify_ready(void);

/* RELOADING=1 with MONOTONIC_USEC= now (systemd 253 matches the two to
 * time the reload; older ones ignore the second). */
void notify_reloading(void);

/* STOPPING=1: the daemon is finishing its current work and will exit. */
void notify_stopping(void);

/* Microseconds between two WATCHDOG=1 pings the manager expects (its
 * WatchdogSec= halved, as sd_watchdog_enabled(3) advises), or 0 when no
 * watchdog is set.  Read once at the first call. */
uint64_t notify_watchdog_interval(void);

/* Send WATCHDOG=1 when a quarter of the watchdog period has passed since
 * the last ping; the loop calls it at every wake and the long rounds
 * between messages and copies, so a big issue never looks like a hang.
 * Does nothing without a watchdog. */
void notify_watchdog(void);

#endif
