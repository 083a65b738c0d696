/* Unit tests for token: formatting, validation, hashing, finding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"

static void
test_format_and_valid(void **state)
{
	unsigned char rnd[16];
	char tok[TOKEN_LEN + 1];

	for (int i = 0; i < 16; i++)
		rnd[i] = (unsigned char)(i * 17);
	token_format(rnd, tok);
	assert_string_equal(tok, "00112233445566778899aabbccddeeff");
	assert_true(token_valid(tok));
	assert_true(token_valid("00112233445566778899AABBCCDDEEFF"));
	assert_false(token_valid("00112233445566778899aabbccddeef"));
	assert_false(token_valid("00112233445566778899aabbccddeeff0"));
	assert_false(token_valid("00112233445566778899aabbccddeefg"));
	assert_false(token_valid(""));
}

static void
test_hash(void **state)
{
	char h1[TOKEN_HASH_LEN + 1], h2[TOKEN_HASH_LEN + 1];

	assert_int_equal(token_hash("00112233445566778899aabbccddeeff", h1), 0);
	assert_int_equal(token_hash("00112233445566778899AABBCCDDEEFF", h2), 0);
	/* Case does not matter: a mail client may upper-case the subject. */
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), TOKEN_HASH_LEN);
	/* sha256("00112233445566778899aabbccddeeff") */
	assert_string_equal(h1,
	    "5947d7c33d783f94b3b4c1a96ebc8991ed28f1b069b71e03376cba8caa98a720");
	assert_int_equal(token_hash("not a token", h1), -1);
}

static void
test_find(void **state)
{
	char tok[TOKEN_LEN + 1];

	assert_int_equal(token_find("Re: confirm 00112233445566778899AABBCCDDEEFF", tok), 0);
	assert_string_equal(tok, "00112233445566778899aabbccddeeff");
	assert_int_equal(token_find("reject 00112233445566778899aabbccddeeff: not ours", tok), 0);
	/* Part of a longer run of letters and digits: not a token. */
	assert_int_equal(token_find("x00112233445566778899aabbccddeeff", tok), -1);
	assert_int_equal(token_find("00112233445566778899aabbccddeeff0", tok), -1);
	assert_int_equal(token_find("confirm", tok), -1);
	assert_int_equal(token_find("", tok), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_valid),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
