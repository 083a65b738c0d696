/*
 * test_compose: outgoing messages, checked by an independent parser.
 * Each built message is written to a temporary file and read back by
 * Python's email package (policy=default) via /usr/bin/python3; the
 * decoded Subject, display names, addresses, ids and body must equal
 * what went in.  When /usr/bin/python3 is missing those assertions are
 * skipped with a message; everything else (CRLF, line lengths, encoded
 * word sizes, injection refusals, determinism, Date) is checked in C.
 * Newsletter copies (compose_mailing) go through a second script that
 * also reports the MIME structure, both parts and the list headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compose.h"
#include "util.h"

#define PYTHON "/usr/bin/python3"

/* Prints key=hex(utf-8) lines, so no quoting issue can hide a mismatch. */
static const char py_script[] =
    "import sys, email, email.policy\n"
    "m = email.message_from_bytes(open(sys.argv[1], \"rb\").read(), policy=email.policy.default)\n"
    "def out(k, v): print(k + \"=\" + v.encode(\"utf-8\").hex())\n"
    "out(\"subject\", str(m[\"Subject\"] or \"\"))\n"
    "f = m[\"From\"].addresses[0]; t = m[\"To\"].addresses[0]\n"
    "out(\"from_name\", f.display_name); out(\"from_addr\", f.addr_spec)\n"
    "out(\"to_name\", t.display_name); out(\"to_addr\", t.addr_spec)\n"
    "out(\"irt\", str(m[\"In-Reply-To\"] or \"\"))\n"
    "out(\"refs\", \" \".join(str(m[\"References\"] or \"\").split()))\n"
    "out(\"body\", m.get_content().replace(\"\\r\\n\", \"\\n\"))\n"
    "out(\"ctype\", m.get_content_type() + \";\" + str(m.get_content_charset()))\n"
    "out(\"cte\", str(m[\"Content-Transfer-Encoding\"]))\n"
    "n = len(m.defects) + sum(len(getattr(v, \"defects\", ())) for v in m.values())\n"
    "out(\"defects\", str(n))\n";

/* The same for a newsletter copy: the top level, up to two parts, the
 * list headers; "-" for a header that is absent. */
static const char py_mailing_script[] =
    "import sys, email, email.policy\n"
    "m = email.message_from_bytes(open(sys.argv[1], \"rb\").read(), policy=email.policy.default)\n"
    "def out(k, v): print(k + \"=\" + v.encode(\"utf-8\").hex())\n"
    "def hdr(k): return \"-\" if m[k] is None else \" \".join(str(m[k]).split())\n"
    "out(\"subject\", str(m[\"Subject\"] or \"\"))\n"
    "t = m[\"To\"].addresses[0]\n"
    "out(\"to_name\", t.display_name); out(\"to_addr\", t.addr_spec)\n"
    "out(\"ctype\", m.get_content_type())\n"
    "parts = list(m.iter_parts()) if m.is_multipart() else [m]\n"
    "out(\"nparts\", str(len(parts)))\n"
    "for i in range(2):\n"
    "  p = parts[i] if i < len(parts) else None\n"
    "  out(\"p%d_type\" % i, p.get_content_type() + \";\" + str(p.get_content_charset()) if p else \"-\")\n"
    "  out(\"p%d_body\" % i, p.get_content().replace(\"\\r\\n\", \"\\n\") if p else \"-\")\n"
    "for k in (\"List-Id\", \"List-Unsubscribe\", \"List-Unsubscribe-Post\", \"Precedence\",\n"
    "    \"Auto-Submitted\", \"Content-Language\", \"MIME-Version\", \"Return-Path\"):\n"
    "  out(k, hdr(k))\n"
    "n = sum(len(p.defects) + sum(len(getattr(v, \"defects\", ())) for v in p.values()) for p in m.walk())\n"
    "out(\"defects\", str(n))\n";
#define PY_MAILING_KEYS 18

#define PY_KEYS 11
#define PY_KEYS_MAX 24
struct py {
	char *key[PY_KEYS_MAX];
	char *val[PY_KEYS_MAX];
	size_t n;
};

static void
py_free(struct py *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->key[i]);
		free(p->val[i]);
	}
	p->n = 0;
}

static const char *
py_get(const struct py *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	fail_msg("python gave no %s", key);
	return NULL;
}

static char *
unhex(const char *s)
{
	size_t n = strlen(s) / 2;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (char)v;
	}
	out[n] = '\0';
	return out;
}

/* Parse msg with Python's script, which prints nkeys lines.  Returns
 * false (and the test should skip) when /usr/bin/python3 is missing. */
static bool
py_run(const char *script, size_t nkeys, const char *msg, size_t len, struct py *p)
{
	char path[] = "/tmp/test_compose.XXXXXX", *cmd, line[65536];
	FILE *f;
	int fd;

	memset(p, 0, sizeof(*p));
	if (access(PYTHON, X_OK) != 0) {
		print_message("%s is missing: skipping the independent parse\n", PYTHON);
		return false;
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, msg, len), (ssize_t)len);
	close(fd);
	cmd = xasprintf("%s -c '%s' %s", PYTHON, script, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL && p->n < nkeys) {
		char *eq = strchr(line, '=');
		assert_non_null(eq);
		line[strcspn(line, "\n")] = '\0';
		*eq = '\0';
		p->key[p->n] = xstrdup(line);
		p->val[p->n] = unhex(eq + 1);
		p->n++;
	}
	assert_int_equal(pclose(f), 0);
	unlink(path);
	free(cmd);
	assert_int_equal(p->n, nkeys);
	return true;
}

static bool
py_parse(const char *msg, size_t len, struct py *p)
{
	return py_run(py_script, PY_KEYS, msg, len, p);
}

/* Every line ends in CRLF and has at most 998 octets; no bare CR/LF. */
static void
assert_lines(const char *s, size_t len)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < len && s[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		assert_true(s[i] != '\n');
		col++;
		assert_true(col <= 998);
	}
	assert_int_equal(col, 0);
}

