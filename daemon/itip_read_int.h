/*
 * itip_read_int: what itip_read.c (input preparation, text, addresses,
 * replies) and itip_event_read.c (zones, submitted events) share.  Not for
 * other modules: they use itip_read.h.
 */
#ifndef HP_ITIP_READ_INT_H
#define HP_ITIP_READ_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libical/ical.h>

/* A parsed object: our unfolded copy of the input, libical's tree, and
 * the VCALENDAR in it (or the bare VEVENT when that was allowed). */
struct itip_read_doc {
	char *text;
	icalcomponent *root;
	icalcomponent *vcal;
};

/* Bound, unfold (octet level), check nesting, then parse.  A bare VEVENT
 * (no VCALENDAR around it) is accepted only when allow_bare.  Returns 0,
 * or -1 with err set; doc is always safe to free. */
int itip_read_parse(const char *ics, size_t len, bool allow_bare,
    struct itip_read_doc *doc, char *err, size_t errlen);
void itip_read_doc_free(struct itip_read_doc *doc);

/* The METHOD property of vcal as printable text into buf ("" when
 * absent). */
void itip_read_method(icalcomponent *vcal, char *buf, size_t size);

#define ITIP_CLEAN_ENTITIES	0x1	/* decode &amp; &#39; &#x27; … */
#define ITIP_CLEAN_UNESCAPE	0x2	/* RFC 5545 \\ \; \, \n */
#define ITIP_CLEAN_NEWLINES	0x4	/* keep line breaks (as LF) */

/* Copy in into out (size > 0) as valid UTF-8 without control characters:
 * invalid bytes become U+FFFD, CR/LF/TAB become one space (or LF with
 * ITIP_CLEAN_NEWLINES), leading and trailing blanks go; cut at a
 * character boundary when out is full.  in may be NULL (gives ""). */
void itip_read_clean(const char *in, char *out, size_t size, unsigned flags);

/* For error messages: at most 60 printable ASCII characters of s, other
 * bytes as '?'. */
void itip_read_printable(const char *s, char *out, size_t size);

/* An address from an ATTENDEE/ORGANIZER value: "mailto:" (any case)
 * stripped, blanks trimmed, domain lower-cased, addr_valid().  Returns
 * 0, or -1 (out is then ""). */
int itip_read_addr(const char *value, char *out, size_t size);

/* True when t is a real calendar date (and time, unless a date):
 * libical accepts month 30 or hour 99 as written. */
bool itip_read_time_ok(struct icaltimetype t);

/* A zone libical knows for a TZID as clients write it: an IANA name
 * (also behind a "/prefix/" as libical and Mozilla write it), "UTC" or
 * "GMT" (the UTC zone; iana gets ""), or a Windows name.  iana (size >=
 * ITIP_READ_ZONE_NAME) gets a copy of the IANA name: libical frees and
 * replaces a built-in zone's own name when it loads the zone.  NULL when
 * unknown. */
#define ITIP_READ_ZONE_NAME	72
icaltimezone *itip_read_known_zone(const char *tzid, char *iana,
    size_t size);

#endif
