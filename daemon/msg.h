/*
 * msg: one RFC 5322 message, reduced to what hanzepost acts on.  Pure
 * (L1): no I/O, no logging, no globals.
 *
 * msg_parse() turns raw bytes into a struct msg with libetpan's MIME
 * parser: the header fields classify needs, the body as UTF-8 text, and
 * the calendar and delivery-status parts.  libetpan 1.9.4 as Debian ships
 * it overflows the heap on `boundary="\""` and recurses without limit on
 * nested multiparts (notes/libraries.md findings 2 and 3), so msg_parse()
 * must only ever see untrusted bytes inside the parser child (parser.h).
 * The parent gets the result back through msg_encode()/msg_decode(); the
 * decoder trusts nothing, because its input comes from a process that
 * has just parsed hostile data.
 *
 * Guarantees of a parsed (or decoded) struct msg: every string is valid
 * UTF-8 within the limits below; header strings are unfolded and hold no
 * control characters; text, dsn_status and calendar hold no control
 * characters other than TAB and LF (line ends are LF).
 *
 * Must not: log, touch files or the network, or be called on untrusted
 * bytes outside the parser child.
 */
#ifndef HP_MSG_H
#define HP_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define MSG_RAW_MAX ((size_t)64 << 20)	/* biggest message msg_parse takes */
#define MSG_HEADER_MAX ((size_t)8 << 10)	/* any one header string */
#define MSG_TEXT_MAX ((size_t)1 << 20)	/* text: cut beyond this */
#define MSG_CALENDAR_MAX ((size_t)1 << 20)	/* calendar: cut beyond this */
#define MSG_DSN_MAX ((size_t)64 << 10)	/* dsn_status: cut beyond this */
#define MSG_AUTHRES_MAX 32	/* Authentication-Results kept (the first) */
#define MSG_DEPTH_MAX 20	/* MIME nesting we look into */
#define MSG_PARTS_MAX 200	/* MIME parts we look at */
/* Largest encoding msg_encode can produce and msg_decode accepts. */
#define MSG_ENCODED_MAX                                                    \
	(MSG_TEXT_MAX + MSG_CALENDAR_MAX + MSG_DSN_MAX +                   \
	    (16 + MSG_AUTHRES_MAX) * (MSG_HEADER_MAX + 4) + 64)

struct msg {
	char *message_id;	/* without <>, NULL when absent or malformed */
	char *from_addr;	/* addr-spec, domain lower-cased; NULL when absent/unparseable */
	char *from_name;	/* decoded display name (RFC 2047 → UTF-8), NULL when absent */
	char *reply_to;		/* first Reply-To addr-spec, NULL when absent */
	char *delivered_to;	/* envelope recipient: the first Delivered-To (else
				 * X-Original-To) addr-spec, domain lower-cased;
				 * NULL when absent */
	char *subject;		/* decoded UTF-8, NULL when absent */
	char *in_reply_to;	/* "<id> <id>", NULL when absent */
	char *references;	/* "<id> ...", NULL when absent; when too long the
				 * first and the most recent ids are kept */
	char *auto_submitted, *precedence, *list_id, *content_language;
				/* unfolded, NULL when absent */
	bool has_return_path;
	char *return_path;	/* inside the <>: "" for Return-Path: <>; NULL iff !has_return_path */
	char **authres;		/* every Authentication-Results value, unfolded, in order */
	size_t n_authres;
	char *text;		/* body text, never NULL ("" when none) */
	bool text_from_html;	/* text was converted from text/html */
	char *report_type;	/* multipart/report report-type, lower-cased, NULL otherwise */
	char *dsn_status;	/* the message/delivery-status part's text, NULL when absent */
	/* The Message-ID (without <>) of the first returned or forwarded
	 * message inside this one: a message/rfc822 part's header, or the
	 * text/rfc822-headers part of a delivery report.  NULL when none. */
	char *returned_message_id;
	char *calendar;		/* first text/calendar part or .ics attachment, NULL when none */
	char *calendar_method;	/* its Content-Type method=, upper-cased, NULL when absent */
	bool calendar_is_attachment;
	/* An application/ms-tnef part (Outlook's winmail.dat) was seen: its
	 * contents are Outlook's own format, which we do not read. */
	bool has_tnef;
	size_t raw_size;	/* bytes given to msg_parse */
};

/* Parse raw (len bytes, need not be NUL-terminated).  Returns 0 and sets
 * *out (free with msg_free), or -1 with a reason in err when the bytes are
 * not a message (empty, larger than MSG_RAW_MAX, no header field).
 * The body text is the first non-attachment text/plain or text/html part
 * in document order (within multipart/alternative text/plain wins; HTML
 * is converted with textconv); message/rfc822 parts are never the body.
 * Charsets are converted to UTF-8 (ISO-8859-1 and US-ASCII read as
 * Windows-1252, as mail clients do; bad bytes become U+FFFD).
 * UNSAFE ON UNTRUSTED INPUT outside the parser child: libetpan can be
 * made to overflow the heap or the stack (see the top of this file). */
int msg_parse(const char *raw, size_t len, struct msg **out, char *err,
    size_t errlen);

/* Free m and everything it owns; NULL is fine. */
void msg_free(struct msg *m);

/* Append the pipe encoding of m to out (version byte, then length-prefixed
 * fields).  Returns 0, or -1 when a field breaks the limits above (or
 * text is NULL) or out is full; out may then hold a partial encoding. */
int msg_encode(const struct msg *m, struct buf *out);

/* Decode data produced by msg_encode.  Returns 0 and sets *out (free with
 * msg_free), or -1 when the data is malformed in any way: wrong version,
 * truncated, trailing bytes, a length or count beyond the limits, invalid
 * UTF-8 or control characters where they are not allowed, or more than
 * MSG_ENCODED_MAX bytes.  Nothing is allocated on failure. */
int msg_decode(const char *data, size_t len, struct msg **out);

#endif
