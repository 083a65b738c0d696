/*
 * msg: see msg.h.  This file parses; msg_charset.c turns bytes into clean
 * UTF-8, msg_wire.c encodes and decodes.
 *
 * Everything read from libetpan's tree passes through one of two
 * funnels before it lands in struct msg: header_value() (raw header bytes
 * → unfolded, RFC 2047 decoded, clean UTF-8) and part_utf8()+msg_clean()
 * (a MIME part → transfer-decoded, charset-converted, clean UTF-8).  Both
 * are bounded.  Our own tree walks stop at MSG_DEPTH_MAX levels and
 * MSG_PARTS_MAX parts; libetpan's own recursion is the parser child's
 * problem (its stack rlimit).
 */
#include "msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/mailimf.h>
#include <libetpan/mailmime.h>
#include <libetpan/mmapstring.h>

#include "msg_int.h"
#include "textconv.h"
#include "util.h"

#define MSGID_MAX 998
#define ADDR_MAX 254

/* Raw header value → unfolded clean UTF-8 (RFC 2047 words decoded when
 * decode is set), trimmed.  Raw 8-bit bytes that are not UTF-8 are read
 * as Windows-1252 first: libetpan would silently drop them. */
static char *
header_value(const char *raw, bool decode)
{
	struct buf in, out;
	size_t n = strnlen(raw, 4 * MSG_HEADER_MAX), idx = 0;
	char *dec = NULL, *s;

	buf_init(&in, 16 * MSG_HEADER_MAX);
	buf_init(&out, MSG_HEADER_MAX);
	if (msg_utf8_ok(raw, n))
		(void)buf_append(&in, raw, n);
	else
		msg_from_cp1252(&in, raw, n);
	s = in.data ? in.data : "";
	if (decode && mailmime_encoded_phrase_parse("UTF-8", s, strlen(s),
	    &idx, "UTF-8", &dec) == MAILIMF_NO_ERROR && dec != NULL)
		s = dec;
	msg_clean(&out, s, strlen(s), MSG_CLEAN_HEADER);
	free(dec);
	buf_free(&in);
	return hp_trim(buf_release(&out, NULL));
}

/* Takes s; returns it, or NULL (freeing it) when it is empty. */
static char *
nonempty(char *s)
{
	if (s != NULL && s[0] == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/* An addr-spec we are willing to keep: one @, no white space, no
 * characters that would end it in a header; domain lower-cased. */
static char *
address(const char *spec)
{
	size_t n = spec ? strnlen(spec, ADDR_MAX + 1) : 0;
	const char *at;
	char *a;

	if (n == 0 || n > ADDR_MAX || !msg_utf8_ok(spec, n))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)spec[i];
		if (c <= ' ' || c == 0x7f || strchr("<>,;\"\\()", c) != NULL)
			return NULL;
	}
	at = strrchr(spec, '@');
	if (at == NULL || at == spec || at[1] == '\0')
		return NULL;
	a = xstrdup(spec);
	hp_lower(a + (at - spec) + 1);
	return a;
}

/* A Message-ID without its <>, or NULL when it is not usable as one. */
static char *
msgid_clean(const char *raw)
{
	char *v = header_value(raw, false), *p = v;
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		p++;
		n -= 2;
	}
	if (n == 0 || n > MSGID_MAX)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == '<' || p[i] == '>')
			goto fail;
	memmove(v, p, n);
	v[n] = '\0';
	return v;
fail:
	free(v);
	return NULL;
}

/* "<a> <b> ..." from libetpan's id list.  When too long, keep the first
 * id and as many of the most recent as fit (RFC 5322 3.6.4). */
static char *
msgid_list(clist *ids)
{
	char **v = NULL;
	size_t n = 0, cap = 0, total = 0, from = 0;
	struct buf b;

	for (clistiter *it = ids ? clist_begin(ids) : NULL; it; it = clist_next(it)) {
		char *id = msgid_clean(clist_content(it));
		if (id == NULL)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = id;
		total += strlen(id) + 3;
	}
	if (n == 0) {
		free(v);
		return NULL;
	}
	if (total > MSG_HEADER_MAX) {
		total = strlen(v[0]) + 3;
		for (from = n; from > 1; from--)
			if ((total += strlen(v[from - 1]) + 3) > MSG_HEADER_MAX)
				break;
	}
	buf_init(&b, MSG_HEADER_MAX);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || i >= from)
			(void)buf_printf(&b, "%s<%s>", b.len ? " " : "", v[i]);
		free(v[i]);
	}
	free(v);
	return buf_release(&b, NULL);
}

