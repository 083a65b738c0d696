/*
 * Unit tests for compose_invite_message: the MIME shape of SPEC §7 read
 * back with libetpan's parser (multipart/mixed whose first child is the
 * multipart/alternative of text, HTML and text/calendar; then the
 * application/ics attachment invite.ics), method= equal to the
 * VCALENDAR's METHOD, charset=UTF-8, both calendar parts base64 in lines
 * of at most 76 and decoding to the input byte for byte, non-ASCII
 * (é ü ł Ø) intact in the subject, the names, the text and the calendar,
 * the same bytes for the same input, and a table of refused inputs.
 *
 * The calendars are tests/cases/invite/request.ics and cancel.ics
 * (written by itip_build).  The messages are compared with the golden
 * files request.eml and cancel.eml beside them (rewrite them with
 * INVITE_WRITE_GOLDEN=1 and review the diff); tests/cases/invite/check.py
 * reads the same files with Python's email package.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "compose.h"
#include "util.h"

#define DATE	((time_t)1811000000)	/* 2027-05-22T15:33:20Z */
#define SUBJECT	"Uitnodiging: Café Überleg – Łódź meets Østfold"
#define TEXT	"Beste Ånna,\n\nU bent uitgenodigd voor Café Überleg in Łódź " \
		"en Østfold.\nWanneer: zondag 28 maart 2027, 14:00–17:00\n" \
		"-- \nAfmelden: office+unsubscribe-tok@example.org\n"
#define HTML	"<!DOCTYPE html>\n<html lang=\"nl\"><body><p>Beste Ånna,</p>\n" \
		"<p>Café Überleg – Łódź &amp; Østfold</p></body></html>\n"

/* ---- helpers ---- */

static char *
case_path(const char *name)
{
	char *p = xasprintf("tests/cases/invite/%s", name);
	const char *slash;

	if (access(p, R_OK) == 0 || getenv("INVITE_WRITE_GOLDEN") != NULL)
		return p;
	free(p);
	slash = strrchr(__FILE__, '/');
	return xasprintf("%.*s/../cases/invite/%s",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
}

static char *
read_case(const char *name, size_t *len)
{
	char *path = case_path(name), *data = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)n;
	return data;
}

static struct compose_invite
sample(const char *cal, size_t len, const char *method)
{
	struct compose_invite ci = {
		.from_name = "Deventer Internationaal", .from_addr = "office@example.org",
		.to_name = "Ånna Łukasiewicz-Dupré", .to_addr = "anna@partner.example",
		.subject = SUBJECT, .message_id = "ev-7-42@example.org",
		.date = DATE, .tz_offset_minutes = 120, .content_language = "nl",
		.text = TEXT, .html = HTML, .calendar = cal, .calendar_len = len,
		.method = method,
		.unsubscribe_mailto = "office+unsubscribe-tok@example.org",
	};

	return ci;
}

static char *
build_ok(const struct compose_invite *ci, size_t *len)
{
	char *out = NULL, err[256];

	if (compose_invite_message(ci, &out, len, err, sizeof(err)) != 0)
		fail_msg("compose_invite_message: %s", err);
	assert_int_equal(strlen(out), *len);
	return out;
}

/* "type/subtype" of a part, lower case. */
static char *
type_of(const struct mailmime *m)
{
	struct mailmime_content *ct = m->mm_content_type;
	struct mailmime_type *t = ct->ct_type;
	const char *top = "?";
	char *s;

	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: top = "text"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: top = "application"; break;
		default: break;
		}
	} else if (t->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MULTIPART)
		top = "multipart";
	s = xasprintf("%s/%s", top, ct->ct_subtype);
	hp_lower(s);
	return s;
}

static void
assert_type(const struct mailmime *m, const char *want)
{
	char *t = type_of(m);

	assert_string_equal(t, want);
	free(t);
}

static struct mailmime *
child(const struct mailmime *mp, int i)
{
	clistiter *it = clist_begin(mp->mm_data.mm_multipart.mm_mp_list);

	while (i-- > 0 && it != NULL)
		it = clist_next(it);
	assert_non_null(it);
	return clist_content(it);
}

static int
n_children(const struct mailmime *mp)
{
	return clist_count(mp->mm_data.mm_multipart.mm_mp_list);
}

/* The decoded body of a leaf part (caller frees). */
static char *
decoded(const struct mailmime *m, size_t *len)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	size_t idx = 0, n = 0;
	char *res = NULL, *copy;

	assert_int_equal(mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &res, &n),
	    MAILIMF_NO_ERROR);
	copy = xmalloc(n + 1);
	memcpy(copy, res, n);
	copy[n] = '\0';
	mmap_string_unref(res);
	*len = n;
	return copy;
}

/* Every line of the encoded body has at most max characters. */
static void
assert_encoded_lines(const struct mailmime *m, size_t max)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	const char *p = d->dt_data.dt_text.dt_data;
	const char *end = p + d->dt_data.dt_text.dt_length;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((eol ? eol : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		assert_true(n <= max);
		p = eol ? eol + 1 : end;
	}
}

