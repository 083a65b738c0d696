/*
 * compose_invite: one invitation or cancellation copy (compose.h,
 * compose_invite_message).  Pure (L1): no clock, randomness, I/O or
 * logging; must not build the calendar (itip), decide who is invited or
 * what the texts say (events), nor send (mailer).
 *
 * The header is compose's own (compose_fields_build: every check, RFC
 * 2047, From/To rendering) with List-Unsubscribe as an extra field; the
 * text and HTML bodies are encoded by compose_body_build (7bit or our own
 * quoted-printable).  The structure is libetpan's MIME writer.  Why the
 * pieces are as they are:
 *
 * - Calendar parts are base64 and left for libetpan to encode
 *   (dt_encoded = 0): its base64 writer encodes the bytes as they are
 *   (CRLF kept) in lines of 76 characters, which the unit test checks.
 *   Base64 rather than QP so no relay or client re-wraps the folded
 *   75-octet lines (notes/itip.md §4.2).
 * - The second calendar copy is application/ics, not another
 *   text/calendar: RFC 6047 makes receivers process every text/calendar
 *   part of a multipart/mixed (notes/itip.md §1.1).
 * - Boundaries come from the Message-ID as in compose_mailing.c (a copy
 *   rebuilt after a crash is byte-identical); the inner one hashes
 *   "alt." + the id.  Only a 7bit text or HTML part can hold "=_" (QP and
 *   base64 cannot), so candidates are checked against those two and get
 *   a ".NN" suffix when taken.
 * - The unsubscribe address goes into a mailto: URI, percent-encoded
 *   where RFC 6068 §2 requires (as compose_mailing.c does for
 *   newsletters).
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


/* The encoded text and HTML bodies (html.len 0 when there is none). */
struct bodies {
	struct buf text, html;
	bool text7, html7;
};

/* ---- checks ---- */

/* The value of the calendar's own METHOD line (at the start of a line,
 * as itip writes it) equals method, case-insensitively (RFC 6047 §2.4). */
static bool
calendar_method_is(const char *cal, size_t len, const char *method)
{
	static const char key[] = "\r\nMETHOD:";
	const char *p = memmem(cal, len, key, sizeof(key) - 1), *v, *eol;
	size_t n = strlen(method);

	if (p == NULL)
		return false;
	v = p + sizeof(key) - 1;
	eol = memmem(v, len - (size_t)(v - cal), "\r\n", 2);
	return eol != NULL && (size_t)(eol - v) == n &&
	    strncasecmp(v, method, n) == 0;
}

static int
invite_check(const struct compose_invite *ci, char *err, size_t errlen)
{
	const char *cal = ci->calendar;
	size_t n = ci->calendar_len;

	if (ci->text == NULL)
		return hp_errf(err, errlen, "text part is missing");
	if (ci->method == NULL || (strcmp(ci->method, "REQUEST") != 0 &&
	    strcmp(ci->method, "CANCEL") != 0))
		return hp_errf(err, errlen, "method must be REQUEST or CANCEL");
	if (cal == NULL || n == 0 || n > COMPOSE_MAX_CALENDAR)
		return hp_errf(err, errlen, "calendar is empty or too long");
	if (!mimeenc_text_ok(cal, n, true))
		return hp_errf(err, errlen, "calendar is not UTF-8 or holds NUL");
	if (n < 17 || memcmp(cal, "BEGIN:VCALENDAR\r\n", 17) != 0)
		return hp_errf(err, errlen, "calendar does not begin with "
		    "BEGIN:VCALENDAR");
	if (!calendar_method_is(cal, n, ci->method))
		return hp_errf(err, errlen, "calendar METHOD is not %s", ci->method);
	return 0;
}

/* ---- header ---- */

