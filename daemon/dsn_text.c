/*
 * dsn_text: the parts of the dsn module that read free text rather than
 * RFC 3464 fields: dsn_guess_from_text for old-style bounces, and VERP
 * addresses.  Pure (L1), like dsn.c: no I/O, logging, clock or globals,
 * no allocation.
 *
 * The guesser is a heuristic by nature.  It keeps its false positives
 * down by reading only the bounce's own words (never the returned copy
 * of the original message, which could hold any code or address), by
 * preferring enhanced codes to bare reply codes, and by accepting a bare
 * code only where an SMTP reply is quoted (line start, after ":" or
 * "<<<"), so "port 587" or a date is never taken for a verdict.
 */
#include "dsn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "dsn_int.h"
#include "util.h"

/* Where the bounce stops talking and the copy of the original message
 * begins (its text could hold any code or address). */
static size_t
text_region_end(const char *s, size_t n)
{
	static const char *const markers[] = {
		"below this line is a copy of the message",
		"this is a copy of the message",
		"original message follows", "original message headers",
		"headers of the original message", "undelivered message headers",
		"message headers follow", "----- original message",
	};
	size_t best = n;

	for (size_t i = 0; i < HP_NELEM(markers); i++) {
		long at = dsn_span_find(s, best, markers[i]);

		if (at >= 0)
			best = (size_t)at;
	}
	return best;
}

/* A basic code where a reply is expected on the line s[0, n). */
static bool
basic_in_line(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		size_t b = i;

		if (!dsn_code_basic_at(s, n, i, out) || s[i] == '2' || i + 4 >= n ||
		    (unsigned char)s[i + 4] <= ' ')
			continue;
		while (b > 0 && dsn_is_blank(s[b - 1]))
			b--;
		if (b == 0 || s[b - 1] == ':' || s[b - 1] == '(' ||
		    s[b - 1] == '#' || (b >= 3 && strncmp(s + b - 3, "<<<", 3) == 0))
			return true;
	}
	return false;
}

/* The first line (before end) with a status code, enhanced codes first:
 * its start and end in *ls, *le.  -1 when there is none. */
static int
code_line_find(const char *s, size_t end, char *status, size_t *ls, size_t *le)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < end;) {
			const char *nl = memchr(s + i, '\n', end - i);
			size_t e = nl != NULL ? (size_t)(nl - s) : end;
			bool hit = pass == 0 ?
			    dsn_code_find(s + i, e - i, "45", status) >= 0 :
			    basic_in_line(s + i, e - i, status);

			if (hit) {
				*ls = i;
				*le = e;
				return 0;
			}
			i = e + 1;
		}
	}
	status[0] = '\0';
	return -1;
}

/* The first valid address in s[0, n) that is not a robot's. */
static bool
addr_in_span(const char *s, size_t n, char *out, size_t size)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~.";

	for (size_t a = 0; a < n; a++) {
		size_t l = a, r = a + 1, len;

		if (s[a] != '@')
			continue;
		while (l > 0 && (dsn_is_alnum(s[l - 1]) || (s[l - 1] != '\0' &&
		    strchr(atext, s[l - 1]) != NULL)))
			l--;
		while (l < a && s[l] == '.')
			l++;
		while (r < n && (dsn_is_alnum(s[r]) || s[r] == '-' || s[r] == '.'))
			r++;
		while (r > a + 1 && s[r - 1] == '.')
			r--;
		len = r - l;
		if (len >= size || len > 254 || l == a)
			continue;
		memcpy(out, s + l, len);
		out[len] = '\0';
		if (!addr_valid(out) || strncasecmp(out, "mailer-daemon@", 14) == 0 ||
		    strncasecmp(out, "postmaster@", 11) == 0)
			continue;
		dsn_lower_from(out + (a - l));
		return true;
	}
	out[0] = '\0';
	return false;
}

/* The recipient: on the code line [ls, le), else the nearest line above,
 * else the nearest below (up to end). */
static void
addr_near(const char *s, size_t ls, size_t le, size_t end, char *out, size_t size)
{
	size_t i, e;

	if (addr_in_span(s + ls, le - ls, out, size))
		return;
	for (e = ls; e > 0; e = i) {
		for (i = e - 1; i > 0 && s[i - 1] != '\n'; i--)
			;
		if (addr_in_span(s + i, e - i, out, size))
			return;
	}
	for (i = le + 1; i < end; i = e + 1) {
		const char *nl = memchr(s + i, '\n', end - i);

		e = nl != NULL ? (size_t)(nl - s) : end;
		if (addr_in_span(s + i, e - i, out, size))
			return;
	}
	out[0] = '\0';
}