static void
base(struct compose_text *ct)
{
	memset(ct, 0, sizeof(*ct));
	ct->from_name = "Internationaal Bureau Deventer";
	ct->from_addr = "office@hanze.example.org";
	ct->to_name = "Doe, John";
	ct->to_addr = "john@partner.example";
	ct->subject = "Hello";
	ct->message_id = "0123456789abcdef0123456789abcdef@hanze.example.org";
	ct->date = 1799337600;	/* 2027-01-07 16:00:00 UTC */
	ct->tz_offset_minutes = 60;
	ct->text = "Hello John,\n\nThanks.\n";
}

static char *
build(const struct compose_text *ct, size_t *len)
{
	char *out = NULL, err[256] = "";

	if (compose_text_message(ct, &out, len, err, sizeof(err)) != 0)
		fail_msg("compose failed: %s", err);
	assert_lines(out, *len);
	assert_int_equal(strlen(out), *len);
	return out;
}

static void
refused(const struct compose_text *ct, const char *why)
{
	char *out = (char *)1, err[256] = "";
	size_t len = 1;

	if (compose_text_message(ct, &out, &len, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", why);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_true(err[0] != '\0');
}

/* The header block only (up to the blank line). */
static char *
header_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(msg, (size_t)(end - msg) + 2);
}

/* The unfolded value of header name (first occurrence), caller frees. */
static char *
header_value(const char *msg, const char *name)
{
	char *hdr = header_of(msg), *key = xasprintf("\n%s: ", name), *p, *out;
	size_t o = 0;

	p = strstr(hdr, key);
	if (p == NULL && strncmp(hdr, key + 1, strlen(key + 1)) == 0)
		p = hdr - 1;
	assert_non_null(p);
	p += strlen(key);
	out = xcalloc(strlen(p) + 1, 1);
	for (; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
			p++;	/* unfold: drop CRLF, keep the blank */
		else if (p[0] == '\r')
			break;
		else
			out[o++] = *p;
	}
	free(hdr);
	free(key);
	return out;
}

static void
test_roundtrip_non_ascii(void **state)
{
	struct compose_text ct;
	struct py p;
	char *msg;
	size_t len;
	const char *subject = "Re: Aanmelding café Łódź — Ørsted, Müller & Zoë: "
	    "een lange onderwerpregel die over meerdere gecodeerde woorden moet "
	    "worden verdeeld (ü, é, ł, Ø) 日本語のテキスト";
	const char *body = "Beste Zoë,\n\nDank je wel voor je aanmelding.\n"
	    "Prijs: 12 € — ça va?\n-- \nHanze Büro\n";

	base(&ct);
	ct.from_name = "Hanze Büro — Łódź";
	ct.to_name = "Doe, John";
	ct.subject = subject;
	ct.text = body;
	ct.in_reply_to = "orig.1@partner.example";
	ct.references = "<root@partner.example> <mid@partner.example>";
	ct.auto_submitted = "auto-replied";
	ct.content_language = "nl";
	msg = build(&ct, &len);
	assert_null(strstr(msg, "é"));	/* headers and body are 7-bit */
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)msg[i] < 0x80);
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Language: nl\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	if (py_parse(msg, len, &p)) {
		assert_string_equal(py_get(&p, "subject"), subject);
		assert_string_equal(py_get(&p, "from_name"), "Hanze Büro — Łódź");
		assert_string_equal(py_get(&p, "from_addr"), "office@hanze.example.org");
		assert_string_equal(py_get(&p, "to_name"), "Doe, John");
		assert_string_equal(py_get(&p, "to_addr"), "john@partner.example");
		assert_string_equal(py_get(&p, "irt"), "<orig.1@partner.example>");
		assert_string_equal(py_get(&p, "refs"), "<root@partner.example> "
		    "<mid@partner.example> <orig.1@partner.example>");
		assert_string_equal(py_get(&p, "body"), body);
		assert_string_equal(py_get(&p, "ctype"), "text/plain;utf-8");
		assert_string_equal(py_get(&p, "cte"), "quoted-printable");
		assert_string_equal(py_get(&p, "defects"), "0");
		py_free(&p);
	}
	free(msg);
}

static void
test_display_names(void **state)
{
	static const char *const names[] = {
		"Doe, John", "He said \"hi\" \\o/", "Müller, Hans", "Ørsted <A/S>",
		"=?UTF-8?Q?not_encoded?=", "plain", "Jan de Vries",
		"Zoë \"Z\" Łukasz-Ørn, Büro für Internationale Zusammenarbeit und Handel",
	};
	struct compose_text ct;
	struct py p;
	char *msg;
	size_t len;

	for (size_t i = 0; i < HP_NELEM(names); i++) {
		base(&ct);
		ct.to_name = names[i];
		ct.from_name = names[HP_NELEM(names) - 1 - i];
		msg = build(&ct, &len);
		if (py_parse(msg, len, &p)) {
			assert_string_equal(py_get(&p, "to_name"), names[i]);
			assert_string_equal(py_get(&p, "from_name"),
			    names[HP_NELEM(names) - 1 - i]);
			assert_string_equal(py_get(&p, "to_addr"), "john@partner.example");
			assert_string_equal(py_get(&p, "defects"), "0");
			py_free(&p);
		}
		free(msg);
	}
	/* No name: the bare address. */
	base(&ct);
	ct.to_name = NULL;
	ct.from_name = "";
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nTo: john@partner.example\r\n"));
	assert_true(strncmp(msg, "From: office@hanze.example.org\r\n", 32) == 0);
	free(msg);
}

static void
test_seven_bit(void **state)
{
	struct compose_text ct;
	char *msg;
	size_t len;

	base(&ct);
	ct.text = "Hello John,\r\n\r\nA short ASCII text.\nWith mixed line ends.";
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: 7bit\r\n"));
	assert_non_null(strstr(msg, "\r\n\r\nHello John,\r\n\r\nA short ASCII text.\r\n"
	    "With mixed line ends.\r\n"));
	assert_int_equal(msg[len - 1], '\n');
	free(msg);
}