static struct mailimf_fields *
invite_fields(const struct compose_invite *ci, char *err, size_t errlen)
{
	const char *pairs[2];
	struct compose_text ct = { 0 };
	struct mailimf_fields *f = NULL;
	char *unsub = NULL;

	if (compose_list_unsubscribe(ci->unsubscribe_mailto, NULL, &unsub, err,
	    errlen) == -1)
		return NULL;
	pairs[0] = "List-Unsubscribe";
	pairs[1] = unsub;
	ct.from_name = ci->from_name;
	ct.from_addr = ci->from_addr;
	ct.to_name = ci->to_name;
	ct.to_addr = ci->to_addr;
	ct.subject = ci->subject;
	ct.message_id = ci->message_id;
	ct.date = ci->date;
	ct.tz_offset_minutes = ci->tz_offset_minutes;
	ct.auto_submitted = "auto-generated";	/* RFC 3834 §5 */
	ct.content_language = ci->content_language;
	ct.extra_headers = pairs;
	ct.n_extra_headers = 1;
	f = compose_fields_build(&ct, err, errlen);
	free(unsub);
	return f;
}

/* ---- boundaries ---- */

/* compose_boundary_taken_fn over struct bodies. */
static bool
taken(const char *candidate, const void *arg)
{
	const struct bodies *b = arg;
	size_t n = strlen(candidate);

	return (b->text7 && memmem(b->text.data, b->text.len, candidate, n)) ||
	    (b->html7 && b->html.len > 0 &&
	    memmem(b->html.data, b->html.len, candidate, n));
}

/* ---- parts ---- */

/* An empty multipart of subtype ("mixed", "alternative") with boundary. */
static struct mailmime *
multipart_new(const char *subtype, const char *boundary)
{
	char ctype[COMPOSE_BOUNDARY_MAX + 48];
	struct mailmime_content *content = NULL;
	struct mailmime_fields *mf = NULL;
	struct mailmime *mp = NULL;
	clist *parts = NULL;

	snprintf(ctype, sizeof(ctype), "multipart/%s; boundary=\"%s\"", subtype,
	    boundary);
	if ((content = mailmime_content_new_with_str(ctype)) == NULL ||
	    (mf = mailmime_fields_new_empty()) == NULL ||
	    (parts = clist_new()) == NULL ||
	    (mp = mailmime_new(MAILMIME_MULTIPLE, NULL, 0, mf, content, NULL,
	    NULL, NULL, parts, NULL, NULL)) == NULL)
		goto fail;
	return mp;
fail:
	if (content != NULL)
		mailmime_content_free(content);
	if (mf != NULL)
		mailmime_fields_free(mf);
	if (parts != NULL)
		clist_free(parts);
	return NULL;
}

/* A base64 leaf (libetpan encodes it) holding cal, which it borrows;
 * with a file name it is an attachment. */
static struct mailmime *
calendar_part_new(const char *ctype_str, const char *filename,
    const char *cal, size_t len)
{
	struct mailmime_content *ctype = NULL;
	struct mailmime_disposition *dsp = NULL;
	struct mailmime_mechanism *enc = NULL;
	struct mailmime_fields *mf = NULL;
	struct mailmime *part = NULL;
	char *fn = NULL;

	if ((ctype = mailmime_content_new_with_str(ctype_str)) == NULL ||
	    (enc = mailmime_mechanism_new(MAILMIME_MECHANISM_BASE64, NULL)) == NULL)
		goto fail;
	if (filename != NULL && ((fn = strdup(filename)) == NULL ||
	    (dsp = mailmime_disposition_new_filename(
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT, fn)) == NULL))
		goto fail;
	fn = NULL;
	if ((mf = mailmime_fields_new_with_data(enc, NULL, NULL, dsp, NULL)) == NULL)
		goto fail;
	enc = NULL;
	dsp = NULL;
	if ((part = mailmime_new_empty(ctype, mf)) == NULL)
		goto fail;
	ctype = NULL;
	mf = NULL;
	if (mailmime_set_body_text(part, (char *)cal, len) != MAILIMF_NO_ERROR)
		goto fail;
	return part;
fail:
	if (part != NULL)
		mailmime_free(part);
	if (mf != NULL)
		mailmime_fields_free(mf);
	if (dsp != NULL)
		mailmime_disposition_free(dsp);
	if (enc != NULL)
		mailmime_mechanism_free(enc);
	if (ctype != NULL)
		mailmime_content_free(ctype);
	free(fn);
	return NULL;
}

