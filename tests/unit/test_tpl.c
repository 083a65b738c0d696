/*
 * test_tpl: the Mustache renderer against the official spec's core test
 * cases (read from $HP_SHARED_DIR/mustache-spec or ../shared/mustache-spec,
 * never copied into the project), plus our own cases: verbatim text
 * templates, error messages with line numbers, depth, output and work
 * limits, non-ASCII text, numbers and truthiness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "tpl.h"

/* ---- the spec ---- */

static char *
spec_partial(const char *name, void *arg)
{
	json_t *v = json_object_get(arg, name);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* The spec directory, or NULL when this machine has none. */
static const char *
spec_dir(char *buf, size_t size)
{
	const char *shared = getenv("HP_SHARED_DIR");
	struct stat sb;

	if (shared && *shared) {
		snprintf(buf, size, "%s/mustache-spec", shared);
		if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
			return buf;
	}
	snprintf(buf, size, "../shared/mustache-spec");
	if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
		return buf;
	return NULL;
}

/* Run one case; true when it passes. */
static bool
spec_case(const char *module, json_t *tc)
{
	json_t *tmpl = json_object_get(tc, "template");
	json_t *want = json_object_get(tc, "expected");
	struct tpl_opts o = { .html_escape = true, .partial = spec_partial,
	    .partial_arg = json_object_get(tc, "partials") };
	char *out = NULL, err[256];
	size_t len = 0;
	bool ok;

	if (!json_is_string(tmpl) || !json_is_string(want)) {
		printf("spec %s: malformed case\n", module);
		return false;
	}
	if (tpl_render(json_string_value(tmpl), json_string_length(tmpl),
	    json_object_get(tc, "data"), &o, &out, &len, err,
	    sizeof(err)) == -1) {
		printf("FAIL %s / %s: error %s\n", module,
		    json_string_value(json_object_get(tc, "name")), err);
		return false;
	}
	ok = len == json_string_length(want) &&
	    memcmp(out, json_string_value(want), len) == 0;
	if (!ok)
		printf("FAIL %s / %s:\n  want [%s]\n  got  [%s]\n", module,
		    json_string_value(json_object_get(tc, "name")),
		    json_string_value(want), out);
	free(out);
	return ok;
}

static void
spec_module(const char *module, size_t expect)
{
	char dir[4096], path[4200];
	json_error_t jerr;
	json_t *doc, *tests, *tc;
	size_t i, passed = 0, n;

	if (spec_dir(dir, sizeof(dir)) == NULL) {
		printf("SKIP: no mustache-spec directory (set HP_SHARED_DIR, "
		    "or run from the repo root with ../shared/mustache-spec)\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, module);
	doc = json_load_file(path, 0, &jerr);
	if (doc == NULL)
		fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
	tests = json_object_get(doc, "tests");
	n = json_array_size(tests);
	json_array_foreach(tests, i, tc)
		if (spec_case(module, tc))
			passed++;
	printf("spec %s: %zu/%zu passed\n", module, passed, n);
	json_decref(doc);
	assert_int_equal(n, expect);
	assert_int_equal(passed, n);
}

/* 12 + 14 + 42 + 22 + 12 + 34 = 136 cases. */
#define SPEC_TEST(m, n) \
	static void test_spec_##m(void **state) \
	{ (void)state; spec_module(#m, n); }
SPEC_TEST(comments, 12)
SPEC_TEST(delimiters, 14)
SPEC_TEST(interpolation, 42)
SPEC_TEST(inverted, 22)
SPEC_TEST(partials, 12)
SPEC_TEST(sections, 34)

/* ---- our own cases ---- */

static const char *const own_partials[][2] = {
	{ "self", "x{{>self}}" },
	{ "loop", "{{#l}}{{>loop}}{{/l}}" },
	{ "broken", "ok\n\n{{#open}}never closed" },
	{ "item", "- {{name}}\n" },
	{ "grow", "0123456789\n  {{>grow}}\n" },
};

static int own_calls;

static char *
own_partial(const char *name, void *arg)
{
	size_t i;

	(void)arg;
	own_calls++;
	for (i = 0; i < sizeof(own_partials) / sizeof(own_partials[0]); i++)
		if (strcmp(name, own_partials[i][0]) == 0)
			return strdup(own_partials[i][1]);
	return NULL;
}

/* Render t against JSON text ctx; return the output (caller frees) or
 * NULL with the error in err. */
static char *
render(const char *t, const char *ctx, const struct tpl_opts *o, char *err,
    size_t errlen)
{
	json_t *c = json_loads(ctx, JSON_DECODE_ANY, NULL);
	char *out = NULL;
	size_t len = 0;
	int rc;

	assert_non_null(c);
	rc = tpl_render(t, strlen(t), c, o, &out, &len, err, errlen);
	json_decref(c);
	if (rc == -1) {
		assert_null(out);
		return NULL;
	}
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
expect_out(const char *t, const char *ctx, const struct tpl_opts *o,
    const char *want)
{
	char err[256] = "", *out = render(t, ctx, o, err, sizeof(err));

	if (out == NULL)
		fail_msg("template [%s]: unexpected error %s", t, err);
	assert_string_equal(out, want);
	free(out);
}

static void
expect_err(const char *t, const char *ctx, const struct tpl_opts *o,
    const char *want)
{
	char err[256] = "", *out = render(t, ctx, o, err, sizeof(err));

	if (out != NULL)
		fail_msg("template [%s]: rendered [%s], wanted error", t, out);
	assert_string_equal(err, want);
}

static void
test_text_mode(void **state)
{
	struct tpl_opts o = { .html_escape = false };

	(void)state;
	expect_out("Dear {{name}},", "{\"name\":\"<Tom & 'Jerry'> \\\"x\\\"\"}",
	    &o, "Dear <Tom & 'Jerry'> \"x\",");
	expect_out("{{{name}}}{{&name}}", "{\"name\":\"<&>\"}", &o, "<&><&>");
	expect_out("x", "{}", NULL, "x");
	o.html_escape = true;
	expect_out("{{name}}|{{{name}}}", "{\"name\":\"<a href='x'>&\"}", &o,
	    "&lt;a href=&#39;x&#39;&gt;&amp;|<a href='x'>&");
}

static void
test_errors(void **state)
{
	struct tpl_opts o = { .partial = own_partial };

	(void)state;
	expect_err("a\nb\n{{#items}}\nc\n", "{}", NULL,
	    "line 3: unclosed section \"items\"");
	expect_err("a\n{{#a}}{{#b}}\n{{/a}}{{/b}}", "{}", NULL,
	    "line 3: section \"b\" (opened on line 2) closed by \"a\"");
	expect_err("x{{/a}}", "{}", NULL,
	    "line 1: closing tag \"a\" without an open section");
	expect_err("{{!\n\n}}\n\nhello {{name", "{}", NULL,
	    "line 5: unclosed tag");
	expect_err("\n{{! never ends }", "{}", NULL, "line 2: unclosed comment");
	expect_err("{{{x}}", "{}", NULL, "line 1: unclosed tag");
	expect_err("{{}}", "{}", NULL, "line 1: empty tag name");
	expect_err("{{# a b}}{{/a b}}", "{}", NULL,
	    "line 1: blank inside tag name");
	expect_err("\n\n{{=<% %>}}", "{}", NULL, "line 3: unclosed tag");
	expect_err("{{=<%=}}", "{}", NULL, "line 1: bad set-delimiter tag "
	    "(want two delimiters of 1-16 bytes without blanks or '=')");
	expect_err("{{=a= b=}}", "{}", NULL, "line 1: bad set-delimiter tag "
	    "(want two delimiters of 1-16 bytes without blanks or '=')");
	expect_err("{{=<% %>=}}\n<%#a%>\n{{/a}}", "{}", NULL,
	    "line 2: unclosed section \"a\"");
	expect_err("1\n{{>broken}}", "{}", &o,
	    "partial \"broken\", line 3: unclosed section \"open\"");
	expect_err("{{/a\001b}}", "{}", NULL,
	    "line 1: closing tag \"a?b\" without an open section");
	/* Same buffer, truncated: no crash, message cut to fit. */
	{
		char small[12], *out = NULL;
		assert_int_equal(tpl_render("{{#x}}", 6, NULL, NULL, &out,
		    NULL, small, sizeof(small)), -1);
		assert_string_equal(small, "line 1: unc");
		assert_int_equal(tpl_render("{{#x}}", 6, NULL, NULL, &out,
		    NULL, NULL, 0), -1);
	}
}

static void
test_depth(void **state)
{
	struct tpl_opts o = { .partial = own_partial, .max_depth = 5 };
	char t[1024] = "";
	int i;

	(void)state;
	expect_err("{{>self}}", "{}", &o,
	    "partial \"self\", line 1: sections and partials nested deeper "
	    "than 5");
	o.max_depth = 0;
	expect_err("{{>self}}", "{}", &o,
	    "partial \"self\", line 1: sections and partials nested deeper "
	    "than 64");
	/* 64 levels are fine, 65 are not. */
	for (i = 0; i < 65; i++)
		strcat(t, "{{#a}}");
	expect_err(t, "{\"a\":true}", NULL,
	    "line 1: sections nested deeper than 64");
	t[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(t, "{{#a}}");
	strcat(t, "deep");
	for (i = 0; i < 64; i++)
		strcat(t, "{{/a}}");
	expect_out(t, "{\"a\":true}", NULL, "deep");
	/* A section that is false is never entered, so never too deep. */
	expect_out(t, "{\"a\":false}", NULL, "");
	o.max_depth = 3;
	expect_out("{{#a}}{{>item}}{{/a}}", "{\"a\":{\"name\":\"x\"}}", &o,
	    "- x\n");
}

static void
test_limits(void **state)
{
	struct tpl_opts o = { .max_output = 10, .partial = own_partial };
	char t[256] = "";
	int i;

	(void)state;
	expect_out("0123456789", "{}", &o, "0123456789");
	expect_err("01234\n{{x}}{{x}}{{x}}{{x}}{{x}}", "{\"x\":\"y\"}", &o,
	    "line 2: output larger than 10 bytes");
	expect_err("{{#l}}abcd{{/l}}", "{\"l\":[1,2,3]}", &o,
	    "line 1: output larger than 10 bytes");
	/* Ten nested loops over ten items produce nothing, in 10^10 steps:
	 * the work bound stops them. */
	for (i = 0; i < 10; i++)
		strcat(t, "{{#l}}");
	for (i = 0; i < 10; i++)
		strcat(t, "{{/l}}");
	o.max_output = 1000;
	expect_err(t, "{\"l\":[0,1,2,3,4,5,6,7,8,9]}", &o,
	    "line 1: rendering takes more than 65536 steps");
	/* Depth first, so a recursive partial over a list hits the depth
	 * bound. */
	expect_err("{{>loop}}", "{\"l\":[0,1,2,3,4,5,6,7,8,9]}", &o,
	    "partial \"loop\", line 1: sections and partials nested deeper "
	    "than 64");
}

static void
test_non_ascii(void **state)
{
	struct tpl_opts o = { .html_escape = true };
	static const char t[] = "Grüße, {{name}} — ✓ {{{name}}}\xff\n";
	char *out = NULL;
	size_t len;

	(void)state;
	expect_out(t, "{\"name\":\"Zoë <日本>\"}", &o,
	    "Grüße, Zoë &lt;日本&gt; — ✓ Zoë <日本>\xff\n");
	/* Not NUL-terminated, and NUL bytes in the text pass through. */
	assert_int_equal(tpl_render("a\0b{{x}}zzz", 8, NULL, NULL, &out, &len,
	    NULL, 0), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "a\0b", 4);
	free(out);
}

static void
test_values(void **state)
{
	(void)state;
	expect_out("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}} {{i}}",
	    "{\"a\":1e20,\"b\":-0.5,\"c\":3.0,\"d\":0.1,\"e\":true,\"f\":false,"
	    "\"g\":{\"x\":1},\"h\":[1],\"i\":-9223372036854775807}", NULL,
	    "1e+20 -0.5 3 0.1 true false   -9223372036854775807");
	expect_out("{{a}}|{{a.b}}|{{.}}", "\"top\"", NULL, "||top");
	expect_out("[{{#s}}s{{/s}}{{#z}}z{{/z}}{{#r}}r{{/r}}{{#o}}o{{/o}}]"
	    "[{{^s}}S{{/s}}{{^z}}Z{{/z}}{{^r}}R{{/r}}{{^o}}O{{/o}}]",
	    "{\"s\":\"\",\"z\":0,\"r\":0.0,\"o\":{}}", NULL, "[o][SZR]");
	expect_out("{{#n}}{{.}}{{/n}}", "{\"n\":7}", NULL, "7");
	expect_out("{{#o}}{{a}}/{{b}}{{/o}}", "{\"a\":1,\"o\":{\"b\":2}}", NULL,
	    "1/2");
	expect_out("{{#l}}{{#.}}({{.}}){{/.}}{{/l}}", "{\"l\":[[1,2],[],[3]]}",
	    NULL, "(1)(2)(3)");
}

static void
test_partials(void **state)
{
	struct tpl_opts o = { .partial = own_partial };
	char *out = NULL;
	size_t len = 0;

	(void)state;
	/* Indentation reaches every line of the partial, and a partial
	 * used in a loop is fetched once. */
	expect_out("List:\n  {{#l}}\n  {{>item}}\n  {{/l}}\nend\n",
	    "{\"l\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", &o,
	    "List:\n  - a\n  - b\nend\n");
	expect_out("[{{>nothing}}]\n  {{>nothing}}\n", "{}", &o, "[]\n");
	expect_out("[{{>item}}]", "{}", NULL, "[]");
	/* Fetched once per name and indentation, however often used. */
	own_calls = 0;
	expect_out("{{#l}}{{>item}}{{/l}}\n {{>item}}\n {{>item}}\n",
	    "{\"l\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"name\":\"c\"}",
	    &o, "- a\n- b\n\n - c\n - c\n");
	assert_int_equal(own_calls, 2);
	/* Indentation that grows with each recursion is bounded too. */
	o.max_output = 300;
	expect_err("{{>grow}}", "{}", &o,
	    "partial \"grow\", line 2: partials larger than 300 bytes in all");
	/* No context at all: every name is missing. */
	assert_int_equal(tpl_render("<{{name}}>", 10, NULL, &o, &out, &len,
	    NULL, 0), 0);
	assert_string_equal(out, "<>");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_comments),
		cmocka_unit_test(test_spec_delimiters),
		cmocka_unit_test(test_spec_interpolation),
		cmocka_unit_test(test_spec_inverted),
		cmocka_unit_test(test_spec_partials),
		cmocka_unit_test(test_spec_sections),
		cmocka_unit_test(test_text_mode),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_partials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
