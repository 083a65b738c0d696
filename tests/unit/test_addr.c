/* Unit tests for addr: syntax, mailbox parsing, injection attempts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void
test_valid(void **state)
{
	static const char *const ok[] = {
		"anna@voorbeeld.example", "a@b.co", "first.last@sub.domain.example",
		"x+tag@example.org", "o'brien@example.ie", "A_B-c@Example.ORG",
		"1234@123.example", "a@xn--bcher-kva.example", "a@b-c.example",
		"!#$%&'*+-/=?^_`{|}~@example.org",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!addr_valid(ok[i]))
			fail_msg("\"%s\" should be valid", ok[i]);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"", "anna", "@example.org", "anna@", "anna@localhost",
		"anna@@example.org", "a@b@example.org", ".anna@example.org",
		"anna.@example.org", "an..na@example.org", "an na@example.org",
		"anna@exa mple.org", "anna@-example.org", "anna@example-.org",
		"anna@example..org", "anna@.example.org", "anna@example.org.",
		"anna@1.2.3.4", "anna@[1.2.3.4]", "\"anna\"@example.org",
		"anna@example.org\r\n", "anna@example.org\nRCPT TO:<x@y.example>",
		"anna@example.org>", "<anna@example.org>", "anna@ex_ample.org",
		"jörg@example.org", "anna@exämple.org", "anna@example.org\t",
		"a\0b@example.org",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (addr_valid(bad[i]))
			fail_msg("\"%s\" should be invalid", bad[i]);
	assert_false(addr_valid(NULL));
}

static void
test_lengths(void **state)
{
	char local[80], addr[400];

	memset(local, 'a', 64);
	local[64] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.org", local);
	assert_true(addr_valid(addr));
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.org", local);
	assert_false(addr_valid(addr));

	/* A 63-octet label is fine, 64 is not. */
	memset(local, 'b', 63);
	local[63] = '\0';
	snprintf(addr, sizeof(addr), "a@%s.example", local);
	assert_true(addr_valid(addr));
	snprintf(addr, sizeof(addr), "a@%sb.example", local);
	assert_false(addr_valid(addr));

	/* More than 254 octets in total. */
	snprintf(addr, sizeof(addr), "a@%s.%s.%s.%s.example", local, local,
	    local, local);
	assert_true(strlen(addr) > 254);
	assert_false(addr_valid(addr));
}

static void
expect_mailbox(const char *in, const char *name, const char *email)
{
	char *n = (char *)1, *e = (char *)1;

	if (addr_parse_mailbox(in, &n, &e) != 0)
		fail_msg("\"%s\" should parse", in);
	if (name == NULL)
		assert_null(n);
	else
		assert_string_equal(n, name);
	assert_string_equal(e, email);
	free(n);
	free(e);
}

static void
expect_no_mailbox(const char *in)
{
	char *n = (char *)1, *e = (char *)1;

	if (addr_parse_mailbox(in, &n, &e) != -1)
		fail_msg("\"%s\" should not parse", in);
	assert_null(n);
	assert_null(e);
}

static void
test_mailbox(void **state)
{
	expect_mailbox("anna@voorbeeld.example", NULL, "anna@voorbeeld.example");
	expect_mailbox("  Anna@Voorbeeld.EXAMPLE  ", NULL, "Anna@voorbeeld.example");
	expect_mailbox("<anna@voorbeeld.example>", NULL, "anna@voorbeeld.example");
	expect_mailbox("< anna@voorbeeld.example >", NULL,
	    "anna@voorbeeld.example");
	expect_mailbox("Anna de Vries <anna@voorbeeld.example>", "Anna de Vries",
	    "anna@voorbeeld.example");
	expect_mailbox("Anna de Vries<anna@voorbeeld.example>", "Anna de Vries",
	    "anna@voorbeeld.example");
	expect_mailbox("\"de Vries, Anna\" <anna@voorbeeld.example>",
	    "de Vries, Anna", "anna@voorbeeld.example");
	expect_mailbox("\"Anna \\\"AJ\\\" de Vries\" <anna@voorbeeld.example>",
	    "Anna \"AJ\" de Vries", "anna@voorbeeld.example");
	expect_mailbox("\"<tricky>\" <anna@voorbeeld.example>", "<tricky>",
	    "anna@voorbeeld.example");
	expect_mailbox("Jörg Müller <jorg@voorbeeld.example>", "Jörg Müller",
	    "jorg@voorbeeld.example");
	expect_mailbox("\"\" <anna@voorbeeld.example>", NULL,
	    "anna@voorbeeld.example");
	expect_mailbox("anna@voorbeeld.example <anna@voorbeeld.example>",
	    "anna@voorbeeld.example", "anna@voorbeeld.example");
}

