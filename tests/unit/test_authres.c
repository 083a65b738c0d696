/*
 * Unit tests for authres: the RFC 8601 reader on the header values printed
 * in RFC 8601 Appendix B.2-B.7 and §2.7.6 (transcribed by hand from the
 * RFC's text with CRLF folding; the indentation may differ slightly from
 * the published document; what matters is the grammar they exercise.
 * B.1 is the case without any header), the folding/comment/quoting corners,
 * malformed and over-long input, relaxed alignment through Debian's
 * public suffix list (libpsl's built-in copy, so no file is read), and
 * every clause of the SPEC §4 rule in authres_check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authres.h"

#define TRUSTED "mx.example.org"

static const psl_ctx_t *psl;

/* Parse v, expect success, return the header (caller clears). */
static struct authres_header
parse_ok(const char *v)
{
	struct authres_header h;

	if (authres_parse(v, &h) != 0)
		fail_msg("authres_parse failed on: %s", v);
	return h;
}

static void
parse_bad(const char *v)
{
	struct authres_header h;

	if (authres_parse(v, &h) != -1)
		fail_msg("authres_parse accepted: %s", v);
	assert_int_equal(h.n_results, 0);
	assert_null(h.results);
	authres_header_clear(&h);
}

/* authres_check over a NULL-terminated list of header values. */
static struct authres_verdict
check_from(const char *from, const char *trusted, const psl_ctx_t *ctx, ...)
{
	const char *hs[40];
	size_t n = 0;
	struct authres_verdict v;
	va_list ap;

	va_start(ap, ctx);
	while (n < 40 && (hs[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	authres_check(hs, n, trusted, from, ctx, &v);
	assert_true(strlen(v.reason) > 0);
	assert_true(v.authenticated == (v.method != NULL));
	return v;
}

#define CHECK(from, ...) check_from(from, TRUSTED, psl, __VA_ARGS__, (const char *)NULL)

static void
assert_auth(struct authres_verdict v, const char *method)
{
	if (!v.authenticated)
		fail_msg("not authenticated: %s", v.reason);
	assert_string_equal(v.method, method);
}

static void
assert_noauth(struct authres_verdict v, const char *why)
{
	if (v.authenticated)
		fail_msg("authenticated: %s", v.reason);
	if (why != NULL && strstr(v.reason, why) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", v.reason, why);
}

/* ---- RFC 8601 Appendix B (transcribed) ---- */

/* B.2 "Nearly Trivial Case; Service Provided, but No Authentication
 * Done": a version number and "none". */
static void
test_rfc_none(void **state)
{
	struct authres_header h = parse_ok("example.org 1; none");

	assert_string_equal(h.authserv_id, "example.org");
	assert_int_equal(h.n_results, 0);
	authres_header_clear(&h);
	assert_noauth(check_from("a@example.org", "example.org", psl,
	    "example.org 1; none", (const char *)NULL), "no dkim=pass");
}

/* B.3 "Service Provided, Authentication Done". */
static void
test_rfc_spf(void **state)
{
	struct authres_header h = parse_ok("example.com;\r\n"
	    "          spf=pass smtp.mailfrom=example.net");

	assert_string_equal(h.authserv_id, "example.com");
	assert_int_equal(h.n_results, 1);
	assert_string_equal(h.results[0].method, "spf");
	assert_string_equal(h.results[0].result, "pass");
	assert_string_equal(h.results[0].header_d, "");
	authres_header_clear(&h);
	/* SPF alone never authenticates (SPEC §4 names dkim and dmarc). */
	assert_noauth(check_from("sender@example.net", "example.com", psl,
	    "example.com; spf=pass smtp.mailfrom=example.net",
	    (const char *)NULL), NULL);
}

/* B.4 "Several Authentications Done, Single MTA": two headers, comments,
 * several results, a version-less iprev with a policy property. */
static void
test_rfc_several(void **state)
{
	struct authres_header h = parse_ok("example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "          spf=pass smtp.mailfrom=example.net");

	assert_int_equal(h.n_results, 2);
	assert_string_equal(h.results[0].method, "auth");
	assert_string_equal(h.results[0].result, "pass");
	assert_string_equal(h.results[1].method, "spf");
	authres_header_clear(&h);
	h = parse_ok("example.com; iprev=pass\r\n"
	    "          policy.iprev=192.0.2.200");
	assert_int_equal(h.n_results, 1);
	assert_string_equal(h.results[0].method, "iprev");
	authres_header_clear(&h);
	/* §2.7.6: an unknown method and property are read, not rejected. */
	h = parse_ok("example.com;\r\n"
	    "          foo=pass bar.baz=blob (2 of 3 tests OK)");
	assert_int_equal(h.n_results, 1);
	assert_string_equal(h.results[0].method, "foo");
	authres_header_clear(&h);
	h = parse_ok("example.com 1; dkim/1=pass header.d=example.com; "
	    "spf=neutral smtp.mailfrom=example.com");
	assert_int_equal(h.n_results, 2);
	assert_string_equal(h.results[0].method, "dkim");
	assert_string_equal(h.results[0].header_d, "example.com");
	authres_header_clear(&h);
}

/* B.5 "Several Authentications Done, Different MTAs": the outermost
 * header says dkim=pass, an inner hop (same id) says spf=fail. */
static void
test_rfc_multihop(void **state)
{
	const char *outer = "example.com;\r\n"
	    "          dkim=pass (good signature) header.d=example.com";
	const char *inner = "example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
	    "          spf=fail smtp.mailfrom=example.com";

	assert_auth(check_from("sender@example.com", "example.com", psl,
	    outer, inner, (const char *)NULL), "dkim");
}

/* B.6 "Multi-Tiered Authentication Done": header.i only, quoted
 * reasons, a pass and a fail for different domains in one header. */
static void
test_rfc_multitier(void **state)
{
	const char *com = "example.com;\r\n"
	    "    dkim=pass reason=\"good signature\"\r\n"
	    "      header.i=@mail-router.example.net;\r\n"
	    "    dkim=fail reason=\"bad signature\"\r\n"
	    "      header.i=@newyork.example.com";
	const char *net = "example.net;\r\n"
	    "    dkim=pass (good signature) header.i=@newyork.example.com";
	struct authres_header h = parse_ok(com);

	assert_int_equal(h.n_results, 2);
	assert_string_equal(h.results[0].reason, "good signature");
	assert_string_equal(h.results[0].header_i, "@mail-router.example.net");
	assert_string_equal(h.results[1].result, "fail");
	assert_string_equal(h.results[1].header_i, "@newyork.example.com");
	authres_header_clear(&h);
	/* example.com's view: the newyork signature failed, the pass is for
	 * another organisation. */
	assert_noauth(check_from("user@newyork.example.com", "example.com",
	    psl, com, net, (const char *)NULL), "not aligned");
	/* example.net's view: the newyork signature passed. */
	assert_auth(check_from("user@newyork.example.com", "example.net",
	    psl, com, net, (const char *)NULL), "dkim");
}

/* B.7 "Comment-Heavy Example": comments between every token. */
static void
test_rfc_comments(void **state)
{
	struct authres_header h = parse_ok("foo.example.net (foobar) 1 (baz);\r\n"
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462");

	assert_string_equal(h.authserv_id, "foo.example.net");
	assert_int_equal(h.n_results, 1);
	assert_string_equal(h.results[0].method, "dkim");
	assert_string_equal(h.results[0].result, "fail");
	authres_header_clear(&h);
}

/* ---- reader corners ---- */

static void
test_parse_case_and_quotes(void **state)
{
	struct authres_header h = parse_ok("\"mx.example.org\";"
	    "DKIM=PASS Header.D=\"Example.COM\" REASON=\"a; (b) \\\"c\\\"\"");

	assert_string_equal(h.authserv_id, "mx.example.org");
	assert_string_equal(h.results[0].method, "dkim");
	assert_string_equal(h.results[0].result, "pass");
	assert_string_equal(h.results[0].header_d, "Example.COM");
	assert_string_equal(h.results[0].reason, "a; (b) \"c\"");
	authres_header_clear(&h);
	/* "(" inside a quoted string is not a comment; ")" inside a comment
	 * after a backslash does not close it; '"' inside a comment is text. */
	h = parse_ok("mx.example.org; dkim=pass reason=\"(\" (x \\) \" (y)) "
	    "header.d=example.com; dmarc=pass header.from=\"a\"@example.com");
	assert_int_equal(h.n_results, 2);
	assert_string_equal(h.results[0].header_d, "example.com");
	assert_string_equal(h.results[1].header_from, "a@example.com");
	authres_header_clear(&h);
}

static void
test_parse_folding_and_leniency(void **state)
{
	struct authres_header h = parse_ok("\r\n mx.example.org;\r\n\tdkim=pass"
	    "\r\n header.d=example.com\r\n\theader.b=ab/c+d==;\r\n dmarc=pass "
	    "action=none header.from=example.com;");

	assert_int_equal(h.n_results, 2);
	assert_string_equal(h.results[0].header_d, "example.com");
	assert_string_equal(h.results[1].method, "dmarc");
	assert_string_equal(h.results[1].header_from, "example.com");
	authres_header_clear(&h);
	/* Empty resinfo and a quoted string folded across lines. */
	h = parse_ok("mx.example.org;; spf=pass reason=\"a\r\n b\"");
	assert_int_equal(h.n_results, 1);
	assert_string_equal(h.results[0].reason, "a b");
	authres_header_clear(&h);
	/* Non-ASCII (RFC 6532) is stored as '?'; long reasons are cut. */
	h = parse_ok("mx.example.org; dkim=pass reason=\"caf\xc3\xa9 "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\" header.d=example.com");
	assert_memory_equal(h.results[0].reason, "caf?? ", 6);
	assert_int_equal(strlen(h.results[0].reason), 127);
	assert_string_equal(h.results[0].header_d, "example.com");
	authres_header_clear(&h);
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
	char *s = malloc(len);

	assert_non_null(s);
	strcpy(s, head);
	for (size_t i = 0; i < n; i++)
		strcat(s, unit);
	strcat(s, tail);
	return s;
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"", "   ", "(only a comment)", "mx.example.org",
		"mx.example.org dkim=pass", "; dkim=pass",
		"mx.example.org; dkim", "mx.example.org; dkim=",
		"mx.example.org; dkim=pass header.d",
		"mx.example.org; dkim=pass header.d=",
		"mx.example.org; dkim=pass header.=x",
		"mx.example.org; dkim=pass header.d=x (unterminated",
		"mx.example.org; dkim=pass (a (b) header.d=x",
		"mx.example.org; dkim=pass reason=\"unterminated",
		"mx.example.org; dkim=pass reason=\"x\\",
		"mx.example.org; dkim=pass header.d=a.example header.d=b.example",
		"mx.example.org; none; dkim=pass",
		"mx.example.org; dkim=pass; none",
		"mx.example.org; none dkim=pass",
		"mx.example.org; dkim/=pass", "mx.example.org; dkim/x=pass",
		"mx.example.org; dkim=pass header.d=x\001y",
		"mx.example.org; dkim=pass reason=\"a\001\"",
		"mx.example.org; dkim==pass", "mx.example.org; =pass",
		"mx.example.org; dkim=pass header.d=x \"q\"",
		"mx.example.org; dkim=pass ) header.d=x",
		"\"mx.example.org; dkim=pass",
		"mx.example.org; dkim=pass header.d=x; thisisaverylongmethodnamethatistoolong=pass",
	};
	char *s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i]);
	parse_bad(NULL);
	/* Comments nested deeper than the cap. */
	s = repeat("mx.example.org; dkim=pass ", "(", 40, "x");
	parse_bad(s);
	free(s);
	/* A header.d longer than the field is malformed, never truncated. */
	s = repeat("mx.example.org; dkim=pass header.d=", "a", 300, ".example");
	parse_bad(s);
	free(s);
	/* An over-long ignored property is fine. */
	s = repeat("mx.example.org; dkim=pass header.b=", "a", 300, "");
	{
		struct authres_header h = parse_ok(s);

		assert_int_equal(h.n_results, 1);
		authres_header_clear(&h);
	}
	free(s);
	/* More than the value cap. */
	s = repeat("mx.example.org; dkim=pass reason=\"", "x", AUTHRES_MAX_VALUE, "\"");
	parse_bad(s);
	free(s);
}

static void
test_parse_result_limit(void **state)
{
	struct authres_header h;
	char *s;

	s = repeat("mx.example.org", "; spf=pass", AUTHRES_MAX_RESULTS, "");
	h = parse_ok(s);
	assert_int_equal(h.n_results, AUTHRES_MAX_RESULTS);
	authres_header_clear(&h);
	free(s);
	s = repeat("mx.example.org", "; spf=pass", AUTHRES_MAX_RESULTS + 1, "");
	parse_bad(s);
	free(s);
}

/* A broken header keeps the authserv-id it claimed. */
static void
test_parse_keeps_id_on_error(void **state)
{
	struct authres_header h;

	assert_int_equal(authres_parse("MX.example.org; dkim=", &h), -1);
	assert_string_equal(h.authserv_id, "MX.example.org");
	authres_header_clear(&h);
	assert_int_equal(authres_parse("(unterminated", &h), -1);
	assert_string_equal(h.authserv_id, "");
	authres_header_clear(&h);
	authres_header_clear(NULL);
}

/* ---- alignment ---- */

static void
test_aligned(void **state)
{
	assert_true(authres_aligned(psl, "mail.partner.example", "partner.example"));
	assert_true(authres_aligned(psl, "partner.example", "a.b.partner.example"));
	assert_true(authres_aligned(psl, "example.co.uk", "mail.example.co.uk"));
	assert_false(authres_aligned(psl, "example.co.uk", "other.co.uk"));
	/* libpsl is case-sensitive: without lower-casing both would be
	 * "CO.UK" and align. */
	assert_false(authres_aligned(psl, "EXAMPLE.CO.UK", "OTHER.CO.UK"));
	assert_true(authres_aligned(psl, "Mail.Example.CO.UK", "example.co.uk"));
	assert_false(authres_aligned(psl, "co.uk", "co.uk"));
	assert_false(authres_aligned(psl, "alice.github.io", "bob.github.io"));
	assert_true(authres_aligned(psl, "alice.github.io", "www.alice.github.io"));
	assert_false(authres_aligned(psl, "github.io", "github.io"));
	assert_false(authres_aligned(psl, "example", "example"));
	assert_false(authres_aligned(psl, "partner.example", "other.example"));
	/* Not domains. */
	assert_false(authres_aligned(psl, "", "example.com"));
	assert_false(authres_aligned(psl, NULL, "example.com"));
	assert_false(authres_aligned(psl, "example.com.", "example.com"));
	assert_false(authres_aligned(psl, "a..example.com", "example.com"));
	assert_false(authres_aligned(psl, "caf\xc3\xa9.example", "caf\xc3\xa9.example"));
	assert_false(authres_aligned(psl, "[192.0.2.1]", "[192.0.2.1]"));
	/* Strict without a PSL. */
	assert_true(authres_aligned(NULL, "Example.COM", "example.com"));
	assert_false(authres_aligned(NULL, "mail.example.com", "example.com"));
}

/* psl_latest(NULL) (Debian's DAFSA file) answers like the built-in copy. */
static void
test_aligned_latest(void **state)
{
	psl_ctx_t *latest = psl_latest(NULL);

	assert_non_null(latest);
	assert_true(authres_aligned(latest, "mail.example.co.uk", "example.co.uk"));
	assert_false(authres_aligned(latest, "example.co.uk", "other.co.uk"));
	assert_false(authres_aligned(latest, "alice.github.io", "bob.github.io"));
	psl_free(latest);
}

/* ---- the SPEC §4 rule ---- */

static void
test_check_dkim(void **state)
{
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example"), "dkim");
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=mail.partner.example"), "dkim");
	assert_auth(CHECK("anna@mail.partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example"), "dkim");
	assert_auth(CHECK("Anna@Partner.EXAMPLE",
	    TRUSTED "; dkim=pass header.i=anna@mail.partner.example"), "dkim");
	assert_auth(CHECK("\"a@b\"@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example"), "dkim");
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=evil.example"),
	    "dkim=pass header.d=evil.example not aligned with partner.example");
	assert_noauth(CHECK("anna@example.co.uk",
	    TRUSTED "; dkim=pass header.d=other.co.uk"), "not aligned");
	assert_noauth(CHECK("anna@example.co.uk",
	    TRUSTED "; dkim=pass header.d=co.uk"), "not aligned");
	assert_noauth(CHECK("alice@alice.github.io",
	    TRUSTED "; dkim=pass header.d=mallory.github.io"), "not aligned");
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=fail header.d=partner.example"), "no dkim=pass");
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass"), "not aligned");
	/* header.d wins over header.i. */
	assert_noauth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=pass header.i=@partner.example header.d=evil.example"),
	    "not aligned");
	/* An unaligned pass next to an aligned one. */
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=esp.example; "
	    "dkim=pass header.d=partner.example"), "dkim");
}