/* Add part (NULL: out of memory) to mp; part is mp's or freed. */
static int
add_part(struct mailmime *mp, struct mailmime *part)
{
	if (part == NULL)
		return -1;
	if (mailmime_smart_add_part(mp, part) != MAILIMF_NO_ERROR) {
		mailmime_free(part);
		return -1;
	}
	return 0;
}

/* multipart/alternative: text, HTML, the calendar (RFC 2046 §5.1.4: the
 * last is the preferred; clients that know iMIP pick it). */
static struct mailmime *
alternative_new(const struct compose_invite *ci, const struct bodies *b,
    const char *boundary)
{
	char ctype[64];
	struct mailmime *mp = multipart_new("alternative", boundary);

	snprintf(ctype, sizeof(ctype), "text/calendar; method=%s; charset=UTF-8",
	    ci->method);
	if (mp == NULL ||
	    add_part(mp, compose_part_new("text/plain; charset=UTF-8", &b->text,
	    b->text7)) == -1 ||
	    (ci->html != NULL && add_part(mp, compose_part_new(
	    "text/html; charset=UTF-8", &b->html, b->html7)) == -1) ||
	    add_part(mp, calendar_part_new(ctype, NULL, ci->calendar,
	    ci->calendar_len)) == -1) {
		if (mp != NULL)
			mailmime_free(mp);
		return NULL;
	}
	return mp;
}

/* The whole body: multipart/mixed [alternative, invite.ics]. */
static struct mailmime *
mixed_new(const struct compose_invite *ci, const struct bodies *b,
    char *err, size_t errlen)
{
	char outer[COMPOSE_BOUNDARY_MAX], inner[COMPOSE_BOUNDARY_MAX];
	char *seed = xasprintf("alt.%s", ci->message_id);
	struct mailmime *mixed = NULL;
	int rc = -1;

	if (compose_boundary_pick(ci->message_id, taken, b, outer,
	    sizeof(outer)) == -1 ||
	    compose_boundary_pick(seed, taken, b, inner, sizeof(inner)) == -1) {
		hp_errf(err, errlen, "every multipart boundary candidate occurs in a part");
		goto fail;
	}
	if ((mixed = multipart_new("mixed", outer)) == NULL ||
	    add_part(mixed, alternative_new(ci, b, inner)) == -1 ||
	    add_part(mixed, calendar_part_new("application/ics; name=invite.ics",
	    "invite.ics", ci->calendar, ci->calendar_len)) == -1) {
		hp_errf(err, errlen, "out of memory");
		goto fail;
	}
	rc = 0;
fail:
	free(seed);
	if (rc == -1 && mixed != NULL) {
		mailmime_free(mixed);
		mixed = NULL;
	}
	return mixed;
}

int
compose_invite_message(const struct compose_invite *ci, char **out,
    size_t *len, char *err, size_t errlen)
{
	struct mailimf_fields *fields = NULL;
	struct mailmime *body = NULL;
	struct bodies b;
	int rc = -1;

	*out = NULL;
	*len = 0;
	memset(&b, 0, sizeof(b));
	buf_init(&b.text, COMPOSE_MAX_BODY);
	buf_init(&b.html, COMPOSE_MAX_BODY);
	if (invite_check(ci, err, errlen) == -1 ||
	    (fields = invite_fields(ci, err, errlen)) == NULL ||
	    compose_part_build("text", ci->text, &b.text, &b.text7, err, errlen) == -1 ||
	    (ci->html != NULL &&
	    compose_part_build("HTML", ci->html, &b.html, &b.html7, err, errlen) == -1) ||
	    (body = mixed_new(ci, &b, err, errlen)) == NULL)
		goto fail;
	rc = compose_message_write(fields, body, out, len, err, errlen);
	fields = NULL;		/* taken by compose_message_write */
fail:
	if (fields != NULL)
		mailimf_fields_free(fields);
	buf_free(&b.text);
	buf_free(&b.html);
	return rc;
}
