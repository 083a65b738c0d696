/*
 * mimeenc: see mimeenc.h.
 *
 * Why these are ours and not libetpan's: libetpan 1.9.4 decodes RFC 2047
 * words but has no encoder (notes/libraries.md #14), and its QP writer
 * doubles the last blank before a line break ("a \r\n" becomes "a =20",
 * decoded "a  "; the "-- " signature separator would break).  compose
 * marks the body it gets from here as already encoded, so libetpan only
 * copies it.
 *
 * Encoded words are sized for libetpan's header folding: the first word
 * of a value must fit on the header's first line (EW_FIRST_MAX), and an
 * unbroken ASCII run longer than PLAIN_RUN_MAX cannot be folded at all,
 * so such a value is encoded even when it is plain ASCII.
 */
#include "mimeenc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define EW_MAX		75	/* RFC 2047 §2: an encoded word's length */
#define EW_OVERHEAD	12	/* "=?UTF-8?Q?" + "?=" */
#define EW_FIRST_MAX	62	/* the first word fits on "Subject: "'s line */
#define PLAIN_RUN_MAX	76	/* longer unbroken ASCII runs cannot be folded */
#define QP_LINE_MAX	76	/* RFC 2045 §6.7 (5) */
#define SEVENBIT_LINE_MAX 78	/* RFC 5322 §2.1.1 "SHOULD" */

bool
mimeenc_text_ok(const char *s, size_t len, bool lines)
{
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		/* Most text is ASCII: skip the decoder for it. */
		if (c > 0 && c < 0x80) {
			if (!lines && (c == '\r' || c == '\n'))
				return false;
			i++;
			continue;
		}
		uint32_t cp = hp_utf8_decode((const unsigned char *)s + i,
		    len - i, &n);
		if (cp == HP_UTF8_BAD || cp == '\0' ||
		    (!lines && (cp == '\r' || cp == '\n')))
			return false;
		i += n;
	}
	return true;
}

/* ---- RFC 2047 ---- */

/* RFC 2047 §5(3) (the strictest, valid in a phrase too), minus '=' and
 * '_', which mean something in Q. */
static bool
q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

static bool
needs_encoding(const char *s)
{
	size_t run = 0;
	bool first = true;

	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e || (c == '=' && p[1] == '?'))
			return true;
		if (c == ' ') {
			first = false;
			run = 0;
		} else if (++run > (first ? EW_FIRST_MAX : PLAIN_RUN_MAX))
			return true;
	}
	return false;
}

static int
b64_put(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int bad = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		bad |= buf_append(b, q, 4);
	}
	return bad;
}

static int
ew_put(struct buf *b, const char *s, size_t n, bool q)
{
	int bad = buf_puts(b, q ? "=?UTF-8?Q?" : "=?UTF-8?B?");

	if (!q)
		bad |= b64_put(b, (const unsigned char *)s, n);
	for (size_t i = 0; q && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ')
			bad |= buf_putc(b, '_');
		else if (q_safe(c))
			bad |= buf_putc(b, (char)c);
		else
			bad |= buf_printf(b, "=%02X", c);
	}
	return bad | buf_puts(b, "?=");
}

/* Encoded length of the word s[start, end) in the chosen encoding. */
static size_t
ew_payload(const char *s, size_t start, size_t end, bool q)
{
	size_t n = 0;

	if (!q)
		return (end - start + 2) / 3 * 4;
	for (size_t i = start; i < end; i++)
		n += s[i] == ' ' || q_safe((unsigned char)s[i]) ? 1 : 3;
	return n;
}

/* s[0, len) is valid UTF-8.  Words break only between UTF-8 sequences.
 * The first word may be shorter (first_max): libetpan folds before a
 * first word that does not fit on the header's first line, and that fold
 * would come back as a leading blank in the decoded Subject. */
static int
ew_encode(const char *s, size_t len, size_t first_max, struct buf *b)
{
	size_t start = 0, i = 0, max = first_max;
	bool q = ew_payload(s, 0, len, true) <= ew_payload(s, 0, len, false);
	int bad = 0;

	while (i < len) {
		size_t n = hp_utf8_seqlen((const unsigned char *)s + i);
		if (i > start && ew_payload(s, start, i + n, q) > max - EW_OVERHEAD) {
			max = EW_MAX;
			bad |= ew_put(b, s + start, i - start, q);
			bad |= buf_putc(b, ' ');
			start = i;
		}
		i += n;
	}
	if (len > start)
		bad |= ew_put(b, s + start, len - start, q);
	return bad;
}

/* A word that may stand unencoded in a phrase (RFC 5322 atom). */
static bool
phrase_atom(const char *s, size_t n)
{
	if (n > EW_FIRST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c)) ||
		    (c == '=' && i + 1 < n && s[i + 1] == '?'))
			return false;
	}
	return true;
}

