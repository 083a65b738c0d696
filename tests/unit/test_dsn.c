/*
 * Unit tests for dsn: the bounces in tests/cases/dsn/ (Postfix, Exim,
 * Exchange Online, Gmail, Outlook.com rejecting us on Spamhaus, a 4.2.2
 * mailbox full, an Exchange 4.4.7 delay, a sendmail report with four
 * recipients, an Exim blocklist rejection, and plain-text bounces from
 * qmail, old sendmail and Exim), read end to end through msg_parse; every
 * clause of the blame/score rule; VERP round trips; and malformed, odd
 * and oversized input to each reader.
 *
 * msg_parse() is safe to call here because every input is ours; it must
 * never see untrusted bytes outside the parser child (msg.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "dsn.h"
#include "msg.h"
#include "util.h"

#define BASE "office+bounce@example.org"

/* ---- helpers ---- */

static char *
case_path(const char *name)
{
	char *p = xasprintf("tests/cases/dsn/%s", name);
	const char *slash;

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	slash = strrchr(__FILE__, '/');
	return xasprintf("%.*s/../cases/dsn/%s",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
}

static struct msg *
parse_case(const char *name)
{
	char *path = case_path(name), *raw = NULL, err[128];
	struct msg *m = NULL;
	size_t len;

	if (hp_read_file(path, MSG_RAW_MAX, &raw, &len) != 0)
		fail_msg("cannot read %s", path);
	if (msg_parse(raw, len, &m, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(raw);
	free(path);
	return m;
}

/* What dsn.h promises about a string field. */
static void
check_field(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	assert_true(n < size);
	assert_true(hp_utf8_valid(s, n));
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void
check_rcpt(const struct dsn_recipient *r)
{
	check_field(r->final_recipient, sizeof(r->final_recipient));
	check_field(r->original_recipient, sizeof(r->original_recipient));
	check_field(r->remote_mta, sizeof(r->remote_mta));
	check_field(r->status, sizeof(r->status));
	check_field(r->diagnostic, sizeof(r->diagnostic));
	switch (r->blame) {
	case DSN_BLAME_RECIPIENT:
		assert_true(r->score == 1);
		break;
	case DSN_BLAME_TRANSIENT:
		assert_true(r->score == 0.5 || r->score == 0);
		break;
	default:
		assert_true(r->score == 0);
	}
}

static void
check_report(const struct dsn_report *rep)
{
	check_field(rep->reporting_mta, sizeof(rep->reporting_mta));
	assert_true(rep->n_rcpts <= DSN_MAX_RCPTS);
	assert_true((rep->n_rcpts == 0) == (rep->rcpts == NULL));
	for (size_t i = 0; i < rep->n_rcpts; i++) {
		check_rcpt(&rep->rcpts[i]);
		assert_int_not_equal(rep->rcpts[i].status[0], '\0');
	}
}

static int
parse_str(const char *s, struct dsn_report *rep)
{
	int rc = dsn_parse(s, strlen(s), rep);

	check_report(rep);
	assert_int_equal(rc, rep->n_rcpts > 0 ? 0 : -1);
	return rc;
}

/* ---- the samples ---- */

struct want {
	const char *final;
	enum dsn_action action;
	const char *status;
	enum dsn_blame blame;
	double score;
	const char *diag;	/* a prefix of the diagnostic; NULL = don't care */
};

static void
assert_rcpt(const struct dsn_recipient *r, const struct want *w)
{
	assert_string_equal(r->final_recipient, w->final);
	assert_string_equal(dsn_action_name(r->action), dsn_action_name(w->action));
	assert_string_equal(r->status, w->status);
	assert_string_equal(dsn_blame_name(r->blame), dsn_blame_name(w->blame));
	assert_true(r->score == w->score);
	if (w->diag != NULL && strncmp(r->diagnostic, w->diag, strlen(w->diag)) != 0)
		fail_msg("diagnostic \"%s\"\n  expected \"%s...\"", r->diagnostic,
		    w->diag);
}

/* One single-recipient DSN: the report, the VERP address it was sent to,
 * and the plain-text guess from its human-readable part, which must
 * agree on recipient, status and blame. */
static void
check_sample(const char *file, const char *mta, const char *verp,
    const struct want *w)
{
	struct msg *m = parse_case(file);
	struct dsn_report rep;
	struct dsn_recipient g;
	char subscriber[256];

	assert_non_null(m->dsn_status);
	assert_int_equal(parse_str(m->dsn_status, &rep), 0);
	assert_string_equal(rep.reporting_mta, mta);
	assert_int_equal(rep.n_rcpts, 1);
	assert_rcpt(&rep.rcpts[0], w);
	if (verp != NULL) {
		assert_non_null(m->delivered_to);
		assert_int_equal(dsn_verp_decode(BASE, m->delivered_to,
		    subscriber, sizeof(subscriber)), 0);
		assert_string_equal(subscriber, verp);
	}
	assert_int_equal(dsn_guess_from_text(m->text, strlen(m->text), &g), 0);
	check_rcpt(&g);
	assert_string_equal(g.final_recipient, w->final);
	assert_string_equal(g.status, w->status);
	assert_int_equal(g.blame, w->blame);
	assert_true(g.score == w->score);
	dsn_report_clear(&rep);
	msg_free(m);
}

static void
test_postfix(void **state)
{
	struct want w = { "gone@partner.example", DSN_FAILED, "5.1.1",
		DSN_BLAME_RECIPIENT, 1, "550 5.1.1 <gone@partner.example>: "
		"Recipient address rejected: User unknown in virtual mailbox table" };
	struct msg *m = parse_case("postfix-user-unknown.eml");
	struct dsn_report rep;

	check_sample("postfix-user-unknown.eml", "mail.example.org",
	    "gone@partner.example", &w);
	assert_int_equal(dsn_parse(m->dsn_status, strlen(m->dsn_status), &rep), 0);
	assert_string_equal(rep.rcpts[0].original_recipient, "gone@partner.example");
	assert_string_equal(rep.rcpts[0].remote_mta, "mx.partner.example");
	assert_string_equal(rep.rcpts[0].diagnostic, w.diag);
	dsn_report_clear(&rep);
	msg_free(m);
}

/* Exim writes Status: 5.0.0 for everything; the reply has the real code. */
static void
test_exim(void **state)
{
	struct want w = { "kees@partner.example", DSN_FAILED, "5.1.1",
		DSN_BLAME_RECIPIENT, 1, "550 5.1.1 <kees@partner.example>:" };

	check_sample("exim-user-unknown.eml", "relay.example.net", NULL, &w);
}

static void
test_exchange(void **state)
{
	struct want w = { "piet@partner.example", DSN_FAILED, "5.1.10",
		DSN_BLAME_RECIPIENT, 1,
		"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found "
		"by SMTP address lookup" };

	check_sample("exchange-not-found.eml",
	    "AM0PR01MB1234.eurprd01.prod.exchangelabs.com",
	    "piet@partner.example", &w);
}

/* Gmail's folded reply repeats "550-5.1.1" on every line. */
static void
test_gmail(void **state)
{
	struct want w = { "lotte.bakker@campus.example", DSN_FAILED, "5.1.1",
		DSN_BLAME_RECIPIENT, 1,
		"550 5.1.1 The email account that you tried to reach does not "
		"exist. Please try double-checking the recipient's email address "
		"for typos or unnecessary spaces. For more information, go to "
		"https://support.google.com/mail/?p=NoSuchUser "
		"a640c23a62f3a-aa6a1b2c3d4si123456766b.123 - gsmtp" };

	check_sample("gmail-no-such-user.eml", "googlemail.com",
	    "lotte.bakker@campus.example", &w);
}

/* Our IP on Spamhaus: not the subscriber's fault, scores nothing. */
static void
test_outlook_spamhaus(void **state)
{
	struct want w = { "jan.visser@hotmail.example", DSN_FAILED, "5.7.1",
		DSN_BLAME_SENDER, 0,
		"550 5.7.1 Service unavailable, Client host [203.0.113.5] blocked "
		"using Spamhaus. To request removal" };

	check_sample("outlook-spamhaus.eml", "mail.example.org",
	    "jan.visser@hotmail.example", &w);
}

/* Expired in our queue after 4.2.2 answers: a soft bounce. */
static void
test_mailbox_full(void **state)
{
	struct want w = { "vol@gmail.example", DSN_FAILED, "4.2.2",
		DSN_BLAME_TRANSIENT, 0.5,
		"452 4.2.2 The recipient's inbox is out of storage space and "
		"inbound mail cannot be delivered. Please try again later. For "
		"more information, go to https://support.google.com/" };

	check_sample("mailbox-full-422.eml", "mail.example.org",
	    "vol@gmail.example", &w);
}

/* A delay notice is no bounce at all. */
static void
test_exchange_delayed(void **state)
{
	struct want w = { "m.jansen@gemeente.example", DSN_DELAYED, "4.4.7",
		DSN_BLAME_TRANSIENT, 0, "" };

	check_sample("exchange-delayed-447.eml", "EX01.gemeente.example",
	    "m.jansen@gemeente.example", &w);
}

/* No enhanced code at all, but the reply names a blocklist. */
static void
test_exim_blocklist(void **state)
{
	struct want w = { "info@stichting.example", DSN_FAILED, "5.0.0",
		DSN_BLAME_SENDER, 0, "554 mx.stichting.example: Rejected because "
		"203.0.113.5 is in a black list at zen.spamhaus.org" };
	struct msg *m = parse_case("exim-blocklist.eml");
	struct dsn_report rep;

	assert_int_equal(parse_str(m->dsn_status, &rep), 0);
	assert_int_equal(rep.n_rcpts, 1);
	assert_rcpt(&rep.rcpts[0], &w);
	dsn_report_clear(&rep);
	msg_free(m);
}

static void
test_multi_recipient(void **state)
{
	static const struct want w[] = {
		{ "a.devries@uni.example", DSN_FAILED, "5.1.1",
		  DSN_BLAME_RECIPIENT, 1, "550 5.1.1 <a.devries@uni.example>... "
		  "User unknown" },
		{ "board@uni.example", DSN_FAILED, "5.7.1", DSN_BLAME_SENDER, 0,
		  "554 5.7.1 Rejected by content filter" },
		{ "research@uni.example", DSN_RELAYED, "2.0.0", DSN_BLAME_NONE, 0,
		  "250 2.0.0" },
		{ "K.Smit@lab.uni.example", DSN_DELAYED, "4.4.1",
		  DSN_BLAME_TRANSIENT, 0, "451 4.4.1 reply: read error" },
	};
	struct msg *m = parse_case("multi-recipient.eml");
	struct dsn_report rep;

	assert_int_equal(parse_str(m->dsn_status, &rep), 0);
	assert_string_equal(rep.reporting_mta, "smtp.uni.example");
	assert_int_equal(rep.n_rcpts, HP_NELEM(w));
	for (size_t i = 0; i < HP_NELEM(w); i++)
		assert_rcpt(&rep.rcpts[i], &w[i]);
	assert_string_equal(rep.rcpts[0].remote_mta, "mailhost.uni.example");
	dsn_report_clear(&rep);
	msg_free(m);
}

/* Bounces without a delivery-status part. */
static void
test_plain_text_bounces(void **state)
{
	static const struct {
		const char *file, *verp;
		struct want w;
	} cases[] = {
		{ "qmail-plain.eml", "weg@oldhost.example",
		  { "weg@oldhost.example", DSN_FAILED, "5.1.1",
		    DSN_BLAME_RECIPIENT, 1,
		    "Sorry, no mailbox here by that name. (#5.1.1)" } },
		{ "sendmail-plain.eml", "oud@vintage.example",
		  { "oud@vintage.example", DSN_FAILED, "5.0.0",
		    DSN_BLAME_RECIPIENT, 1, "(reason: 550 Requested action not "
		    "taken: mailbox unavailable)" } },
		{ "exim-delay-plain.eml", NULL,
		  { "traag@partner.example", DSN_DELAYED, "4.2.2",
		    DSN_BLAME_TRANSIENT, 0,
		    "452 4.2.2 <traag@partner.example>: Mailbox full" } },
	};

	for (size_t i = 0; i < HP_NELEM(cases); i++) {
		struct msg *m = parse_case(cases[i].file);
		struct dsn_recipient g;
		char sub[256];

		assert_null(m->dsn_status);
		assert_int_equal(dsn_guess_from_text(m->text, strlen(m->text),
		    &g), 0);
		check_rcpt(&g);
		assert_rcpt(&g, &cases[i].w);
		if (cases[i].verp != NULL) {
			assert_int_equal(dsn_verp_decode(BASE, m->delivered_to,
			    sub, sizeof(sub)), 0);
			assert_string_equal(sub, cases[i].verp);
		}
		msg_free(m);
	}
}

/* ---- the rule ---- */

static void
test_judge_rule(void **state)
{
	static const struct {
		enum dsn_action action;
		const char *status, *diag;
		enum dsn_blame blame;
		double score;
	} cases[] = {
		{ DSN_FAILED, "5.1.1", "550 5.1.1 User unknown", DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.2.2", "552 5.2.2 Mailbox full", DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.4.4", "Host or domain name not found", DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.5.0", "550 5.5.0 Requested action not taken: "
		  "mailbox unavailable", DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "4.2.2", "452 4.2.2 Over quota", DSN_BLAME_TRANSIENT, 0.5 },
		{ DSN_FAILED, "4.4.1", "connect: Connection timed out", DSN_BLAME_TRANSIENT, 0.5 },
		{ DSN_DELAYED, "4.4.7", "", DSN_BLAME_TRANSIENT, 0 },
		{ DSN_DELAYED, "5.1.1", "", DSN_BLAME_TRANSIENT, 0 },
		{ DSN_DELIVERED, "2.0.0", "250 OK", DSN_BLAME_NONE, 0 },
		{ DSN_RELAYED, "2.0.0", "", DSN_BLAME_NONE, 0 },
		{ DSN_EXPANDED, "2.0.0", "", DSN_BLAME_NONE, 0 },
		{ DSN_UNKNOWN, "5.1.1", "", DSN_BLAME_NONE, 0 },
		{ DSN_FAILED, "2.0.0", "", DSN_BLAME_NONE, 0 },
		{ DSN_FAILED, "", "", DSN_BLAME_NONE, 0 },
		/* blames us by its code */
		{ DSN_FAILED, "5.7.1", "550 5.7.1 Message rejected", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.7.26", "550 5.7.26 Unauthenticated email is not "
		  "accepted", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "4.7.0", "421 4.7.0 Try again later", DSN_BLAME_SENDER, 0 },
		{ DSN_DELAYED, "4.7.1", "451 4.7.1 Greylisted", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.1.7", "Invalid sender address", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.1.8", "Sender domain does not resolve", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.3.4", "552 5.3.4 Message too big", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.6.0", "Content rejected", DSN_BLAME_SENDER, 0 },
		/* blames us by its words */
		{ DSN_FAILED, "5.0.0", "554 Service unavailable; Client host "
		  "[203.0.113.5] blocked using zen.spamhaus.org", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "550 Rejected: listed at "
		  "b.barracudacentral.org", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "554 Your IP has a poor reputation", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "550 Message rejected due to local policy", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "550 Rejected as spam", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "550 blacklisted (SORBS)", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.0.0", "554 See http://www.spamcop.net/bl.shtml?203.0.113.5",
		  DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "4.0.0", "421 Too many connections (RBL)", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.5.0", "550 IP on our block list", DSN_BLAME_SENDER, 0 },
		{ DSN_FAILED, "5.1.1", "550 5.1.1 Client host blocked using "
		  "Spamhaus", DSN_BLAME_SENDER, 0 },
		/* ...but not on weak words under a mailbox code, nor "not listed" */
		{ DSN_FAILED, "5.1.1", "550 5.1.1 User not listed in public Name & "
		  "Address Book", DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.0.0", "550 User not listed in Domino Directory",
		  DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.1.1", "550 5.1.1 Recipient rejected by policy",
		  DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.4.1", "550 5.4.1 Recipient address rejected: Access "
		  "denied. AS(201806281) https://docs.example/directory-based-edge-blocking",
		  DSN_BLAME_RECIPIENT, 1 },
		{ DSN_FAILED, "5.0.0", "550 verbly unknown user", DSN_BLAME_RECIPIENT, 1 },
	};

	for (size_t i = 0; i < HP_NELEM(cases); i++) {
		struct dsn_recipient r;

		memset(&r, 0, sizeof(r));
		r.action = cases[i].action;
		hp_strlcpy(r.status, cases[i].status, sizeof(r.status));
		hp_strlcpy(r.diagnostic, cases[i].diag, sizeof(r.diagnostic));
		dsn_recipient_judge(&r);
		if (r.blame != cases[i].blame || r.score != cases[i].score)
			fail_msg("case %zu (%s %s \"%s\"): %s %.1f", i,
			    dsn_action_name(r.action), r.status, r.diagnostic,
			    dsn_blame_name(r.blame), r.score);
	}
}

static void
test_status_from_reply(void **state)
{
	static const struct {
		const char *reply, *status;
	} cases[] = {
		{ "550-5.1.1 The email account", "5.1.1" },
		{ "550 5.1.10 RESOLVER.ADR.RecipientNotFound", "5.1.10" },
		{ "  421 4.7.0 Try again later", "4.7.0" },
		{ "554 Service unavailable", "5.0.0" },
		{ "#550 User unknown ##", "5.0.0" },
		{ "452-Too many recipients", "4.0.0" },
		{ "250 2.0.0 Ok: queued", "2.0.0" },
		{ "550", "5.0.0" },
		{ "Sorry (#5.1.1)", "5.1.1" },
		{ "host 10.5.1.1 said no", "" },
		{ "server 5.1.1.4 down", "" },
		{ "version 15.1.1 of", "" },
		{ "a5.1.1", "" },
		{ "5550 nope", "" },
		{ "350 go ahead", "" },
		{ "650 nope", "" },
		{ "", "" },
	};
	char st[16];

	for (size_t i = 0; i < HP_NELEM(cases); i++) {
		int rc = dsn_status_from_reply(cases[i].reply, st, sizeof(st));

		if (strcmp(st, cases[i].status) != 0)
			fail_msg("\"%s\": got \"%s\"", cases[i].reply, st);
		assert_int_equal(rc, cases[i].status[0] ? 0 : -1);
	}
	assert_int_equal(dsn_status_from_reply(NULL, st, sizeof(st)), -1);
	assert_string_equal(st, "");
	assert_int_equal(dsn_status_from_reply("550 5.1.1", st, 8), -1);
}

/* ---- the RFC 3464 reader on odd input ---- */

static void
test_parse_variants(void **state)
{
	struct dsn_report rep;
	struct dsn_recipient *r;

	/* CRLF, folded with tabs, <> and upper case, comments, "Status :" */
	assert_int_equal(parse_str("Reporting-MTA: dns;\r\n\tmx.example.net\r\n\r\n"
	    "Final-Recipient: RFC822;<Anna@Partner.EXAMPLE>\r\n"
	    "Action: Failed\r\nStatus : 5.1.1 (bad destination mailbox)\r\n"
	    "Diagnostic-Code: (from mx) smtp;\r\n\t550 5.1.1\r\n   no such user\r\n",
	    &rep), 0);
	assert_string_equal(rep.reporting_mta, "mx.example.net");
	r = &rep.rcpts[0];
	assert_string_equal(r->final_recipient, "Anna@partner.example");
	assert_int_equal(r->action, DSN_FAILED);
	assert_string_equal(r->status, "5.1.1");
	assert_string_equal(r->diagnostic, "550 5.1.1 no such user");
	dsn_report_clear(&rep);

	/* no blank lines at all: recipients split where a field repeats */
	assert_int_equal(parse_str("Reporting-MTA: dns; mx.example.net\n"
	    "Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.1.1\n"
	    "Final-Recipient: rfc822; b@x.example\nAction: delayed\nStatus: 4.4.1\n",
	    &rep), 0);
	assert_int_equal(rep.n_rcpts, 2);
	assert_string_equal(rep.rcpts[0].final_recipient, "a@x.example");
	assert_string_equal(rep.rcpts[1].final_recipient, "b@x.example");
	assert_int_equal(rep.rcpts[1].action, DSN_DELAYED);
	dsn_report_clear(&rep);

	/* derived fields: status from the reply, from the action; action from
	 * the status; an unknown action word */
	assert_int_equal(parse_str("\n\nFinal-Recipient: rfc822; a@x.example\n"
	    "Action: failed\nDiagnostic-Code: smtp; 550 5.2.1 disabled\n\n"
	    "Final-Recipient: rfc822; b@x.example\nAction: failed\n\n"
	    "Final-Recipient: rfc822; c@x.example\nStatus: 5.1.2\n\n"
	    "Final-Recipient: rfc822; d@x.example\nAction: bounced\nStatus: 4.4.1\n\n"
	    "Original-Recipient: rfc822; e@x.example\n"
	    "Diagnostic-Code: smtp; 554 go away\n\n"
	    "Final-Recipient: rfc822; f@x.example\nAction: failed\nStatus: 5.0.0\n"
	    "Diagnostic-Code: smtp; 550 4.2.2 mixed up\n\n"
	    "Final-Recipient: rfc822; g@x.example\nAction: relayed\n\n"
	    "Final-Recipient: rfc822; h@x.example\nAction: failed\n"
	    "Diagnostic-Code: X-Postfix; (Postfix 2.10.1) mail loops back\n",
	    &rep), 0);
	assert_int_equal(rep.n_rcpts, 8);
	assert_string_equal(rep.rcpts[7].status, "5.0.0");	/* not 2.10.1 */
	assert_true(rep.rcpts[7].score == 1);
	assert_string_equal(rep.rcpts[0].status, "5.2.1");
	assert_string_equal(rep.rcpts[1].status, "5.0.0");
	assert_int_equal(rep.rcpts[2].action, DSN_FAILED);
	assert_int_equal(rep.rcpts[3].action, DSN_DELAYED);
	assert_true(rep.rcpts[3].score == 0);
	assert_string_equal(rep.rcpts[4].original_recipient, "e@x.example");
	assert_string_equal(rep.rcpts[4].final_recipient, "");
	assert_string_equal(rep.rcpts[4].status, "5.0.0");
	assert_true(rep.rcpts[4].score == 1);
	assert_string_equal(rep.rcpts[5].status, "5.0.0");	/* other class */
	assert_string_equal(rep.rcpts[6].status, "2.0.0");
	assert_int_equal(rep.rcpts[6].blame, DSN_BLAME_NONE);
	dsn_report_clear(&rep);

	/* RFC 6533 utf-8 addresses; an address type that is no address */
	assert_int_equal(parse_str("Final-Recipient: utf-8; J\xc3\xb6rg@B\xc3\xbc"
	    "cher.Example\nAction: failed\nStatus: 5.1.1\n\n"
	    "Final-Recipient: x400; /C=NL/ADMD=400NET/\nAction: failed\n"
	    "Status: 5.1.1\n", &rep), 0);
	assert_int_equal(rep.n_rcpts, 1);
	assert_string_equal(rep.rcpts[0].final_recipient,
	    "J\xc3\xb6rg@b\xc3\xbc" "cher.example");
	dsn_report_clear(&rep);
}

static void
test_parse_unusable(void **state)
{
	static const char *const bad[] = {
		"", "\n\n\n", "garbage\nmore garbage\n", ":\n: :\n",
		"Reporting-MTA: dns; mx.example.net\n",
		"Final-Recipient: rfc822; a@x.example\n",		/* says nothing */
		"Action: failed\nStatus: 5.1.1\n",			/* no address */
		"Final-Recipient: rfc822; anna\nAction: failed\n",
		"Final-Recipient: rfc822; @x.example\nAction: failed\n",
		"Final-Recipient: rfc822; a@\nAction: failed\n",
		"Final-Recipient: rfc822; a@x.example\nAction: weird\nStatus: 9.9.9\n",
		" Final-Recipient: rfc822; a@x.example\n Action: failed\n",
		"Final-Recipient rfc822; a@x.example\nAction failed\n",
	};
	struct dsn_report rep;

	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		if (parse_str(bad[i], &rep) != -1)
			fail_msg("accepted: %s", bad[i]);
		dsn_report_clear(&rep);
	}
	assert_int_equal(parse_str("Reporting-MTA: dns; mx.example.net\n", &rep), -1);
	assert_string_equal(rep.reporting_mta, "mx.example.net");
	dsn_report_clear(&rep);
	assert_int_equal(dsn_parse(NULL, 10, &rep), -1);
	assert_null(rep.rcpts);
	dsn_report_clear(&rep);
	dsn_report_clear(NULL);
}

static void
test_parse_limits(void **state)
{
	struct buf b;
	struct dsn_report rep;
	char *long_addr;

	/* more recipients than kept */
	buf_init(&b, (size_t)1 << 20);
	for (int i = 0; i < 150; i++)
		assert_int_equal(buf_printf(&b, "Final-Recipient: rfc822; u%d@x.example\n"
		    "Action: failed\nStatus: 5.1.1\n\n", i), 0);
	assert_int_equal(dsn_parse(b.data, b.len, &rep), 0);
	check_report(&rep);
	assert_int_equal(rep.n_rcpts, DSN_MAX_RCPTS);
	assert_string_equal(rep.rcpts[99].final_recipient, "u99@x.example");
	dsn_report_clear(&rep);
	buf_free(&b);

	/* a 20 KB folded diagnostic of two-byte characters: cut on a
	 * character boundary; an address over 255 bytes: dropped */
	buf_init(&b, (size_t)1 << 20);
	long_addr = xmalloc(301);
	memset(long_addr, 'a', 290);
	memcpy(long_addr + 290, "@x.example", 11);
	assert_int_equal(buf_printf(&b, "Final-Recipient: rfc822; %s\n"
	    "Original-Recipient: rfc822; ok@x.example\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 ", long_addr), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%s\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n", i ? " " : ""), 0);
	assert_int_equal(dsn_parse(b.data, b.len, &rep), 0);
	check_report(&rep);
	assert_string_equal(rep.rcpts[0].final_recipient, "");
	assert_string_equal(rep.rcpts[0].original_recipient, "ok@x.example");
	assert_true(strlen(rep.rcpts[0].diagnostic) >= 500);
	dsn_report_clear(&rep);
	free(long_addr);
	buf_free(&b);
}

/* NUL, control and non-UTF-8 bytes never reach a stored string. */
static void
test_parse_dirty_bytes(void **state)
{
	static const char dirty[] = "Reporting-MTA: dns; mx\x01.example\x7f\n\n"
	    "Final-Recipient: rfc822; a@x.example\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 bad\0nul \xff\xfe "
	    "\xc3 \xe2\x82 \xc2\x85 \x1b[31m\n";
	struct dsn_report rep;

	assert_int_equal(dsn_parse(dirty, sizeof(dirty) - 1, &rep), 0);
	check_report(&rep);
	assert_string_equal(rep.reporting_mta, "mx .example");
	assert_string_equal(rep.rcpts[0].diagnostic, "550 bad nul ?? ? ?? [31m");
	dsn_report_clear(&rep);
	/* the length counts, not the terminator */
	assert_int_equal(dsn_parse("Final-Recipient: rfc822; a@x.example\n"
	    "Action: failed", 44, &rep), -1);
	dsn_report_clear(&rep);
}

/* ---- plain text ---- */

#define GUESS(text, g) dsn_guess_from_text(text, strlen(text), g)

static void
test_guess_odd(void **state)
{
	struct dsn_recipient g;
	static const char nul_text[] = "user\0x@y.example: 550 5.1.1 gone\0";

	/* nothing that is a code */
	static const char *const none[] = {
		"", "Hello, thanks for your mail.\n",
		"Connected to 10.5.1.1 port 587\n",
		"from mail.example.org [203.0.113.5] port 587\n",
		"Date: Mon, 4 Jan 2027 09:08:00 +0100\n",
		"status 250 2.0.0 ok\n",
		("I'm afraid.\n--- Below this line is a copy of the message.\n"
		 "550 5.1.1 <a@x.example> unknown\n"),
	};

	for (size_t i = 0; i < HP_NELEM(none); i++) {
		if (dsn_guess_from_text(none[i], strlen(none[i]), &g) != -1)
			fail_msg("guessed from: %s", none[i]);
		assert_string_equal(g.status, "");
		assert_string_equal(g.final_recipient, "");
	}
	assert_int_equal(dsn_guess_from_text(NULL, 5, &g), -1);

	/* a code but no address: the caller has VERP */
	assert_int_equal(GUESS("550 5.1.1 no such user\n", &g), 0);
	assert_string_equal(g.final_recipient, "");
	assert_true(g.score == 1);

	/* robots are not recipients; nearest line above wins */
	assert_int_equal(GUESS("From: MAILER-DAEMON@mx.example\n"
	    "<first@x.example>\n<second@x.example>:\npostmaster@x.example: "
	    "550 5.1.1 unknown\n", &g), 0);
	assert_string_equal(g.final_recipient, "second@x.example");

	/* below when nothing is above; domain lower-cased; CRLF */
	assert_int_equal(GUESS("Delivery failed\r\n"
	    "(reason: 550 Unrouteable address)\r\n  more\r\n\r\n"
	    "Recipient: <Bob@Y.Example>.\r\n", &g), 0);
	assert_string_equal(g.final_recipient, "Bob@y.example");
	assert_string_equal(g.status, "5.0.0");
	assert_string_equal(g.diagnostic, "(reason: 550 Unrouteable address) more");

	/* NUL bytes inside */
	assert_int_equal(dsn_guess_from_text(nul_text, sizeof(nul_text) - 1, &g), 0);
	check_rcpt(&g);
	assert_string_equal(g.status, "5.1.1");
	assert_string_equal(g.final_recipient, "x@y.example");

	/* a 4.x.x without delay words is a final (soft) failure */
	assert_int_equal(GUESS("<a@x.example>: 452 4.2.2 full\n", &g), 0);
	assert_int_equal(g.action, DSN_FAILED);
	assert_true(g.score == 0.5);
}

/* ---- VERP ---- */

static void
test_verp_round_trip(void **state)
{
	static const struct {
		const char *rcpt, *verp;
	} cases[] = {
		{ "anna@partner.example", "office+bounce-anna=partner.example@example.org" },
		{ "a=b@x.example", "office+bounce-a=b=x.example@example.org" },
		{ "anna+news@x.example", "office+bounce-anna+news=x.example@example.org" },
		{ "a-b.c@sub.x.example", "office+bounce-a-b.c=sub.x.example@example.org" },
		{ "==@x.example", "office+bounce-===x.example@example.org" },
		{ "Anna@X.Example", "office+bounce-Anna=x.example@example.org" },
	};
	char enc[256], dec[256];

	for (size_t i = 0; i < HP_NELEM(cases); i++) {
		assert_int_equal(dsn_verp_encode(BASE, cases[i].rcpt, enc,
		    sizeof(enc)), 0);
		assert_string_equal(enc, cases[i].verp);
		assert_int_equal(dsn_verp_decode(BASE, enc, dec, sizeof(dec)), 0);
		assert_int_equal(strncmp(dec, cases[i].rcpt,
		    (size_t)(strchr(dec, '@') - dec)), 0);
		assert_int_equal(strcasecmp(dec, cases[i].rcpt), 0);
	}
	/* the base and the domain compare case-insensitively */
	assert_int_equal(dsn_verp_decode(BASE,
	    "Office+Bounce-anna=Partner.Example@EXAMPLE.org", dec, sizeof(dec)), 0);
	assert_string_equal(dec, "anna@partner.example");
	/* a base without '+' */
	assert_int_equal(dsn_verp_encode("bounces@lists.example.org",
	    "anna@partner.example", enc, sizeof(enc)), 0);
	assert_string_equal(enc, "bounces-anna=partner.example@lists.example.org");
}

static void
test_verp_refuses(void **state)
{
	static const char *const not_verp[] = {
		"office+bounce@example.org",			/* the base itself */
		"office+bounce-@example.org",
		"office+bounce-anna@example.org",		/* no '=' */
		"office+bounce-=partner.example@example.org",	/* no local */
		"office+bounce-anna=@example.org",		/* no domain */
		"office+bounce-anna=localhost@example.org",	/* no dot */
		"office+bounce-anna=partner.example@example.net", /* other domain */
		"office+bouncy-anna=partner.example@example.org",
		"office+bounceanna=partner.example@example.org",
		"office-anna=partner.example@example.org",
		"office+bounce-an na=partner.example@example.org",
		"office+bounce-anna=part_ner.example@example.org",
		"office+bounce-anna=partner.example@example.org\r\nRCPT TO:<x@y.example>",
		"", "@", "office+bounce-a=b.example",
	};
	char out[256], big[600];

	for (size_t i = 0; i < HP_NELEM(not_verp); i++) {
		if (dsn_verp_decode(BASE, not_verp[i], out, sizeof(out)) != -1)
			fail_msg("decoded: %s", not_verp[i]);
		assert_string_equal(out, "");
	}
	assert_int_equal(dsn_verp_decode(NULL, "a=b.example@x.example", out,
	    sizeof(out)), -1);
	assert_int_equal(dsn_verp_decode("not an address", "x", out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_decode(BASE, NULL, out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_decode(BASE,
	    "office+bounce-anna=partner.example@example.org", out, 10), -1);
	assert_int_equal(dsn_verp_decode(BASE, "x", NULL, 0), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "office+bounce-", 14);
	memcpy(big + 500, "=x.example@example.org", 23);
	assert_int_equal(dsn_verp_decode(BASE, big, out, sizeof(out)), -1);

	/* encode: invalid input, too long for a local part, too small */
	assert_int_equal(dsn_verp_encode(BASE, "not an address", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(dsn_verp_encode(BASE, "a@b.example\r\nX: y", out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_encode("nobase", "a@b.example", out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_encode(NULL, "a@b.example", out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_encode(BASE, NULL, out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_encode(BASE,
	    "firstname.lastname@faculty-of-engineering.university.example",
	    out, sizeof(out)), -1);
	assert_int_equal(dsn_verp_encode(BASE, "anna@partner.example", out, 20), -1);
	assert_string_equal(out, "");
	assert_int_equal(dsn_verp_encode(BASE, "anna@partner.example", NULL, 0), -1);
}

static void
test_names(void **state)
{
	assert_string_equal(dsn_action_name(DSN_FAILED), "failed");
	assert_string_equal(dsn_action_name(DSN_DELAYED), "delayed");
	assert_string_equal(dsn_action_name(DSN_DELIVERED), "delivered");
	assert_string_equal(dsn_action_name(DSN_RELAYED), "relayed");
	assert_string_equal(dsn_action_name(DSN_EXPANDED), "expanded");
	assert_string_equal(dsn_action_name(DSN_UNKNOWN), "unknown");
	assert_string_equal(dsn_blame_name(DSN_BLAME_NONE), "none");
	assert_string_equal(dsn_blame_name(DSN_BLAME_RECIPIENT), "recipient");
	assert_string_equal(dsn_blame_name(DSN_BLAME_SENDER), "sender");
	assert_string_equal(dsn_blame_name(DSN_BLAME_TRANSIENT), "transient");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_exim),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_outlook_spamhaus),
		cmocka_unit_test(test_mailbox_full),
		cmocka_unit_test(test_exchange_delayed),
		cmocka_unit_test(test_exim_blocklist),
		cmocka_unit_test(test_multi_recipient),
		cmocka_unit_test(test_plain_text_bounces),
		cmocka_unit_test(test_judge_rule),
		cmocka_unit_test(test_status_from_reply),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_unusable),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_dirty_bytes),
		cmocka_unit_test(test_guess_odd),
		cmocka_unit_test(test_verp_round_trip),
		cmocka_unit_test(test_verp_refuses),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
