/* Unit tests for inbox: the pure helpers (modified UTF-7, keywords, UID
 * sets, host checks, FETCH body sections) and the configuration checks inbox_open makes before
 * it touches the network.  The IMAP conversation itself is tested against
 * the real Dovecot of tests/mailstack (integration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inbox_int.h"
#include "log.h"

static void
check_mutf7(const char *in, const char *want)
{
	char *out = inbox_mutf7(in);

	if (want == NULL) {
		if (out != NULL)
			fail_msg("\"%s\" should be refused, got \"%s\"", in, out);
		return;
	}
	if (out == NULL)
		fail_msg("\"%s\" refused, wanted \"%s\"", in, want);
	assert_string_equal(out, want);
	free(out);
}

static void
test_mutf7(void **state)
{
	char long_name[202];

	check_mutf7("INBOX", "INBOX");
	check_mutf7("Processed", "Processed");
	check_mutf7("Archief 2027/Q1", "Archief 2027/Q1");
	check_mutf7("A&B", "A&-B");
	check_mutf7("&", "&-");
	check_mutf7("\xc3\xa9", "&AOk-");			/* é */
	check_mutf7("caf\xc3\xa9s", "caf&AOk-s");
	/* RFC 3501 §5.1.3 examples: 台北 and 日本語 */
	check_mutf7("\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-");
	check_mutf7("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-");
	/* é € 😀 (a surrogate pair) after "&" */
	check_mutf7("Geweigerd & \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    "Geweigerd &- &AOkgrNg93gA-");
	check_mutf7("\xc3\xa9" "a" "\xc3\xa9", "&AOk-a&AOk-");
	check_mutf7("", NULL);
	check_mutf7(NULL, NULL);
	check_mutf7("a\tb", NULL);
	check_mutf7("a\r\nb", NULL);
	check_mutf7("a\x01" "b", NULL);
	check_mutf7("%", NULL);
	check_mutf7("Pro*", NULL);
	check_mutf7("\xff", NULL);
	check_mutf7("\xc3", NULL);
	check_mutf7("\xed\xa0\x80", NULL);	/* an encoded surrogate */
	memset(long_name, 'a', 201);
	long_name[201] = '\0';
	check_mutf7(long_name, NULL);
	long_name[200] = '\0';
	check_mutf7(long_name, long_name);
}