/* A display name that needs encoding, as a phrase: atoms stay readable
 * and each run of other words becomes encoded words.  Runs are kept
 * whole because a blank between two encoded words is dropped by RFC 2047
 * §6.2 decoders but kept by Python's address parser (3.11): splitting
 * only inside long runs keeps ordinary names exact for both. */
static int
phrase_encode(const char *s, struct buf *b)
{
	const char *p = s, *run = NULL, *run_end = NULL;
	bool first = true;
	int bad = 0;

	for (;;) {
		size_t n;
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (run != NULL && (n == 0 || phrase_atom(p, n))) {
			if (!first)
				bad |= buf_putc(b, ' ');
			bad |= ew_encode(run, (size_t)(run_end - run),
			    first ? EW_FIRST_MAX : EW_MAX, b);
			first = false;
			run = NULL;
		}
		if (n == 0)
			break;
		if (phrase_atom(p, n)) {
			if (!first)
				bad |= buf_putc(b, ' ');
			bad |= buf_append(b, p, n);
			first = false;
		} else {
			if (run == NULL)
				run = p;
			run_end = p + n;
		}
		p += n;
	}
	return bad;
}


/* True when the name can stand as a phrase of atoms, unquoted. */
static bool
phrase_is_atoms(const char *s)
{
	for (;;) {
		size_t n;
		s += strspn(s, " ");
		if ((n = strcspn(s, " ")) == 0)
			return true;
		if (!phrase_atom(s, n))
			return false;
		s += n;
	}
}

char *
mimeenc_header_word(const char *utf8)
{
	struct buf b;
	size_t len;

	if (utf8 == NULL)
		return NULL;
	len = strlen(utf8);
	if (!mimeenc_text_ok(utf8, len, false))
		return NULL;
	if (!needs_encoding(utf8))
		return xstrdup(utf8);
	/* Q at worst triples a byte; a word (13 with its space) holds >= 4. */
	buf_init(&b, len * 7 + 64);
	if (ew_encode(utf8, len, EW_FIRST_MAX, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b, NULL);
}

int
mimeenc_phrase(const char *name, struct buf *b)
{
	int bad = 0;

	if (needs_encoding(name))
		bad |= phrase_encode(name, b);
	else if (phrase_is_atoms(name))
		bad |= buf_puts(b, name);
	else {
		/* "Doe, John": a quoted string, \ and " escaped. */
		bad |= buf_putc(b, '"');
		for (const char *p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				bad |= buf_putc(b, '\\');
			bad |= buf_putc(b, *p);
		}
		bad |= buf_putc(b, '"');
	}
	return bad;
}

/* ---- body ---- */

/* CRLF everywhere (bare LF and bare CR too: curl sends bytes as they
 * are, notes/libraries.md #15) and a final line break. */
int
mimeenc_crlf(const char *s, struct buf *b)
{
	int bad = 0;
	size_t i = 0, run;

	while (s[i] != '\0' && !bad) {
		run = strcspn(s + i, "\r\n");
		bad |= buf_append(b, s + i, run);
		i += run;
		if (s[i] == '\0')
			break;
		bad |= buf_append(b, "\r\n", 2);
		i += s[i] == '\r' && s[i + 1] == '\n' ? 2 : 1;
	}
	if (b->len == 0 || b->data[b->len - 1] != '\n')
		bad |= buf_append(b, "\r\n", 2);
	return bad;
}

bool
mimeenc_is_7bit(const struct buf *b)
{
	size_t col = 0;

	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '\r') {
			i++;	/* always followed by \n here */
			col = 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c >= 0x7f || ++col > SEVENBIT_LINE_MAX)
			return false;
	}
	return true;
}

/* RFC 2045 §6.7 over CRLF-normalised text: lines of at most 76
 * characters, blanks before a line break encoded, "From " at the start
 * of a line protected from mbox writers.  Output goes through a small
 * stack buffer: a newsletter copy is ~20 KB and this runs per copy. */
int
mimeenc_qp(const char *s, size_t len, struct buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	char out[4096];
	size_t col = 0, o = 0;
	int bad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool eol = i + 1 == len || s[i + 1] == '\r';
		bool lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !eol);
		if (o > sizeof(out) - 8) {
			bad |= buf_append(b, out, o);
			o = 0;
		}
		if (c == '\r') {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			i++;
			continue;
		}
		if (col + (lit ? 1 : 3) > QP_LINE_MAX - 1) {
			memcpy(out + o, "=\r\n", 3);
			o += 3;
			col = 0;
		}
		if (col == 0 && c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0)
			lit = false;
		if (lit) {
			out[o++] = (char)c;
			col++;
		} else {
			out[o++] = '=';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			col += 3;
		}
	}
	return bad | buf_append(b, out, o);
}
