/*
 * mimeenc: the header and body encoders of outgoing mail that libetpan
 * 1.9.4 lacks or gets wrong: RFC 2047 encoded words for unstructured
 * header values and display names (libetpan has no encoder and would
 * write UTF-8 raw), quoted-printable (its QP writer doubles the last
 * blank before a line break), CRLF normalisation of a text body and the
 * "may it go as 7bit" test.  compose uses them; compose_encode_header_word
 * in compose.h is the public face of mimeenc_header_word.
 *
 * Pure (L1): no I/O, clock, globals or logging, and no libetpan either:
 * everything here works on strings and struct buf.  Must not: parse or
 * decode mail, or build whole header fields (names, folding and the
 * message are compose's job).
 *
 * Ownership: input strings are borrowed; output is appended to the
 * caller's struct buf, or returned as a new string the caller frees.
 */
#ifndef HP_MIMEENC_H
#define HP_MIMEENC_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* True when s[0, len) is valid UTF-8 without NUL, and without CR and LF
 * unless lines is true.  Other controls pass: the encoders below turn
 * them into escapes.  Check input with this before encoding it. */
bool mimeenc_text_ok(const char *s, size_t len, bool lines);

/*
 * RFC 2047 encoding of one unstructured header value, with the contract
 * of compose_encode_header_word (compose.h): a copy of utf8 when it may
 * stand as it is, otherwise =?UTF-8?Q?...?= or =?UTF-8?B?...?= words
 * (whichever is shorter), the first at most 62 characters, the others at
 * most 75, split only between UTF-8 sequences, separated by single
 * spaces.  NULL when utf8 is NULL, not valid UTF-8, or holds CR or LF.
 * The caller frees the result.
 */
char *mimeenc_header_word(const char *utf8);

/*
 * Append the display name as an RFC 5322 phrase to b: as it is when it
 * is printable ASCII made of atoms; a quoted string (\ and " escaped)
 * when it is printable ASCII but not atoms ("Doe, John"); otherwise its
 * atoms as they are and each run of other words as encoded words (Q
 * words use the restricted set of RFC 2047 §5(3), valid in a phrase).
 * name must have passed mimeenc_text_ok(.., false).  Returns 0, or -1
 * when b reached its maximum (its content is then incomplete).
 */
int mimeenc_phrase(const char *name, struct buf *b);

/* Append s (NUL-terminated) to b with every line break -- CRLF, bare LF,
 * bare CR -- as CRLF (curl sends bytes as they are), then CRLF when b is
 * still empty or does not end in a line break.  Pass an empty b to get a
 * text that always ends in CRLF.  Returns 0, or -1 when b reached its
 * maximum. */
int mimeenc_crlf(const char *s, struct buf *b);

/* True when the CRLF-normalised text in b may be sent as 7bit: printable
 * ASCII and TAB only, lines of at most 78 octets (RFC 5322 §2.1.1). */
bool mimeenc_is_7bit(const struct buf *b);

/*
 * Append the quoted-printable encoding (RFC 2045 §6.7) of the
 * CRLF-normalised text s[0, len) to b: CRLF line breaks kept, lines of at
 * most 76 characters with soft breaks, a blank before a line break
 * encoded, "From " at the start of a line encoded so mbox writers leave
 * it alone.  Returns 0, or -1 when b reached its maximum.
 */
int mimeenc_qp(const char *s, size_t len, struct buf *b);

#endif
