/*
 * msg_charset: bytes in a mail's charset → clean UTF-8, for msg.c (see
 * msg_int.h).  Pure (L1).
 *
 * Windows-1252 (and ISO-8859-1 / US-ASCII, which mail clients use as its
 * labels) is decoded here with a table; every other label goes to iconv,
 * unless it contains characters no charset name has.  Nothing here
 * returns invalid UTF-8: bad bytes become U+FFFD.
 */
#include "msg_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#define CHARSET_NAME_MAX 40

/* Windows-1252 0x80-0x9F; 0 where the code page leaves a hole. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

bool
msg_utf8_ok(const char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if (hp_utf8_decode((const unsigned char *)s + i, n - i, &len) ==
		    HP_UTF8_BAD)
			return false;
		i += len;
	}
	return true;
}

static int
put_cp(struct buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80)
		return buf_putc(b, (char)cp);
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return buf_append(b, u, 2);
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return buf_append(b, u, 3);
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return buf_append(b, u, 4);
}

static uint32_t
cp1252_char(unsigned char c)
{
	if (c >= 0x80 && c < 0xa0)
		return cp1252_c1[c - 0x80] ? cp1252_c1[c - 0x80] : 0xfffd;
	return c;
}

void
msg_from_cp1252(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (put_cp(out, cp1252_char((unsigned char)s[i])) == -1)
			return;
}

/* Append s as clean UTF-8, stopping (on a character boundary) when out
 * is full.  Malformed bytes become U+FFFD; C1 controls become the
 * Windows-1252 character they stand for, because they come from
 * ISO-8859-1 labels on Windows-1252 text (RFC 2047 words included).
 * Headers lose line ends (unfolding) and control characters (TAB becomes
 * a space); text keeps TAB and LF and gets LF line ends. */
void
msg_clean(struct buf *out, const char *s, size_t n, enum msg_clean_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		uint32_t cp = hp_utf8_decode(p + i, n - i, &len);
		int r = 0;

		i += len;
		if (cp == HP_UTF8_BAD)
			cp = 0xfffd;
		else if (cp >= 0x80 && cp < 0xa0)
			cp = cp1252_char((unsigned char)cp);
		if (cp == '\r' && mode == MSG_CLEAN_TEXT && (i == n || p[i] != '\n'))
			cp = '\n';
		if (cp == '\t' && mode == MSG_CLEAN_HEADER)
			cp = ' ';
		if ((cp == '\n' || cp == '\t') && mode == MSG_CLEAN_TEXT)
			r = buf_putc(out, (char)cp);
		else if (cp < 0x20 || cp == 0x7f || cp == 0xfeff)
			continue;
		else
			r = put_cp(out, cp);
		if (r == -1)
			return;
	}
}

enum charset_kind { CS_UTF8, CS_GUESS, CS_1252, CS_ICONV };

/* Classify a charset label; name gets the normalised label for iconv.
 * Labels with characters outside [A-Za-z0-9._:-] never reach iconv_open
 * (no "//TRANSLIT" suffixes, no paths). */
static enum charset_kind
charset_kind(const char *cs, char *name, size_t size)
{
	static const char *const guess[] = { "us-ascii", "ascii", "us",
		"ansi_x3.4-1968", "iso646-us", "unknown-8bit", "x-unknown" };
	static const char *const w1252[] = { "iso-8859-1", "iso8859-1",
		"iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
		"windows-1252", "cp1252", "x-cp1252", "cp-1252" };
	size_t n = cs ? strlen(cs) : 0;

	if (n == 0 || n >= size || n > CHARSET_NAME_MAX)
		return CS_GUESS;
	for (size_t i = 0; i < n; i++) {
		char c = cs[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == ':'))
			return CS_GUESS;
		name[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	name[n] = '\0';
	if (strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0)
		return CS_UTF8;
	for (size_t i = 0; i < HP_NELEM(guess); i++)
		if (strcmp(name, guess[i]) == 0)
			return CS_GUESS;
	for (size_t i = 0; i < HP_NELEM(w1252); i++)
		if (strcmp(name, w1252[i]) == 0)
			return CS_1252;
	return CS_ICONV;
}

/* Returns -1 when iconv does not know the charset. */
static int
from_iconv(struct buf *out, const char *in, size_t n, const char *cs)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	char tmp[4096], *ip = (char *)in, *op;
	size_t il = n, ol, r;

	if (cd == (iconv_t)-1)
		return -1;
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		if (buf_append(out, tmp, (size_t)(op - tmp)) == -1)
			break;
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ or a sequence cut off at the end. */
			if (buf_append(out, "\xef\xbf\xbd", 3) == -1)
				break;
			ip++;
			il--;
		}
	}
	op = tmp;
	ol = sizeof(tmp);
	if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
		(void)buf_append(out, tmp, (size_t)(op - tmp));
	iconv_close(cd);
	return 0;
}

/* Bytes in charset cs (NULL = undeclared) → UTF-8 appended to out; the
 * result may still hold controls and bad bytes for clean(). */
void
msg_to_utf8(struct buf *out, const char *in, size_t n, const char *cs)
{
	char name[CHARSET_NAME_MAX + 1];
	enum charset_kind k = charset_kind(cs, name, sizeof(name));

	if (k == CS_UTF8)
		(void)buf_append(out, in, n);
	else if (k == CS_1252)
		msg_from_cp1252(out, in, n);
	else if (k == CS_ICONV && from_iconv(out, in, n, name) == 0)
		return;
	else if (msg_utf8_ok(in, n))	/* undeclared or unknown: guess */
		(void)buf_append(out, in, n);
	else
		msg_from_cp1252(out, in, n);
}
