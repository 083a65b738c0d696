/*
 * compose: build outgoing RFC 5322 messages.  Pure (L1): no clock, no
 * randomness, no I/O, no logging.  The caller passes the Message-ID and
 * the date, so the same input always yields the same bytes (the outbox
 * stores them and may send them twice after a crash: same Message-ID).
 *
 * The output is a complete message ready for SMTP: every line ends in
 * CRLF and is at most 998 octets, headers are 7-bit (RFC 2047 encoded
 * words for non-ASCII), the body is text/plain; charset=UTF-8, 7bit when
 * it is pure ASCII with lines of at most 78 octets, quoted-printable
 * otherwise.  libetpan's MIME writer assembles and folds the header;
 * the RFC 2047 and quoted-printable encoders are our own (libetpan 1.9.4
 * has no RFC 2047 encoder, and its QP writer doubles trailing white
 * space before a line break — see compose.c).
 *
 * Every address passes addr_valid(); every header value taken from the
 * caller is checked for CR/LF and length, so a subject or display name
 * from an incoming mail cannot add a header line.
 *
 * Two kinds of message: a text/plain reply or notice (compose_text, in
 * compose.c) and one personalised newsletter copy (compose_mailing, in
 * compose_mailing.c): multipart/alternative text + HTML with the list
 * headers of RFC 2369/2919/8058, Precedence: bulk and Auto-Submitted:
 * auto-generated.  Neither writes Return-Path: the VERP address is the
 * SMTP envelope sender (MAIL FROM), and the receiving server adds the
 * header from it.
 */
#ifndef HP_COMPOSE_H
#define HP_COMPOSE_H

#include <stddef.h>
#include <time.h>

/* Limits (octets of UTF-8 input). */
#define COMPOSE_MAX_SUBJECT	998
#define COMPOSE_MAX_NAME	256
#define COMPOSE_MAX_MSGID	250
#define COMPOSE_MAX_BODY	(16u * 1024 * 1024)	/* encoded body */
#define COMPOSE_MAX_REFS	10	/* ids kept in References */

struct compose_text {
	const char *from_name, *from_addr;	/* display name may be NULL or non-ASCII */
	const char *to_name, *to_addr;
	const char *subject;		/* UTF-8, may be non-ASCII; NULL = empty */
	const char *message_id;		/* without <>, must contain '@' */
	time_t date;
	int tz_offset_minutes;		/* Date: rendered in this zone, e.g. +60 for CET */
	const char *in_reply_to;	/* without <>, NULL when none */
	/* The original message's References value (untrusted, may be NULL):
	 * the result is its ids + <in_reply_to>, at most COMPOSE_MAX_REFS
	 * (the first id, the thread root, is kept; the oldest of the rest
	 * are dropped).  Malformed ids in it are skipped. */
	const char *references;
	const char *auto_submitted;	/* e.g. "auto-replied"; NULL = omit */
	const char *content_language;	/* "nl"/"en" or NULL */
	const char *text;		/* UTF-8 body, LF or CRLF line ends */
	/* Extra header fields as name/value pairs (List-Id, List-Unsubscribe
	 * ...): names are header field names we do not generate ourselves,
	 * values printable ASCII without CR/LF. */
	const char *const *extra_headers;
	size_t n_extra_headers;		/* number of pairs */
};

/*
 * Build a text/plain message from ct.  On success returns 0 and sets
 * *out to the message (NUL-terminated, owned by the caller, free()) and
 * *len to its length.  Returns -1 with a one-line reason in err when an
 * address is invalid, a header value contains CR/LF or is too long or is
 * not UTF-8, the body is not UTF-8 or contains NUL, or the Date cannot
 * be represented.  Blanks: libetpan's header writer collapses runs of
 * blanks between plain (unencoded) words and drops leading/trailing
 * ones; text inside encoded words keeps them exactly.  The body always
 * ends with a line break; COMPOSE_MAX_BODY bounds it after encoding.
 */
int compose_text_message(const struct compose_text *ct, char **out, size_t *len,
    char *err, size_t errlen);

