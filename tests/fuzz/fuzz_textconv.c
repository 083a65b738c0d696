/*
 * libFuzzer target for textconv: HTML → text (the body of HTML-only mail
 * from any sender) and Markdown → HTML.
 *
 * Besides crashes and sanitizer reports it checks what textconv.h
 * promises for the text: valid UTF-8 without control characters other
 * than LF and TAB, no CR, no trailing blanks, at most 2 empty lines in a
 * row, no leading empty line, and the output bound.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon $(pkg-config --cflags libxml-2.0 libcmark) \
 *       tests/fuzz/fuzz_textconv.c daemon/textconv.c daemon/util.c \
 *       daemon/buf.c $(pkg-config --libs libxml-2.0 libcmark) -o fuzz_textconv
 *   ./fuzz_textconv -max_total_time=20 tests/fuzz/corpus/textconv
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textconv.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_textconv: broken promise: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = textconv_html_to_text((const char *)data, size), *h;
	size_t n;

	check(t != NULL, "text returned");
	n = strlen(t);
	check(n <= TEXTCONV_TEXT_MAX + 1, "output bound");
	check(hp_utf8_valid(t, n), "valid UTF-8 without controls");
	check(strchr(t, '\r') == NULL, "no CR");
	check(strstr(t, "\n\n\n\n") == NULL, "at most 2 empty lines");
	check(strstr(t, " \n") == NULL && strstr(t, "\t\n") == NULL, "no trailing blanks");
	check(n == 0 || (t[0] != '\n' && t[n - 1] == '\n'), "trimmed, final LF");
	free(t);
	h = textconv_markdown_to_html((const char *)data, size);
	check(h != NULL, "markdown returned");
	free(h);
	return 0;
}