static void
test_keyword(void **state)
{
	static const char *const ok[] = {
		"$HanzeAttempt", "$HanzeDone", "Junk", "a", "$label1", "x.y-z_1",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	static const char *const bad[] = {
		"", "\\Seen", "\\Deleted", "two words", "a(b", "a)b", "a{b", "a%",
		"a*", "a\"b", "a\\b", "a]", "a\r\n", "caf\xc3\xa9", "a\x7f",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!inbox_keyword_valid(ok[i]))
			fail_msg("keyword \"%s\" should be valid", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (inbox_keyword_valid(bad[i]))
			fail_msg("keyword \"%s\" should be refused", bad[i]);
	assert_false(inbox_keyword_valid(NULL));
}

static void
test_uids(void **state)
{
	static const uint32_t in[] = { 5, 3, 0, 3, 9, 1, UINT32_MAX, 5 };
	static const uint32_t want[] = { 1, 3, 5, 9, UINT32_MAX };
	static const uint32_t zeros[] = { 0, 0 };
	uint32_t *out = NULL;
	size_t n;

	n = inbox_uids_sorted(in, sizeof(in) / sizeof(in[0]), &out);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(inbox_uid_index(out, n, 1), 0);
	assert_int_equal(inbox_uid_index(out, n, 9), 3);
	assert_int_equal(inbox_uid_index(out, n, UINT32_MAX), 4);
	assert_int_equal(inbox_uid_index(out, n, 4), -1);
	assert_int_equal(inbox_uid_index(out, n, 0), -1);
	free(out);
	assert_int_equal(inbox_uids_sorted(zeros, 2, &out), 0);
	assert_null(out);
	assert_int_equal(inbox_uids_sorted(NULL, 0, &out), 0);
	assert_null(out);
	assert_int_equal(inbox_uid_index(NULL, 0, 1), -1);
}

static void
test_hosts(void **state)
{
	assert_true(inbox_host_is_ip("127.0.0.1"));
	assert_true(inbox_host_is_ip("::1"));
	assert_true(inbox_host_is_ip("2001:db8::1"));
	assert_false(inbox_host_is_ip("imap.example.org"));
	assert_false(inbox_host_is_ip("localhost"));
	assert_false(inbox_host_is_ip("127.0.0.1.example.org"));
	assert_true(inbox_host_is_loopback("localhost"));
	assert_true(inbox_host_is_loopback("127.0.0.1"));
	assert_true(inbox_host_is_loopback("127.8.9.10"));
	assert_true(inbox_host_is_loopback("::1"));
	assert_false(inbox_host_is_loopback("128.0.0.1"));
	assert_false(inbox_host_is_loopback("imap.example.org"));
	assert_false(inbox_host_is_loopback("localhost.example.org"));
	assert_false(inbox_host_is_loopback("10.0.0.1"));
}

/* Which FETCH answers count as the whole message or as the header of an
 * oversize one: only BODY[] and BODY[HEADER] (from offset 0). */
static enum inbox_section
section_kind(struct mailimap_section *sec, uint32_t origin)
{
	struct mailimap_msg_att_body_section bs = { sec, origin, NULL, 0 };
	enum inbox_section k;

	if (sec == NULL)
		fail_msg("libetpan: out of memory");
	k = inbox_section_of(&bs);
	mailimap_section_free(sec);
	return k;
}

static struct mailimap_section_part *
section_part(uint32_t n)
{
	clist *ids = clist_new();
	uint32_t *id = malloc(sizeof(*id));

	if (ids == NULL || id == NULL || clist_append(ids, id) != 0)
		fail_msg("out of memory");
	*id = n;
	return mailimap_section_part_new(ids);
}

static struct mailimap_header_list *
header_list(const char *name)
{
	clist *names = clist_new();
	char *s = strdup(name);

	if (names == NULL || s == NULL || clist_append(names, s) != 0)
		fail_msg("out of memory");
	return mailimap_header_list_new(names);
}

static void
test_section(void **state)
{
	struct mailimap_msg_att_body_section none = { NULL, 0, NULL, 0 };

	assert_int_equal(inbox_section_of(&none), INBOX_SECTION_WHOLE);
	assert_int_equal(inbox_section_of(NULL), INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new(NULL), 0),
	    INBOX_SECTION_WHOLE);
	assert_int_equal(section_kind(mailimap_section_new(NULL), 7),
	    INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_header(), 0),
	    INBOX_SECTION_HEADER);
	assert_int_equal(section_kind(mailimap_section_new_header(), 5),
	    INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_text(), 0),
	    INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_header_fields(
	    header_list("Subject")), 0), INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_header_fields_not(
	    header_list("Subject")), 0), INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_part_header(
	    section_part(1)), 0), INBOX_SECTION_OTHER);
	assert_int_equal(section_kind(mailimap_section_new_part(
	    section_part(2)), 0), INBOX_SECTION_OTHER);
}

/* Configuration errors are reported before any connection is made. */
static void
check_open_refused(const struct inbox_config *cfg, const char *want)
{
	struct inbox *ib = (struct inbox *)1;
	bool tmpfail = true;
	char err[256];

	assert_int_equal(inbox_open(cfg, &ib, &tmpfail, err, sizeof(err)), -1);
	assert_null(ib);
	assert_false(tmpfail);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void
test_open_config(void **state)
{
	struct inbox_config ok = {
		.host = "imap.example.org", .port = 993, .implicit_tls = true,
		.tls = true, .user = "office@example.org", .password = "secret",
		.mailbox = "INBOX", .timeout_s = 1,
	};
	struct inbox_config c;

	c = ok;
	c.tls = false;
	c.implicit_tls = false;
	check_open_refused(&c, "tls = off is only allowed for a loopback host");
	c = ok;
	c.host = "";
	check_open_refused(&c, "host");
	c = ok;
	c.host = "imap.example.org\r\nx";
	check_open_refused(&c, "host");
	c = ok;
	c.port = 0;
	check_open_refused(&c, "port");
	c = ok;
	c.port = 70000;
	check_open_refused(&c, "port");
	c = ok;
	c.user = NULL;
	check_open_refused(&c, "user");
	c = ok;
	c.user = "office@example.org\r\nA1 DELETE INBOX";
	check_open_refused(&c, "user");
	c = ok;
	c.password = "pw\r\nA1 DELETE INBOX";
	check_open_refused(&c, "password");
	c = ok;
	c.mailbox = NULL;
	check_open_refused(&c, "mailbox");
	c = ok;
	c.mailbox = "IN*";
	check_open_refused(&c, "mailbox name");
	c = ok;
	c.mailbox = "bad\xff";
	check_open_refused(&c, "mailbox name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutf7),
		cmocka_unit_test(test_keyword),
		cmocka_unit_test(test_uids),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_section),
		cmocka_unit_test(test_open_config),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
