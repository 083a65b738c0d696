/*
 * Unit tests for textconv: HTML → text as the form reader needs it, and
 * Markdown → HTML in safe mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textconv.h"
#include "util.h"

static char *
conv(const char *html)
{
	char *t = textconv_html_to_text(html, strlen(html));

	assert_non_null(t);
	assert_true(hp_utf8_valid(t, strlen(t)));
	assert_null(strchr(t, '\r'));
	return t;
}

static void
expect(const char *html, const char *want)
{
	char *t = conv(html);

	assert_string_equal(t, want);
	free(t);
}

static void
test_form_fields_one_per_line(void **state)
{
	(void)state;
	expect("<p>Organisation: X<br>Sector: economy</p>",
	    "Organisation: X\nSector: economy\n");
	expect("<html><body><p>Organisation: X<br/>\nSector: economy</p>"
	    "<p>Website: https://x.example</p></body></html>",
	    "Organisation: X\nSector: economy\n\nWebsite: https://x.example\n");
}

static void
test_blocks_and_breaks(void **state)
{
	(void)state;
	/* Gmail: one div per line, <div><br></div> for an empty line. */
	expect("<div>Line 1</div><div><br></div><div>Line 3</div>",
	    "Line 1\n\nLine 3\n");
	expect("<div>a<br></div><div>b</div>", "a\nb\n");
	expect("a<br>b<br><br>c", "a\nb\n\nc\n");
	expect("<h1>Title</h1>text", "Title\n\ntext\n");
	/* Outlook: MsoNormal paragraphs are single lines. */
	expect("<p class=MsoNormal>Organisation: Y<o:p></o:p></p>"
	    "<p class=\"MsoNormal\"><span>Sector: culture<o:p></o:p></span></p>"
	    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	    "<p class=MsoNormal>Regards<o:p></o:p></p>",
	    "Organisation: Y\nSector: culture\n\nRegards\n");
	/* Text straight in <body> gets an implied paragraph from libxml2. */
	expect("Hello<div>x</div>", "Hello\n\nx\n");
	expect("<table><tr><td>Organisation:</td><td>Z</td></tr>"
	    "<tr><th>Sector:</th><td>education</td></tr></table>",
	    "Organisation: Z\nSector: education\n");
}

static void
test_whitespace_and_entities(void **state)
{
	(void)state;
	expect("  <p>  Hello \n\t  &amp;   welcome&nbsp;there  </p>  ",
	    "Hello & welcome there\n");
	expect("<b>bold</b> <i>it</i>", "bold it\n");
	expect("caf&eacute; &euro;5 &#8211; &#x263A; &lt;tag&gt;",
	    "caf\xc3\xa9 \xe2\x82\xac""5 \xe2\x80\x93 \xe2\x98\xba <tag>\n");
	/* Zero-width padding from newsletters disappears. */
	expect("a&zwnj;&#8203;b&shy;c", "abc\n");
	expect("<pre>  keep   this\n    indented\n</pre>after",
	    "  keep   this\n    indented\n\nafter\n");
}

static void
test_blank_line_limit(void **state)
{
	(void)state;
	expect("a<br><br><br><br><br><br><br>b", "a\n\n\nb\n");
	expect("<p>a</p><p></p><p></p><p></p><div></div><p>b</p>", "a\n\nb\n");
	expect("<br><br><p>start</p>", "start\n");
	expect("", "");
	expect("<p> </p><div>&nbsp;</div>", "");
}

static void
test_dropped_content(void **state)
{
	(void)state;
	expect("<html><head><title>T</title><style>p{color:red}</style>"
	    "<script>alert(1)</script></head><body>visible"
	    "<script>document.write('x')</script><style>.a{}</style>"
	    "<template>tpl</template></body></html>",
	    "visible\n");
	expect("<div style=\"display: none\">preheader</div>shown"
	    "<span style='DISPLAY:NONE;'>x</span><p hidden>h</p>"
	    "<div style=\"mso-hide:all\">outlook only</div>",
	    "shown\n");
	expect("<!-- comment -->text<!--[if mso]><p>mso</p><![endif]-->",
	    "text\n");
}

static void
test_lists(void **state)
{
	(void)state;
	expect("<ul><li>one</li><li>two<ul><li>sub</li></ul></li></ul>after",
	    "- one\n- two\n  - sub\n\nafter\n");
	expect("<ol><li>first<li>second</ol>", "- first\n- second\n");
}