/* The code line and its indented continuation lines, joined. */
static void
diag_from_lines(const char *s, size_t ls, size_t le, size_t end,
    char *out, size_t size)
{
	char v[DSN_FIELD_MAX];
	size_t n = 0;

	dsn_text_copy(v, sizeof(v), &n, s + ls, le - ls);
	for (int k = 0; k < 4 && le + 1 < end && dsn_is_blank(s[le + 1]); k++) {
		const char *nl;
		size_t i = le + 1, e;

		nl = memchr(s + i, '\n', end - i);
		e = nl != NULL ? (size_t)(nl - s) : end;
		while (i < e && dsn_is_blank(s[i]))
			i++;
		if (i == e || (e > i && s[e - 1] == '\r' && i == e - 1))
			break;
		dsn_text_copy(v, sizeof(v), &n, " ", 1);
		dsn_text_copy(v, sizeof(v), &n, s + i, e - i);
		le = e;
	}
	dsn_squeeze(hp_trim(v));
	dsn_utf8_copy(out, size, v);
}

static bool
text_says_delayed(const char *s, size_t n)
{
	static const char *const phrases[] = {
		"warning", "delayed", "not yet been delivered", "will be retried",
		"will retry", "still trying", "will continue",
	};

	for (size_t i = 0; i < HP_NELEM(phrases); i++)
		if (dsn_span_find(s, n, phrases[i]) >= 0)
			return true;
	return false;
}

int
dsn_guess_from_text(const char *text, size_t len, struct dsn_recipient *out)
{
	size_t end, ls = 0, le = 0;

	memset(out, 0, sizeof(*out));
	out->action = DSN_UNKNOWN;
	if (text == NULL)
		return -1;
	if (len > DSN_MAX_TEXT)
		len = DSN_MAX_TEXT;
	end = text_region_end(text, len);
	if (code_line_find(text, end, out->status, &ls, &le) == -1)
		return -1;
	diag_from_lines(text, ls, le, end, out->diagnostic,
	    sizeof(out->diagnostic));
	addr_near(text, ls, le, end, out->final_recipient,
	    sizeof(out->final_recipient));
	out->action = out->status[0] == '4' && text_says_delayed(text, end) ?
	    DSN_DELAYED : DSN_FAILED;
	dsn_recipient_judge(out);
	return 0;
}

/* ---- VERP ---- */

/* Split a base address: local part length and domain (after '@'). */
static int
base_split(const char *base, size_t *local_len, const char **domain)
{
	const char *at;

	if (base == NULL || !addr_valid(base) || (at = strrchr(base, '@')) == NULL)
		return -1;
	*local_len = (size_t)(at - base);
	*domain = at + 1;
	return 0;
}

static int
verp_fail(char *out, size_t outlen)
{
	if (outlen > 0)
		out[0] = '\0';
	return -1;
}

int
dsn_verp_encode(const char *bounce_base, const char *recipient, char *out,
    size_t outlen)
{
	const char *bdom, *at;
	size_t blen, n;
	int w;

	if (out == NULL || outlen == 0)
		return -1;
	if (base_split(bounce_base, &blen, &bdom) == -1 || recipient == NULL ||
	    !addr_valid(recipient) || (at = strrchr(recipient, '@')) == NULL)
		return verp_fail(out, outlen);
	w = snprintf(out, outlen, "%.*s-%.*s=%s@%s", (int)blen, bounce_base,
	    (int)(at - recipient), recipient, at + 1, bdom);
	if (w < 0 || (size_t)w >= outlen)
		return verp_fail(out, outlen);
	/* The recipient's domain, between the last '=' and the last '@'. */
	n = (size_t)w - strlen(bdom) - 1;
	for (char *d = strrchr(out, '='); d != NULL && d < out + n; d++)
		if (*d >= 'A' && *d <= 'Z')
			*d = (char)(*d + 32);
	if (!addr_valid(out))
		return verp_fail(out, outlen);
	return 0;
}

int
dsn_verp_decode(const char *bounce_base, const char *envelope_to, char *out,
    size_t outlen)
{
	const char *bdom, *at, *eq, *mid;
	size_t blen, n;
	int w;

	if (out == NULL || outlen == 0)
		return -1;
	if (base_split(bounce_base, &blen, &bdom) == -1 || envelope_to == NULL ||
	    strnlen(envelope_to, 1024) >= 1024 ||
	    (at = strrchr(envelope_to, '@')) == NULL ||
	    strcasecmp(at + 1, bdom) != 0 ||
	    strncasecmp(envelope_to, bounce_base, blen) != 0 ||
	    envelope_to[blen] != '-')
		return verp_fail(out, outlen);
	mid = envelope_to + blen + 1;
	for (eq = at; eq > mid && eq[-1] != '='; eq--)
		;
	if (eq == mid || eq - 1 == mid || eq == at)
		return verp_fail(out, outlen);
	n = (size_t)(eq - 1 - mid);
	w = snprintf(out, outlen, "%.*s@%.*s", (int)n, mid, (int)(at - eq), eq);
	if (w < 0 || (size_t)w >= outlen)
		return verp_fail(out, outlen);
	dsn_lower_from(out + n);
	if (!addr_valid(out))
		return verp_fail(out, outlen);
	return 0;
}