static void
test_check_strict_without_psl(void **state)
{
	assert_auth(check_from("anna@partner.example", TRUSTED, NULL,
	    TRUSTED "; dkim=pass header.d=Partner.Example",
	    (const char *)NULL), "dkim");
	assert_noauth(check_from("anna@partner.example", TRUSTED, NULL,
	    TRUSTED "; dkim=pass header.d=mail.partner.example",
	    (const char *)NULL), "not aligned");
}

static void
test_check_dmarc(void **state)
{
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=pass"), "dmarc");
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=pass (p=none) header.from=Partner.Example"), "dmarc");
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=pass header.from=evil.example"),
	    "dmarc=pass for another domain than partner.example");
	/* header.from is compared exactly, not by organisational domain. */
	assert_noauth(CHECK("anna@mail.partner.example",
	    TRUSTED "; dmarc=pass header.from=partner.example"), NULL);
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=fail header.from=partner.example"), "dmarc=fail");
	/* dmarc wins when both pass. */
	assert_auth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=pass header.d=partner.example; dmarc=pass"), "dmarc");
}

static void
test_check_untrusted(void **state)
{
	/* Anyone can add a header; only the trusted id counts. */
	assert_noauth(CHECK("anna@partner.example",
	    "evil.example; dkim=pass header.d=partner.example; dmarc=pass"),
	    "no Authentication-Results from the trusted authserv-id (1 other");
	assert_noauth(CHECK("anna@partner.example",
	    "mx.example.org.evil.example; dmarc=pass",
	    "\"mx.example.org \"; dmarc=pass"), "(2 other");
	/* An untrusted fail or malformed header does not disturb a pass. */
	assert_auth(CHECK("anna@partner.example",
	    "evil.example; dkim=fail header.d=partner.example; dmarc=fail",
	    "evil.example; dkim=", "(garbage",
	    TRUSTED "; dkim=pass header.d=partner.example"), "dkim");
	/* The trusted id matches case-insensitively, quoted or not. */
	assert_auth(CHECK("anna@partner.example",
	    "MX.Example.ORG; dmarc=pass"), "dmarc");
	assert_auth(CHECK("anna@partner.example",
	    "\"mx.example.org\" 1; dmarc=pass"), "dmarc");
}