/*
 * RFC 2047 encoding of one unstructured header value or display name.
 * Returns a copy of utf8 when it is printable ASCII, contains no "=?"
 * and no run of non-blank characters longer than 76 (62 for the first,
 * which must fit on the line after "Subject: "); otherwise a sequence of
 * =?UTF-8?Q?...?= or =?UTF-8?B?...?= words (whichever is shorter), each
 * at most 75 characters (the first at most 62) and split only between
 * UTF-8 sequences, separated by single spaces.  Q words use the restricted character set
 * of RFC 2047 §5(3), so the result is also valid inside a phrase.
 * Returns NULL when utf8 is NULL, not valid UTF-8, or contains CR, LF.
 * The caller frees the result.
 */
char *compose_encode_header_word(const char *utf8);

/* ---- newsletters ---- */

#define COMPOSE_MAX_LIST_ID	255	/* RFC 2919 list identifier */
#define COMPOSE_MAX_URL		512	/* the https unsubscribe URL */
/* "=_hp_" + 32 hex digits, + ".NN" when a part holds it, + NUL. */
#define COMPOSE_BOUNDARY_MAX	48

struct compose_mailing {
	const char *from_name, *from_addr;	/* as in compose_text */
	const char *to_name, *to_addr;		/* the subscriber */
	const char *subject;		/* UTF-8; NULL = empty */
	const char *message_id;		/* without <>, must contain '@' */
	time_t date;
	int tz_offset_minutes;
	const char *content_language;	/* "nl"/"en" or NULL */
	const char *text;		/* text/plain part, UTF-8, required */
	const char *html;		/* text/html part, UTF-8; NULL = text only */
	/* List-Id: "<list_id>", or "list_name <list_id>" when list_name (a
	 * UTF-8 display phrase, RFC 2047 encoded when needed) is set.
	 * list_id is a dot-atom with at least one dot, e.g.
	 * "nieuwsbrief.hanze.example.org"; required. */
	const char *list_id;
	const char *list_name;
	/* The subscriber's own unsubscribe address (office+unsubscribe-TOKEN@
	 * ...), required: List-Unsubscribe: <mailto:...>.  With
	 * unsubscribe_https (an https:// URL without blanks, quotes or <>)
	 * also ", <https://...>" and List-Unsubscribe-Post:
	 * List-Unsubscribe=One-Click (RFC 8058). */
	const char *unsubscribe_mailto;
	const char *unsubscribe_https;
};

/*
 * Build one newsletter copy from cm.  With html: a multipart/alternative
 * body, text/plain; charset=UTF-8 first and text/html; charset=UTF-8
 * second; without: a single text/plain body.  Each part is 7bit when it
 * is ASCII with short lines, quoted-printable otherwise.  The header has
 * From, To, Date, Message-ID, Subject, Auto-Submitted: auto-generated,
 * Content-Language (when set), Precedence: bulk, List-Id,
 * List-Unsubscribe (+ List-Unsubscribe-Post), MIME-Version and
 * Content-Type; no Return-Path.  The multipart boundary is
 * compose_boundary_for(message_id), with ".01" .. ".99" appended when an
 * encoded part contains it, so the same cm always gives the same bytes.
 *
 * On success returns 0, *out is the message (NUL-terminated, owned by
 * the caller, free()) and *len its length.  Returns -1 with a one-line
 * reason in err for anything compose_text_message refuses, a missing
 * text, list_id or unsubscribe_mailto, an invalid list id, list name,
 * unsubscribe address or URL, or (only for contrived parts) when no
 * boundary candidate is free.
 */
int compose_mailing_message(const struct compose_mailing *cm, char **out,
    size_t *len, char *err, size_t errlen);

/* ---- newsletter copies around one shared body ---- */

/*
 * A part text that every copy of a mailing shares (the body),
 * checked, CRLF-normalised and encoded once, so that a copy costs only
 * its own few lines.  Quoted-printable of a concatenation equals the
 * concatenation of the pieces' encodings only when every piece is a
 * sequence of whole lines, so the shared body is used as encoded only
 * when the copy's frame puts it on lines of its own (see
 * compose_mailing_framed); any other copy is built the ordinary way.
 */
struct compose_shared;

/*
 * Keep a copy of text[0, len) and encode it once.  Never fails: a text
 * the fast path cannot take (not UTF-8, holding NUL, too long) is kept
 * as it is, and every copy then goes the ordinary way, which reports the
 * problem.  Free with compose_shared_free (NULL is fine).
 */
struct compose_shared *compose_shared_new(const char *text, size_t len);
void compose_shared_free(struct compose_shared *s);

/* One part of one copy: the copy's own text before and after the shared
 * body (UTF-8, NUL-terminated, borrowed). */
