/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static int log_verbose;
static int log_journal;

void
log_init(int verbose)
{
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void
log_vline(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* A log line must stay one line whatever a value contained. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_journal)
		fprintf(stderr, "<%d>", prio);
	if (suffix)
		fprintf(stderr, "%s: %s\n", line, suffix);
	else
		fprintf(stderr, "%s\n", line);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(70);
}
