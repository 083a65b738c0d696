/*
 * fuzz_tpl: libFuzzer target for tpl_render().  The first input byte
 * picks the options (HTML escaping, small or default depth and output
 * caps); the rest is the template, rendered against a small fixed
 * context.  Partials: "in" is the input itself (so recursion through
 * arbitrary text is exercised), a few fixed ones, everything else
 * missing.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon tests/fuzz/fuzz_tpl.c daemon/tpl.c daemon/buf.c \
 *       daemon/util.c -ljansson -o fuzz_tpl
 *   ./fuzz_tpl -max_total_time=30 tests/fuzz/corpus/tpl
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_context[] =
    "{\"name\":\"Zo\\u00eb <&'\\\">\",\"n\":42,\"r\":1.21,\"z\":0,"
    "\"t\":true,\"f\":false,\"nil\":null,\"e\":\"\",\"o\":{},"
    "\"org\":{\"name\":\"Hanze\",\"city\":{\"name\":\"Groningen\"}},"
    "\"list\":[1,\"two\",{\"name\":\"three\",\"list\":[4,5]},[6,7],null],"
    "\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}";

struct fuzz_in {
	const char *text;
	size_t len;
};

static char *
fuzz_partial(const char *name, void *arg)
{
	const struct fuzz_in *in = arg;
	char *s;

	if (strcmp(name, "in") == 0) {
		if ((s = malloc(in->len + 1)) == NULL)
			return NULL;
		memcpy(s, in->text, in->len);
		s[in->len] = '\0';
		return s;
	}
	if (strcmp(name, "item") == 0)
		return strdup("- {{name}}\n  {{#list}}{{>item}}{{/list}}\n");
	if (strcmp(name, "self") == 0)
		return strdup("{{.}}{{>self}}");
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *ctx;
	struct fuzz_in in;
	struct tpl_opts o = { 0 };
	char *out = NULL, err[128];
	size_t len = 0;

	if (ctx == NULL && (ctx = json_loads(fuzz_context, 0, NULL)) == NULL)
		abort();
	if (size == 0)
		return 0;
	in.text = (const char *)data + 1;
	in.len = size - 1;
	o.html_escape = data[0] & 1;
	o.max_depth = (data[0] & 2) ? 8 : 0;
	o.max_output = (data[0] & 4) ? 256 : 1 << 16;
	o.partial = fuzz_partial;
	o.partial_arg = &in;
	if (tpl_render(in.text, in.len, ctx, &o, &out, &len, err,
	    sizeof(err)) == 0) {
		if (out[len] != '\0' || len > o.max_output)
			abort();
		free(out);
	} else if (out != NULL || err[0] == '\0')
		abort();
	return 0;
}
