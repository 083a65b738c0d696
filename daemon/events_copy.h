/*
 * events_copy: the calendar of a stored event and the copies of its
 * invitation mailings.  events_build_copy (declared in events.h, the
 * events service's interface) lives in events_copy.c; this header adds
 * what cli_events.c (`events export`) shares with it: one way from a
 * store_event row to a VCALENDAR.
 *
 * Must not: write to the store, send mail, or decide who is invited.
 */
#ifndef HP_EVENTS_COPY_H
#define HP_EVENTS_COPY_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "itip.h"
#include "store.h"

/*
 * The VCALENDAR of ev for method (ITIP_REQUEST and ITIP_CANCEL need att,
 * ITIP_PUBLISH takes NULL), with DTSTAMP dtstamp: ORGANIZER the office
 * mailbox (cfg->office), the event's UID and SEQUENCE, times as stored
 * ("YYYY-MM-DDTHH:MM:SS" wall clock in ev->tzid, or UTC when tzid is
 * NULL; "YYYY-MM-DD" for all-day events, the end exclusive), the compact
 * VTIMEZONE of ev->tzid (itip_vtimezone), STATUS:CANCELLED for CANCEL
 * and for a PUBLISH of a cancelled event.
 *
 * VTIMEZONEs are kept in a small per-process cache keyed by TZID (eight
 * zones, the oldest replaced), so a mailing to thousands reads the zone
 * file once; a tzdata upgrade takes effect when the process restarts.
 * Not thread-safe (the daemon builds copies in one thread).
 *
 * Returns 0 with *out (NUL-terminated, caller frees) and *len (when len
 * is not NULL), or -1 with a reason in err.
 */
int events_calendar(const struct config *cfg, const struct store_event *ev,
    enum itip_method method, const struct itip_attendee *att, time_t dtstamp,
    char **out, size_t *len, char *err, size_t errlen);

/* "YYYY-MM-DD" (all_day) or "YYYY-MM-DDTHH:MM[:SS]", as the store keeps
 * event times, into t; 0, or -1 when s has another shape (ranges are
 * itip_build's to check). */
int events_local_parse(const char *s, bool all_day, struct itip_time *t);
#endif