static char *
decode_words(const char *raw)
{
	size_t idx = 0;
	char *out = NULL;

	assert_int_equal(mailmime_encoded_phrase_parse("us-ascii", raw,
	    strlen(raw), &idx, "utf-8", &out), MAILIMF_NO_ERROR);
	return out;
}

static const char *
param(const struct mailmime *m, const char *name)
{
	return mailmime_content_param_get(m->mm_content_type, (char *)name);
}

/* Parse msg and check everything about its shape; returns the root. */
static struct mailmime *
check_shape(const char *msg, size_t len, const char *method, const char *cal,
    size_t cal_len)
{
	struct mailmime *root = NULL, *mixed, *alt, *ics, *calpart;
	struct mailmime_single_fields sf;
	size_t idx = 0, n;
	char *body;

	assert_int_equal(mailmime_parse(msg, len, &idx, &root), MAILIMF_NO_ERROR);
	mixed = root->mm_data.mm_message.mm_msg_mime;
	assert_type(mixed, "multipart/mixed");
	assert_int_equal(n_children(mixed), 2);
	alt = child(mixed, 0);
	assert_type(alt, "multipart/alternative");
	assert_int_equal(n_children(alt), 3);
	assert_type(child(alt, 0), "text/plain");
	assert_string_equal(param(child(alt, 0), "charset"), "UTF-8");
	assert_type(child(alt, 1), "text/html");
	calpart = child(alt, 2);
	assert_type(calpart, "text/calendar");
	assert_string_equal(param(calpart, "method"), method);
	assert_string_equal(param(calpart, "charset"), "UTF-8");
	assert_int_equal(calpart->mm_data.mm_single->dt_encoding,
	    MAILMIME_MECHANISM_BASE64);
	ics = child(mixed, 1);
	assert_type(ics, "application/ics");
	mailmime_single_fields_init(&sf, ics->mm_mime_fields, ics->mm_content_type);
	assert_non_null(sf.fld_disposition);
	assert_int_equal(sf.fld_disposition->dsp_type->dsp_type,
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT);
	assert_string_equal(sf.fld_disposition_filename, "invite.ics");
	assert_string_equal(param(ics, "name"), "invite.ics");
	assert_int_equal(ics->mm_data.mm_single->dt_encoding,
	    MAILMIME_MECHANISM_BASE64);
	for (int k = 0; k < 2; k++) {
		const struct mailmime *p = k == 0 ? calpart : ics;
		assert_encoded_lines(p, 76);
		body = decoded(p, &n);
		assert_int_equal(n, cal_len);
		assert_memory_equal(body, cal, n);
		free(body);
	}
	return root;
}

/* ---- tests ---- */

static void
test_request_shape(void **state)
{
	size_t cal_len, len, n;
	char *cal = read_case("request.ics", &cal_len);
	struct compose_invite ci = sample(cal, cal_len, "REQUEST");
	char *msg = build_ok(&ci, &len), *s, *golden = NULL;
	struct mailmime *root = check_shape(msg, len, "REQUEST", cal, cal_len);
	struct mailimf_single_fields hf;
	struct mailimf_address *a;
	struct mailimf_mailbox *from;

	/* Header: decoded subject and names, our Message-ID, the extras. */
	mailimf_single_fields_init(&hf, root->mm_data.mm_message.mm_fields);
	s = decode_words(hf.fld_subject->sbj_value);
	assert_string_equal(s, SUBJECT);
	free(s);
	a = clist_content(clist_begin(hf.fld_to->to_addr_list->ad_list));
	assert_int_equal(a->ad_type, MAILIMF_ADDRESS_MAILBOX);
	s = decode_words(a->ad_data.ad_mailbox->mb_display_name);
	assert_string_equal(s, "Ånna Łukasiewicz-Dupré");
	free(s);
	from = clist_content(clist_begin(hf.fld_from->frm_mb_list->mb_list));
	assert_string_equal(from->mb_display_name, "Deventer Internationaal");
	assert_string_equal(from->mb_addr_spec, "office@example.org");
	assert_string_equal(hf.fld_message_id->mid_value, "ev-7-42@example.org");
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(msg, "\r\nList-Unsubscribe: "
	    "<mailto:office+unsubscribe-tok@example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Language: nl\r\n"));
	assert_null(strstr(msg, "List-Id:"));
	assert_null(strstr(msg, "Precedence:"));
	assert_null(strstr(msg, "Return-Path:"));
	/* Text: quoted-printable, decodes to the text with CRLF. */
	s = decoded(child(child(root->mm_data.mm_message.mm_msg_mime, 0), 0), &n);
	assert_non_null(strstr(s, "Café Überleg in Łódź en Østfold.\r\n"));
	assert_non_null(strstr(s, "\r\n-- \r\n"));
	free(s);
	mailmime_free(root);
	/* Deterministic: the same bytes again, and as the golden file. */
	s = build_ok(&ci, &n);
	assert_int_equal(n, len);
	assert_memory_equal(s, msg, n);
	free(s);
	if (getenv("INVITE_WRITE_GOLDEN") != NULL) {
		char *path = case_path("request.eml");
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(msg, 1, len, f), len);
		fclose(f);
		free(path);
	} else {
		golden = read_case("request.eml", &n);
		assert_int_equal(n, len);
		assert_memory_equal(golden, msg, n);
	}
	free(golden);
	free(msg);
	free(cal);
}

