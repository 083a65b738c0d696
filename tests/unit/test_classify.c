/*
 * Unit tests for classify: every rule of SPEC §2 (steps 2-4) on
 * hand-built struct msg values, and the order between the rules (a
 * delivery report that also carries Auto-Submitted is a bounce, a
 * calendar reply from a list is a calendar reply, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"

static const char *const own[] = {
	"office@example.org",
	"imapuser@example.org",
	NULL,			/* an unset optional address */
	"office+unsubscribe@example.org",
};

static const struct classify_rules rules = {
	own, sizeof(own) / sizeof(own[0]), "office+bounce@example.org",
	"office+unsubscribe@example.org"
};

/* A person's ordinary mail: every optional header absent. */
static struct msg
person(void)
{
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.message_id = "abc@mail.example";
	m.from_addr = "anna@voorbeeld.example";
	m.from_name = "Anna de Vries";
	m.subject = "Update";
	m.text = "Organisation: Voorbeeld B.V.\n";
	return m;
}

static enum msg_class
cls(const struct msg *m, const char *to, const char **why)
{
	const char *w = NULL;
	enum msg_class c = classify_message(m, to, &rules, &w);

	assert_non_null(w);
	if (why != NULL)
		*why = w;
	return c;
}

#define assert_class(m, to, expect) do {				\
	const char *why_;						\
	enum msg_class got_ = cls((m), (to), &why_);			\
	if (got_ != (expect))						\
		fail_msg("%s:%d: got %s (%s), want %s", __FILE__,	\
		    __LINE__, classify_name(got_), why_,		\
		    classify_name(expect));				\
} while (0)

static void
test_request(void **state)
{
	struct msg m = person();
	const char *why;

	assert_int_equal(cls(&m, "office@example.org", &why), CLASS_REQUEST);
	assert_string_equal(why, "request");
	assert_class(&m, NULL, CLASS_REQUEST);
	/* Harmless headers a person's client sets. */
	m.auto_submitted = "no";
	m.precedence = "first-class";
	m.has_return_path = true;
	m.return_path = "anna@voorbeeld.example";
	m.report_type = "disposition-notification";
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n";
	m.calendar_method = "REQUEST";
	assert_class(&m, "office@example.org", CLASS_REQUEST);
}

static void
test_dsn(void **state)
{
	struct msg m = person();
	const char *why;

	m.from_addr = "MAILER-DAEMON@mx.example";
	m.report_type = "delivery-status";
	m.dsn_status = "Status: 5.1.1\n";
	assert_int_equal(cls(&m, "office@example.org", &why), CLASS_BOUNCE);
	assert_non_null(strstr(why, "delivery-status"));
	/* Lower-cased by msg, but the rule does not depend on it. */
	m.report_type = "Delivery-Status";
	assert_class(&m, NULL, CLASS_BOUNCE);
	/* A read receipt is not a bounce. */
	m = person();
	m.report_type = "disposition-notification";
	assert_class(&m, NULL, CLASS_REQUEST);
}

static void
test_bounce_address(void **state)
{
	struct msg m = person();
	const char *why;

	assert_int_equal(cls(&m, "office+bounce@example.org", &why),
	    CLASS_BOUNCE);
	assert_non_null(strstr(why, "bounce address"));
	/* VERP suffix, and case does not matter. */
	assert_class(&m, "office+bounce-anna=voorbeeld.example@example.org",
	    CLASS_BOUNCE);
	assert_class(&m, "Office+Bounce-x1@EXAMPLE.org", CLASS_BOUNCE);
	/* Not the bounce address. */
	assert_class(&m, "office@example.org", CLASS_REQUEST);
	assert_class(&m, "office+bounces@example.org", CLASS_REQUEST);
	assert_class(&m, "office+bounce@example.net", CLASS_REQUEST);
	assert_class(&m, "office+bounc@example.org", CLASS_REQUEST);
	assert_class(&m, "xoffice+bounce@example.org", CLASS_REQUEST);
	assert_class(&m, "office+bounce", CLASS_REQUEST);
	assert_class(&m, "", CLASS_REQUEST);
	assert_class(&m, NULL, CLASS_REQUEST);
}

static void
test_unsubscribe_address(void **state)
{
	struct msg m = person();

	/* Only the per-recipient form (base + "-TOKEN") unsubscribes. */
	assert_class(&m, "office+unsubscribe-00112233445566778899aabbccddeeff@example.org",
	    CLASS_UNSUBSCRIBE);
	assert_class(&m, "office+unsubscribe@example.org", CLASS_REQUEST);
	assert_class(&m, "office+unsubscribe-@example.org", CLASS_REQUEST);
	assert_class(&m, "office+unsubscribe-x@example.net", CLASS_REQUEST);
	/* An automatic unsubscribe request still counts (RFC 2369 mailto). */
	m.auto_submitted = "auto-generated";
	assert_class(&m, "office+unsubscribe-abc@example.org", CLASS_UNSUBSCRIBE);
}

