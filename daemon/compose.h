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

/*
 * Message-ID (without <>) from 16 random bytes and a domain:
 * "<32 lower-case hex digits>@domain".  Writes "" when the domain is
 * empty or not a plain host name, or out is too small (at least
 * 34 + strlen(domain) bytes are needed).
 */
void compose_message_id(const unsigned char rnd[16], const char *domain,
    char *out, size_t outlen);

#endif