static void
test_check_contradiction(void **state)
{
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example",
	    TRUSTED "; dkim=fail header.d=PARTNER.example"),
	    "contradicting dkim results for header.d=partner.example");
	/* Fail before pass, in one header. */
	assert_noauth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=fail header.d=partner.example; dkim=pass header.d=partner.example"),
	    "contradicting dkim");
	/* header.i of a fail names the same domain. */
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example",
	    TRUSTED "; dkim=fail header.i=x@partner.example"), "contradicting dkim");
	/* A fail that names no domain contradicts every pass. */
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example",
	    TRUSTED "; dkim=fail"), "contradicting dkim");
	/* A fail for another domain is no contradiction. */
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example",
	    TRUSTED "; dkim=fail header.d=list.example"), "dkim");
	/* Other non-pass results are no contradiction. */
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass header.d=partner.example",
	    TRUSTED "; dkim=temperror header.d=partner.example; dkim=none"), "dkim");
	/* dmarc pass and fail, whatever header.from, and then nothing counts,
	 * not even an aligned dkim pass. */
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=pass; dkim=pass header.d=partner.example",
	    TRUSTED "; dmarc=fail header.from=other.example"),
	    "contradicting dmarc results");
	/* A dmarc=fail for the From domain vetoes an aligned dkim pass. */
	assert_noauth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=pass header.d=mail.partner.example; dmarc=fail"),
	    "dmarc=fail for partner.example");
	/* A malformed trusted header spoils everything. */
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED "; dmarc=pass", TRUSTED "; dkim=pass header.d=a header.d=b"),
	    "malformed");
}