static void
set_from(struct msg *m, const struct mailimf_mailbox_list *l)
{
	struct mailimf_mailbox *mb;

	if (l == NULL || l->mb_list == NULL || clist_isempty(l->mb_list))
		return;
	mb = clist_content(clist_begin(l->mb_list));
	if (mb == NULL)
		return;
	m->from_addr = address(mb->mb_addr_spec);
	if (mb->mb_display_name != NULL)
		m->from_name = nonempty(header_value(mb->mb_display_name, true));
}

static char *
first_address(const struct mailimf_address_list *l)
{
	for (clistiter *it = l && l->ad_list ? clist_begin(l->ad_list) : NULL;
	    it; it = clist_next(it)) {
		const struct mailimf_address *a = clist_content(it);
		const struct mailimf_mailbox_list *g;

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX && a->ad_data.ad_mailbox)
			return address(a->ad_data.ad_mailbox->mb_addr_spec);
		if (a->ad_type != MAILIMF_ADDRESS_GROUP || !a->ad_data.ad_group)
			continue;
		g = a->ad_data.ad_group->grp_mb_list;
		if (g && g->mb_list && !clist_isempty(g->mb_list))
			return address(((struct mailimf_mailbox *)
			    clist_content(clist_begin(g->mb_list)))->mb_addr_spec);
	}
	return NULL;
}

/* Return-Path holds <addr-spec> or <>; keep what is inside. */
static void
set_return_path(struct msg *m, const char *raw)
{
	char *v = header_value(raw ? raw : "", false), *at;
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
		hp_trim(v);
	}
	if ((at = strrchr(v, '@')) != NULL)
		hp_lower(at + 1);
	m->has_return_path = true;
	m->return_path = v;
}

static void
add_authres(struct msg *m, const char *raw)
{
	if (m->n_authres >= MSG_AUTHRES_MAX)
		return;
	m->authres = xreallocarray(m->authres, m->n_authres + 1,
	    sizeof(*m->authres));
	m->authres[m->n_authres++] = header_value(raw, false);
}

/* Fields libetpan leaves unparsed, and the structured ones it could not
 * parse (those arrive here too, under their own name). */
static void
optional_field(struct msg *m, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} plain[] = {
		{ "Auto-Submitted", offsetof(struct msg, auto_submitted) },
		{ "Precedence", offsetof(struct msg, precedence) },
		{ "List-Id", offsetof(struct msg, list_id) },
		{ "Content-Language", offsetof(struct msg, content_language) },
		{ "In-Reply-To", offsetof(struct msg, in_reply_to) },
		{ "References", offsetof(struct msg, references) },
	};

	if (strcasecmp(name, "Authentication-Results") == 0)
		add_authres(m, value);
	else if (strcasecmp(name, "Return-Path") == 0 && !m->has_return_path)
		set_return_path(m, value);
	else if (strcasecmp(name, "Message-ID") == 0 && m->message_id == NULL)
		m->message_id = msgid_clean(value);
	for (size_t i = 0; i < HP_NELEM(plain); i++) {
		char **slot = (char **)((char *)m + plain[i].off);
		if (strcasecmp(name, plain[i].name) == 0 && *slot == NULL)
			*slot = header_value(value, false);
	}
}

/* The envelope recipient as the delivering MTA recorded it: the topmost
 * Delivered-To (Dovecot LMTP, Postfix local), else X-Original-To. */
static void
set_delivered_to(struct msg *m, struct mailimf_fields *f)
{
	static const char *const names[] = { "Delivered-To", "X-Original-To" };

	for (size_t i = 0; i < HP_NELEM(names) && m->delivered_to == NULL; i++)
		for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
			struct mailimf_field *fl = clist_content(it);
			char *v;
			size_t n;

			if (fl->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD ||
			    strcasecmp(fl->fld_data.fld_optional_field->fld_name, names[i]) != 0)
				continue;
			v = header_value(fl->fld_data.fld_optional_field->fld_value, false);
			n = strlen(v);
			if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
				v[n - 1] = '\0';
				m->delivered_to = address(v + 1);
			} else
				m->delivered_to = address(v);
			free(v);
			break;
		}
}

