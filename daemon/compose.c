/*
 * compose: see compose.h.
 *
 * What libetpan does for us: the field list, folding of long header
 * lines, <> around message ids, MIME-Version / Content-Type /
 * Content-Transfer-Encoding, CRLF everywhere.  What we do ourselves, and
 * why:
 *
 * - RFC 2047 encoded words and quoted-printable: libetpan 1.9.4 has no
 *   RFC 2047 encoder (notes/libraries.md #14) and its QP writer doubles
 *   the last blank before a line break.  Both encoders are in mimeenc.c;
 *   we mark the part's data as already encoded, so libetpan only copies
 *   it.
 * - From/To are written as plain fields holding "phrase <addr>": libetpan
 *   puts every display name that is not a single atom in a quoted string,
 *   and encoded words inside quotes are not decoded (RFC 2047 §5).
 * - Date and Message-ID come from the caller: mailimf_fields_new_with_data()
 *   invents a Message-ID from unseeded random() and the host name (#13),
 *   and mailimf_get_date() reads the local clock and zone.
 *
 * The newsletter builder (compose_mailing.c) reuses the header fields,
 * the body encoder and the writer through compose_int.h; its multipart
 * boundary is derived from the Message-ID, because mailmime_multiple_new()
 * would draw one from random().
 */
#include "compose.h"

#include <stdbool.h>
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

#define LINE_MAX_OCTETS	998	/* RFC 5322 §2.1.1 "MUST" */
#define HDR_NAME_MAX	76
#define HDR_VALUE_MAX	900
#define REFS_RING	(COMPOSE_MAX_REFS - 2)	/* + the root + in_reply_to */

static const char *const reserved_headers[] = {
	"From", "To", "Cc", "Bcc", "Sender", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Auto-Submitted", "Content-Language",
	"Return-Path", "Received",
};

/* The encoder itself is mimeenc_header_word (mimeenc.c). */
char *
compose_encode_header_word(const char *utf8)
{
	return mimeenc_header_word(utf8);
}

void
compose_message_id(const unsigned char rnd[16], const char *domain,
    char *out, size_t outlen)
{
	size_t dlen = domain ? strlen(domain) : 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (dlen == 0 || dlen > 200 || outlen < 34 + dlen ||
	    strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != dlen || domain[0] == '.' || domain[0] == '-')
		return;
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	out[32] = '@';
	memcpy(out + 33, domain, dlen + 1);
}

/* ---- header values ---- */

/* A message id without <>: printable ASCII, none of the characters that
 * would end or confuse the <...> token. */
static bool
msgid_ok(const char *s, size_t n)
{
	if (n == 0 || n > COMPOSE_MAX_MSGID)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()\\\",;", c) != NULL)
			return false;
	}
	return true;
}

/* "phrase <addr>" or "addr" into *out (caller frees). */
static int
mailbox_render(const char *name, const char *addr, const char *what,
    char **out, char *err, size_t errlen)
{
	struct buf b;
	int bad = 0;

	*out = NULL;
	if (addr == NULL || !addr_valid(addr))
		return hp_errf(err, errlen, "%s address is invalid", what);
	if (name == NULL || name[strspn(name, " \t")] == '\0') {
		*out = xstrdup(addr);
		return 0;
	}
	if (strlen(name) > COMPOSE_MAX_NAME)
		return hp_errf(err, errlen, "%s display name is too long", what);
	if (!mimeenc_text_ok(name, strlen(name), false))
		return hp_errf(err, errlen,
		    "%s display name contains a line break or is not UTF-8", what);
	buf_init(&b, 4 * COMPOSE_MAX_NAME * 3 + 512);
	bad = mimeenc_phrase(name, &b);
	bad |= buf_printf(&b, " <%s>", addr);
	if (bad) {
		buf_free(&b);
		return hp_errf(err, errlen, "%s header is too long", what);
	}
	*out = buf_release(&b, NULL);
	return 0;
}

/* ---- References ---- */

struct refs {
	const char *root;
	size_t root_len;
	const char *ring[REFS_RING];	/* the latest ids after the root */
	size_t ring_len[REFS_RING];
	size_t n;			/* ids seen after the root */
};

/* Collect the ids of an untrusted References value; anything that is
 * not a clean <id> (a line break, a stray bracket) is skipped. */
static void
refs_scan(const char *s, struct refs *r)
{
	const char *lt, *gt;

	memset(r, 0, sizeof(*r));
	while (s != NULL && (lt = strchr(s, '<')) != NULL &&
	    (gt = strchr(lt + 1, '>')) != NULL) {
		size_t n = (size_t)(gt - lt - 1);
		if (msgid_ok(lt + 1, n)) {
			if (r->root == NULL) {
				r->root = lt + 1;
				r->root_len = n;
			} else {
				r->ring[r->n % REFS_RING] = lt + 1;
				r->ring_len[r->n % REFS_RING] = n;
				r->n++;
			}
		}
		s = gt + 1;
	}
}