static void
test_qp_long_line(void **state)
{
	struct compose_text ct;
	struct py p;
	char *msg, *text, *want, *body;
	size_t len;

	text = xmalloc(1100);
	memset(text, 'a', 1000);
	memcpy(text + 1000, "\nx = y\n", 8);
	base(&ct);
	ct.text = text;
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
	body = strstr(msg, "\r\n\r\n") + 4;
	for (char *l = body; *l; l = strstr(l, "\r\n") + 2)
		assert_true(strstr(l, "\r\n") - l <= 76);
	assert_non_null(strstr(body, "x =3D y\r\n"));
	if (py_parse(msg, len, &p)) {
		want = xasprintf("%s", text);
		assert_string_equal(py_get(&p, "body"), want);
		free(want);
		py_free(&p);
	}
	free(msg);
	free(text);
}

/* libetpan 1.9.4's own QP writer doubled the last blank before a line
 * break; ours must keep "-- " and trailing tabs exact. */
static void
test_trailing_blanks(void **state)
{
	struct compose_text ct;
	struct py p;
	char *msg;
	size_t len;
	const char *text = "Grüße \nline with tab\t\n-- \nFrom here on\n  two  \n";

	base(&ct);
	ct.text = text;
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\n--=20\r\n"));
	assert_non_null(strstr(msg, "\r\n=46rom here on\r\n"));
	if (py_parse(msg, len, &p)) {
		assert_string_equal(py_get(&p, "body"), text);
		py_free(&p);
	}
	free(msg);
}

/* Decode one encoded word (the test's own decoder). */
static char *
ew_decode(const char *w, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xcalloc(n + 1, 1);
	size_t o = 0, i = 10;
	bool q;

	assert_true(n > 12 && strncmp(w, "=?UTF-8?", 8) == 0);
	assert_true(w[9] == '?' && w[n - 2] == '?' && w[n - 1] == '=');
	q = w[8] == 'Q';
	for (; i < n - 2; i++) {
		if (q && w[i] == '_')
			out[o++] = ' ';
		else if (q && w[i] == '=') {
			unsigned v;
			sscanf(w + i + 1, "%2x", &v);
			out[o++] = (char)v;
			i += 2;
		} else if (q)
			out[o++] = w[i];
		else if (w[i] != '=') {
			unsigned v = 0;
			size_t k;
			for (k = 0; k < 4 && w[i + k] != '=' && i + k < n - 2; k++)
				v |= (unsigned)(strchr(tab, w[i + k]) - tab) << (18 - 6 * k);
			for (size_t b = 0; b + 1 < k; b++)
				out[o++] = (char)(v >> (16 - 8 * b));
			i += 3;
		}
	}
	return out;
}

static void
check_words(const char *in, const char *enc)
{
	struct buf_like { char s[4096]; size_t n; } all = { "", 0 };
	const char *w = enc;
	bool first = true;

	while (*w) {
		size_t n = strcspn(w, " ");
		char *d = ew_decode(w, n);
		assert_true(n <= (first ? 62u : 75u));
		assert_true(hp_utf8_valid(d, strlen(d)));	/* split on boundaries */
		memcpy(all.s + all.n, d, strlen(d));
		all.n += strlen(d);
		free(d);
		first = false;
		w += n;
		if (*w == ' ')
			w++;
	}
	all.s[all.n] = '\0';
	assert_string_equal(all.s, in);
}

static void
test_encoded_words(void **state)
{
	const char *inputs[] = {
		("ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"
		"éééééééééééééééééé"),
		"Łódź Ørsted ü é 日本語のテキストと絵文字 😀😀😀😀😀😀😀😀😀😀😀😀 end",
		"mostly ASCII with one é in a long line of text that needs several words",
		"tab\there",
		"a =?UTF-8?Q?x?= b",
	};
	char *enc;

	for (size_t i = 0; i < HP_NELEM(inputs); i++) {
		enc = compose_encode_header_word(inputs[i]);
		assert_non_null(enc);
		if (i < 3)
			assert_non_null(strchr(enc, ' '));	/* several words */
		check_words(inputs[i], enc);
		free(enc);
	}
	/* Plain ASCII comes back unchanged. */
	enc = compose_encode_header_word("Re: Aanmelding [Hanze] (dag 2) \"quoted\"");
	assert_string_equal(enc, "Re: Aanmelding [Hanze] (dag 2) \"quoted\"");
	free(enc);
	enc = compose_encode_header_word("");
	assert_string_equal(enc, "");
	free(enc);
	/* An unbreakable run would be cut by the folder: encode it. */
	char longrun[200];
	memset(longrun, 'x', 150);
	longrun[150] = '\0';
	enc = compose_encode_header_word(longrun);
	check_words(longrun, enc);
	free(enc);
	assert_null(compose_encode_header_word(NULL));
	assert_null(compose_encode_header_word("a\r\nBcc: x@y.example"));
	assert_null(compose_encode_header_word("a\nb"));
	assert_null(compose_encode_header_word("bad \xc3\x28 utf8"));
	assert_null(compose_encode_header_word("overlong \xc0\xaf"));
}

