/*
 * compose_int: the pieces of compose.c that compose_mailing.c reuses.
 * Internal to the compose module (compose.c, compose_mailing.c): other
 * modules use compose.h only.  Pure (L1) like the rest of compose.
 *
 * Ownership: compose_fields_build and compose_part_new return objects
 * the caller frees with mailimf_fields_free / mailmime_free unless it
 * hands them to compose_message_write, which takes both in every case.
 * A part does not copy its body: the struct buf must outlive the write.
 */
#ifndef HP_COMPOSE_INT_H
#define HP_COMPOSE_INT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct compose_text;
struct mailimf_fields;
struct mailmime;

/*
 * The header fields of ct: From, To, Date, Message-ID, In-Reply-To,
 * References, Subject, Auto-Submitted, Content-Language and the extra
 * headers, after every check of compose_text_message (addresses, ids,
 * CR/LF, lengths, reserved extra names).  ct->text is not looked at.
 * Returns NULL with a reason in err.
 */
struct mailimf_fields *compose_fields_build(const struct compose_text *ct,
    char *err, size_t errlen);

/*
 * The UTF-8 text (NULL = empty) CRLF-normalised and transfer-encoded,
 * appended to out: as it is when it may go as 7bit (*seven = true),
 * else quoted-printable.  Returns -1 with a reason in err when the text
 * is not UTF-8, holds NUL, or is too long (COMPOSE_MAX_BODY).
 */
int compose_body_build(const char *text, struct buf *out, bool *seven,
    char *err, size_t errlen);
/* compose_body_build for one part of several, the reason naming the part
 * ("text part: body is not valid UTF-8"). */
int compose_part_build(const char *what, const char *text, struct buf *out,
    bool *seven, char *err, size_t errlen);

/* A leaf part of type content_type ("text/html; charset=UTF-8") whose
 * body is the already encoded body (see compose_body_build); NULL when
 * out of memory. */
struct mailmime *compose_part_new(const char *content_type,
    const struct buf *body, bool seven);

/*
 * Write the message: fields, then part (a leaf or a multipart) as its
 * body, and check every line is CRLF-terminated and at most 998 octets.
 * Takes ownership of fields and part in every case.  On success *out is
 * the NUL-terminated message (caller frees) and *len its length.
 */
int compose_message_write(struct mailimf_fields *fields, struct mailmime *part,
    char **out, size_t *len, char *err, size_t errlen);

/* True when every line of s[0, len) ends in CRLF and is at most 998
 * octets (RFC 5322 §2.1.1): checked on every message we write. */
bool compose_lines_ok(const char *s, size_t len);

/* Does a candidate boundary occur in an encoded part?  One test per
 * message layout; arg is the layout's parts. */
typedef bool compose_boundary_taken_fn(const char *candidate, const void *arg);

/* The first of compose_boundary_for(seed), then it + ".01" .. ".99", that
 * taken() rejects for no part.  0, or -1 when none is free. */
int compose_boundary_pick(const char *seed, compose_boundary_taken_fn *taken,
    const void *arg, char *out, size_t outlen);

/* The List-Unsubscribe value "<mailto:ADDR>[, <HTTPS>]" (RFC 2369,
 * 8058) in *out (caller frees).  0, or -1 with err for an invalid
 * address, an https URL that is not plain, or a value too long. */
int compose_list_unsubscribe(const char *addr, const char *https,
    char **out, char *err, size_t errlen);

/* Append "<mailto:ADDR>" to b, percent-encoding what a mailto URI needs
 * (RFC 6068).  0, or -1 when b is full. */
int compose_mailto_put(struct buf *b, const char *addr);

#endif
