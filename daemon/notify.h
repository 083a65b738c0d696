/*
 * notify: tell the service manager what the daemon is doing (SPEC §8:
 * `STATUS=` lines under systemd Type=notify).  L2 adapter: the only file
 * that includes a libsystemd header.  Without NOTIFY_SOCKET in the
 * environment (a shell, a test, `send --once`) every call does nothing.
 * Must not: log (callers decide what is worth a log line) or block.
 */
#ifndef HP_NOTIFY_H
#define HP_NOTIFY_H

/* Send "STATUS=<text>" where text is printf-style fmt, cut at 256 bytes;
 * newlines in it become spaces (a newline would start another field).
 * 0 when sent or when there is no service manager, -1 on a send error. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