static void
test_injection(void **state)
{
	const char *bad_extra1[] = { "X-Test", "a\r\nBcc: evil@x.example" };
	const char *bad_extra2[] = { "Bcc", "evil@x.example" };
	const char *bad_extra3[] = { "X-Te st", "v" };
	const char *bad_extra4[] = { "subject", "second subject" };
	struct compose_text ct;
	char *msg, *hdr;
	size_t len;

	base(&ct); ct.subject = "Hi\r\nBcc: evil@x.example"; refused(&ct, "CRLF subject");
	base(&ct); ct.subject = "Hi\nBcc: evil@x.example"; refused(&ct, "LF subject");
	base(&ct); ct.to_name = "John\r\nBcc: evil@x.example"; refused(&ct, "CRLF name");
	base(&ct); ct.from_name = "John\rX"; refused(&ct, "CR name");
	base(&ct); ct.to_addr = "john@partner.example\r\nRCPT TO:<evil@x.example>";
	refused(&ct, "CRLF address");
	base(&ct); ct.to_addr = "john@partner.example>"; refused(&ct, "bracket address");
	base(&ct); ct.from_addr = "not an address"; refused(&ct, "bad from");
	base(&ct); ct.to_addr = NULL; refused(&ct, "no to");
	base(&ct); ct.message_id = "abc\r\n@x.example"; refused(&ct, "CRLF msgid");
	base(&ct); ct.message_id = "no-at-sign"; refused(&ct, "msgid without @");
	base(&ct); ct.in_reply_to = "a@b\r\nBcc: evil@x.example"; refused(&ct, "CRLF irt");
	base(&ct); ct.auto_submitted = "auto-replied\r\nBcc: x"; refused(&ct, "CRLF auto");
	base(&ct); ct.content_language = "nl\r\nBcc: x"; refused(&ct, "CRLF lang");
	base(&ct); ct.extra_headers = bad_extra1; ct.n_extra_headers = 1;
	refused(&ct, "CRLF extra value");
	base(&ct); ct.extra_headers = bad_extra2; ct.n_extra_headers = 1;
	refused(&ct, "reserved extra name");
	base(&ct); ct.extra_headers = bad_extra3; ct.n_extra_headers = 1;
	refused(&ct, "bad extra name");
	base(&ct); ct.extra_headers = bad_extra4; ct.n_extra_headers = 1;
	refused(&ct, "duplicate subject");
	base(&ct); ct.text = "bad \xff utf8\n"; refused(&ct, "invalid body");
	base(&ct); ct.subject = "bad \xe2\x82 utf8"; refused(&ct, "invalid subject");

	/* A References value from outside is neutralised, not refused. */
	base(&ct);
	ct.in_reply_to = "orig@partner.example";
	ct.references = "<root@partner.example>\r\nBcc: evil@x.example <a@b.example>"
	    " <bad id@x> <also<bad@x> <c@d.example";
	msg = build(&ct, &len);
	hdr = header_of(msg);
	assert_null(strstr(hdr, "\nBcc:"));
	assert_null(strstr(hdr, "evil"));
	assert_non_null(strstr(hdr, "References: <root@partner.example> <a@b.example>"));
	free(hdr);
	free(msg);
}

static void
test_long_subject_folded(void **state)
{
	struct compose_text ct;
	char *msg, *hdr, *p;
	size_t len, words = 0;

	base(&ct);
	ct.subject = "Überraschung: ééééééééééééééééééééééééééééééééééééééééééééééééé"
	    "łłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłłł ØØØØØØØØØØØØØØØØØØØØ";
	msg = build(&ct, &len);
	hdr = header_of(msg);
	for (p = hdr; (p = strstr(p, "=?UTF-8?")) != NULL; p++) {
		size_t n = (size_t)(strstr(p, "?=") + 2 - p);
		assert_true(n <= 75);
		words++;
	}
	assert_true(words >= 3);
	/* The first word stays on the Subject line (no leading blank). */
	assert_non_null(strstr(hdr, "\r\nSubject: =?UTF-8?"));
	free(hdr);
	free(msg);
}

static void
test_date(void **state)
{
	struct compose_text ct;
	char *msg;
	size_t len;

	setenv("TZ", "America/New_York", 1);	/* must not matter */
	base(&ct);
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nDate: Thu, 7 Jan 2027 17:00:00 +0100\r\n"));
	free(msg);
	ct.tz_offset_minutes = -330;
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nDate: Thu, 7 Jan 2027 10:30:00 -0530\r\n"));
	free(msg);
	ct.tz_offset_minutes = 0;
	ct.date = 1782864000;	/* 2026-07-01 00:00:00 UTC */
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nDate: Wed, 1 Jul 2026 00:00:00 +0000\r\n"));
	free(msg);
	ct.tz_offset_minutes = 24 * 60;
	refused(&ct, "zone out of range");
	ct.tz_offset_minutes = 0;
	ct.date = -1;
	refused(&ct, "negative time");
	unsetenv("TZ");
}

static void
test_references_bounded(void **state)
{
	struct compose_text ct;
	char refs[2048] = "", *msg, *r;
	size_t len, n = 0;

	for (int i = 0; i < 20; i++) {
		char one[64];
		snprintf(one, sizeof(one), "<id%02d@partner.example> ", i);
		strcat(refs, one);
	}
	base(&ct);
	ct.references = refs;
	ct.in_reply_to = "parent@partner.example";
	msg = build(&ct, &len);
	r = header_value(msg, "References");
	for (char *p = r; (p = strchr(p, '<')) != NULL; p++)
		n++;
	assert_int_equal(n, COMPOSE_MAX_REFS);
	assert_non_null(strstr(r, "<id00@partner.example>"));	/* the root */
	assert_null(strstr(r, "<id01@partner.example>"));
	assert_null(strstr(r, "<id11@partner.example>"));
	assert_non_null(strstr(r, "<id12@partner.example>"));
	assert_non_null(strstr(r, "<id19@partner.example> <parent@partner.example>"));
	free(r);
	free(msg);

	/* in_reply_to already last in References: not repeated. */
	ct.references = "<a@x.example> <parent@partner.example>";
	msg = build(&ct, &len);
	assert_non_null(strstr(msg, "\r\nReferences: <a@x.example> <parent@partner.example>\r\n"));
	free(msg);
	/* No References and no In-Reply-To: neither header. */
	base(&ct);
	msg = build(&ct, &len);
	assert_null(strstr(msg, "References:"));
	assert_null(strstr(msg, "In-Reply-To:"));
	free(msg);
}

