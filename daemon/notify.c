/* notify: see notify.h.  A thin wrapper over sd_notify(3). */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

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