static void
parse_headers(struct msg *m, struct mailimf_fields *f)
{
	struct mailimf_single_fields sf;

	mailimf_single_fields_init(&sf, f);
	if (sf.fld_message_id && sf.fld_message_id->mid_value)
		m->message_id = msgid_clean(sf.fld_message_id->mid_value);
	if (sf.fld_from)
		set_from(m, sf.fld_from->frm_mb_list);
	if (sf.fld_reply_to)
		m->reply_to = first_address(sf.fld_reply_to->rt_addr_list);
	if (sf.fld_subject && sf.fld_subject->sbj_value)
		m->subject = header_value(sf.fld_subject->sbj_value, true);
	if (sf.fld_in_reply_to)
		m->in_reply_to = msgid_list(sf.fld_in_reply_to->mid_list);
	if (sf.fld_references)
		m->references = msgid_list(sf.fld_references->mid_list);
	set_delivered_to(m, f);
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *fl = clist_content(it);

		if (fl->fld_type == MAILIMF_FIELD_RETURN_PATH && !m->has_return_path) {
			const struct mailimf_path *p =
			    fl->fld_data.fld_return_path->ret_path;
			set_return_path(m, p && p->pt_addr_spec ? p->pt_addr_spec : "");
		} else if (fl->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD) {
			struct mailimf_optional_field *o =
			    fl->fld_data.fld_optional_field;
			optional_field(m, o->fld_name, o->fld_value);
		}
	}
}

/* ---- MIME parts ---- */

struct part_info {
	bool attachment;
	const char *filename;	/* borrowed from the tree; NULL when none */
	const char *charset;	/* ditto */
	int encoding;		/* MAILMIME_MECHANISM_* */
};

static const char *
main_type(const struct mailmime_content *ct)
{
	const struct mailmime_type *t = ct ? ct->ct_type : NULL;
	static const char *const discrete[] = { "", "text", "image", "audio",
		"video", "application" };
	static const char *const composite[] = { "", "message", "multipart" };

	if (t == NULL)
		return "";
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE && t->tp_data.tp_discrete_type) {
		int k = t->tp_data.tp_discrete_type->dt_type;
		if (k == MAILMIME_DISCRETE_TYPE_EXTENSION)
			return t->tp_data.tp_discrete_type->dt_extension ?
			    t->tp_data.tp_discrete_type->dt_extension : "";
		return k >= 0 && (size_t)k < HP_NELEM(discrete) ? discrete[k] : "";
	}
	if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE && t->tp_data.tp_composite_type) {
		int k = t->tp_data.tp_composite_type->ct_type;
		if (k == MAILMIME_COMPOSITE_TYPE_EXTENSION)
			return t->tp_data.tp_composite_type->ct_token ?
			    t->tp_data.tp_composite_type->ct_token : "";
		return k >= 0 && (size_t)k < HP_NELEM(composite) ? composite[k] : "";
	}
	return "";
}

static bool
type_is(const struct mailmime *mm, const char *type, const char *sub)
{
	const struct mailmime_content *ct = mm->mm_content_type;

	return ct != NULL && strcasecmp(main_type(ct), type) == 0 &&
	    ct->ct_subtype != NULL && strcasecmp(ct->ct_subtype, sub) == 0;
}

static void
part_info(struct mailmime *mm, struct part_info *pi)
{
	struct mailmime_single_fields sf;

	memset(&sf, 0, sizeof(sf));
	memset(pi, 0, sizeof(*pi));
	if (mm->mm_mime_fields != NULL)
		mailmime_single_fields_init(&sf, mm->mm_mime_fields,
		    mm->mm_content_type);
	else if (mm->mm_content_type != NULL) {
		sf.fld_content_charset = mailmime_content_param_get(
		    mm->mm_content_type, "charset");
		sf.fld_content_name = mailmime_content_param_get(
		    mm->mm_content_type, "name");
	}
	pi->attachment = sf.fld_disposition && sf.fld_disposition->dsp_type &&
	    sf.fld_disposition->dsp_type->dsp_type ==
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	pi->filename = sf.fld_disposition_filename ? sf.fld_disposition_filename :
	    sf.fld_content_name;
	pi->charset = sf.fld_content_charset;
	pi->encoding = sf.fld_encoding ? sf.fld_encoding->enc_type :
	    MAILMIME_MECHANISM_8BIT;
	if (pi->encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE &&
	    pi->encoding != MAILMIME_MECHANISM_BASE64)
		pi->encoding = MAILMIME_MECHANISM_8BIT;
}

