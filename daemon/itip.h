/*
 * itip: iCalendar for invitations (RFC 5545/5546, SPEC §7).  Pure (L1):
 * builds the VCALENDAR of one message (REQUEST, CANCEL, PUBLISH) from a
 * struct itip_event, and reads what comes back (METHOD:REPLY from any
 * client's dialect) or what is submitted (an exported .ics VEVENT).
 * libical parses; our own code writes the output, so the shape is the one
 * every calendar client accepts (notes/itip.md §4): CRLF, folded at 75
 * octets at UTF-8 boundaries, one compact VTIMEZONE per TZID (one
 * STANDARD and one DAYLIGHT with open RRULEs, TZID the plain IANA name).
 *
 * Times: an event's start and end are wall-clock times in an IANA zone
 * (or all-day dates).  The VTIMEZONE rules come from the zone's POSIX TZ
 * string, the last line of its TZif file (itip_tz.c reads it; that is
 * this module's only I/O).
 *
 * Must not: log, touch the store, or decide who is invited.
 */
#ifndef HP_ITIP_H
#define HP_ITIP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ITIP_MAX_TEXT	4096	/* summary, location, description (octets) */
#define ITIP_MAX_UID	255
#define ITIP_MAX_ADDR	254

enum itip_method { ITIP_REQUEST, ITIP_CANCEL, ITIP_PUBLISH, ITIP_REPLY };

enum itip_partstat {
	ITIP_NEEDS_ACTION, ITIP_ACCEPTED, ITIP_DECLINED, ITIP_TENTATIVE,
	ITIP_DELEGATED, ITIP_PARTSTAT_OTHER
};

/* A wall-clock time: y-m-d h:m:s in zone tzid, or a date (all_day). */
struct itip_time {
	int year, month, day, hour, minute, second;
	bool all_day;
};

/* One event as we keep it.  Strings are UTF-8, borrowed by the builder. */
struct itip_event {
	const char *uid;		/* stable for the event's life */
	unsigned sequence;		/* 0, then +1 per update or cancel */
	const char *summary;
	const char *location;		/* may be NULL */
	const char *description;	/* may be NULL */
	const char *tzid;		/* IANA name, e.g. "Europe/Amsterdam";
					 * NULL for all-day events */
	struct itip_time start, end;
	const char *organizer_addr;	/* the office mailbox */
	const char *organizer_name;	/* may be NULL */
	bool cancelled;			/* STATUS:CANCELLED */
};

/* The one attendee of a message (REQUEST/CANCEL) or of a reply. */
struct itip_attendee {
	const char *addr;
	const char *name;		/* may be NULL */
	enum itip_partstat partstat;
	bool rsvp;
};

/* ---- building (itip.c, itip_tz.c) */

#define ITIP_MAX_NAME	256	/* CN of organizer or attendee (octets) */
#define ITIP_MAX_TZID	64	/* IANA names are at most ~32 characters */
#define ITIP_MAX_POSIX_TZ 256	/* a TZif footer line */
#define ITIP_MAX_PRODID	255
#define ITIP_MAX_OUTPUT	(256 * 1024)	/* one VCALENDAR we write */

/*
 * True when tzid looks like an IANA zone name we are willing to write
 * into a TZID parameter and to look up under /usr/share/zoneinfo: 1 to
 * ITIP_MAX_TZID characters from [A-Za-z0-9/_+-], no leading '/', no
 * "..", no empty path component.
 */
bool itip_tzid_valid(const char *tzid);

/*
 * Build the whole VCALENDAR of one message into *out (NUL-terminated,
 * owned by the caller; *len, when len is not NULL, gets its length).
 *
 * method: ITIP_REQUEST (att required; STATUS:CONFIRMED; ev->cancelled
 * must be false), ITIP_CANCEL (att required; STATUS:CANCELLED; SEQUENCE
 * must be at least 1 because a cancellation raises it) or ITIP_PUBLISH
 * (att must be NULL: no ATTENDEE; STATUS:CANCELLED when ev->cancelled).
 * ITIP_REPLY is refused: we never answer invitations.
 *
 * Times: all-day events (start.all_day and end.all_day, end date
 * exclusive and after the start date) are written as VALUE=DATE; their
 * tzid and vtimezone are not used.  Otherwise, with ev->tzid set, the
 * times are wall-clock times in that zone written with ;TZID= and
 * vtimezone must be itip_vtimezone()'s output for that same TZID; with
 * ev->tzid NULL they are UTC (written with Z) and vtimezone must be NULL.
 * Years 1970-2199; end after start.  dtstamp is the creation time of this
 * message (a fresh one per message, RFC 5545 §3.8.7.2).
 *
 * The attendee is written with PARTSTAT=att->partstat (not
 * ITIP_PARTSTAT_OTHER) and RSVP=TRUE when att->rsvp (RSVP is left out
 * otherwise: FALSE is the default); its address must differ from the
 * organizer's.  Every text is checked: valid UTF-8, no control
 * characters (description may hold line breaks), lengths within the
 * ITIP_MAX_* limits, addresses by addr_valid().  Output is CRLF, folded
 * at 75 octets between UTF-8 characters, without VALARM.
 *
 * Returns 0, or -1 with a message in err (*out untouched).
 */
int itip_build(enum itip_method method, const struct itip_event *ev,
    const struct itip_attendee *att, time_t dtstamp, const char *prodid,
    const char *vtimezone, char **out, size_t *len, char *err, size_t errlen);

/*
 * Turn a POSIX TZ string (the footer of a TZif v2+ file, e.g.
 * "CET-1CEST,M3.5.0,M10.5.0/3") into a compact VTIMEZONE for tzid: one
 * DAYLIGHT and one STANDARD sub-component starting in 1970 with open
 * yearly RRULEs (BYMONTH + BYDAY, e.g. -1SU or 2SU), or a single STANDARD
 * for a zone without DST ("JST-9", "<+07>-7", "UTC0").  The component
 * with the larger UTC offset is labelled DAYLIGHT (tzdata writes Irish
 * time with a negative DST; clients expect summer time to be DAYLIGHT).
 * Transition times outside 0-24 h ("/-1", "/26", "/50") become the
 * shifted weekday with BYMONTHDAY when that stays inside the month;
 * what cannot be written as such a rule (Jn and n day forms, a shift
 * across a month end such as Africa/Cairo's "M10.5.4/24", DST without
 * rules, offsets of 24 h or more) is refused with a message saying so.
 *
 * Pure.  *out (CRLF lines, from BEGIN:VTIMEZONE to END:VTIMEZONE\r\n)
 * is owned by the caller.  Returns 0, or -1 with a message in err.
 */
int itip_vtimezone(const char *tzid, const char *posix_tz, char **out,
    char *err, size_t errlen);

/*
 * Read /usr/share/zoneinfo/<tzid> (tzid must pass itip_tzid_valid), check
 * that it is a TZif file of version 2 or later, and copy its footer, the
 * POSIX TZ string between the final two newlines, into out (outlen
 * bytes, NUL-terminated).  A zone whose explicit transitions go on past
 * 2037 (Africa/Casablanca, Asia/Gaza: Ramadan changes listed to 2087) is
 * refused, because its footer does not describe those years.  The
 * module's only I/O.  Returns 0, or -1 with a message in err (unknown
 * zone, not TZif, no footer, too long, footer not the whole story).
 */
int itip_tz_posix(const char *tzid, char *out, size_t outlen, char *err,
    size_t errlen);

#endif
