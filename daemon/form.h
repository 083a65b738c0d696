/*
 * form: reads the plain-text form and commands of SPEC §3 from a
 * message's Subject and UTF-8 body.  Pure (L1): no I/O, no logging, no
 * clock, no globals; the same input always gives the same result.
 *
 * The reader only reads and validates syntax: it does not know the
 * registry, so whether the sender may change the organisation, whether
 * the organisation exists, or what a missing Organisation line means is
 * for the caller (registry/access).  It never fails on content: every
 * problem goes into errors (the form must change nothing) or warnings
 * (reported, not fatal), in Dutch and English, with its body line number
 * (1-based, every body line counted, quoted ones too; 0 = the Subject or
 * the whole message).
 *
 * The module is form.c (lines, stop markers, keys), form_cmd.c (command
 * lines), form_field.c (registry values) and form_event.c (event
 * values), sharing the private form_int.h.
 *
 * Reading, in order, per body line:
 *   - stops at a signature ("-- " or "--"), "end"/"einde" alone, a reply
 *     separator ("-----Original Message-----" and Dutch variants with at
 *     least 3 dashes, 10+ underscores, "On ... wrote:" and "Op ...
 *     schreef ...:" on one line or wrapped onto a second, the Outlook
 *     header block "From:"+"Sent:" / "Van:"+"Verzonden:"), or after 2000
 *     lines / 256 KiB (with a warning);
 *   - ignores quoted lines (first non-blank character '>');
 *   - an indented line directly after a field line continues its value
 *     (joined with one space), unless it starts with a known key; an
 *     unindented prose line right after Description gets a warning (a
 *     mail client probably wrapped it);
 *   - "Key: value" with a known key (or alias) is a field; event keys
 *     (Event/Evenement, Start, End, Timezone, Location/Locatie, Audience,
 *     Event-Id) are known but not read by form_read: has_event_keys is
 *     set so the caller can route the mail to form_read_event (see
 *     "event forms" below; note that an event form's Description is read
 *     into description too);
 *   - a line that is a command (see below) is a command;
 *   - a "Key: value"-shaped line with an unknown key is a warning, with a
 *     suggestion when it is close to a known key; pasted mail headers
 *     (From, To, Subject, Date, Van, Aan, Onderwerp, ...) are not, nor
 *     is a "key" of three or more words ("Please find our details
 *     below:" is a sentence, not a misspelt key);
 *   - anything else is prose and ignored.
 *
 * Command lines.  The first word must be a command word (English or
 * Dutch, any case, no colon), the whole line at most 200 bytes, and the
 * arguments must fit the command, which is what keeps prose out:
 *   help/hulp, preview/voorbeeld: no arguments at all;
 *   show/toon: optional organisation name; remove/verwijder: required
 *     name.  A name is at most 10 words, does not end in ? ! , : ; and
 *     does not start with a pronoun or question word ("me", "us", "this",
 *     "what", "mij", "ons", "dit", "wat", ...), so "Show me the way" and
 *     "Remove me from the list" are prose (articles are allowed: "The
 *     Ocean Cleanup" and "Het Nationale Ballet" are names);
 *   subscribe/aanmelden: only words from {newsletter, nieuwsbrief,
 *     events, evenementen} and {nl, en}, at most one of each;
 *   unsubscribe/afmelden: optionally one list word (or all/alles);
 *   query/zoek: at least one KEY=VALUE, the first word must have one;
 *   confirm/bevestig, approve/goedkeuren: exactly one token;
 *     reject/afwijzen: a token and an optional reason.  A token is
 *     [A-Za-z0-9_-], 8..128 long, with a digit or at least 16 long;
 *   cancel/annuleer: exactly one event id ([A-Za-z0-9@._:-], 1..200,
 *     containing a digit).
 * The accepted risk: a bare "Help", "Toon" (also a first name) or
 * "Voorbeeld" on a line of its own is read as a command.  The Subject is
 * a command only when all of it is one, after any number of "Re:", "Aw:",
 * "Antw:", "Fwd:", "Fw:", "Doorst:" prefixes and "[list tag]"s.
 * Identical commands (same word and arguments) are kept once; at most 50.
 *
 * Field values (see SPEC §3): trimmed; "-" clears (NULL / empty list);
 * errors for an empty value, an unknown sector or kind, a website that is
 * not https (a bare host gets "https://", "http://" gets a hint), a
 * Contact without a valid address ("Name <email>", a bare address, or
 * leniently "Name email"), an unknown Active-in country (with a
 * suggestion in the form's language for the first 10), a scalar field
 * (everything but Contact and Active-in) given twice, "-"/"none" mixed
 * with entries, and values longer than the FORM_MAX_* limits below.
 * Duplicate Contact addresses and identical Active-in lines are kept
 * once, with a warning.  Active-in is COUNTRY[, CITY][; KIND][; NOTE]:
 * split on the first two ';' (the note may contain more), then the
 * longest comma-prefix that is a country wins, so "Korea, Republic of,
 * Seoul" works.  Problems are sorted by line.
 */