/* A single part's content, transfer-decoded from at most inmax encoded
 * bytes and converted to (unclean) UTF-8 into u. */
static void
part_utf8(struct mailmime *mm, const struct part_info *pi, size_t inmax,
    struct buf *u)
{
	const struct mailmime_data *d = mm->mm_data.mm_single;
	char *dec = NULL;
	size_t n, idx = 0, declen = 0;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return;
	n = d->dt_data.dt_text.dt_length;
	if (n > inmax)
		n = inmax;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, n, &idx,
	    pi->encoding, &dec, &declen) != MAILIMF_NO_ERROR || dec == NULL)
		return;
	msg_to_utf8(u, dec, declen, pi->charset);
	mmap_string_unref(dec);
}

static char *
part_text(struct mailmime *mm, const struct part_info *pi, size_t max)
{
	struct buf u, out;

	buf_init(&u, 4 * max);
	buf_init(&out, max);
	part_utf8(mm, pi, 4 * max, &u);
	msg_clean(&out, u.data ? u.data : "", u.len, MSG_CLEAN_TEXT);
	buf_free(&u);
	return buf_release(&out, NULL);
}

/* RFC 3676 format=flowed: a line that ends in a space goes on in the
 * next line.  Thunderbird wraps long lines like that, and unjoined, a
 * wrapped form value would lose its tail.  Space-stuffing is undone;
 * quoted lines and the signature separator are left as they are.  In
 * place: the text only shrinks. */
static void
unflow(char *s, bool delsp)
{
	size_t r = 0, w = 0;
	bool joining = false;

	while (s[r] != '\0') {
		size_t e = r, n;
		bool quoted = s[r] == '>', nl, soft;

		while (s[e] != '\0' && s[e] != '\n')
			e++;
		nl = s[e] == '\n';
		if (!quoted && s[r] == ' ')
			r++;
		n = e - r;
		soft = nl && !quoted && n > 0 && s[e - 1] == ' ' &&
		    !(n == 3 && memcmp(s + r, "-- ", 3) == 0);
		if (joining && quoted)
			s[w++] = '\n';	/* flowed text never continues into a quote */
		memmove(s + w, s + r, n);
		w += n;
		if (soft && delsp)
			w--;
		if (nl && !soft)
			s[w++] = '\n';
		joining = soft;
		r = nl ? e + 1 : e;
	}
	s[w] = '\0';
}

static char *
part_body_text(struct mailmime *mm, const struct part_info *pi)
{
	char *t = part_text(mm, pi, MSG_TEXT_MAX);
	const char *fmt = mailmime_content_param_get(mm->mm_content_type, "format");
	const char *delsp = mailmime_content_param_get(mm->mm_content_type, "delsp");

	if (fmt != NULL && strcasecmp(fmt, "flowed") == 0)
		unflow(t, delsp != NULL && strcasecmp(delsp, "yes") == 0);
	return t;
}

static char *
part_html_text(struct mailmime *mm, const struct part_info *pi)
{
	struct buf u, out;
	char *t;

	buf_init(&u, TEXTCONV_HTML_MAX);
	buf_init(&out, MSG_TEXT_MAX);
	part_utf8(mm, pi, 2 * TEXTCONV_HTML_MAX, &u);
	t = textconv_html_to_text(u.data ? u.data : "", u.len);
	buf_free(&u);
	if (t != NULL)
		msg_clean(&out, t, strlen(t), MSG_CLEAN_TEXT);
	free(t);
	return buf_release(&out, NULL);
}

/* The body part in document order; within multipart/alternative a
 * text/plain alternative beats text/html.  Attachments and forwarded
 * messages (message/rfc822) are never the body. */
