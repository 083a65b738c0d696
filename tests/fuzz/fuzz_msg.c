/*
 * libFuzzer target for msg_decode, the parent's side of the parser pipe:
 * the only code that reads what the parser child sends back, i.e. bytes
 * an attacker may control once libetpan has been subverted in the child.
 *
 * msg_parse() itself is deliberately NOT fuzzed: libetpan 1.9.4 as Debian
 * ships it has a known heap overflow in mailmime_parse (boundary="\"")
 * and recurses without limit on nested multiparts (notes/libraries.md
 * findings 2 and 3), so a fuzzer would only rediscover those; that is why
 * it runs inside the sandboxed child (tests/unit/test_parser.c covers it).
 *
 * Besides crashes and sanitizer reports it checks the decoder's promises:
 * every accepted string is valid UTF-8 without the control characters
 * msg.h rules out, within its limit, and the encoding is canonical
 * (encoding the decoded message gives back exactly the input).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon $(pkg-config --cflags libetpan libxml-2.0 libcmark) \
 *       tests/fuzz/fuzz_msg.c daemon/msg.c daemon/msg_wire.c \
 *       daemon/textconv.c daemon/util.c daemon/buf.c \
 *       $(pkg-config --libs libetpan libxml-2.0 libcmark | sed 's|-specs=[^ ]*||g') \
 *       -o fuzz_msg
 *   ./fuzz_msg -max_total_time=20 tests/fuzz/corpus/msg
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_msg: broken promise: %s\n", what);
		abort();
	}
}

static void
check_str(const char *s, size_t max, bool one_line)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	check(n <= max, "string within its limit");
	check(hp_utf8_valid(s, n), "valid UTF-8 without NUL or controls");
	check(strchr(s, '\r') == NULL, "no CR");
	check(!one_line || (strchr(s, '\n') == NULL && strchr(s, '\t') == NULL),
	    "header strings are one line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *one[15];
	struct msg *m = NULL;
	struct buf b;

	if (msg_decode((const char *)data, size, &m) != 0) {
		check(m == NULL, "nothing returned on failure");
		return 0;
	}
	one[0] = m->message_id; one[1] = m->from_addr; one[2] = m->from_name;
	one[3] = m->reply_to; one[4] = m->subject; one[5] = m->in_reply_to;
	one[6] = m->references; one[7] = m->auto_submitted;
	one[8] = m->precedence; one[9] = m->list_id;
	one[10] = m->content_language; one[11] = m->return_path;
	one[12] = m->report_type; one[13] = m->calendar_method;
	one[14] = m->delivered_to;
	for (size_t i = 0; i < HP_NELEM(one); i++)
		check_str(one[i], MSG_HEADER_MAX, true);
	check(m->n_authres <= MSG_AUTHRES_MAX, "authres count");
	for (size_t i = 0; i < m->n_authres; i++) {
		check(m->authres[i] != NULL, "authres present");
		check_str(m->authres[i], MSG_HEADER_MAX, true);
	}
	check(m->text != NULL, "text never NULL");
	check_str(m->text, MSG_TEXT_MAX, false);
	check_str(m->dsn_status, MSG_DSN_MAX, false);
	check_str(m->calendar, MSG_CALENDAR_MAX, false);
	check(m->has_return_path == (m->return_path != NULL), "return path flag");
	buf_init(&b, MSG_ENCODED_MAX);
	check(msg_encode(m, &b) == 0, "decoded message encodes");
	check(b.len == size && memcmp(b.data, data, size) == 0, "canonical encoding");
	buf_free(&b);
	msg_free(m);
	return 0;
}
