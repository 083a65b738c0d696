/*
 * compose_mailing: one personalised newsletter copy (compose.h,
 * compose_mailing_message).  Pure (L1): no clock, randomness, I/O or
 * logging; must not decide who gets what (newsletter) nor send (mailer).
 *
 * The header is compose's own (compose_fields_build: From, To, Subject,
 * Date, Message-ID and every check), plus the list headers built here
 * as extra fields.  Why the pieces are as they are:
 *
 * - The boundary comes from the Message-ID, not from libetpan
 *   (mailmime_multiple_new() draws one from unseeded random(),
 *   notes/libraries.md #13): a message rebuilt after a crash must be
 *   byte-identical.  "=_" never occurs in quoted-printable, but a 7bit
 *   part is the text itself, so every candidate is checked against both
 *   encoded parts and a fixed-width ".NN" suffix tried when it occurs
 *   (fixed width: "X.1" would also be found inside "X.12").
 * - The unsubscribe address goes into a mailto: URI, where some
 *   characters an address may hold ('%', '/', '?', '#', '&', '=' ...)
 *   must be percent-encoded (RFC 6068 §2).
 * - No Return-Path header: the VERP address is the envelope sender, and
 *   the receiving server writes Return-Path from it (RFC 5321 §4.4).
 */
#include "compose.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "buf.h"
#include "compose_int.h"
#include "mimeenc.h"
#include "util.h"

#define BOUNDARY_PREFIX	"=_hp_"
#define BOUNDARY_TRIES	100	/* the base, then .01 .. .99 */
#define HDR_PAIRS	4	/* Precedence, List-Id, List-Unsubscribe(-Post) */

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* ---- boundary ---- */

/* FNV-1a, forwards or backwards, from a given basis. */
static uint64_t
fnv1a(const char *s, size_t n, uint64_t h, bool backwards)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[backwards ? n - 1 - i : i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

int
compose_boundary_for(const char *message_id, char *out, size_t outlen)
{
	size_t n;

	if (outlen > 0)
		out[0] = '\0';
	if (message_id == NULL || message_id[0] == '\0' ||
	    outlen < COMPOSE_BOUNDARY_MAX)
		return -1;
	n = strlen(message_id);
	snprintf(out, outlen, BOUNDARY_PREFIX "%016llx%016llx",
	    (unsigned long long)fnv1a(message_id, n, UINT64_C(0xcbf29ce484222325), false),
	    (unsigned long long)fnv1a(message_id, n, UINT64_C(0x84222325cbf29ce4), true));
	return 0;
}

static bool
occurs_in(const char *needle, const struct buf *b)
{
	return b->len > 0 && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/* The first candidate that occurs in neither encoded part. */
static int
boundary_pick(const char *message_id, const struct buf *text,
    const struct buf *html, char *out, size_t outlen)
{
	size_t n;

	if (compose_boundary_for(message_id, out, outlen) == -1 ||
	    (n = strlen(out)) + 4 > outlen)
		return -1;
	for (unsigned k = 0; k < BOUNDARY_TRIES; k++) {
		if (k > 0) {
			out[n] = '.';
			out[n + 1] = (char)('0' + k / 10);
			out[n + 2] = (char)('0' + k % 10);
			out[n + 3] = '\0';
		}
		if (!occurs_in(out, text) && !occurs_in(out, html))
			return 0;
	}
	return -1;
}

/* ---- the body ---- */

/* multipart/alternative: text first, HTML second (RFC 2046 §5.1.4: the
 * last part is the preferred one).  Bodies are borrowed, see
 * compose_int.h. */
static struct mailmime *
alternative_new(const char *message_id, const struct buf *text, bool text7,
    const struct buf *html, bool html7, char *err, size_t errlen)
{
	char boundary[COMPOSE_BOUNDARY_MAX], ctype[COMPOSE_BOUNDARY_MAX + 48];
	struct mailmime_content *content = NULL;
	struct mailmime_fields *mf = NULL;
	struct mailmime *mp = NULL, *part = NULL;
	clist *parts = NULL;

	if (boundary_pick(message_id, text, html, boundary, sizeof(boundary)) == -1) {
		hp_errf(err, errlen, "every multipart boundary candidate occurs in a part");
		return NULL;
	}
	snprintf(ctype, sizeof(ctype), "multipart/alternative; boundary=\"%s\"", boundary);
	if ((content = mailmime_content_new_with_str(ctype)) == NULL ||
	    (mf = mailmime_fields_new_empty()) == NULL || (parts = clist_new()) == NULL ||
	    (mp = mailmime_new(MAILMIME_MULTIPLE, NULL, 0, mf, content, NULL, NULL,
	    NULL, parts, NULL, NULL)) == NULL)
		goto fail;
	content = NULL;		/* all owned by mp now */
	mf = NULL;
	parts = NULL;
	if ((part = compose_part_new("text/plain; charset=UTF-8", text, text7)) == NULL ||
	    mailmime_smart_add_part(mp, part) != MAILIMF_NO_ERROR)
		goto fail;
	if ((part = compose_part_new("text/html; charset=UTF-8", html, html7)) == NULL ||
	    mailmime_smart_add_part(mp, part) != MAILIMF_NO_ERROR)
		goto fail;
	return mp;
fail:
	hp_errf(err, errlen, "out of memory");
	if (part != NULL)
		mailmime_free(part);
	if (mp != NULL)
		mailmime_free(mp);
	if (content != NULL)
		mailmime_content_free(content);
	if (mf != NULL)
		mailmime_fields_free(mf);
	if (parts != NULL)
		clist_free(parts);
	return NULL;
}

/* One part's text, encoded; the reason names the part. */
static int
part_encode(const char *what, const char *s, struct buf *out, bool *seven,
    char *err, size_t errlen)
{
	char why[200] = "";

	if (compose_body_build(s, out, seven, why, sizeof(why)) == -1)
		return hp_errf(err, errlen, "%s part: %s", what, why);
	return 0;
}

/* ---- list headers ---- */

/* RFC 2919 list id: a dot-atom with at least one dot. */
static bool
list_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COMPOSE_MAX_LIST_ID || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL || strchr(s, '.') == NULL)
		return false;
	return strspn(s, ALNUM ".!#$%&'*+-/=?^_`{|}~") == n;
}

