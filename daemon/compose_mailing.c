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

int
compose_mailto_put(struct buf *b, const char *addr)
{
	int bad = buf_puts(b, "<mailto:");

	for (const char *p = addr; *p != '\0'; p++) {
		if (strchr(ALNUM "-._~!$'()*+,;:@", *p) != NULL)
			bad |= buf_putc(b, *p);
		else
			bad |= buf_printf(b, "%%%02X", (unsigned char)*p);
	}
	return bad | buf_putc(b, '>');
}

int
compose_boundary_pick(const char *message_id, compose_boundary_taken_fn *taken,
    const void *arg, char *out, size_t outlen)
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
		if (!taken(out, arg))
			return 0;
	}
	return -1;
}

/* arg: the two encoded parts, struct buf[2]. */
static bool
bufs_taken(const char *candidate, const void *arg)
{
	const struct buf *parts = arg;

	return occurs_in(candidate, &parts[0]) || occurs_in(candidate, &parts[1]);
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
	const struct buf both[2] = { *text, *html };

	if (compose_boundary_pick(message_id, bufs_taken, both, boundary,
	    sizeof(boundary)) == -1) {
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

int
compose_list_unsubscribe(const char *addr, const char *https, char **out,
    char *err, size_t errlen)
{
	struct buf b;
	int bad = 0;

	if (addr == NULL || !addr_valid(addr))
		return hp_errf(err, errlen, "unsubscribe address is missing or invalid");
	if (https != NULL && !url_ok(https))
		return hp_errf(err, errlen, "unsubscribe URL is not a plain https URL");
	buf_init(&b, 4096);
	bad |= compose_mailto_put(&b, addr);
	if (https != NULL)
		bad |= buf_printf(&b, ", <%s>", https);
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
	    compose_list_unsubscribe(cm->unsubscribe_mailto,
	    cm->unsubscribe_https, &unsub, err, errlen) == -1)
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
	    compose_part_build("text", cm->text, &text, &text7, err, errlen) == -1 ||
	    (cm->html != NULL &&
	    compose_part_build("HTML", cm->html, &html, &html7, err, errlen) == -1))
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

/* ---- copies around a shared body (compose_mailing_framed) ----
 *
 * Why the pieces may be encoded apart: CRLF normalisation, the 7bit test
 * and quoted-printable all start afresh after a CRLF, so when a copy's
 * text is pre + body + post with pre ending in LF and post starting with
 * LF, it is the concatenation of three whole-line pieces: pre, body + LF
 * (encoded once, here) and post without its first LF.  The whole is 7bit
 * exactly when every piece is.  No boundary candidate can straddle two
 * pieces (it holds no CR or LF; each piece ends in CRLF), and none can
 * occur in quoted-printable at all ("=_" never does).  The message is
 * then laid out as libetpan's mailmime_write_mem lays it out for
 * compose_mailing_message; tests/unit/test_compose.c holds the two to the
 * same bytes.
 */

struct compose_shared {
	char *raw;		/* the text as given, for the ordinary path */
	size_t raw_len;
	bool usable;		/* valid and small enough for the fast path */
	bool seven;		/* norm may go as 7bit */
	bool prefix_in_norm;	/* BOUNDARY_PREFIX occurs in norm */
	struct buf norm;	/* CRLF-normalised raw + LF */
	struct buf qp;		/* quoted-printable of norm */
};

struct compose_shared *
compose_shared_new(const char *text, size_t len)
{
	struct compose_shared *s = xcalloc(1, sizeof(*s));
	char *lined = NULL;

	s->raw = xstrndup(text, len);
	s->raw_len = len;
	buf_init(&s->norm, COMPOSE_MAX_BODY);
	buf_init(&s->qp, COMPOSE_MAX_BODY);
	if (strlen(s->raw) != len || len > COMPOSE_MAX_BODY / 2 ||
	    !mimeenc_text_ok(text, len, true))
		return s;
	lined = xasprintf("%s\n", s->raw);
	if (mimeenc_crlf(lined, &s->norm) == -1 ||
	    mimeenc_qp(s->norm.data, s->norm.len, &s->qp) == -1)
		goto done;
	s->seven = mimeenc_is_7bit(&s->norm);
	s->prefix_in_norm = occurs_in(BOUNDARY_PREFIX, &s->norm);
	s->usable = true;
done:
	free(lined);
	return s;
}

void
compose_shared_free(struct compose_shared *s)
{
	if (s == NULL)
		return;
	free(s->raw);
	buf_free(&s->norm);
	buf_free(&s->qp);
	free(s);
}

/* One part of one copy, encoded: pre and post its own, mid shared. */
struct framed_part {
	struct buf pre, post;
	const struct buf *mid;
	bool seven, mid_may_hold;	/* mid may hold a boundary candidate */
};

static void
framed_part_init(struct framed_part *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->pre, COMPOSE_MAX_BODY);
	buf_init(&p->post, COMPOSE_MAX_BODY);
}