static int
clist_add_id(clist *l, const char *id, size_t n)
{
	char *copy = xstrndup(id, n);

	if (clist_append(l, copy) < 0) {
		free(copy);
		return -1;
	}
	return 0;
}

static void
clist_free_ids(clist *l)
{
	if (l == NULL)
		return;
	for (clistiter *it = clist_begin(l); it != NULL; it = clist_next(it))
		free(clist_content(it));
	clist_free(l);
}

/* The new References list: root, the latest ids, in_reply_to.  *out is
 * NULL when there is nothing to reference. */
static int
refs_build(const char *orig, const char *irt, clist **out)
{
	struct refs r;
	const char *last = NULL;
	size_t last_len = 0, k, first;
	clist *l = NULL;

	*out = NULL;
	refs_scan(orig, &r);
	if (r.root == NULL && irt == NULL)
		return 0;
	if ((l = clist_new()) == NULL)
		return -1;
	if (r.root != NULL) {
		if (clist_add_id(l, r.root, r.root_len) == -1)
			goto fail;
		last = r.root;
		last_len = r.root_len;
	}
	first = r.n > REFS_RING ? r.n - REFS_RING : 0;
	for (k = first; k < r.n; k++) {
		last = r.ring[k % REFS_RING];
		last_len = r.ring_len[k % REFS_RING];
		if (clist_add_id(l, last, last_len) == -1)
			goto fail;
	}
	if (irt != NULL && !(last != NULL && last_len == strlen(irt) &&
	    memcmp(last, irt, last_len) == 0) &&
	    clist_add_id(l, irt, strlen(irt)) == -1)
		goto fail;
	*out = l;
	return 0;
fail:
	clist_free_ids(l);
	return -1;
}

/* ---- Date ---- */

/* Date from (t, zone) without the local clock or TZ: RFC 5322 §3.3. */
static struct mailimf_date_time *
date_new(time_t t, int tz_minutes)
{
	struct tm tm;
	time_t local;
	int a = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	int zone = (a / 60) * 100 + a % 60;

	/* 1970 .. 9999, and a zone within a day: anything else is a bug. */
	if (t < 0 || t > (time_t)253402214400 || a >= 24 * 60)
		return NULL;
	local = t + (time_t)tz_minutes * 60;
	if (gmtime_r(&local, &tm) == NULL)
		return NULL;
	return mailimf_date_time_new(tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tz_minutes < 0 ? -zone : zone);
}

/* ---- body ---- */

int
compose_body_build(const char *text, struct buf *out, bool *seven, char *err, size_t errlen)
{
	struct buf norm;
	size_t len = text ? strlen(text) : 0;
	int rc = -1;

	buf_init(&norm, COMPOSE_MAX_BODY);
	if (len > COMPOSE_MAX_BODY / 2) {
		hp_errf(err, errlen, "body is too long");
		goto fail;
	}
	if (!mimeenc_text_ok(text ? text : "", len, true)) {
		hp_errf(err, errlen, "body is not valid UTF-8");
		goto fail;
	}
	if (mimeenc_crlf(text ? text : "", &norm) == -1) {
		hp_errf(err, errlen, "body is too long");
		goto fail;
	}
	*seven = mimeenc_is_7bit(&norm);
	if (*seven)
		rc = buf_append(out, norm.data, norm.len);
	else
		rc = mimeenc_qp(norm.data, norm.len, out);
	if (rc == -1)
		hp_errf(err, errlen, "body is too long");
fail:
	buf_free(&norm);
	return rc;
}

int
compose_part_build(const char *what, const char *text, struct buf *out,
    bool *seven, char *err, size_t errlen)
{
	char why[200] = "";

	if (compose_body_build(text, out, seven, why, sizeof(why)) == -1)
		return hp_errf(err, errlen, "%s part: %s", what, why);
	return 0;
}

/* ---- header fields ---- */

/* 1..max characters: a header value (printable ASCII and TAB) or, with
 * name set, a field name (printable ASCII but ':'). */
static bool
ascii_ok(const char *s, size_t max, bool name)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (n >= max || c >= 0x7f || (name ? c <= 0x20 || c == ':' :
		    c < 0x20 && c != '\t'))
			return false;
	}
	return n > 0;
}