#ifndef HP_FORM_H
#define HP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "country.h"
#include "itip.h"
#include "model.h"

#define FORM_MAX_LINES		2000
#define FORM_MAX_BYTES		(256 * 1024)
#define FORM_MAX_COMMANDS	50
#define FORM_MAX_NAME		200	/* organisation, contact name, city */
#define FORM_MAX_DESCRIPTION	2000
#define FORM_MAX_INTERNSHIPS	1000
#define FORM_MAX_NOTE		500
#define FORM_MAX_WEBSITE	500
#define FORM_MAX_NETWORK	100	/* one network name */
#define FORM_MAX_NETWORKS	20
#define FORM_MAX_CONTACTS	20
#define FORM_MAX_ACTIVITIES	100
#define FORM_MAX_COMMAND_LINE	200

enum form_cmd {
	FORM_CMD_HELP,
	FORM_CMD_SHOW,
	FORM_CMD_SUBSCRIBE,
	FORM_CMD_UNSUBSCRIBE,
	FORM_CMD_QUERY,
	FORM_CMD_CONFIRM,
	FORM_CMD_APPROVE,
	FORM_CMD_REJECT,
	FORM_CMD_REMOVE,
	FORM_CMD_PREVIEW,
	FORM_CMD_CANCEL,
	FORM_CMD_ATTENDEES,	/* attendees/deelnemers EVENT-ID, as cancel */
};

struct form_command {
	enum form_cmd cmd;
	char *args;	/* rest of the line, trimmed; NULL if none */
	int line;	/* 0 = Subject */
};

enum form_field_bit {
	FORM_F_SECTOR = 1 << 0,
	FORM_F_WEBSITE = 1 << 1,
	FORM_F_DESCRIPTION = 1 << 2,
	FORM_F_CONTACTS = 1 << 3,
	FORM_F_ACTIVITIES = 1 << 4,
	FORM_F_INTERNSHIPS = 1 << 5,
	FORM_F_NETWORKS = 1 << 6,
};

struct form {
	enum lang lang;
	bool lang_detected;	/* false: no (or tied) hints, default_lang used */
	char *organisation;	/* NULL when no (valid) Organisation line */
	int organisation_line;	/* 0 when no Organisation line */
	/* Fields were given but no Organisation line.  Not an error of the
	 * reader: a sender who is the contact of exactly one organisation
	 * may leave it out; the caller decides. */
	bool organisation_missing;
	bool has_event_keys;	/* an Event/Start/... key was seen */
	/* FORM_F_* bits of the fields given, valid or not: the values
	 * below are only meaningful when errors.n == 0. */
	unsigned present;
	enum sector sector;	/* valid with FORM_F_SECTOR; NONE = cleared */
	char *website;		/* https URL; NULL = cleared */
	char *description;	/* NULL = cleared */
	char *internships;	/* NULL = cleared / none offered */
	char **networks;
	size_t n_networks;
	struct contact *contacts;
	size_t n_contacts;
	struct activity *activities;	/* in the order of the form */
	size_t n_activities;
	struct form_command *commands;	/* in order: Subject first */
	size_t n_commands;
	struct problems errors;		/* make the form fail */
	struct problems warnings;	/* reported, not fatal */
	size_t n_lines_read;	/* body lines before the stop marker/limit */
};

/* Read subject (may be NULL) and body[0..body_len) (UTF-8, LF or CRLF;
 * body may be NULL when body_len is 0).  default_lang is used when the
 * text gives no hint.  countries may be NULL: then only two-letter codes
 * are accepted as Active-in countries, unchecked.  Never fails on
 * content.  Returns a new form the caller frees with form_free. */
struct form *form_read(const char *subject, const char *body,
    size_t body_len, enum lang default_lang,
    const struct country_db *countries);

/* Free a form and everything it owns; NULL is allowed. */
void form_free(struct form *f);

/* True when the form has any field (Organisation or a FORM_F_* field). */
bool form_has_fields(const struct form *f);

/* The command word ("help", "show", ...) in lang. */
const char *form_cmd_name(enum form_cmd cmd, enum lang lang);