static void
test_links(void **state)
{
	(void)state;
	expect("<a href=\"https://example.org/\">example.org</a>", "example.org\n");
	expect("<a href=\"https://example.org/a\">https://example.org/a</a>",
	    "https://example.org/a\n");
	expect("<a href=\"mailto:info@example.org\">info@example.org</a>",
	    "info@example.org\n");
	expect("see <a href=\"https://x.example/t?id=1\">our site</a>.",
	    "see our site <https://x.example/t?id=1>.\n");
	expect("<a href=\"javascript:alert(1)\">click</a>", "click\n");
	expect("<a href=\"https://x.example/img\"><img src=\"a.png\"></a>text",
	    "text\n");
	expect("<a href=\"https://x.example/a b\">spaces</a>", "spaces\n");
	/* Only printable ASCII URLs are written out. */
	expect("<a href=\"https://b\xc3\xbc""cher.example/\">books</a>", "books\n");
	expect("<a href=\"https://x.example/\xff\">bad</a>", "bad\n");
}

static void
test_quotes_and_separators(void **state)
{
	(void)state;
	/* Quoted text must be recognisable as quoted by the form reader. */
	expect("<p>Organisation: New</p><blockquote type=\"cite\">"
	    "<p>Organisation: Old</p>line<br>line2</blockquote>",
	    "Organisation: New\n\n> Organisation: Old\n\n> line\n> line2\n");
	expect("<blockquote>a<blockquote>b</blockquote></blockquote>",
	    "> a\n\n> > b\n");
	/* Outlook on the web and desktop Outlook start the quoted original
	 * like this; their own text/plain shows a line of underscores. */
	expect("<div>Reply</div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> x</div>",
	    "Reply\n________________________________\n"
	    "________________________________\nFrom: x\n");
	expect("<div>Reply</div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt\">"
	    "<p class=MsoNormal><b>From:</b> Hanze</p></div>",
	    "Reply\n________________________________\nFrom: Hanze\n");
}

static void
test_bad_input(void **state)
{
	char *t;
	static const char bad[] = "<p>ok \xff\xfe caf\xc3 x\x01y\x7fz\x00hidden</p>";

	(void)state;
	t = textconv_html_to_text(bad, sizeof(bad) - 1);
	assert_non_null(t);
	assert_true(hp_utf8_valid(t, strlen(t)));
	assert_non_null(strstr(t, "ok"));
	free(t);
	t = textconv_html_to_text(NULL, 0);
	assert_string_equal(t, "");
	free(t);
	t = conv("<<<>>>&&&;;</p></div></li><a href=x><<a>>");
	free(t);
}

static void
test_deep_nesting(void **state)
{
	size_t depth = 100000, n = 0;
	char *html = malloc(depth * 20 + 64), *t;

	(void)state;
	assert_non_null(html);
	for (size_t i = 0; i < depth; i++) {
		memcpy(html + n, i % 2 ? "<div>" : "<blockquote>", i % 2 ? 5 : 12);
		n += i % 2 ? 5 : 12;
	}
	memcpy(html + n, "deep", 4);
	n += 4;
	t = textconv_html_to_text(html, n);
	assert_non_null(t);
	assert_true(hp_utf8_valid(t, strlen(t)));
	free(t);
	free(html);
}

static void
test_output_bounded(void **state)
{
	size_t n = TEXTCONV_HTML_MAX + 4096, len;
	char *html = malloc(n), *t;

	(void)state;
	assert_non_null(html);
	/* "é<br>" repeated: every character is two bytes, cut must be clean. */
	for (size_t i = 0; i + 6 <= n; i += 6)
		memcpy(html + i, "\xc3\xa9<br>", 6);
	t = textconv_html_to_text(html, n - n % 6);
	assert_non_null(t);
	len = strlen(t);
	assert_true(len <= TEXTCONV_TEXT_MAX + 1);
	assert_true(len > 1000);
	assert_true(hp_utf8_valid(t, len));
	free(t);
	free(html);
}

static void
test_markdown(void **state)
{
	char *h;

	(void)state;
	h = textconv_markdown_to_html("# Title\n\nHello *world*\n", 24);
	assert_non_null(h);
	assert_non_null(strstr(h, "<h1>Title</h1>"));
	assert_non_null(strstr(h, "<em>world</em>"));
	free(h);
	h = textconv_markdown_to_html("<script>alert(1)</script>\n\n"
	    "[x](javascript:alert(1)) [y](https://example.org)\n", 77);
	assert_non_null(h);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "javascript:"));
	assert_non_null(strstr(h, "href=\"https://example.org\""));
	free(h);
	h = textconv_markdown_to_html("bad \xff utf8", 12);
	assert_non_null(h);
	assert_true(hp_utf8_valid(h, strlen(h)));
	free(h);
	h = textconv_markdown_to_html(NULL, 0);
	assert_non_null(h);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_fields_one_per_line),
		cmocka_unit_test(test_blocks_and_breaks),
		cmocka_unit_test(test_whitespace_and_entities),
		cmocka_unit_test(test_blank_line_limit),
		cmocka_unit_test(test_dropped_content),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_quotes_and_separators),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