static void
test_bounce_address_unset(void **state)
{
	struct classify_rules r = { own, 0, NULL, NULL };
	struct msg m = person();
	const char *why;

	assert_int_equal(classify_message(&m, "office+bounce@example.org", &r,
	    &why), CLASS_REQUEST);
	/* A base without '@' matches nothing. */
	r.bounce_address = "office+bounce";
	assert_int_equal(classify_message(&m, "office+bounce@example.org", &r,
	    &why), CLASS_REQUEST);
}

static void
test_calendar(void **state)
{
	struct msg m = person();
	const char *why;

	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\n"
	    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@voorbeeld.example\n"
	    "END:VEVENT\nEND:VCALENDAR\n";
	m.calendar_method = "REPLY";
	assert_int_equal(cls(&m, "office@example.org", &why),
	    CLASS_CALENDAR_REPLY);
	assert_non_null(strstr(why, "calendar"));
	m.calendar_method = "reply";
	assert_class(&m, NULL, CLASS_CALENDAR_REPLY);
	/* No method= parameter: the METHOD property decides. */
	m.calendar_method = NULL;
	assert_class(&m, NULL, CLASS_CALENDAR_REPLY);
	m.calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nmethod:Reply\r\nEND:VCALENDAR\r\n";
	assert_class(&m, NULL, CLASS_CALENDAR_REPLY);
	/* The parameter wins over the text (RFC 6047 wants them equal). */
	m.calendar_method = "REQUEST";
	assert_class(&m, NULL, CLASS_REQUEST);

	/* An invitation or a cancellation is not an answer. */
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n";
	m.calendar_method = "REQUEST";
	assert_class(&m, NULL, CLASS_REQUEST);
	m.calendar_method = NULL;
	assert_class(&m, NULL, CLASS_REQUEST);
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:CANCEL\nEND:VCALENDAR\n";
	assert_class(&m, NULL, CLASS_REQUEST);
	/* "REPLY" inside another property is not the method. */
	m.calendar = "BEGIN:VCALENDAR\nX-NOTE:METHOD:REPLY\n"
	    "DESCRIPTION:please\n METHOD:REPLY\nEND:VCALENDAR\n";
	assert_class(&m, NULL, CLASS_REQUEST);
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REPLYX\nEND:VCALENDAR\n";
	assert_class(&m, NULL, CLASS_REQUEST);
	/* A method parameter without a calendar part. */
	m.calendar = NULL;
	m.calendar_method = "REPLY";
	assert_class(&m, NULL, CLASS_REQUEST);
}

static void
test_auto_submitted(void **state)
{
	static char *const automated[] = {
		"auto-replied", "auto-generated", "Auto-Replied",
		"auto-notified; owner-email=\"x@example.org\"", "nope", "yes",
		"",
	};
	static char *const not_automated[] = {
		"no", "No", "NO", "no; comment", "no ; x=y", "no (a person)",
		"no\t", "no;", "no(a person)",
	};
	struct msg m = person();
	const char *why;

	for (size_t i = 0; i < sizeof(automated) / sizeof(*automated); i++) {
		m.auto_submitted = automated[i];
		if (cls(&m, NULL, &why) != CLASS_AUTOMATED)
			fail_msg("Auto-Submitted: %s not automated", automated[i]);
		assert_string_equal(why, "Auto-Submitted");
	}
	for (size_t i = 0; i < sizeof(not_automated) / sizeof(*not_automated);
	    i++) {
		m.auto_submitted = not_automated[i];
		if (cls(&m, NULL, &why) != CLASS_REQUEST)
			fail_msg("Auto-Submitted: %s automated (%s)",
			    not_automated[i], why);
	}
}

static void
test_precedence(void **state)
{
	static char *const bulk[] = { "bulk", "junk", "list", "BULK",
	    "List", "bulk; x" };
	static char *const normal[] = { "first-class", "normal",
	    "urgent", "", "special-delivery" };
	struct msg m = person();
	const char *why;

	for (size_t i = 0; i < sizeof(bulk) / sizeof(*bulk); i++) {
		m.precedence = bulk[i];
		if (cls(&m, NULL, &why) != CLASS_AUTOMATED)
			fail_msg("Precedence: %s not automated", bulk[i]);
		assert_non_null(strstr(why, "Precedence"));
	}
	for (size_t i = 0; i < sizeof(normal) / sizeof(*normal); i++) {
		m.precedence = normal[i];
		if (cls(&m, NULL, &why) != CLASS_REQUEST)
			fail_msg("Precedence: %s automated", normal[i]);
	}
}

static void
test_list_id(void **state)
{
	struct msg m = person();
	const char *why;

	m.list_id = "Partners <partners.lists.example>";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_string_equal(why, "List-Id");
}