static int
extras_check(const struct compose_text *ct, char *err, size_t errlen)
{
	for (size_t i = 0; i < ct->n_extra_headers; i++) {
		const char *name = ct->extra_headers[2 * i];
		const char *value = ct->extra_headers[2 * i + 1];
		if (name == NULL || !ascii_ok(name, HDR_NAME_MAX, true))
			return hp_errf(err, errlen, "extra header %zu has an invalid name", i);
		for (size_t k = 0; k < HP_NELEM(reserved_headers); k++)
			if (strcasecmp(name, reserved_headers[k]) == 0)
				return hp_errf(err, errlen, "extra header %s is set by compose", name);
		if (value == NULL || !ascii_ok(value, HDR_VALUE_MAX, false))
			return hp_errf(err, errlen, "extra header %s: value is empty, too long "
			    "or not printable ASCII", name);
	}
	return 0;
}

/* Everything that can be checked without building anything. */
static int
args_check(const struct compose_text *ct, char *err, size_t errlen)
{
	const char *lang = ct->content_language;

	if (ct->message_id == NULL || !msgid_ok(ct->message_id, strlen(ct->message_id)) ||
	    strchr(ct->message_id, '@') == NULL)
		return hp_errf(err, errlen, "message id is invalid");
	if (ct->in_reply_to != NULL &&
	    !msgid_ok(ct->in_reply_to, strlen(ct->in_reply_to)))
		return hp_errf(err, errlen, "In-Reply-To is not a valid message id");
	if (ct->subject != NULL && strlen(ct->subject) > COMPOSE_MAX_SUBJECT)
		return hp_errf(err, errlen, "subject is too long");
	if (ct->auto_submitted != NULL && !ascii_ok(ct->auto_submitted, 64, false))
		return hp_errf(err, errlen, "Auto-Submitted value is invalid");
	if (lang != NULL && (lang[0] == '\0' || strlen(lang) > 35 ||
	    strspn(lang, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") != strlen(lang)))
		return hp_errf(err, errlen, "Content-Language value is invalid");
	return extras_check(ct, err, errlen);
}

/* Add "name: value" as a field libetpan writes (and folds) verbatim. */
static int
field_add(struct mailimf_fields *f, const char *name, const char *value)
{
	struct mailimf_field *fld;
	char *n = xstrdup(name), *v = xstrdup(value);

	if ((fld = mailimf_field_new_custom(n, v)) == NULL) {
		free(n);
		free(v);
		return -1;
	}
	if (mailimf_fields_add(f, fld) != MAILIMF_NO_ERROR) {
		mailimf_field_free(fld);
		return -1;
	}
	return 0;
}

/* From and To, rendered by us (see the top of this file). */
static int
fields_add_mailboxes(struct mailimf_fields *f, const struct compose_text *ct,
    char *err, size_t errlen)
{
	char *from = NULL, *to = NULL;
	int rc = -1;

	if (mailbox_render(ct->from_name, ct->from_addr, "From", &from, err, errlen) == -1 ||
	    mailbox_render(ct->to_name, ct->to_addr, "To", &to, err, errlen) == -1)
		goto fail;
	if (field_add(f, "From", from) == -1 || field_add(f, "To", to) == -1) {
		hp_errf(err, errlen, "out of memory");
		goto fail;
	}
	rc = 0;
fail:
	free(from);
	free(to);
	return rc;
}

/* Date, Message-ID, In-Reply-To, References, Subject as libetpan's own
 * field types (it brackets and folds the ids). */
static int
fields_add_core(struct mailimf_fields *f, const struct compose_text *ct,
    char *err, size_t errlen)
{
	struct mailimf_date_time *date = NULL;
	clist *irt = NULL, *refs = NULL;
	char *msgid = NULL, *subject = NULL;

	if ((subject = compose_encode_header_word(ct->subject ? ct->subject : "")) == NULL)
		return hp_errf(err, errlen, "subject contains a line break or is not UTF-8");
	if ((date = date_new(ct->date, ct->tz_offset_minutes)) == NULL) {
		hp_errf(err, errlen, "date or time zone offset out of range");
		goto fail;
	}
	msgid = xstrdup(ct->message_id);
	if (ct->in_reply_to != NULL && ((irt = clist_new()) == NULL ||
	    clist_add_id(irt, ct->in_reply_to, strlen(ct->in_reply_to)) == -1))
		goto oom;
	if (refs_build(ct->references, ct->in_reply_to, &refs) == -1)
		goto oom;
	/* On success the fields own everything passed; on failure nothing. */
	if (mailimf_fields_add_data(f, date, NULL, NULL, NULL, NULL, NULL, NULL,
	    msgid, irt, refs, subject) != MAILIMF_NO_ERROR)
		goto oom;
	return 0;
oom:
	hp_errf(err, errlen, "out of memory");
fail:
	if (date != NULL)
		mailimf_date_time_free(date);
	clist_free_ids(irt);
	clist_free_ids(refs);
	free(msgid);
	free(subject);
	return -1;
}

struct mailimf_fields *
compose_fields_build(const struct compose_text *ct, char *err, size_t errlen)
{
	struct mailimf_fields *f = NULL;

	if (args_check(ct, err, errlen) == -1)
		return NULL;
	if ((f = mailimf_fields_new_empty()) == NULL) {
		hp_errf(err, errlen, "out of memory");
		return NULL;
	}
	if (fields_add_mailboxes(f, ct, err, errlen) == -1 ||
	    fields_add_core(f, ct, err, errlen) == -1)
		goto fail;
	if ((ct->auto_submitted != NULL &&
	    field_add(f, "Auto-Submitted", ct->auto_submitted) == -1) ||
	    (ct->content_language != NULL &&
	    field_add(f, "Content-Language", ct->content_language) == -1))
		goto oom;
	for (size_t i = 0; i < ct->n_extra_headers; i++)
		if (field_add(f, ct->extra_headers[2 * i], ct->extra_headers[2 * i + 1]) == -1)
			goto oom;
	return f;
oom:
	hp_errf(err, errlen, "out of memory");
fail:
	mailimf_fields_free(f);
	return NULL;
}

/* ---- the message ---- */

bool
compose_lines_ok(const char *s, size_t len)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++;
			col = 0;
		} else if (s[i] == '\r' || s[i] == '\n' || ++col > LINE_MAX_OCTETS)
			return false;
	}
	return col == 0;
}