/* An https URL made of RFC 3986 characters only: no blank, quote, <>,
 * control or non-ASCII, so it cannot leave its <...> or the header. */
static bool
url_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > COMPOSE_MAX_URL || strncasecmp(s, "https://", 8) != 0 ||
	    strcspn(s + 8, "/?#") == 0)
		return false;
	return strspn(s, ALNUM "-._~:/?#[]@!$&'()*+,;=%") == n;
}

/* "[phrase ]<list_id>" */
static int
list_id_render(const struct compose_mailing *cm, char **out, char *err, size_t errlen)
{
	const char *name = cm->list_name;
	struct buf b;
	int bad = 0;

	if (cm->list_id == NULL || !list_id_ok(cm->list_id))
		return hp_errf(err, errlen, "list id is missing or invalid");
	buf_init(&b, 4096);
	if (name != NULL && name[strspn(name, " \t")] != '\0') {
		if (strlen(name) > COMPOSE_MAX_NAME ||
		    !mimeenc_text_ok(name, strlen(name), false)) {
			buf_free(&b);
			return hp_errf(err, errlen, "list name is too long, "
			    "contains a line break or is not UTF-8");
		}
		bad |= mimeenc_phrase(name, &b);
		bad |= buf_putc(&b, ' ');
	}
	bad |= buf_printf(&b, "<%s>", cm->list_id);
	if (bad) {
		buf_free(&b);
		return hp_errf(err, errlen, "List-Id is too long");
	}
	*out = buf_release(&b, NULL);
	return 0;
}

/* "<mailto:addr>[, <https://...>]", the address percent-encoded where a
 * mailto URI needs it (RFC 6068 §2: some-chars). */
