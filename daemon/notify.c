/* notify: see notify.h.  A thin wrapper over sd_notify(3). */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "util.h"

#define STATUS_MAX	256

int
notify_status(const char *fmt, ...)
{
	char msg[sizeof("STATUS=") + STATUS_MAX];
	size_t pre = strlen("STATUS=");
	va_list ap;

	/* sd_notify checks this too; looking first saves the formatting on
	 * every progress tick when nobody listens. */
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	memcpy(msg, "STATUS=", pre);
	va_start(ap, fmt);
	vsnprintf(msg + pre, sizeof(msg) - pre, fmt, ap);
	va_end(ap);
	for (char *p = msg + pre; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return sd_notify(0, msg) < 0 ? -1 : 0;
}

void
notify_ready(void)
{
	sd_notify(0, "READY=1");
}

void
notify_reloading(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)hp_monotonic_us());
	sd_notify(0, msg);
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

uint64_t
notify_watchdog_interval(void)
{
	static int known;
	static uint64_t half;
	uint64_t usec = 0;

	if (!known) {
		known = 1;
		if (sd_watchdog_enabled(0, &usec) > 0)
			half = usec / 2;
	}
	return half;
}

void
notify_watchdog(void)
{
	static int64_t last;
	uint64_t every = notify_watchdog_interval();
	int64_t now;

	if (every == 0)
		return;
	now = hp_monotonic_us();
	/* Ping at a quarter of the period: the long rounds call in at
	 * irregular moments, and a ping too many costs one datagram. */
	if (last != 0 && (uint64_t)(now - last) < every / 2)
		return;
	last = now;
	sd_notify(0, "WATCHDOG=1");
}