static struct mailmime *
find_body(struct mailmime *mm, unsigned depth, unsigned *parts, bool *html)
{
	struct mailmime *html_alt = NULL;
	struct part_info pi;
	bool alt;

	if (depth > MSG_DEPTH_MAX || ++*parts > MSG_PARTS_MAX)
		return NULL;
	if (mm->mm_type == MAILMIME_SINGLE) {
		part_info(mm, &pi);
		if (pi.attachment)
			return NULL;
		*html = type_is(mm, "text", "html");
		return *html || type_is(mm, "text", "plain") ? mm : NULL;
	}
	if (mm->mm_type != MAILMIME_MULTIPLE)
		return NULL;
	alt = type_is(mm, "multipart", "alternative");
	for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
	    it; it = clist_next(it)) {
		bool h = false;
		struct mailmime *r = find_body(clist_content(it), depth + 1, parts, &h);

		if (r == NULL)
			continue;
		if (!alt || !h) {
			*html = h;
			return r;
		}
		if (html_alt == NULL)
			html_alt = r;
	}
	*html = html_alt != NULL;
	return html_alt;
}

static bool
ends_with_ics(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 4 && strcasecmp(name + n - 4, ".ics") == 0;
}

static void
set_calendar(struct msg *m, struct mailmime *mm, const struct part_info *pi)
{
	const char *method = mailmime_content_param_get(mm->mm_content_type,
	    "method");

	m->calendar = part_text(mm, pi, MSG_CALENDAR_MAX);
	/* A text/calendar part is iTIP; any other type carrying an .ics
	 * file is a file, whatever its disposition says. */
	m->calendar_is_attachment = pi->attachment ||
	    !type_is(mm, "text", "calendar");
	if (method != NULL) {
		m->calendar_method = nonempty(header_value(method, false));
		for (char *p = m->calendar_method; p && *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 32);
	}
}

/* The Message-ID line of a header block given as text (a delivery
 * report's text/rfc822-headers part). */
static char *
header_text_msgid(const char *text)
{
	static const char label[] = "message-id:";

	for (const char *p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, label, sizeof(label) - 1) == 0) {
			size_t n = strcspn(p, "\n");
			char *line = xstrndup(p + sizeof(label) - 1,
			    n - (sizeof(label) - 1));
			char *id = msgid_clean(line);

			free(line);
			return id;
		}
	}
	return NULL;
}

/* The Message-ID of a returned message, from whichever form it has. */
static void
set_returned(struct msg *m, struct mailmime *mm, const struct part_info *pi)
{
	struct mailimf_single_fields sf;
	char *text;

	if (mm->mm_type == MAILMIME_MESSAGE) {
		if (mm->mm_data.mm_message.mm_fields == NULL)
			return;
		mailimf_single_fields_init(&sf, mm->mm_data.mm_message.mm_fields);
		if (sf.fld_message_id && sf.fld_message_id->mid_value)
			m->returned_message_id = msgid_clean(sf.fld_message_id->mid_value);
		return;
	}
	if ((text = part_text(mm, pi, MSG_DSN_MAX)) != NULL) {
		m->returned_message_id = header_text_msgid(text);
		free(text);
	}
}

/* Report type, delivery status, calendar and a returned message's id:
 * first of each in document order, outside forwarded messages. */
static void
scan(struct msg *m, struct mailmime *mm, unsigned depth, unsigned *parts)
{
	struct part_info pi;

	if (depth > MSG_DEPTH_MAX || ++*parts > MSG_PARTS_MAX)
		return;
	if (mm->mm_type == MAILMIME_MESSAGE && m->returned_message_id == NULL &&
	    depth > 0) {
		set_returned(m, mm, NULL);
		return;
	}
	if (mm->mm_type == MAILMIME_MULTIPLE) {
		const char *rt = mailmime_content_param_get(mm->mm_content_type,
		    "report-type");
		if (m->report_type == NULL && rt != NULL &&
		    type_is(mm, "multipart", "report"))
			m->report_type = nonempty(hp_lower(header_value(rt, false)));
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it; it = clist_next(it))
			scan(m, clist_content(it), depth + 1, parts);
		return;
	}
	if (mm->mm_type != MAILMIME_SINGLE)
		return;
	part_info(mm, &pi);
	if (m->dsn_status == NULL && (type_is(mm, "message", "delivery-status") ||
	    type_is(mm, "message", "global-delivery-status")))
		m->dsn_status = part_text(mm, &pi, MSG_DSN_MAX);
	else if (m->calendar == NULL && (type_is(mm, "text", "calendar") ||
	    type_is(mm, "application", "ics") || ends_with_ics(pi.filename)))
		set_calendar(m, mm, &pi);
	else if (m->returned_message_id == NULL &&
	    type_is(mm, "text", "rfc822-headers"))
		set_returned(m, mm, &pi);
	else if (type_is(mm, "application", "ms-tnef") ||
	    (pi.filename != NULL && strcasecmp(pi.filename, "winmail.dat") == 0))
		m->has_tnef = true;
}

