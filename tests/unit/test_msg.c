/*
 * Unit tests for msg: parsing the mails in tests/cases/msg/ (run from the
 * repository root, or anywhere: the directory is also found from this
 * file's path), the limits, and the pipe encoding including malformed
 * input to the decoder.
 *
 * msg_parse() is safe to call here because every input is ours; it must
 * never see untrusted bytes outside the parser child (msg.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "msg.h"
#include "util.h"

static char *
case_path(const char *name)
{
	char *p = xasprintf("tests/cases/msg/%s", name);
	const char *slash;

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	slash = strrchr(__FILE__, '/');
	return xasprintf("%.*s/../cases/msg/%s",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
}

static char *
read_case(const char *name, size_t *len)
{
	char *path = case_path(name), *data;
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	data = xmalloc((size_t)n);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(path);
	*len = (size_t)n;
	return data;
}

static void
check_one_line(const char *s)
{
	if (s == NULL)
		return;
	assert_true(hp_utf8_valid(s, strlen(s)));
	for (const char *p = s; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void
check_multi_line(const char *s)
{
	if (s == NULL)
		return;
	assert_true(hp_utf8_valid(s, strlen(s)));
	assert_null(strchr(s, '\r'));
}

/* What msg.h promises for every parsed message, and a byte-exact round
 * trip through the pipe encoding. */