static void
test_check_comment_tricks(void **state)
{
	/* A comment is not a result ... */
	assert_noauth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=fail (dkim=pass header.d=partner.example) header.d=partner.example"),
	    "no dkim=pass");
	assert_noauth(CHECK("anna@partner.example",
	    TRUSTED " (; dmarc=pass); spf=pass"), "no dkim=pass");
	/* ... and does not change one. */
	assert_auth(CHECK("anna@partner.example",
	    TRUSTED "; dkim=pass (not really) header.d=partner.example"), "dkim");
	/* A quoted string is not a result either. */
	assert_noauth(CHECK("anna@partner.example", TRUSTED
	    "; dkim=fail reason=\"x; dkim=pass header.d=partner.example\" "
	    "header.d=partner.example"), "no dkim=pass");
	/* A comment cannot hide a second authserv-id. */
	assert_noauth(CHECK("anna@partner.example",
	    "evil.example (" TRUSTED "); dmarc=pass"), "1 other");
}

static void
test_check_inputs(void **state)
{
	const char *h = TRUSTED "; dmarc=pass";
	const char *many[AUTHRES_MAX_HEADERS + 1];
	struct authres_verdict v;

	assert_noauth(check_from("anna@partner.example", NULL, psl, h,
	    (const char *)NULL), "no trusted_authserv_id");
	assert_noauth(check_from("anna@partner.example", "", psl, h,
	    (const char *)NULL), "no trusted_authserv_id");
	assert_noauth(CHECK("anna", h), "no usable domain");
	assert_noauth(CHECK("anna@", h), "no usable domain");
	assert_noauth(CHECK("anna@[192.0.2.1]", h), "no usable domain");
	assert_noauth(CHECK("anna@partner.example.", h), "no usable domain");
	assert_noauth(CHECK("anna@caf\xc3\xa9.example", h), "no usable domain");
	assert_noauth(check_from(NULL, TRUSTED, psl, h, (const char *)NULL),
	    "no usable domain");
	assert_noauth(check_from("anna@partner.example", TRUSTED, psl,
	    (const char *)NULL), "no Authentication-Results");
	authres_check(NULL, 3, TRUSTED, "anna@partner.example", psl, &v);
	assert_false(v.authenticated);
	for (size_t i = 0; i < AUTHRES_MAX_HEADERS + 1; i++)
		many[i] = h;
	authres_check(many, AUTHRES_MAX_HEADERS, TRUSTED, "anna@partner.example",
	    psl, &v);
	assert_true(v.authenticated);
	authres_check(many, AUTHRES_MAX_HEADERS + 1, TRUSTED,
	    "anna@partner.example", psl, &v);
	assert_false(v.authenticated);
	assert_non_null(strstr(v.reason, "too many"));
	/* NULL entries are skipped. */
	many[0] = NULL;
	authres_check(many, 2, TRUSTED, "anna@partner.example", psl, &v);
	assert_true(v.authenticated);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_none),
		cmocka_unit_test(test_rfc_spf),
		cmocka_unit_test(test_rfc_several),
		cmocka_unit_test(test_rfc_multihop),
		cmocka_unit_test(test_rfc_multitier),
		cmocka_unit_test(test_rfc_comments),
		cmocka_unit_test(test_parse_case_and_quotes),
		cmocka_unit_test(test_parse_folding_and_leniency),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_result_limit),
		cmocka_unit_test(test_parse_keeps_id_on_error),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_aligned_latest),
		cmocka_unit_test(test_check_dkim),
		cmocka_unit_test(test_check_strict_without_psl),
		cmocka_unit_test(test_check_dmarc),
		cmocka_unit_test(test_check_untrusted),
		cmocka_unit_test(test_check_contradiction),
		cmocka_unit_test(test_check_comment_tricks),
		cmocka_unit_test(test_check_inputs),
	};

	psl = psl_builtin();
	if (psl == NULL) {
		fprintf(stderr, "test_authres: libpsl has no built-in list\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