static void
test_mailbox_invalid(void **state)
{
	char longname[300];

	expect_no_mailbox(NULL);
	expect_no_mailbox("");
	expect_no_mailbox("   ");
	expect_no_mailbox("Anna de Vries");
	expect_no_mailbox("Anna <>");
	expect_no_mailbox("Anna <anna>");
	expect_no_mailbox("Anna <anna@localhost>");
	expect_no_mailbox("Anna anna@voorbeeld.example");
	expect_no_mailbox("Anna <anna@voorbeeld.example");
	expect_no_mailbox("Anna anna@voorbeeld.example>");
	expect_no_mailbox("Anna <anna@voorbeeld.example> x");
	expect_no_mailbox("\"Anna <anna@voorbeeld.example>");
	expect_no_mailbox("\"Anna\" x <anna@voorbeeld.example>");
	expect_no_mailbox("Anna \"x\" <anna@voorbeeld.example>");
	expect_no_mailbox("A <b> <anna@voorbeeld.example>");
	expect_no_mailbox("<a@b.example> <anna@voorbeeld.example>");
	expect_no_mailbox("Anna <a@b.example, c@d.example>");
	expect_no_mailbox("Anna <\"a b\"@voorbeeld.example>");
	expect_no_mailbox("Anna\xff <anna@voorbeeld.example>");
	memset(longname, 'n', 250);
	strcpy(longname + 250, " <a@b.example>");
	expect_no_mailbox(longname);
}

/* SMTP command injection (notes/libraries.md #6): nothing with CR, LF or
 * a second address may come out. */
static void
test_injection(void **state)
{
	expect_no_mailbox("a@b.example>\r\nRCPT TO:<c@d.example");
	expect_no_mailbox("<a@b.example>\r\nRCPT TO:<c@d.example>");
	expect_no_mailbox("x <a@b.example>\r\nRCPT TO:<c@d.example>");
	expect_no_mailbox("Eve\r\nBcc: c@d.example <a@b.example>");
	expect_no_mailbox("Eve\n <a@b.example>");
	expect_no_mailbox("\"Eve\r\n\" <a@b.example>");
	expect_no_mailbox("a@b.example\r\n");
	expect_no_mailbox("a@b.example\nDATA");
	expect_no_mailbox("Eve <a@b.example\r\n>");
	expect_no_mailbox("Eve\x7f <a@b.example>");
	expect_no_mailbox("Eve\x01 <a@b.example>");
	assert_false(addr_valid("a@b.example>\r\nRCPT TO:<c@d.example"));
}

static void
test_equal(void **state)
{
	assert_true(addr_equal("Anna@Voorbeeld.example", "anna@voorbeeld.EXAMPLE"));
	assert_false(addr_equal("anna@voorbeeld.example", "anne@voorbeeld.example"));
	assert_false(addr_equal(NULL, "a@b.example"));
	assert_false(addr_equal("a@b.example", NULL));
	assert_false(addr_equal(NULL, NULL));
}

static void
test_domain(void **state)
{
	char label[70];

	assert_true(addr_domain_valid("example.org", 11));
	assert_true(addr_domain_valid("Mail-1.Example.ORG", 18));
	assert_true(addr_domain_valid("10.example.org1", 15));
	/* Only the first len bytes count. */
	assert_true(addr_domain_valid("example.org/path", 11));
	assert_false(addr_domain_valid("localhost", 9));
	assert_false(addr_domain_valid("", 0));
	assert_false(addr_domain_valid("192.168.1.1", 11));
	assert_false(addr_domain_valid("-a.example", 10));
	assert_false(addr_domain_valid("a-.example", 10));
	assert_false(addr_domain_valid("a..example", 10));
	assert_false(addr_domain_valid("a.example.", 10));
	assert_false(addr_domain_valid("a_b.example", 11));
	assert_false(addr_domain_valid("b\xc3\xbcro.example", 13));
	memset(label, 'a', 63);
	memcpy(label + 63, ".nl", 4);
	assert_true(addr_domain_valid(label, 66));
	label[63] = 'a';
	memcpy(label + 64, ".nl", 4);
	assert_false(addr_domain_valid(label, 67));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_mailbox_invalid),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