static void
check_invariants(const struct msg *m)
{
	const char *one[] = { m->message_id, m->from_addr, m->from_name,
		m->reply_to, m->delivered_to, m->subject, m->in_reply_to,
		m->references,
		m->auto_submitted, m->precedence, m->list_id,
		m->content_language, m->return_path, m->report_type,
		m->calendar_method };
	struct buf a, b;
	struct msg *d = NULL;

	for (size_t i = 0; i < HP_NELEM(one); i++)
		check_one_line(one[i]);
	for (size_t i = 0; i < m->n_authres; i++)
		check_one_line(m->authres[i]);
	assert_non_null(m->text);
	check_multi_line(m->text);
	check_multi_line(m->dsn_status);
	check_multi_line(m->calendar);
	assert_true(strlen(m->text) <= MSG_TEXT_MAX);
	assert_int_equal(m->has_return_path, m->return_path != NULL);
	buf_init(&a, MSG_ENCODED_MAX);
	buf_init(&b, MSG_ENCODED_MAX);
	assert_int_equal(msg_encode(m, &a), 0);
	assert_true(a.len <= MSG_ENCODED_MAX);
	assert_int_equal(msg_decode(a.data, a.len, &d), 0);
	assert_int_equal(msg_encode(d, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	msg_free(d);
	buf_free(&a);
	buf_free(&b);
}

static struct msg *
parse_case(const char *name)
{
	size_t len;
	char *raw = read_case(name, &len), err[128];
	struct msg *m = NULL;

	if (msg_parse(raw, len, &m, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(raw);
	assert_int_equal(m->raw_size, len);
	check_invariants(m);
	return m;
}

static struct msg *
parse_str(const char *raw)
{
	char err[128];
	struct msg *m = NULL;

	if (msg_parse(raw, strlen(raw), &m, err, sizeof(err)) != 0)
		fail_msg("parse: %s", err);
	check_invariants(m);
	return m;
}

static void
test_plain_utf8(void **state)
{
	struct msg *m = parse_case("plain-utf8.eml");

	(void)state;
	assert_string_equal(m->message_id, "20270104091200.GA1234@bakkerij-devries.nl");
	assert_string_equal(m->from_addr, "Anna.deVries@bakkerij-devries.nl");
	assert_string_equal(m->from_name, "Anna de Vries");
	assert_string_equal(m->subject, "Aanmelding bakkerij");
	assert_string_equal(m->content_language, "nl-NL");
	assert_string_equal(m->delivered_to, "hanze@hanzepost.example");
	assert_true(m->has_return_path);
	assert_string_equal(m->return_path, "anna.devries@bakkerij-devries.nl");
	assert_false(m->text_from_html);
	assert_non_null(strstr(m->text, "\nOrganisatie: Bakkerij De Vries\nSector: economie\n"));
	assert_non_null(strstr(m->text, "\n  ook voor evenementen in Kampen"));
	assert_non_null(strstr(m->text, "Actief-in: Duitsland, L\xc3\xbc""beck; handel\n"));
	assert_non_null(strstr(m->text, "\n-- \nBakkerij De Vries \xc2\xb7 Zwolle"));
	assert_null(m->reply_to);
	assert_null(m->auto_submitted);
	assert_null(m->calendar);
	assert_null(m->report_type);
	assert_int_equal(m->n_authres, 0);
	msg_free(m);
}

static void
test_qp_latin1(void **state)
{
	struct msg *m = parse_case("qp-latin1.eml");

	(void)state;
	assert_string_equal(m->from_name, "Jos\xc3\xa9 G\xc3\xb3mez");
	assert_string_equal(m->subject, "Inscripci\xc3\xb3n caf\xc3\xa9");
	assert_non_null(strstr(m->text, "Organisation: Caf\xc3\xa9 G\xc3\xb3mez\n"));
	/* Soft line breaks of quoted-printable are joined. */
	assert_non_null(strstr(m->text, "Description: Un caf\xc3\xa9 espa\xc3\xb1ol"
	    " \xc3\xa0 Kampen, ouvert depuis 1998. Cette ligne est tr\xc3\xa8s"
	    " longue pour forcer une coupure douce dans le codage"
	    " quoted-printable.\n"));
	msg_free(m);
}

static void
test_base64_utf8(void **state)
{
	struct msg *m = parse_case("base64-utf8.eml");

	(void)state;
	assert_string_equal(m->message_id, "CAF=x+9Yz@mail.gmail.com");
	assert_string_equal(m->from_name, "M\xc3\xbcller, J\xc3\xb6rg");
	assert_string_equal(m->subject, "Anmeldung M\xc3\xbcller & S\xc3\xb6hne");
	assert_string_equal(m->text, "Hallo,\n\nOrganisation: M\xc3\xbcller & "
	    "S\xc3\xb6hne GmbH\nSector: economy\nNetworks: Hanze, Eurocities\n\n"
	    "Viele Gr\xc3\xbc\xc3\x9f""e aus L\xc3\xbc""beck \xf0\x9f\x8c\x8a\n");
	msg_free(m);
}

static void
test_windows_1252(void **state)
{
	static const char *const names[] = { "cp1252.eml", "latin1-mislabelled.eml" };

	(void)state;
	/* Declared windows-1252, and the same bytes declared ISO-8859-1 (as
	 * Outlook does): curly quotes and the euro sign either way. */
	for (size_t i = 0; i < HP_NELEM(names); i++) {
		struct msg *m = parse_case(names[i]);
		assert_string_equal(m->text, "Dear Hanze team,\n\n"
		    "Organisation: \xe2\x80\x9cNorth Sea Trading\xe2\x80\x9d Ltd\n"
		    "Description: We don\xe2\x80\x99t charge more than \xe2\x82\xac"
		    " 50 \xe2\x80\x93 really.\n");
		msg_free(m);
	}
}

static void
test_format_flowed(void **state)
{
	/* Thunderbird wraps long lines with a trailing space (RFC 3676): a
	 * wrapped form value must come out as one line. */
	struct msg *m = parse_case("flowed.eml");

	(void)state;
	assert_string_equal(m->text, "Hello,\n\n"
	    "Organisation: Hanseatic Heritage Foundation\nSector: culture\n"
	    "Description: We restore historic ships in the harbour of "
	    "L\xc3\xbc""beck and organise summer schools for students from all "
	    "Hanseatic cities, together with local museums.\n"
	    "Website: https://heritage.example\n"
	    "From the board: stuffed line\n"
	    "> Quoted soft \n> line stays\n\n-- \nGreta\n");
	msg_free(m);
	m = parse_str("From: a@b.example\r\nContent-Type: text/plain; "
	    "format=flowed; delsp=yes\r\n\r\nlong wo \r\nrd here\r\n");
	assert_string_equal(m->text, "long word here\n");
	msg_free(m);
}

static void
test_alternative_prefers_text(void **state)
{
	struct msg *m = parse_case("alternative.eml");

	(void)state;
	assert_false(m->text_from_html);
	assert_string_equal(m->text, "Organisation: Stadtwerke Rostock\nSector: government\n");
	msg_free(m);
}

static void
test_html_only(void **state)
{
	struct msg *m = parse_case("html-only.eml");

	(void)state;
	assert_true(m->text_from_html);
	assert_string_equal(m->text,
	    "Organisation: Port of Tallinn\nSector: economy\n\n"
	    "Description: Cargo & passengers \xe2\x80\x93 since 1378. "
	    "Caf\xc3\xa9 on the quay.\n\n"
	    "- Website: tallinn-port.example\n"
	    "- More: our partners page <https://tallinn-port.example/partners>\n\n"
	    "Kind regards,\nMari\n");
	msg_free(m);
}

static void
test_html_then_footer(void **state)
{
	/* A list appends a text/plain footer to an HTML-only mail: the body
	 * is still the first part, not the footer. */
	struct msg *m = parse_case("mixed-footer.eml");

	(void)state;
	assert_true(m->text_from_html);
	assert_string_equal(m->text, "Organisation: Lists Member\n");
	assert_string_equal(m->list_id, "<partners.lists.example.org>");
	msg_free(m);
}

static void
test_rfc2047(void **state)
{
	static const struct {
		const char *file, *name, *subject;
	} cases[] = {
		{ "rfc2047-a.eml", "Jos\xc3\xa9 G\xc3\xb3mez",
		    "Aanmelding caf\xc3\xa9 \xe2\x82\xac event" },
		{ "rfc2047-b.eml", "S\xc3\xb8ren J\xc3\xb8rgensen",
		    "\xc3\x85rhus m\xc3\xb8""de \xc3\xa6""bleskiver" },
		{ "rfc2047-c.eml", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0 "
		    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xb0",
		    "Fr\xc3\xa5ga om m\xc3\xb6te" },
	};

	(void)state;
	for (size_t i = 0; i < HP_NELEM(cases); i++) {
		struct msg *m = parse_case(cases[i].file);
		assert_string_equal(m->from_name, cases[i].name);
		assert_string_equal(m->subject, cases[i].subject);
		if (i == 1)
			assert_string_equal(m->reply_to, "Reply@example.dk");
		msg_free(m);
	}
}

static void
test_charsets(void **state)
{
	struct msg *m = parse_case("charsets.eml");

	(void)state;
	/* koi8-r encoded word; raw 8-bit (Latin-1) bytes in a header; an
	 * iso-8859-2 body through iconv. */
	assert_string_equal(m->from_name, "\xd0\x9d\xd0\xb0\xd1\x82\xd0\xb0"
	    "\xd0\xbb\xd1\x8c\xd1\x8f");
	assert_string_equal(m->subject, "Za\xc2\xbf\xc3\xb3\xc2\xb3\xc3\xa6 raw latin1 \xc3\xa9");
	assert_string_equal(m->text, "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 g\xc4\x99\xc5\x9b"
	    "l\xc4\x85 ja\xc5\xba\xc5\x84");
	msg_free(m);
	m = parse_case("bad-utf8.eml");
	assert_string_equal(m->text, "ok \xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd end "
	    "\xef\xbf\xbd\xef\xbf\xbd\n");
	msg_free(m);
	/* An unknown (and path-like) charset label: not UTF-8, so Windows-1252. */
	m = parse_case("unknown-charset.eml");
	assert_string_equal(m->text, "na\xc3\xafve caf\xc3\xa9");
	msg_free(m);
}

static void
test_folded_headers(void **state)
{
	struct msg *m = parse_case("folded.eml");

	(void)state;
	assert_string_equal(m->message_id, "folded-1@example.org");
	assert_string_equal(m->from_addr, "folder@example.org");
	assert_string_equal(m->from_name, "Folding Person");
	assert_string_equal(m->subject, "This is a rather long subject line "
	    "that was folded by the sending client across three lines");
	assert_string_equal(m->in_reply_to, "<hp-reply-1@hanzepost.example>");
	assert_string_equal(m->references,
	    "<first@example.org> <hp-reply-1@hanzepost.example>");
	assert_string_equal(m->list_id, "Hanze partners <partners.lists.example.org>");
	assert_string_equal(m->return_path, "bounce+x@lists.example.org");
	assert_int_equal(m->n_authres, 2);
	assert_string_equal(m->authres[0], "mx.hanzepost.example; "
	    "dkim=pass header.d=example.org header.s=sel1 header.b=AbCdEf12; "
	    "spf=pass (mx.hanzepost.example: domain of bounce+x@lists.example.org "
	    " designates 192.0.2.5 as permitted sender) smtp.mailfrom=lists.example.org; "
	    "dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org");
	assert_string_equal(m->authres[1], "evil.example; dkim=pass header.d=bank.example");
	assert_string_equal(m->text, "Body.\n");
	msg_free(m);
}

static void
test_auto_reply_headers(void **state)
{
	struct msg *m = parse_case("auto-reply.eml");

	(void)state;
	assert_string_equal(m->auto_submitted, "auto-replied");
	assert_string_equal(m->precedence, "bulk");
	assert_string_equal(m->list_id, "<announce.example.net>");
	assert_true(m->has_return_path);
	assert_string_equal(m->return_path, "");
	msg_free(m);
	m = parse_case("alternative.eml");
	assert_false(m->has_return_path);
	assert_null(m->return_path);
	msg_free(m);
}

static void
test_dsn(void **state)
{
	struct msg *m = parse_case("dsn.eml");

	(void)state;
	assert_string_equal(m->report_type, "delivery-status");
	assert_non_null(m->dsn_status);
	assert_non_null(strstr(m->dsn_status, "Reporting-MTA: dns; mx.hanzepost.example\n"));
	assert_non_null(strstr(m->dsn_status, "\n\nFinal-Recipient: rfc822; gone@partner.example\n"));
	assert_non_null(strstr(m->dsn_status, "\nAction: failed\nStatus: 5.1.1\n"));
	assert_non_null(strstr(m->text, "This is the mail system at host"));
	assert_string_equal(m->from_addr, "MAILER-DAEMON@mx.hanzepost.example");
	assert_string_equal(m->return_path, "");
	assert_string_equal(m->delivered_to, "bounce+42-abcdef@hanzepost.example");
	assert_string_equal(m->message_id, "20270113090001.4Xq1@mx.hanzepost.example");
	/* The returned copy's id, from the text/rfc822-headers part. */
	assert_string_equal(m->returned_message_id, "nl-2027-01.42@hanzepost.example");
	assert_null(m->calendar);
	msg_free(m);
}

static void
test_calendar_reply(void **state)
{
	struct msg *m = parse_case("calendar-reply.eml");

	(void)state;
	assert_non_null(m->calendar);
	assert_string_equal(m->calendar_method, "REPLY");
	assert_false(m->calendar_is_attachment);
	assert_true(strncmp(m->calendar, "BEGIN:VCALENDAR\nMETHOD:REPLY\n", 29) == 0);
	assert_non_null(strstr(m->calendar, "ATTENDEE;PARTSTAT=ACCEPTED;CN=Eva Lind:"
	    "mailto:eva.lind@example.se\n"));
	assert_non_null(strstr(m->calendar, "network day \xe2\x80\x93 Visby\n"));
	assert_string_equal(m->text, "See you there.\n");
	msg_free(m);
}

static void
test_ics_attachment(void **state)
{
	struct msg *m = parse_case("ics-attachment.eml");

	(void)state;
	assert_non_null(m->calendar);
	assert_true(m->calendar_is_attachment);
	assert_null(m->calendar_method);
	assert_non_null(strstr(m->calendar, "\nSUMMARY:Hanzedagen Bergen\n"));
	assert_string_equal(m->text, "Please add our event.\n");
	msg_free(m);
}

/* Outlook's Rich Text answer: only a winmail.dat, no calendar. */
static void
test_tnef_answer(void **state)
{
	struct msg *m = parse_case("tnef-answer.eml");

	(void)state;
	assert_true(m->has_tnef);
	assert_null(m->calendar);
	msg_free(m);
	m = parse_case("ics-attachment.eml");
	assert_false(m->has_tnef);
	msg_free(m);
}

static void
test_forwarded_not_body(void **state)
{
	struct msg *m = parse_case("forwarded.eml");

	(void)state;
	assert_string_equal(m->text, "");
	assert_null(strstr(m->text, "INNER"));
	assert_string_equal(m->calendar_method, "REQUEST");
	assert_false(m->calendar_is_attachment);
	assert_null(m->returned_message_id);	/* the inner one has none */
	msg_free(m);
	/* A bounce that returns the whole message (Exchange style). */
	m = parse_case("returned-rfc822.eml");
	assert_string_equal(m->returned_message_id, "nl-3-7@example.org");
	assert_string_equal(m->message_id, "ndr-7@mx.partner.example");
	msg_free(m);
}

static void
test_odd_messages(void **state)
{
	struct msg *m = parse_case("no-message-id.eml");

	(void)state;
	assert_null(m->message_id);
	assert_null(m->from_name);
	assert_string_equal(m->from_addr, "old-mailer@example.com");
	assert_string_equal(m->text, "Organisation: Old Mailer Inc\n");
	msg_free(m);
	m = parse_case("lf-only.eml");
	assert_string_equal(m->message_id, "lf-1@example.org");
	assert_string_equal(m->subject, "LF only folded");
	assert_string_equal(m->text, "line one\nline two\nline three\n");
	msg_free(m);
	m = parse_case("nul-bytes.eml");
	assert_string_equal(m->text, "beforeafter\nbell esc[31m tab\there\n");
	msg_free(m);
	/* CR-only line ends and a byte-order mark. */
	m = parse_str("From: a@b.example\r\nSubject: x\r\n\r\n\xef\xbb\xbf""a\rb\r\nc");
	assert_string_equal(m->text, "a\nb\nc");
	msg_free(m);
	/* Message-IDs that cannot be used as one are absent; libetpan itself
	 * drops white space inside one. */
	m = parse_str("Message-ID: <a@b> <c@d>\r\nFrom: a@b.example\r\n\r\nx");
	assert_null(m->message_id);
	msg_free(m);
	m = parse_str("Message-ID: <has space@x>\r\nFrom: a@b.example\r\n\r\nx");
	assert_string_equal(m->message_id, "hasspace@x");
	assert_null(m->delivered_to);
	msg_free(m);
	/* The envelope recipient: Delivered-To first, else X-Original-To. */
	m = parse_str("X-Original-To: <Orig@Example.ORG>\r\nDelivered-To: not an address\r\n"
	    "From: a@b.example\r\n\r\nx");
	assert_string_equal(m->delivered_to, "Orig@example.org");
	msg_free(m);
}

static void
test_not_a_message(void **state)
{
	char err[64];
	struct msg *m = (struct msg *)1;

	(void)state;
	assert_int_equal(msg_parse("", 0, &m, err, sizeof(err)), -1);
	assert_null(m);
	assert_string_equal(err, "empty message");
	assert_int_equal(msg_parse("hello world\nno headers here\n", 28, &m,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "no header fields");
	/* Refused on the length alone, before any byte is read. */
	assert_int_equal(msg_parse("x", MSG_RAW_MAX + 1, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(msg_parse(NULL, 5, &m, NULL, 0), -1);
}

static char *
nested(size_t depth)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "From: deep@example.org\r\nSubject: deep\r\n");
	for (size_t i = 0; i < depth; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%zu\"\r\n"
		    "\r\n--b%zu\r\n", i, i);
	buf_puts(&b, "Content-Type: text/plain\r\n\r\ndeep text");
	for (size_t i = depth; i-- > 0;)
		buf_printf(&b, "\r\n--b%zu--\r\n", i);
	return buf_release(&b, NULL);
}

static void
test_depth_and_parts_limits(void **state)
{
	char *raw = nested(MSG_DEPTH_MAX - 2);
	struct msg *m = parse_str(raw);
	struct buf b;

	(void)state;
	assert_string_equal(m->text, "deep text");
	msg_free(m);
	free(raw);
	raw = nested(MSG_DEPTH_MAX + 5);
	m = parse_str(raw);
	assert_string_equal(m->text, "");	/* too deep to look at */
	msg_free(m);
	free(raw);
	/* 300 empty parts, then the text and a calendar: not examined. */
	buf_init(&b, 0);
	buf_puts(&b, "From: many@example.org\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "--p\r\nContent-Type: image/png\r\n\r\nx\r\n");
	buf_puts(&b, "--p\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\n"
	    "--p\r\nContent-Type: text/plain\r\n\r\nlate\r\n--p--\r\n");
	m = parse_str(b.data);
	assert_string_equal(m->text, "");
	assert_null(m->calendar);
	msg_free(m);
	buf_free(&b);
}

static void
test_size_limits(void **state)
{
	struct buf b;
	struct msg *m;
	size_t len;

	(void)state;
	/* 3 MiB of two-byte characters: cut at MSG_TEXT_MAX, cleanly. */
	buf_init(&b, 0);
	buf_puts(&b, "From: big@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	for (int i = 0; i < 3 << 19; i++)
		buf_append(&b, "\xc3\xa9", 2);
	m = parse_str(b.data);
	len = strlen(m->text);
	assert_true(len <= MSG_TEXT_MAX && len > MSG_TEXT_MAX - 4);
	msg_free(m);
	buf_free(&b);
	/* 40 Authentication-Results: the first MSG_AUTHRES_MAX are kept. */
	buf_init(&b, 0);
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "Authentication-Results: host%d; none\r\n", i);
	buf_puts(&b, "From: a@b.example\r\n\r\nx");
	m = parse_str(b.data);
	assert_int_equal(m->n_authres, MSG_AUTHRES_MAX);
	assert_string_equal(m->authres[0], "host0; none");
	msg_free(m);
	buf_free(&b);
	/* 400 References: the first and the most recent ones are kept. */
	buf_init(&b, 0);
	buf_puts(&b, "From: a@b.example\r\nReferences:");
	for (int i = 0; i < 400; i++)
		buf_printf(&b, "\r\n <ref-%03d-padding-padding@thread.example>", i);
	buf_puts(&b, "\r\n\r\nx");
	m = parse_str(b.data);
	len = strlen(m->references);
	assert_true(len <= MSG_HEADER_MAX && len > MSG_HEADER_MAX - 100);
	assert_true(strncmp(m->references, "<ref-000-", 9) == 0);
	assert_non_null(strstr(m->references, "> <ref-399-padding-padding@thread.example>"));
	assert_null(strstr(m->references, "<ref-001-"));
	msg_free(m);
	buf_free(&b);
}

static void
test_all_cases_invariants(void **state)
{
	static const char *const all[] = { "alternative.eml", "auto-reply.eml",
		"bad-utf8.eml", "base64-utf8.eml", "calendar-reply.eml",
		"charsets.eml", "cp1252.eml", "dsn.eml", "flowed.eml", "folded.eml",
		"forwarded.eml", "html-only.eml", "ics-attachment.eml",
		"latin1-mislabelled.eml", "lf-only.eml", "mixed-footer.eml",
		"no-message-id.eml", "nul-bytes.eml", "plain-utf8.eml",
		"qp-latin1.eml", "rfc2047-a.eml", "rfc2047-b.eml",
		"rfc2047-c.eml", "unknown-charset.eml" };

	(void)state;
	for (size_t i = 0; i < HP_NELEM(all); i++)
		msg_free(parse_case(all[i]));	/* parse_case checks them */
}

/* ---- the pipe encoding ---- */

static struct msg *
full_msg(void)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->message_id = xstrdup("id@example.org");
	m->from_addr = xstrdup("a@example.org");
	m->from_name = xstrdup("J\xc3\xb6rg");
	m->reply_to = xstrdup("r@example.org");
	m->delivered_to = xstrdup("bounce+1@example.org");
	m->subject = xstrdup("Subject \xe2\x82\xac");
	m->in_reply_to = xstrdup("<p@x>");
	m->references = xstrdup("<q@x> <p@x>");
	m->auto_submitted = xstrdup("no");
	m->precedence = xstrdup("list");
	m->list_id = xstrdup("<l.example.org>");
	m->content_language = xstrdup("nl");
	m->has_return_path = true;
	m->return_path = xstrdup("");
	m->n_authres = 2;
	m->authres = xcalloc(2, sizeof(char *));
	m->authres[0] = xstrdup("mx; dkim=pass");
	m->authres[1] = xstrdup("");
	m->text = xstrdup("line 1\n\tline 2\n");
	m->text_from_html = true;
	m->report_type = xstrdup("delivery-status");
	m->dsn_status = xstrdup("Status: 5.1.1\n");
	m->calendar = xstrdup("BEGIN:VCALENDAR\nEND:VCALENDAR\n");
	m->calendar_method = xstrdup("REPLY");
	m->calendar_is_attachment = true;
	m->has_tnef = true;
	m->returned_message_id = xstrdup("nl-1-2@example.org");
	m->raw_size = 123456789;
	return m;
}

static void
encode(const struct msg *m, struct buf *b)
{
	buf_init(b, MSG_ENCODED_MAX);
	assert_int_equal(msg_encode(m, b), 0);
}

static void
test_wire_round_trip(void **state)
{
	struct msg *m = full_msg(), *d = NULL, empty = { 0 };
	struct buf b;

	(void)state;
	encode(m, &b);
	assert_int_equal(msg_decode(b.data, b.len, &d), 0);
	assert_string_equal(d->from_name, m->from_name);
	assert_string_equal(d->delivered_to, "bounce+1@example.org");
	assert_string_equal(d->return_path, "");
	assert_true(d->has_return_path && d->text_from_html && d->calendar_is_attachment);
	assert_true(d->has_tnef);
	assert_string_equal(d->returned_message_id, "nl-1-2@example.org");
	assert_int_equal(d->n_authres, 2);
	assert_string_equal(d->authres[0], "mx; dkim=pass");
	assert_string_equal(d->authres[1], "");
	assert_string_equal(d->text, m->text);
	assert_string_equal(d->calendar, m->calendar);
	assert_int_equal(d->raw_size, 123456789);
	msg_free(d);
	buf_free(&b);
	/* All optional fields absent. */
	empty.text = "";
	encode(&empty, &b);
	assert_int_equal(msg_decode(b.data, b.len, &d), 0);
	assert_null(d->message_id);
	assert_null(d->calendar);
	assert_false(d->has_return_path);
	assert_int_equal(d->n_authres, 0);
	assert_string_equal(d->text, "");
	msg_free(d);
	buf_free(&b);
	msg_free(m);
}

static void
test_wire_encode_refuses(void **state)
{
	struct msg *m = full_msg();
	struct buf b;
	char *big = xmalloc(MSG_HEADER_MAX + 2);

	(void)state;
	buf_init(&b, MSG_ENCODED_MAX);
	memset(big, 'a', MSG_HEADER_MAX + 1);
	big[MSG_HEADER_MAX + 1] = '\0';
	free(m->subject);
	m->subject = big;
	assert_int_equal(msg_encode(m, &b), -1);
	free(m->text);
	m->text = NULL;
	buf_reset(&b);
	assert_int_equal(msg_encode(m, &b), -1);
	buf_free(&b);
	msg_free(m);
}

/* Offset of the length field of the idx-th string (0-based). */
static size_t
str_offset(const struct buf *b, int idx)
{
	size_t off = 10;

	for (int i = 0; i < idx; i++) {
		uint32_t n;
		memcpy(&n, b->data + off, 4);	/* little-endian host */
		off += 4 + (n == 0xffffffffu ? 0 : n);
	}
	return off;
}

static void
expect_reject(const struct buf *b, size_t at, const void *bytes, size_t n)
{
	char *copy = xmalloc(b->len);
	struct msg *d = (struct msg *)1;

	memcpy(copy, b->data, b->len);
	memcpy(copy + at, bytes, n);
	assert_int_equal(msg_decode(copy, b->len, &d), -1);
	assert_null(d);
	free(copy);
}

static void
test_wire_rejects_malformed(void **state)
{
	struct msg *m = full_msg(), *d = NULL;
	struct buf b;
	char *longer;
	static const uint32_t huge = 0x7fffffff, none = 0xffffffffu;
	size_t subj = 0;

	(void)state;
	encode(m, &b);
	/* Every truncation. */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(msg_decode(b.data, n, &d), -1);
	/* Trailing garbage. */
	longer = xmalloc(b.len + 1);
	memcpy(longer, b.data, b.len);
	longer[b.len] = 0;
	assert_int_equal(msg_decode(longer, b.len + 1, &d), -1);
	free(longer);
	expect_reject(&b, 0, "\x02", 1);		/* version */
	expect_reject(&b, 1, "\x08", 1);		/* unknown flag */
	expect_reject(&b, 1, "\x06", 1);		/* flag says no Return-Path, one follows */
	subj = str_offset(&b, 4);
	expect_reject(&b, subj, &huge, 4);		/* lying length */
	expect_reject(&b, str_offset(&b, 12), &none, 4);	/* NULL text */
	expect_reject(&b, subj + 4, "\x00", 1);		/* NUL inside a string */
	expect_reject(&b, subj + 4, "\xff", 1);		/* invalid UTF-8 */
	expect_reject(&b, subj + 4, "\r", 1);		/* CR in a header */
	expect_reject(&b, subj + 4, "\n", 1);		/* LF in a header */
	expect_reject(&b, str_offset(&b, 12) + 4, "\r", 1);	/* CR in text */
	expect_reject(&b, str_offset(&b, 18), &huge, 4);	/* huge authres count */
	expect_reject(&b, str_offset(&b, 18), "\x21\0\0\0", 4);	/* > MSG_AUTHRES_MAX */
	expect_reject(&b, str_offset(&b, 18), "\x03\0\0\0", 4);	/* count > present */
	assert_int_equal(msg_decode(b.data, MSG_ENCODED_MAX + 1, &d), -1);
	assert_int_equal(msg_decode(NULL, 0, &d), -1);
	/* And the unmodified bytes still decode. */
	assert_int_equal(msg_decode(b.data, b.len, &d), 0);
	msg_free(d);
	buf_free(&b);
	msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_utf8),
		cmocka_unit_test(test_qp_latin1),
		cmocka_unit_test(test_base64_utf8),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_format_flowed),
		cmocka_unit_test(test_alternative_prefers_text),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_html_then_footer),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_folded_headers),
		cmocka_unit_test(test_auto_reply_headers),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_calendar_reply),
		cmocka_unit_test(test_ics_attachment),
		cmocka_unit_test(test_tnef_answer),
		cmocka_unit_test(test_forwarded_not_body),
		cmocka_unit_test(test_odd_messages),
		cmocka_unit_test(test_not_a_message),
		cmocka_unit_test(test_depth_and_parts_limits),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_all_cases_invariants),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_wire_encode_refuses),
		cmocka_unit_test(test_wire_rejects_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