static void
framed_part_free(struct framed_part *p)
{
	buf_free(&p->pre);
	buf_free(&p->post);
}

/* s CRLF-normalised into b; nothing for "" (mimeenc_crlf would add a
 * line break that the whole text does not have). */
static int
piece_norm(const char *s, size_t n, struct buf *b)
{
	if (n == 0)
		return 0;
	if (!mimeenc_text_ok(s, n, true))
		return -1;
	return mimeenc_crlf(s, b);
}

/* Quoted-printable of b, in place. */
static int
piece_qp(struct buf *b)
{
	struct buf q;

	if (b->len == 0)
		return 0;
	buf_init(&q, COMPOSE_MAX_BODY);
	if (mimeenc_qp(b->data, b->len, &q) == -1) {
		buf_free(&q);
		return -1;
	}
	buf_free(b);
	*b = q;
	return 0;
}

/* Encode f into p: 0, or 1 when f does not fit the fast path (the
 * caller then takes the ordinary one, which gives the same bytes or the
 * same error). */
static int
framed_part_encode(const struct compose_frame *f, struct framed_part *p)
{
	const struct compose_shared *sh = f->shared;
	size_t npre = strlen(f->pre), npost = strlen(f->post);

	if (!sh->usable || (npre > 0 && f->pre[npre - 1] != '\n') ||
	    f->post[0] != '\n' ||
	    npre + sh->raw_len + npost > COMPOSE_MAX_BODY / 2)
		return 1;
	if (piece_norm(f->pre, npre, &p->pre) == -1 ||
	    piece_norm(f->post + 1, npost - 1, &p->post) == -1)
		return 1;
	p->seven = sh->seven && mimeenc_is_7bit(&p->pre) &&
	    mimeenc_is_7bit(&p->post);
	p->mid = p->seven ? &sh->norm : &sh->qp;
	p->mid_may_hold = p->seven && sh->prefix_in_norm;
	if (!p->seven && (piece_qp(&p->pre) == -1 || piece_qp(&p->post) == -1))
		return 1;
	if (p->pre.len + p->mid->len + p->post.len > COMPOSE_MAX_BODY)
		return 1;
	return 0;
}

/* arg: the two encoded parts, struct framed_part[2]. */
static bool
framed_taken(const char *candidate, const void *arg)
{
	const struct framed_part *parts = arg;

	for (int i = 0; i < 2; i++)
		if (occurs_in(candidate, &parts[i].pre) ||
		    occurs_in(candidate, &parts[i].post) ||
		    (parts[i].mid_may_hold && occurs_in(candidate, parts[i].mid)))
			return true;
	return false;
}

/* ---- the layout of mailmime_write_mem ---- */

#define SEG_MAX		12
#define SEP_MAX		(2 * COMPOSE_BOUNDARY_MAX + 160)

/* The message as a list of byte ranges, copied out in one allocation. */
struct layout {
	struct { const char *p; size_t n; } seg[SEG_MAX];
	size_t n;
	char open[SEP_MAX], mid[SEP_MAX], close[SEP_MAX];
};

static void
seg_add(struct layout *l, const char *p, size_t n)
{
	l->seg[l->n].p = p;
	l->seg[l->n].n = n;
	l->n++;
}

/* The part header after what snprintf already put in dst, then the
 * part's pieces. */
static void
layout_part(struct layout *l, char *dst, size_t used, const char *type,
    const struct framed_part *p)
{
	snprintf(dst + used, SEP_MAX - used, "Content-Type: %s; "
	    "charset=\"UTF-8\"\r\nContent-Transfer-Encoding: %s\r\n\r\n", type,
	    p->seven ? "7bit" : "quoted-printable");
	seg_add(l, dst, strlen(dst));
	seg_add(l, p->pre.data, p->pre.len);
	seg_add(l, p->mid->data, p->mid->len);
	seg_add(l, p->post.data, p->post.len);
}