/* ---- event forms (form_event.c)
 *
 * An event form (SPEC §3 "Events") is read line by line exactly as a
 * registry form (same stop markers, quoting, continuation lines, limits,
 * unknown-key warnings); only the values differ.  Like form_read, the
 * reader checks syntax only: whether the Timezone exists, whether the
 * Event-Id names an event the sender may change, whether Start lies in
 * the past, and who approves are the caller's (events service) checks.
 *
 * Fields (keys case-insensitive, each at most once):
 *   Event / Evenement   the title; required.
 *   Start               required: "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM"
 *                       or, the Dutch habit, "DD-MM-YYYY HH:MM"; day and
 *                       month may have one digit, the time "H:MM" or
 *                       "HH.MM", and a trailing "uur" is allowed.  A date
 *                       alone is an all-day event.
 *   End                 the same shapes, or a time alone ("17:00") for the
 *                       day of Start.  An all-day End is inclusive as
 *                       written (a one-day event has End = Start) and kept
 *                       so: the caller makes it exclusive for iCalendar.
 *                       Missing: Start + 2 hours, or the day of Start for
 *                       an all-day event, with a warning.  Start and End
 *                       must both be dates or both have a time; a timed
 *                       End must be after Start, an all-day End not
 *                       before it.  Years 2000..2100, real calendar dates
 *                       (leap years counted), 00:00..23:59; seconds are 0.
 *   Timezone            an IANA zone name, syntax only: [A-Za-z0-9/_+-],
 *                       1..FORM_MAX_TZID, no "..", "//", leading or
 *                       trailing "/".  "-" or absent: NULL (the caller
 *                       uses the configured zone).
 *   Location / Locatie, Description / Omschrijving: free text; "-" = none.
 *   Audience            "all" (alle, iedereen, everyone), "sector S" (S as
 *                       model_sector_parse reads it, English or Dutch),
 *                       "country C" / "land C" (C an ISO code or an
 *                       English or Dutch name; a near miss gets a
 *                       suggestion), "network N" / "netwerk N" (one name
 *                       without commas).  Normalised to "all", "sector
 *                       <canonical English name>", "country CC" or
 *                       "network N", the form store_event keeps.  Absent:
 *                       "all".
 *   Event-Id            the UID of an earlier event this form updates:
 *                       [A-Za-z0-9@._:-], 1..FORM_MAX_EVENT_ID.
 * Registry fields (Organisation, Sector, Website, Contact, Active-in,
 * Internships, Networks) in an event form are ignored with a warning
 * each.  Commands in the text are not reported here (form_read reads
 * them).  Problems: errors make the event unusable, warnings do not;
 * both in Dutch and English, with 1-based body line numbers (0 = the
 * form as a whole, e.g. a missing field), sorted by line. */

#define FORM_MAX_EVENT_TITLE	200
#define FORM_MAX_EVENT_LOCATION	300
#define FORM_MAX_EVENT_ID	200
#define FORM_MAX_TZID		64
#define FORM_EVENT_DEFAULT_HOURS 2	/* length of a timed event without End */

enum form_event_bit {
	FORM_EV_TITLE = 1 << 0,
	FORM_EV_START = 1 << 1,
	FORM_EV_END = 1 << 2,
	FORM_EV_TIMEZONE = 1 << 3,
	FORM_EV_LOCATION = 1 << 4,
	FORM_EV_DESCRIPTION = 1 << 5,
	FORM_EV_AUDIENCE = 1 << 6,
	FORM_EV_ID = 1 << 7,
};

struct event_form {
	/* FORM_EV_* bits of the fields given, valid or not.  The values
	 * below are only meaningful when errors.n == 0. */
	unsigned present;
	char *title;
	struct itip_time start;		/* all_day: a date, times 0 */
	struct itip_time end;		/* all_day: inclusive, as written */
	bool end_default;		/* End was absent and filled in */
	char *tzid;		/* NULL: the caller's configured zone */
	char *location;		/* NULL when absent or "-" */
	char *description;	/* NULL when absent or "-" */
	char *audience;		/* normalised; never NULL after reading */
	enum sector sector;	/* of a "sector S" audience; else NONE */
	char *event_id;		/* NULL: a new event */
	struct problems errors;
	struct problems warnings;
	size_t n_lines_read;	/* body lines before the stop marker/limit */
};

/* Read the event form in subject (may be NULL; only read for commands,
 * which are not reported here) and body[0..len) (UTF-8, LF or CRLF; body
 * may be NULL when len is 0) into out, which need not be initialised.
 * countries may be NULL: then only two-letter codes are accepted as
 * audience countries, unchecked.  Never fails on content.  Returns 0
 * when out has no errors, -1 when it has (listed in out->errors); out
 * must be freed with event_form_clear either way. */
int form_read_event(const char *subject, const char *body, size_t len,
    const struct country_db *countries, struct event_form *out);

/* Free what ev owns and zero it; NULL is allowed. */
void event_form_clear(struct event_form *ev);

#endif