static void
test_deterministic_and_extras(void **state)
{
	const char *extra[] = {
		"List-Id", "Hanze nieuws <nieuws.hanze.example.org>",
		"List-Unsubscribe", "<mailto:office+unsub-abc@hanze.example.org>",
	};
	struct compose_text ct;
	char *a, *b;
	size_t la, lb;

	base(&ct);
	ct.subject = "Nieuwsbrief maart — één";
	ct.extra_headers = extra;
	ct.n_extra_headers = 2;
	a = build(&ct, &la);
	b = build(&ct, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_non_null(strstr(a, "\r\nList-Id: Hanze nieuws <nieuws.hanze.example.org>\r\n"));
	assert_non_null(strstr(a, "\r\nList-Unsubscribe: <mailto:office+unsub-abc@hanze.example.org>\r\n"));
	assert_non_null(strstr(a, "\r\nMessage-ID: <0123456789abcdef0123456789abcdef@hanze.example.org>\r\n"));
	free(a);
	free(b);
}

static void
test_message_id(void **state)
{
	unsigned char rnd[16];
	char out[128];

	for (int i = 0; i < 16; i++)
		rnd[i] = (unsigned char)(i * 17);
	compose_message_id(rnd, "hanze.example.org", out, sizeof(out));
	assert_string_equal(out, "00112233445566778899aabbccddeeff@hanze.example.org");
	compose_message_id(rnd, "bad domain", out, sizeof(out));
	assert_string_equal(out, "");
	compose_message_id(rnd, "x.example>\r\n", out, sizeof(out));
	assert_string_equal(out, "");
	compose_message_id(rnd, "", out, sizeof(out));
	assert_string_equal(out, "");
	compose_message_id(rnd, "hanze.example.org", out, 40);	/* too small */
	assert_string_equal(out, "");
}

/* ---- newsletters ---- */

#define M_MSGID "5f0e1d2c3b4a59687766554433221100@hanze.example.org"
#define M_UNSUB "office+unsubscribe-q7RkT2vX9bLm@hanze.example.org"
#define M_URL "https://hanze.example.org/unsubscribe?t=q7RkT2vX9bLm&l=nl"

static void
mbase(struct compose_mailing *cm)
{
	memset(cm, 0, sizeof(*cm));
	cm->from_name = "Hanze Internationaal";
	cm->from_addr = "office@hanze.example.org";
	cm->to_name = "Zoë Łukasiewicz";
	cm->to_addr = "zoe@partner.example";
	cm->subject = "Nieuwsbrief maart — één netwerk";
	cm->message_id = M_MSGID;
	cm->date = 1799337600;
	cm->tz_offset_minutes = 60;
	cm->content_language = "nl";
	cm->text = "Beste Zoë,\n\nHet nieuws van deze maand.\n";
	cm->html = "<!DOCTYPE html>\n<html><body><p>Beste Zo&euml;,</p>\n"
	    "<p>Het nieuws van deze maand.</p></body></html>\n";
	cm->list_id = "nieuwsbrief.hanze.example.org";
	cm->unsubscribe_mailto = M_UNSUB;
	cm->unsubscribe_https = M_URL;
}

static char *
mbuild(const struct compose_mailing *cm, size_t *len)
{
	char *out = NULL, err[256] = "";

	if (compose_mailing_message(cm, &out, len, err, sizeof(err)) != 0)
		fail_msg("compose_mailing failed: %s", err);
	assert_lines(out, *len);
	assert_int_equal(strlen(out), *len);
	for (size_t i = 0; i < *len; i++)
		assert_true((unsigned char)out[i] < 0x80);
	return out;
}

static void
mrefused(const struct compose_mailing *cm, const char *why)
{
	char *out = (char *)1, err[256] = "";
	size_t len = 1;

	if (compose_mailing_message(cm, &out, &len, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", why);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_true(err[0] != '\0');
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Is header name's value, unfolded and with blank runs collapsed
 * (libetpan may fold right after the colon), equal to want? */
static void
assert_header(const char *msg, const char *name, const char *want)
{
	char *v = header_value(msg, name), *o = v;
	const char *p = v + strspn(v, " \t");

	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			p += strspn(p, " \t");
			if (*p != '\0')
				*o++ = ' ';
		} else
			*o++ = *p++;
	}
	*o = '\0';
	assert_string_equal(v, want);
	free(v);
}

/* The boundary the message uses (from its Content-Type), caller frees. */
static char *
boundary_of(const char *msg)
{
	char *ct = header_value(msg, "Content-Type"), *b = strstr(ct, "boundary=\""), *out;

	assert_non_null(b);
	b += strlen("boundary=\"");
	out = xstrndup(b, strcspn(b, "\""));
	free(ct);
	return out;
}

static void
test_mailing_roundtrip(void **state)
{
	struct compose_mailing cm;
	struct py p;
	char *msg, *text, *html, *hdr, *bnd, *want, base[COMPOSE_BOUNDARY_MAX];
	size_t len;
	char line[1001];

	memset(line, 'x', 1000);
	line[1000] = '\0';
	text = xasprintf("Beste Zoë,\n\nNieuw: Ørsted (Łódź), Müller, café.\n%s\n"
	    ". a line with a leading dot\n.\nFrom here on, Grüße \n-- \nHanze\n", line);
	html = xasprintf("<html><body>\n<p>Beste Zoë — é ü ł Ø</p>\n<p>%s</p>\n"
	    ".\nFrom the office\n<p>-- </p>\n-- \n</body></html>\n", line);
	mbase(&cm);
	cm.text = text;
	cm.html = html;
	msg = mbuild(&cm, &len);
	hdr = header_of(msg);
	assert_null(strstr(hdr, "Return-Path"));
	assert_header(msg, "Precedence", "bulk");
	assert_header(msg, "Auto-Submitted", "auto-generated");
	assert_header(msg, "List-Id", "<nieuwsbrief.hanze.example.org>");
	assert_header(msg, "List-Unsubscribe", "<mailto:" M_UNSUB ">, <" M_URL ">");
	assert_header(msg, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
	/* The boundary is the Message-ID's, used exactly as a delimiter. */
	assert_int_equal(compose_boundary_for(M_MSGID, base, sizeof(base)), 0);
	bnd = boundary_of(msg);
	assert_string_equal(bnd, base);
	want = xasprintf("multipart/alternative; boundary=\"%s\"", base);
	assert_header(msg, "Content-Type", want);
	free(want);
	assert_int_equal(count_of(msg, bnd), 4);	/* Content-Type + 2 + close */
	assert_non_null(strstr(msg, "\r\n--=_hp_"));
	assert_true(strstr(msg, "--\r\n") == msg + len - 4);
	if (py_run(py_mailing_script, PY_MAILING_KEYS, msg, len, &p)) {
		assert_string_equal(py_get(&p, "subject"), cm.subject);
		assert_string_equal(py_get(&p, "to_name"), "Zoë Łukasiewicz");
		assert_string_equal(py_get(&p, "to_addr"), "zoe@partner.example");
		assert_string_equal(py_get(&p, "ctype"), "multipart/alternative");
		assert_string_equal(py_get(&p, "nparts"), "2");
		assert_string_equal(py_get(&p, "p0_type"), "text/plain;utf-8");
		assert_string_equal(py_get(&p, "p0_body"), text);
		assert_string_equal(py_get(&p, "p1_type"), "text/html;utf-8");
		assert_string_equal(py_get(&p, "p1_body"), html);
		assert_string_equal(py_get(&p, "List-Id"), "<nieuwsbrief.hanze.example.org>");
		assert_string_equal(py_get(&p, "List-Unsubscribe"),
		    "<mailto:" M_UNSUB ">, <" M_URL ">");
		assert_string_equal(py_get(&p, "List-Unsubscribe-Post"),
		    "List-Unsubscribe=One-Click");
		assert_string_equal(py_get(&p, "Precedence"), "bulk");
		assert_string_equal(py_get(&p, "Auto-Submitted"), "auto-generated");
		assert_string_equal(py_get(&p, "Content-Language"), "nl");
		assert_string_equal(py_get(&p, "MIME-Version"), "1.0");
		assert_string_equal(py_get(&p, "Return-Path"), "-");
		assert_string_equal(py_get(&p, "defects"), "0");
		py_free(&p);
	}
	free(bnd);
	free(hdr);
	free(msg);
	free(text);
	free(html);
}

/* Without https: mailto only, no -Post; without html: one text part. */
static void
test_mailing_text_only_no_https(void **state)
{
	struct compose_mailing cm;
	struct py p;
	char *msg, *hdr;
	size_t len;

	mbase(&cm);
	cm.html = NULL;
	cm.unsubscribe_https = NULL;
	cm.list_name = "Hanze Nieuwsbrief — Büro";
	cm.content_language = "en";
	cm.unsubscribe_mailto = "office+unsubscribe-a/b=c?d@hanze.example.org";
	msg = mbuild(&cm, &len);
	hdr = header_of(msg);
	assert_null(strstr(msg, "multipart"));
	assert_null(strstr(hdr, "List-Unsubscribe-Post"));
	assert_null(strstr(hdr, "Return-Path"));
	/* RFC 6068: '/', '=' and '?' percent-encoded in the mailto URI. */
	assert_header(msg, "List-Unsubscribe",
	    "<mailto:office+unsubscribe-a%2Fb%3Dc%3Fd@hanze.example.org>");
	assert_header(msg, "Content-Type", "text/plain; charset=\"UTF-8\"");
	if (py_run(py_mailing_script, PY_MAILING_KEYS, msg, len, &p)) {
		assert_string_equal(py_get(&p, "ctype"), "text/plain");
		assert_string_equal(py_get(&p, "nparts"), "1");
		assert_string_equal(py_get(&p, "p0_type"), "text/plain;utf-8");
		assert_string_equal(py_get(&p, "p0_body"), cm.text);
		assert_string_equal(py_get(&p, "p1_type"), "-");
		assert_string_equal(py_get(&p, "List-Id"),
		    "Hanze Nieuwsbrief — Büro <nieuwsbrief.hanze.example.org>");
		assert_string_equal(py_get(&p, "List-Unsubscribe-Post"), "-");
		assert_string_equal(py_get(&p, "Precedence"), "bulk");
		assert_string_equal(py_get(&p, "Content-Language"), "en");
		assert_string_equal(py_get(&p, "Return-Path"), "-");
		assert_string_equal(py_get(&p, "defects"), "0");
		py_free(&p);
	}
	free(hdr);
	free(msg);
	/* An ASCII list name of atoms stays plain. */
	cm.list_name = "Hanze nieuws";
	msg = mbuild(&cm, &len);
	assert_header(msg, "List-Id", "Hanze nieuws <nieuwsbrief.hanze.example.org>");
	free(msg);
}

static void
test_mailing_deterministic(void **state)
{
	struct compose_mailing cm;
	char *a, *b, *c, *ba, *bc, out[COMPOSE_BOUNDARY_MAX], out2[COMPOSE_BOUNDARY_MAX];
	size_t la, lb, lc;

	mbase(&cm);
	a = mbuild(&cm, &la);
	b = mbuild(&cm, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	cm.message_id = "other@hanze.example.org";
	c = mbuild(&cm, &lc);
	ba = boundary_of(a);
	bc = boundary_of(c);
	assert_string_not_equal(ba, bc);
	free(ba);
	free(bc);
	free(a);
	free(b);
	free(c);

	assert_int_equal(compose_boundary_for(M_MSGID, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 37);
	assert_true(strncmp(out, "=_hp_", 5) == 0);
	assert_int_equal(strspn(out + 5, "0123456789abcdef"), 32);
	assert_int_equal(compose_boundary_for(M_MSGID, out2, sizeof(out2)), 0);
	assert_string_equal(out, out2);
	assert_int_equal(compose_boundary_for(NULL, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(compose_boundary_for("", out, sizeof(out)), -1);
	assert_int_equal(compose_boundary_for(M_MSGID, out, 20), -1);
	assert_string_equal(out, "");
}

/* A 7bit part that holds the would-be boundary gets the next candidate. */
static void
test_mailing_boundary_collision(void **state)
{
	struct compose_mailing cm;
	struct py p;
	char base[COMPOSE_BOUNDARY_MAX], *text, *html, *msg, *bnd, *want;
	size_t len;

	assert_int_equal(compose_boundary_for(M_MSGID, base, sizeof(base)), 0);
	text = xasprintf("Plain ASCII.\n--%s\nContent-Type: text/evil\n\nx\n--%s--\n",
	    base, base);
	html = xasprintf("<p>\n%s.01\n%s.012\n</p>\n", base, base);
	mbase(&cm);
	cm.text = text;
	cm.html = html;
	msg = mbuild(&cm, &len);
	assert_int_equal(count_of(msg, "Content-Transfer-Encoding: 7bit"), 2);
	bnd = boundary_of(msg);
	want = xasprintf("%s.02", base);	/* .01 is in the HTML part */
	assert_string_equal(bnd, want);
	assert_int_equal(count_of(msg, bnd), 4);
	if (py_run(py_mailing_script, PY_MAILING_KEYS, msg, len, &p)) {
		assert_string_equal(py_get(&p, "nparts"), "2");
		assert_string_equal(py_get(&p, "p0_body"), text);
		assert_string_equal(py_get(&p, "p1_body"), html);
		assert_string_equal(py_get(&p, "defects"), "0");
		py_free(&p);
	}
	free(want);
	free(bnd);
	free(msg);
	free(text);
	free(html);
}

static void
test_mailing_injection(void **state)
{
	static const char *const bad_urls[] = {
		"http://hanze.example.org/u", "https://", "https:///path",
		"https://hanze.example.org/a b", "https://hanze.example.org/<x>",
		"https://hanze.example.org/>, <mailto:evil@x.example>",
		"https://hanze.example.org/\r\nBcc: evil@x.example",
		"https://hanze.example.org/\"q\"", "javascript:alert(1)",
		"https://hanze.example.org/\xc3\xa9", "mailto:evil@x.example",
	};
	static const char *const bad_ids[] = {
		"", "nodot", ".lead.example", "trail.example.", "a..b.example",
		"a b.example", "x.example>\r\nBcc: evil@x.example", "<x.example>",
		"x.example\n",
	};
	struct compose_mailing cm;
	char longurl[COMPOSE_MAX_URL + 32];
	size_t len;

	for (size_t i = 0; i < HP_NELEM(bad_urls); i++) {
		mbase(&cm);
		cm.unsubscribe_https = bad_urls[i];
		mrefused(&cm, bad_urls[i]);
	}
	for (size_t i = 0; i < HP_NELEM(bad_ids); i++) {
		mbase(&cm);
		cm.list_id = bad_ids[i];
		mrefused(&cm, bad_ids[i]);
	}
	memcpy(longurl, "https://hanze.example.org/", 26);
	memset(longurl + 26, 'a', sizeof(longurl) - 27);
	longurl[sizeof(longurl) - 1] = '\0';
	mbase(&cm); cm.unsubscribe_https = longurl; mrefused(&cm, "long URL");
	longurl[COMPOSE_MAX_URL] = '\0';	/* the longest allowed still fits a line */
	mbase(&cm);
	cm.unsubscribe_https = longurl;
	free(mbuild(&cm, &len));
	mbase(&cm); cm.list_id = NULL; mrefused(&cm, "no list id");
	mbase(&cm); cm.unsubscribe_mailto = NULL; mrefused(&cm, "no unsubscribe");
	mbase(&cm); cm.unsubscribe_mailto = "office+u@hanze.example.org>\r\nBcc: e@x.example";
	mrefused(&cm, "CRLF unsubscribe");
	mbase(&cm); cm.unsubscribe_mailto = "office+u@hanze.example.org>, <mailto:e@x.example";
	mrefused(&cm, "bracket unsubscribe");
	mbase(&cm); cm.unsubscribe_mailto = "not an address"; mrefused(&cm, "bad unsubscribe");
	mbase(&cm); cm.list_name = "Nieuws\r\nBcc: evil@x.example"; mrefused(&cm, "CRLF list name");
	mbase(&cm); cm.list_name = "bad \xff"; mrefused(&cm, "bad UTF-8 list name");
	mbase(&cm); cm.subject = "Hi\r\nBcc: evil@x.example"; mrefused(&cm, "CRLF subject");
	mbase(&cm); cm.subject = "Hi\nBcc: evil@x.example"; mrefused(&cm, "LF subject");
	mbase(&cm); cm.to_name = "Zoë\r\nBcc: evil@x.example"; mrefused(&cm, "CRLF name");
	mbase(&cm); cm.from_name = "Office\rX"; mrefused(&cm, "CR name");
	mbase(&cm); cm.to_addr = "zoe@partner.example\r\nRCPT TO:<e@x.example>";
	mrefused(&cm, "CRLF to");
	mbase(&cm); cm.to_addr = NULL; mrefused(&cm, "no to");
	mbase(&cm); cm.from_addr = "office"; mrefused(&cm, "bad from");
	mbase(&cm); cm.message_id = "abc\r\n@x.example"; mrefused(&cm, "CRLF msgid");
	mbase(&cm); cm.message_id = NULL; mrefused(&cm, "no msgid");
	mbase(&cm); cm.content_language = "nl\r\nBcc: x"; mrefused(&cm, "CRLF lang");
	mbase(&cm); cm.text = NULL; mrefused(&cm, "no text");
	mbase(&cm); cm.text = "bad \xff\n"; mrefused(&cm, "bad text");
	mbase(&cm); cm.html = "<p>bad \xc3\x28</p>"; mrefused(&cm, "bad html");
	mbase(&cm); cm.date = -1; mrefused(&cm, "bad date");
}

/* ---- copies around a shared body: compose_mailing_framed ---- */

/* The framed copy must equal the ordinary one with the texts joined:
 * same return, same bytes, same error. */
static void
assert_framed_same(struct compose_mailing *cm, const char *tpre,
    const char *tbody, const char *tpost, const char *hpre,
    const char *hbody, const char *hpost)
{
	struct compose_shared *st = compose_shared_new(tbody, strlen(tbody));
	struct compose_shared *sh = hbody ? compose_shared_new(hbody,
	    strlen(hbody)) : NULL;
	struct compose_frame ft = { tpre, tpost, st }, fh = { hpre, hpost, sh };
	char *t = xasprintf("%s%s%s", tpre, tbody, tpost), *h = NULL;
	char *slow = NULL, *fast = NULL, eslow[256] = "", efast[256] = "";
	size_t lslow = 0, lfast = 0;
	int rslow, rfast;

	if (hbody != NULL)
		h = xasprintf("%s%s%s", hpre, hbody, hpost);
	cm->text = t;
	cm->html = h;
	rslow = compose_mailing_message(cm, &slow, &lslow, eslow, sizeof(eslow));
	rfast = compose_mailing_framed(cm, &ft, hbody ? &fh : NULL, &fast,
	    &lfast, efast, sizeof(efast));
	assert_int_equal(rfast, rslow);
	assert_string_equal(efast, eslow);
	assert_int_equal(lfast, lslow);
	if (rslow == 0) {
		assert_lines(fast, lfast);
		if (memcmp(fast, slow, lslow) != 0)
			fail_msg("framed copy differs:\n%s\n---- ordinary:\n%s",
			    fast, slow);
	} else {
		assert_null(fast);
		assert_null(slow);
	}
	free(t);
	free(h);
	free(slow);
	free(fast);
	compose_shared_free(st);
	compose_shared_free(sh);
}

#define LONG_LINE "Een regel die veel langer is dan achtenzeventig tekens, " \
	"zodat hij niet als 7bit mag: quoted-printable met zachte breuken."

static void
test_framed_same_bytes(void **state)
{
	struct compose_mailing cm;
	char boundary[COMPOSE_BOUNDARY_MAX], *clash;

	mbase(&cm);
	/* Non-ASCII frame, ASCII body: the body must go QP too. */
	assert_framed_same(&cm, "Beste Zoë,\n\n", "Het nieuws.\nMeer nieuws.",
	    "\n\n-- \nAfmelden: " M_UNSUB "\nof " M_URL "\n",
	    "<p>Beste Zo&euml;,</p>\n", "<p>Het nieuws.</p>", "\n<p>" M_URL "</p>\n");
	/* All 7bit. */
	assert_framed_same(&cm, "Hello,\n\n", "News.\n", "\n\n-- \nbye\n",
	    "<p>Hello</p>\n", "<p>News</p>\n", "\n<p>bye</p>\n");
	/* ASCII frame, body with a long line and non-ASCII. */
	assert_framed_same(&cm, "Hello,\n\n", LONG_LINE "\nÉén\n", "\n-- \n",
	    "<p>Hi</p>\n", "<p>" LONG_LINE "</p>", "\n");
	/* Blanks before the line breaks at the joins, "From " at line starts,
	 * '=' and tabs. */
	assert_framed_same(&cm, "Hallo \n\t\n", "From here\nx = y \t", "\n"
	    "From there \n", "From a\n", "From b =\n", "\nFrom c\n");
	/* Empty pre, post of one line break, no final line break. */
	assert_framed_same(&cm, "", "body", "\n", "", "<p>b</p>", "\nend");
	/* CRLF and bare CR in every piece. */
	assert_framed_same(&cm, "a\r\nb\r\n", "c\rd\r\ne\r", "\n\rf\r\n",
	    "x\r\n", "y\r", "\nz");
	/* Text only; and a non-ASCII name that goes in To:. */
	cm.to_name = "Łukasz Żółć";
	assert_framed_same(&cm, "Beste Łukasz,\n\n", "Nieuws.", "\n\n-- \n"
	    M_UNSUB "\n", NULL, NULL, NULL);
	/* A 7bit body holding the boundary: ".01" must be found here too. */
	assert_int_equal(compose_boundary_for(M_MSGID, boundary,
	    sizeof(boundary)), 0);
	clash = xasprintf("x\n--%s\ny", boundary);
	mbase(&cm);
	assert_framed_same(&cm, "Hello\n", clash, "\n", "<p>\n", "<p>b</p>",
	    "\n</p>\n");
	assert_framed_same(&cm, "Hello\n", "b", "\n", "<p>\n", clash, "\n");
	free(clash);
}

/* Frames that do not put the body on lines of its own, and input the
 * ordinary path refuses: the same result as the ordinary path. */
static void
test_framed_fallback(void **state)
{
	struct compose_mailing cm;

	mbase(&cm);
	assert_framed_same(&cm, "Hello ", "News.", " bye\n", "<p>", "b",
	    "</p>\n");
	assert_framed_same(&cm, "Hello\n", "News.", "bye\n", "<p>\n", "b",
	    "\n");
	assert_framed_same(&cm, "Hello\r", "News.", "\n", "<p>\n", "b", "\n");
	assert_framed_same(&cm, "Hello\n", "News.", "\r\nbye\n", "<p>\n", "b",
	    "\n");
	/* Not UTF-8: in the frame, in the shared body. */
	assert_framed_same(&cm, "Hallo \xff\n", "News.", "\n", "<p>\n", "b",
	    "\n");
	assert_framed_same(&cm, "Hallo\n", "News \xc3(", "\n", "<p>\n", "b",
	    "\n");
	assert_framed_same(&cm, "Hallo\n", "News", "\n", "<p>\n", "b\xe2\x82",
	    "\n");
	/* A refused header: the error of the ordinary path. */
	cm.list_id = "no-dot";
	assert_framed_same(&cm, "Hallo\n", "News", "\n", "<p>\n", "b", "\n");
	mbase(&cm);
	cm.to_addr = "not an address";
	assert_framed_same(&cm, "Hallo\n", "News", "\n", NULL, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_non_ascii),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_seven_bit),
		cmocka_unit_test(test_qp_long_line),
		cmocka_unit_test(test_trailing_blanks),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_long_subject_folded),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_references_bounded),
		cmocka_unit_test(test_deterministic_and_extras),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_mailing_roundtrip),
		cmocka_unit_test(test_mailing_text_only_no_https),
		cmocka_unit_test(test_mailing_deterministic),
		cmocka_unit_test(test_mailing_boundary_collision),
		cmocka_unit_test(test_framed_same_bytes),
		cmocka_unit_test(test_framed_fallback),
		cmocka_unit_test(test_mailing_injection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