static void
read_body(struct msg *m, struct mailmime *body)
{
	struct mailmime *part;
	struct part_info pi;
	unsigned parts = 0;
	bool html = false;

	part = find_body(body, 0, &parts, &html);
	if (part != NULL) {
		part_info(part, &pi);
		m->text = html ? part_html_text(part, &pi) :
		    part_body_text(part, &pi);
		m->text_from_html = html;
	}
	parts = 0;
	scan(m, body, 0, &parts);
}

/* Content-Language is a MIME field, and libetpan 1.9.4 parses it into an
 * empty list, so read the raw header fields once more, generically. */
static void
content_language(struct msg *m, const char *raw, size_t len)
{
	struct mailimf_fields *f = NULL;
	size_t idx = 0;

	if (mailimf_optional_fields_parse(raw, len, &idx, &f) != MAILIMF_NO_ERROR ||
	    f == NULL)
		return;
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *fl = clist_content(it);
		struct mailimf_optional_field *o = fl->fld_data.fld_optional_field;

		if (fl->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD && o != NULL &&
		    strcasecmp(o->fld_name, "Content-Language") == 0) {
			m->content_language = header_value(o->fld_value, false);
			break;
		}
	}
	mailimf_fields_free(f);
}

int
msg_parse(const char *raw, size_t len, struct msg **out, char *err,
    size_t errlen)
{
	struct mailmime *mime = NULL;
	struct mailimf_fields *f;
	struct msg *m = NULL;
	size_t idx = 0;
	int r;

	*out = NULL;
	if (raw == NULL || len == 0) {
		hp_errf(err, errlen, "empty message");
		goto fail;
	}
	if (len > MSG_RAW_MAX) {
		hp_errf(err, errlen, "message too large (%zu bytes)", len);
		goto fail;
	}
	r = mailmime_parse(raw, len, &idx, &mime);
	if (r != MAILIMF_NO_ERROR || mime == NULL) {
		hp_errf(err, errlen, "MIME parser error %d", r);
		goto fail;
	}
	f = mime->mm_type == MAILMIME_MESSAGE ? mime->mm_data.mm_message.mm_fields : NULL;
	if (f == NULL || f->fld_list == NULL || clist_isempty(f->fld_list)) {
		hp_errf(err, errlen, "no header fields");
		goto fail;
	}
	m = xcalloc(1, sizeof(*m));
	m->raw_size = len;
	parse_headers(m, f);
	if (mime->mm_data.mm_message.mm_msg_mime != NULL)
		read_body(m, mime->mm_data.mm_message.mm_msg_mime);
	if (m->text == NULL)
		m->text = xstrdup("");
	if (m->content_language == NULL)
		content_language(m, raw, len);
	mailmime_free(mime);
	*out = m;
	return 0;
fail:
	if (mime != NULL)
		mailmime_free(mime);
	return -1;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	free(m->message_id);
	free(m->from_addr);
	free(m->from_name);
	free(m->reply_to);
	free(m->delivered_to);
	free(m->subject);
	free(m->in_reply_to);
	free(m->references);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->content_language);
	free(m->return_path);
	for (size_t i = 0; i < m->n_authres; i++)
		free(m->authres[i]);
	free(m->authres);
	free(m->text);
	free(m->report_type);
	free(m->dsn_status);
	free(m->returned_message_id);
	free(m->calendar);
	free(m->calendar_method);
	free(m);
}
