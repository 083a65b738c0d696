/*
 * log: one line per event on stderr, "subsystem event key=value ...".
 * Under systemd (JOURNAL_STREAM set) each line carries a "<N>" syslog
 * priority prefix so journald files it at the right level; on a terminal
 * the lines are plain.  Pure cores (L1) never include this header.
 *
 * log_warn appends strerror(errno); log_warnx does not.  fatal/fatalx log
 * and exit(70): only main-level code may call them.
 */
#ifndef HP_LOG_H
#define HP_LOG_H

void log_init(int verbose);
void log_set_verbose(int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