static void
test_return_path(void **state)
{
	struct msg m = person();
	const char *why;

	m.has_return_path = true;
	m.return_path = "";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_non_null(strstr(why, "Return-Path"));
	m.return_path = "anna@voorbeeld.example";
	assert_class(&m, NULL, CLASS_REQUEST);
	/* No Return-Path header at all is not an empty one. */
	m.has_return_path = false;
	m.return_path = NULL;
	assert_class(&m, NULL, CLASS_REQUEST);
}

static void
test_daemon(void **state)
{
	static char *const daemons[] = {
		"MAILER-DAEMON@mx.example", "mailer-daemon@example.org",
		"Mailer-Daemon@Mail.Example", "postmaster@example.net",
		"PostMaster@example.net",
	};
	static char *const people[] = {
		"mailer@example.org", "postmaster.anna@example.org",
		"anna.postmaster@example.org", "mailer-daemons@example.org",
	};
	struct msg m = person();
	const char *why;

	for (size_t i = 0; i < sizeof(daemons) / sizeof(*daemons); i++) {
		m.from_addr = daemons[i];
		if (cls(&m, NULL, &why) != CLASS_AUTOMATED)
			fail_msg("From %s not automated", daemons[i]);
		assert_non_null(strstr(why, "MAILER-DAEMON"));
	}
	for (size_t i = 0; i < sizeof(people) / sizeof(*people); i++) {
		m.from_addr = people[i];
		if (cls(&m, NULL, &why) != CLASS_REQUEST)
			fail_msg("From %s automated (%s)", people[i], why);
	}
	m.from_addr = NULL;
	assert_class(&m, NULL, CLASS_REQUEST);
}

static void
test_ourselves(void **state)
{
	struct msg m = person();
	const char *why;

	m.from_addr = "office@example.org";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_non_null(strstr(why, "own address"));
	m.from_addr = "Office@Example.ORG";
	assert_class(&m, NULL, CLASS_AUTOMATED);
	m.from_addr = "IMAPUSER@example.org";
	assert_class(&m, NULL, CLASS_AUTOMATED);
	m.from_addr = "office+unsubscribe@example.org";
	assert_class(&m, NULL, CLASS_AUTOMATED);
	m.from_addr = "office2@example.org";
	assert_class(&m, NULL, CLASS_REQUEST);
	m.from_addr = "office@example.org.evil.example";
	assert_class(&m, NULL, CLASS_REQUEST);
}

/* SPEC §2 order: bounce, then calendar reply, then automated. */
static void
test_order(void **state)
{
	struct msg m = person();
	const char *why;

	/* A DSN is a bounce whatever else it carries. */
	m.report_type = "delivery-status";
	m.auto_submitted = "auto-replied";
	m.precedence = "bulk";
	m.list_id = "x.example";
	m.has_return_path = true;
	m.return_path = "";
	m.from_addr = "MAILER-DAEMON@mx.example";
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n";
	m.calendar_method = "REPLY";
	assert_int_equal(cls(&m, NULL, &why), CLASS_BOUNCE);
	assert_non_null(strstr(why, "delivery-status"));

	/* So is an auto-reply to the bounce address (a vacation notice to
	 * a Return-Path). */
	m = person();
	m.auto_submitted = "auto-replied";
	assert_class(&m, "office+bounce-42@example.org", CLASS_BOUNCE);

	/* An RSVP sent with Auto-Submitted, from a list, with an empty
	 * Return-Path: still counted as the answer it is. */
	m = person();
	m.calendar = "BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n";
	m.calendar_method = "REPLY";
	m.auto_submitted = "auto-generated";
	m.list_id = "x.example";
	m.has_return_path = true;
	m.return_path = "";
	assert_int_equal(cls(&m, "office@example.org", &why),
	    CLASS_CALENDAR_REPLY);
	/* ... but a calendar reply to the bounce address is a bounce. */
	assert_class(&m, "office+bounce@example.org", CLASS_BOUNCE);

	/* Among the automated rules the first one names the reason. */
	m = person();
	m.auto_submitted = "auto-replied";
	m.precedence = "bulk";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_string_equal(why, "Auto-Submitted");
	m.auto_submitted = NULL;
	m.list_id = "x.example";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_non_null(strstr(why, "Precedence"));
	m.precedence = NULL;
	m.from_addr = "office@example.org";
	assert_int_equal(cls(&m, NULL, &why), CLASS_AUTOMATED);
	assert_string_equal(why, "List-Id");
}

static void
test_names(void **state)
{
	assert_string_equal(classify_name(CLASS_BOUNCE), "bounce");
	assert_string_equal(classify_name(CLASS_CALENDAR_REPLY), "calendar-reply");
	assert_string_equal(classify_name(CLASS_AUTOMATED), "automated");
	assert_string_equal(classify_name(CLASS_REQUEST), "request");
	assert_string_equal(classify_name((enum msg_class)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_bounce_address),
		cmocka_unit_test(test_bounce_address_unset),
		cmocka_unit_test(test_unsubscribe_address),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_auto_submitted),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_list_id),
		cmocka_unit_test(test_return_path),
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_ourselves),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