struct mailmime *
compose_part_new(const char *content_type, const struct buf *body, bool seven)
{
	struct mailmime_content *ctype;
	struct mailmime_fields *mf;
	struct mailmime *part;

	ctype = mailmime_content_new_with_str(content_type);
	mf = mailmime_fields_new_encoding(seven ? MAILMIME_MECHANISM_7BIT :
	    MAILMIME_MECHANISM_QUOTED_PRINTABLE);
	if (ctype == NULL || mf == NULL || (part = mailmime_new_empty(ctype, mf)) == NULL) {
		if (ctype != NULL)
			mailmime_content_free(ctype);
		if (mf != NULL)
			mailmime_fields_free(mf);
		return NULL;
	}
	if (mailmime_set_body_text(part, body->data, body->len) != MAILIMF_NO_ERROR) {
		mailmime_free(part);
		return NULL;
	}
	/* Encoded by us: libetpan only copies it (its QP writer is broken). */
	part->mm_data.mm_single->dt_encoded = 1;
	return part;
}

int
compose_message_write(struct mailimf_fields *fields, struct mailmime *part,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct mailmime *msg = NULL;
	MMAPString *mem = NULL;
	int col = 0, rc = -1;

	if ((msg = mailmime_new_message_data(NULL)) == NULL) {
		mailimf_fields_free(fields);
		if (part != NULL)
			mailmime_free(part);
		return hp_errf(err, errlen, "out of memory");
	}
	mailmime_set_imf_fields(msg, fields);
	if (mailmime_smart_add_part(msg, part) != MAILIMF_NO_ERROR ||
	    (part = NULL, mem = mmap_string_new("")) == NULL) {
		hp_errf(err, errlen, "out of memory");
		goto fail;
	}
	if (mailmime_write_mem(mem, &col, msg) != MAILIMF_NO_ERROR ||
	    !compose_lines_ok(mem->str, mem->len)) {
		hp_errf(err, errlen, "could not write the message");
		goto fail;
	}
	*out = xmalloc(mem->len + 1);
	memcpy(*out, mem->str, mem->len + 1);
	*len = mem->len;
	rc = 0;
fail:
	if (part != NULL)
		mailmime_free(part);
	if (mem != NULL)
		mmap_string_free(mem);
	mailmime_free(msg);
	return rc;
}

int
compose_text_message(const struct compose_text *ct, char **out, size_t *len,
    char *err, size_t errlen)
{
	struct mailimf_fields *fields = NULL;
	struct mailmime *part = NULL;
	struct buf body;
	bool seven = false;
	int rc = -1;

	*out = NULL;
	*len = 0;
	buf_init(&body, COMPOSE_MAX_BODY);
	if (compose_body_build(ct->text, &body, &seven, err, errlen) == -1 ||
	    (fields = compose_fields_build(ct, err, errlen)) == NULL)
		goto fail;
	if ((part = compose_part_new("text/plain; charset=UTF-8", &body, seven)) == NULL) {
		mailimf_fields_free(fields);
		hp_errf(err, errlen, "out of memory");
		goto fail;
	}
	rc = compose_message_write(fields, part, out, len, err, errlen);
fail:
	buf_free(&body);
	return rc;
}