/* After the header fields: MIME-Version, then the text part alone or
 * the multipart/alternative of both, as libetpan writes them. */
static void
layout_body(struct layout *l, const char *boundary,
    const struct framed_part *text, const struct framed_part *html)
{
	int n = 0;

	seg_add(l, "MIME-Version: 1.0\r\n", 19);
	if (html != NULL)
		n = snprintf(l->open, SEP_MAX, "Content-Type: multipart/"
		    "alternative; \r\n boundary=\"%s\"\r\n\r\n--%s\r\n", boundary,
		    boundary);
	layout_part(l, l->open, (size_t)n, "text/plain", text);
	if (html == NULL)
		return;
	n = snprintf(l->mid, SEP_MAX, "\r\n--%s\r\n", boundary);
	layout_part(l, l->mid, (size_t)n, "text/html", html);
	snprintf(l->close, SEP_MAX, "\r\n--%s--\r\n", boundary);
	seg_add(l, l->close, strlen(l->close));
}

/* Header fields by libetpan's writer (it folds them), then the body. */
static int
framed_write(struct mailimf_fields *fields, const char *boundary,
    const struct framed_part *text, const struct framed_part *html,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct layout l;
	MMAPString *mem = NULL;
	size_t total = 0;
	char *p;
	int col = 0;

	if ((mem = mmap_string_new("")) == NULL)
		return hp_errf(err, errlen, "out of memory");
	if (mailimf_fields_write_mem(mem, &col, fields) != MAILIMF_NO_ERROR ||
	    !compose_lines_ok(mem->str, mem->len)) {
		mmap_string_free(mem);
		return hp_errf(err, errlen, "could not write the message");
	}
	l.n = 0;
	seg_add(&l, mem->str, mem->len);
	layout_body(&l, boundary, text, html);
	for (size_t i = 0; i < l.n; i++)
		total += l.seg[i].n;
	*out = p = xmalloc(total + 1);
	for (size_t i = 0; i < l.n; i++) {
		if (l.seg[i].n > 0)
			memcpy(p, l.seg[i].p, l.seg[i].n);
		p += l.seg[i].n;
	}
	*p = '\0';
	*len = total;
	mmap_string_free(mem);
	return 0;
}

/* The ordinary path: the texts concatenated. */
static int
framed_slow(const struct compose_mailing *cm, const struct compose_frame *text,
    const struct compose_frame *html, char **out, size_t *len, char *err,
    size_t errlen)
{
	struct compose_mailing whole = *cm;
	char *t = NULL, *h = NULL;
	int rc;

	whole.text = t = xasprintf("%s%s%s", text->pre, text->shared->raw,
	    text->post);
	whole.html = html == NULL ? NULL : (h = xasprintf("%s%s%s", html->pre,
	    html->shared->raw, html->post));
	rc = compose_mailing_message(&whole, out, len, err, errlen);
	free(t);
	free(h);
	return rc;
}

int
compose_mailing_framed(const struct compose_mailing *cm,
    const struct compose_frame *text, const struct compose_frame *html,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct mailimf_fields *fields = NULL;
	struct framed_part parts[2];
	char boundary[COMPOSE_BOUNDARY_MAX] = "";
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (text == NULL)
		return hp_errf(err, errlen, "text part is missing");
	framed_part_init(&parts[0]);
	framed_part_init(&parts[1]);
	if (framed_part_encode(text, &parts[0]) != 0 ||
	    (html != NULL && framed_part_encode(html, &parts[1]) != 0) ||
	    (html != NULL && compose_boundary_pick(cm->message_id, framed_taken, parts,
	    boundary, sizeof(boundary)) == -1)) {
		rc = framed_slow(cm, text, html, out, len, err, errlen);
		goto done;
	}
	if ((fields = mailing_fields(cm, err, errlen)) == NULL)
		goto done;
	rc = framed_write(fields, boundary, &parts[0],
	    html != NULL ? &parts[1] : NULL, out, len, err, errlen);
done:
	if (fields != NULL)
		mailimf_fields_free(fields);
	framed_part_free(&parts[0]);
	framed_part_free(&parts[1]);
	return rc;
}
