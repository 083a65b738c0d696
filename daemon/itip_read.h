/*
 * itip_read: reads the iCalendar objects that come to us from outside,
 * with libical as the parser (notes/itip.md §2, §4 items 9-15).
 *
 *  - itip_read_reply: a METHOD:REPLY in any client's dialect (Exchange
 *    without ORGANIZER and with Windows TZIDs, Google with the note as an
 *    X-RESPONSE-COMMENT parameter full of HTML entities, Thunderbird
 *    echoing the whole event, Apple with LF line ends).
 *  - itip_read_event: the first VEVENT of a submitted .ics export
 *    (Outlook, Google, Thunderbird; METHOD:PUBLISH, REQUEST or none),
 *    its times brought to a wall clock in one IANA zone.
 *
 * Pure (L1): no logging, no store, no clock.  The one hidden I/O is
 * libical's own: its built-in zones are read from the system tzdata
 * (/usr/share/zoneinfo) the first time a zone is used.
 *
 * Must not: run icalrestriction_check as a gate (it rejects every Exchange
 * reply), expand recurrences, or hand libical more than ITIP_READ_MAX_INPUT
 * octets or deeper nesting than a calendar has (libical 3.0.16 has known
 * crashes on fuzzed input, notes/libraries.md §4).  Untrusted input should
 * still be read in the parser child, as every MIME part is.
 */
#ifndef HP_ITIP_READ_H
#define HP_ITIP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "itip.h"

#define ITIP_READ_MAX_INPUT	(1024 * 1024)	/* octets of .ics we parse */
#define ITIP_READ_MAX_NAME	256		/* a CN, octets with the NUL */
#define ITIP_READ_MAX_RECURID	64

/* What a REPLY says.  Every string is NUL-terminated valid UTF-8 without
 * control characters; "" when absent. */
struct itip_reply {
	enum itip_method method;		/* always ITIP_REPLY */
	char uid[ITIP_MAX_UID + 1];
	/* "YYYYMMDDTHHMMSSZ" when the RECURRENCE-ID could be placed in
	 * time (UTC, IANA or Windows TZID), "YYYYMMDD" for a date, else the
	 * value as written (floating or an unknown zone); "" when absent. */
	char recurrence_id[ITIP_READ_MAX_RECURID];
	unsigned sequence;		/* SEQUENCE, else X-MICROSOFT-CDO-
					 * APPT-SEQUENCE, else 0 */
	bool has_sequence;		/* false: neither was present */
	time_t dtstamp;			/* UTC; 0 when absent */
	/* The replying attendee: the address without "mailto:", local part
	 * as written, domain lower-cased, addr_valid() true. */
	char attendee_addr[ITIP_MAX_ADDR + 1];
	char attendee_name[ITIP_READ_MAX_NAME];	/* CN, may be "" */
	enum itip_partstat partstat;	/* absent → ITIP_NEEDS_ACTION;
					 * unknown → ITIP_PARTSTAT_OTHER */
	/* The note: COMMENT, else the ATTENDEE's X-RESPONSE-COMMENT (HTML
	 * entities decoded); line breaks become spaces, at most
	 * ITIP_MAX_TEXT octets, cut at a character boundary, invalid bytes
	 * replaced by U+FFFD. */
	char comment[ITIP_MAX_TEXT + 1];
	char organizer_addr[ITIP_MAX_ADDR + 1];	/* "" when absent (Exchange) */
};

/* A submitted event, owning its strings (all UTF-8, cleaned like the
 * reply's comment, DESCRIPTION keeping its line breaks as LF). */
struct itip_event_owned {
	char *uid;		/* NULL when the export had no UID */
	unsigned sequence;
	char *summary;		/* never NULL after success */
	char *location;		/* NULL when absent or empty */
	char *description;	/* NULL when absent or empty */
	char *tzid;		/* IANA name; NULL for an all-day event */
	/* Wall clock in tzid, or dates (all_day).  For an all-day event the
	 * end is exclusive as in RFC 5545 (a one-day event on the 12th ends
	 * on the 13th). */
	struct itip_time start, end;
	bool cancelled;		/* STATUS:CANCELLED */
};

/* Read a METHOD:REPLY from ics[0, len) (need not be NUL-terminated; CRLF
 * or LF; folded lines are joined at the octet level, so a fold inside a
 * UTF-8 sequence survives).  Exactly one ATTENDEE is required; of
 * several, the one whose PARTSTAT is not NEEDS-ACTION is taken when it is
 * the only such one.  The VEVENT's UID is required; ORGANIZER is optional.
 * Several VEVENTs (answers per instance) must share the UID; the first
 * is read.  Returns 0 and fills *out, or -1 with a one-line English
 * reason in err (e.g. "not a reply: METHOD:REQUEST"); *out is then
 * zeroed.  Bounded work for any input. */
int itip_read_reply(const char *ics, size_t len, struct itip_reply *out,
    char *err, size_t errlen);

/* Read the first VEVENT of a submitted .ics (METHOD PUBLISH, REQUEST or
 * none).  Times: UTC (Z) and floating times become default_tzid's wall
 * clock; TZID=<IANA name> (also libical/Mozilla prefixed forms) is kept;
 * TZID=<Windows name> is mapped to IANA (itip_read_windows_zone); any
 * other TZID needs its VTIMEZONE in the object and is converted through
 * it to default_tzid; VALUE=DATE gives an all-day event.  DTEND, else
 * DURATION, else one day (all-day) or the start.  Errors (one line,
 * English, fit for the submitter's answer): missing DTSTART or SUMMARY,
 * end before start, an unknown TZID, a recurring event (RRULE/RDATE: not
 * supported), not an iCalendar object.  default_tzid must be an IANA
 * name libical knows.  On success *out owns its strings (free them with
 * itip_event_owned_clear); on failure *out is zeroed. */
int itip_read_event(const char *ics, size_t len, const char *default_tzid,
    struct itip_event_owned *out, char *err, size_t errlen);

/* Free what *ev owns and zero it.  NULL and zeroed structs are fine. */
void itip_event_owned_clear(struct itip_event_owned *ev);

/* Fill *view with pointers borrowed from *ev (valid until it is cleared):
 * uid, sequence, summary, location, description, tzid, start, end,
 * cancelled.  The organizer fields are NULL: the office is the organizer
 * of every event we send, whoever exported the .ics. */
void itip_event_owned_view(const struct itip_event_owned *ev,
    struct itip_event *view);

/* The IANA zone for a Windows time zone name as Outlook/Exchange write
 * it in TZID ("W. Europe Standard Time" → "Europe/Berlin"), compared
 * case-insensitively; a trailing " 1", " 2" … (Outlook's duplicates) is
 * ignored.  NULL when the name is not in the table. */
const char *itip_read_windows_zone(const char *name);

#endif