struct compose_frame {
	const char *pre, *post;
	const struct compose_shared *shared;
};

/*
 * compose_mailing_message for cm with the text part pre + shared + post
 * of *text and, when html is not NULL, the HTML part likewise
 * (cm->text and cm->html are ignored).  The result is byte for byte that
 * of compose_mailing_message with those concatenations, errors
 * included.  Fast when the shared text stands on whole lines: pre empty
 * or ending in LF, and post starting with LF; otherwise the texts are
 * concatenated and take the ordinary path.  Ownership as in
 * compose_mailing_message.
 */
int compose_mailing_framed(const struct compose_mailing *cm,
    const struct compose_frame *text, const struct compose_frame *html,
    char **out, size_t *len, char *err, size_t errlen);

/*
 * The multipart boundary for a message id: "=_hp_" and 32 lower-case
 * hex digits of two 64-bit FNV-1a hashes of message_id ("=_" cannot
 * occur in quoted-printable text).  Writes it to out and returns 0;
 * returns -1 (out set to "" when outlen > 0) when message_id is NULL or
 * empty or outlen < COMPOSE_BOUNDARY_MAX.
 */
int compose_boundary_for(const char *message_id, char *out, size_t outlen);

/*
 * Message-ID (without <>) from 16 random bytes and a domain:
 * "<32 lower-case hex digits>@domain".  Writes "" when the domain is
 * empty or not a plain host name, or out is too small (at least
 * 34 + strlen(domain) bytes are needed).
 */
void compose_message_id(const unsigned char rnd[16], const char *domain,
    char *out, size_t outlen);

/* ---- invitations (compose_invite.c) ---- */

#define COMPOSE_MAX_CALENDAR	(256 * 1024)	/* = ITIP_MAX_OUTPUT */

struct compose_invite {
	const char *from_name, *from_addr;	/* the office mailbox */
	const char *to_name, *to_addr;		/* the invited subscriber */
	const char *subject;		/* UTF-8; NULL = empty */
	const char *message_id;		/* without <>, must contain '@' */
	time_t date;
	int tz_offset_minutes;
	const char *content_language;	/* "nl"/"en" or NULL */
	const char *text;		/* text/plain, UTF-8, required */
	const char *html;		/* text/html, UTF-8; NULL = none */
	/* The VCALENDAR as itip_build wrote it (CRLF lines, UTF-8), sent
	 * byte for byte; its METHOD line must say method. */
	const char *calendar;
	size_t calendar_len;
	const char *method;		/* "REQUEST" or "CANCEL" */
	/* The subscriber's own unsubscribe address, required:
	 * List-Unsubscribe: <mailto:...> (the events list). */
	const char *unsubscribe_mailto;
};

/*
 * Build one invitation (or cancellation) copy in the shape of SPEC §7:
 *
 *   multipart/mixed
 *     multipart/alternative          (first child: Outlook 2007 looks
 *       text/plain; charset=UTF-8     nowhere else)
 *       text/html; charset=UTF-8     (when html is set)
 *       text/calendar; method=M; charset=UTF-8   base64
 *     application/ics; name="invite.ics"         base64,
 *       Content-Disposition: attachment; filename="invite.ics"
 *
 * Text and HTML are 7bit or quoted-printable as in compose_mailing_message;
 * both calendar parts are base64 (libetpan's writer, lines of 76), so no
 * relay re-wraps the CRLF and the 75-octet folding.  The header has From,
 * To, Date, Message-ID, Subject, Auto-Submitted: auto-generated,
 * Content-Language (when set) and List-Unsubscribe; no List-Id or
 * Precedence (an invitation is personal mail) and no Return-Path.  Both
 * boundaries derive from the Message-ID (the outer one is
 * compose_boundary_for(message_id)), so the same ci gives the same bytes.
 *
 * Returns 0 with *out (NUL-terminated, caller frees) and *len, or -1 with
 * a one-line reason in err: anything compose_text_message refuses, no
 * text, an unsupported method, a calendar that is empty, too long
 * (COMPOSE_MAX_CALENDAR), not UTF-8, holds NUL, does not begin with
 * BEGIN:VCALENDAR or whose METHOD differs from method, or an invalid
 * unsubscribe address.
 */
int compose_invite_message(const struct compose_invite *ci, char **out,
    size_t *len, char *err, size_t errlen);

#endif