static void
test_cancel_shape(void **state)
{
	size_t cal_len, len, n;
	char *cal = read_case("cancel.ics", &cal_len);
	struct compose_invite ci = sample(cal, cal_len, "CANCEL");
	char *msg, *golden = NULL;
	struct mailmime *root;

	ci.subject = "Geannuleerd: Café Überleg – Łódź meets Østfold";
	ci.message_id = "ev-8-43@example.org";
	msg = build_ok(&ci, &len);
	root = check_shape(msg, len, "CANCEL", cal, cal_len);
	mailmime_free(root);
	if (getenv("INVITE_WRITE_GOLDEN") != NULL) {
		char *path = case_path("cancel.eml");
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(msg, 1, len, f), len);
		fclose(f);
		free(path);
	} else {
		golden = read_case("cancel.eml", &n);
		assert_int_equal(n, len);
		assert_memory_equal(golden, msg, n);
	}
	free(golden);
	free(msg);
	free(cal);
}

/* Without HTML: the alternative holds text and calendar only. */
static void
test_no_html(void **state)
{
	size_t cal_len, len, idx = 0;
	char *cal = read_case("request.ics", &cal_len), *msg;
	struct compose_invite ci = sample(cal, cal_len, "REQUEST");
	struct mailmime *root = NULL, *alt;

	ci.html = NULL;
	ci.text = "Plain ASCII text.\n";
	msg = build_ok(&ci, &len);
	assert_int_equal(mailmime_parse(msg, len, &idx, &root), MAILIMF_NO_ERROR);
	alt = child(root->mm_data.mm_message.mm_msg_mime, 0);
	assert_int_equal(n_children(alt), 2);
	assert_type(child(alt, 0), "text/plain");
	assert_int_equal(child(alt, 0)->mm_data.mm_single->dt_encoding,
	    MAILMIME_MECHANISM_7BIT);
	assert_type(child(alt, 1), "text/calendar");
	mailmime_free(root);
	free(msg);
	free(cal);
}

/* A 7bit text holding the boundary makes the next candidate be used. */
static void
test_boundary_taken(void **state)
{
	char boundary[COMPOSE_BOUNDARY_MAX], *text, *msg, *want;
	size_t cal_len, len, idx = 0;
	char *cal = read_case("request.ics", &cal_len);
	struct compose_invite ci = sample(cal, cal_len, "REQUEST");
	struct mailmime *root = NULL;

	assert_int_equal(compose_boundary_for(ci.message_id, boundary,
	    sizeof(boundary)), 0);
	text = xasprintf("--%s\n", boundary);
	ci.text = text;
	ci.html = NULL;
	msg = build_ok(&ci, &len);
	want = xasprintf("boundary=\"%s.01\"", boundary);
	assert_non_null(strstr(msg, want));
	assert_int_equal(mailmime_parse(msg, len, &idx, &root), MAILIMF_NO_ERROR);
	assert_int_equal(n_children(root->mm_data.mm_message.mm_msg_mime), 2);
	mailmime_free(root);
	free(want);
	free(msg);
	free(text);
	free(cal);
}

static void
test_refused(void **state)
{
	size_t cal_len;
	char *cal = read_case("request.ics", &cal_len), *nul, *out, err[256];
	size_t len;
	struct compose_invite ci;

	nul = xmalloc(cal_len);
	memcpy(nul, cal, cal_len);
	nul[100] = '\0';
	for (int i = 0; i < 11; i++) {
		ci = sample(cal, cal_len, "REQUEST");
		switch (i) {
		case 0: ci.method = "CANCEL"; break;	/* METHOD:REQUEST inside */
		case 1: ci.method = "PUBLISH"; break;
		case 2: ci.method = NULL; break;
		case 3: ci.text = NULL; break;
		case 4: ci.calendar = NULL; break;
		case 5: ci.calendar_len = 0; break;
		case 6: ci.calendar = nul; break;
		case 7: ci.calendar = cal + 17; ci.calendar_len -= 17; break;
		case 8: ci.subject = "Uitnodiging\r\nBcc: x@evil.example"; break;
		case 9: ci.unsubscribe_mailto = "not an address"; break;
		case 10: ci.calendar_len = COMPOSE_MAX_CALENDAR + 1; break;
		}
		out = NULL;
		err[0] = '\0';
		assert_int_equal(compose_invite_message(&ci, &out, &len, err,
		    sizeof(err)), -1);
		assert_null(out);
		assert_true(err[0] != '\0');
	}
	free(nul);
	free(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_cancel_shape),
		cmocka_unit_test(test_no_html),
		cmocka_unit_test(test_boundary_taken),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