static int
unsubscribe_render(const struct compose_mailing *cm, char **out, char *err,
    size_t errlen)
{
	const char *addr = cm->unsubscribe_mailto;
	struct buf b;
	int bad = 0;

	if (addr == NULL || !addr_valid(addr))
		return hp_errf(err, errlen, "unsubscribe address is missing or invalid");
	if (cm->unsubscribe_https != NULL && !url_ok(cm->unsubscribe_https))
		return hp_errf(err, errlen, "unsubscribe URL is not a plain https URL");
	buf_init(&b, 4096);
	bad |= buf_puts(&b, "<mailto:");
	for (const char *p = addr; *p != '\0'; p++) {
		if (strchr(ALNUM "-._~!$'()*+,;:@", *p) != NULL)
			bad |= buf_putc(&b, *p);
		else
			bad |= buf_printf(&b, "%%%02X", (unsigned char)*p);
	}
	bad |= buf_putc(&b, '>');
	if (cm->unsubscribe_https != NULL)
		bad |= buf_printf(&b, ", <%s>", cm->unsubscribe_https);
	if (bad) {
		buf_free(&b);
		return hp_errf(err, errlen, "List-Unsubscribe is too long");
	}
	*out = buf_release(&b, NULL);
	return 0;
}

/* The header fields: compose's own plus the list headers as extras. */
static struct mailimf_fields *
mailing_fields(const struct compose_mailing *cm, char *err, size_t errlen)
{
	const char *pairs[2 * HDR_PAIRS];
	struct compose_text ct = { 0 };
	struct mailimf_fields *f = NULL;
	char *list_id = NULL, *unsub = NULL;
	size_t n = 0;

	if (list_id_render(cm, &list_id, err, errlen) == -1 ||
	    unsubscribe_render(cm, &unsub, err, errlen) == -1)
		goto fail;
	pairs[n++] = "Precedence";
	pairs[n++] = "bulk";
	pairs[n++] = "List-Id";
	pairs[n++] = list_id;
	pairs[n++] = "List-Unsubscribe";
	pairs[n++] = unsub;
	if (cm->unsubscribe_https != NULL) {
		pairs[n++] = "List-Unsubscribe-Post";
		pairs[n++] = "List-Unsubscribe=One-Click";
	}
	ct.from_name = cm->from_name;
	ct.from_addr = cm->from_addr;
	ct.to_name = cm->to_name;
	ct.to_addr = cm->to_addr;
	ct.subject = cm->subject;
	ct.message_id = cm->message_id;
	ct.date = cm->date;
	ct.tz_offset_minutes = cm->tz_offset_minutes;
	ct.auto_submitted = "auto-generated";	/* RFC 3834 §5 */
	ct.content_language = cm->content_language;
	ct.extra_headers = pairs;
	ct.n_extra_headers = n / 2;
	f = compose_fields_build(&ct, err, errlen);
fail:
	free(list_id);
	free(unsub);
	return f;
}

int
compose_mailing_message(const struct compose_mailing *cm, char **out,
    size_t *len, char *err, size_t errlen)
{
	struct mailimf_fields *fields = NULL;
	struct mailmime *body = NULL;
	struct buf text, html;
	bool text7 = false, html7 = false;
	int rc = -1;

	*out = NULL;
	*len = 0;
	buf_init(&text, COMPOSE_MAX_BODY);
	buf_init(&html, COMPOSE_MAX_BODY);
	if (cm->text == NULL) {
		hp_errf(err, errlen, "text part is missing");
		goto fail;
	}
	if ((fields = mailing_fields(cm, err, errlen)) == NULL ||
	    part_encode("text", cm->text, &text, &text7, err, errlen) == -1 ||
	    (cm->html != NULL &&
	    part_encode("HTML", cm->html, &html, &html7, err, errlen) == -1))
		goto fail;
	if (cm->html == NULL &&
	    (body = compose_part_new("text/plain; charset=UTF-8", &text, text7)) == NULL)
		hp_errf(err, errlen, "out of memory");
	else if (cm->html != NULL)
		body = alternative_new(cm->message_id, &text, text7, &html, html7,
		    err, errlen);
	if (body == NULL)
		goto fail;
	rc = compose_message_write(fields, body, out, len, err, errlen);
	fields = NULL;		/* taken by compose_message_write */
fail:
	if (fields != NULL)
		mailimf_fields_free(fields);
	buf_free(&text);
	buf_free(&html);
	return rc;
}
