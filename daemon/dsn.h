/*
 * dsn: bounces.  Reads delivery status notifications (RFC 3464, and the
 * RFC 6533 "global" variant), falls back to guessing from the plain text
 * of old-style bounces, decides who a failure blames and what it scores
 * (SPEC §6), and encodes/decodes VERP envelope addresses.  Pure (L1): no
 * I/O, logging, clock, globals or randomness.
 *
 * The score rule: a failure that blames the recipient's mailbox scores 1
 * when permanent (5.x.x) and 0.5 when temporary (4.x.x, e.g. a DSN sent
 * after the queue lifetime ran out); anything that is not a final failure
 * (delayed, delivered, relayed, expanded) scores 0.  A rejection that
 * blames US scores 0 whatever its class: 5.7.x/4.7.x (policy, spam,
 * authentication, blocklists), 5.1.7/5.1.8 (our sender address), 5.3.4
 * (our message too big) and 5.6.x (our content), or a reply text that
 * names a blocklist.  Mailman and listmonk users lose whole lists when
 * one blocklisting of the sending IP is counted against every subscriber;
 * those verdicts go to the office instead.
 *
 * How a bounce is meant to be read (ingest): the subscriber is the VERP
 * address (dsn_verp_decode of the message's Delivered-To) when there is
 * one, else Final-Recipient; the verdict is dsn_parse of msg->dsn_status,
 * else dsn_guess_from_text of msg->text.
 *
 * Every string this module fills in is NUL-terminated inside its array,
 * valid UTF-8 and free of control characters (outside bytes that are not
 * become '?' or a space); too-long values are cut at a character
 * boundary, except addresses, which are dropped ("") rather than cut.
 * Mail text is never trusted to be well-formed: every field and the
 * number of recipients is bounded.
 */
#ifndef HP_DSN_H
#define HP_DSN_H

#include <stddef.h>

#define DSN_MAX_RCPTS 100		/* recipients kept from one report */
#define DSN_MAX_TEXT ((size_t)1 << 20)	/* input beyond this is ignored */

enum dsn_action {
	DSN_FAILED, DSN_DELAYED, DSN_DELIVERED, DSN_RELAYED, DSN_EXPANDED,
	DSN_UNKNOWN
};

enum dsn_blame {
	DSN_BLAME_NONE,		/* not a failure (delivered, relayed, ...) */
	DSN_BLAME_RECIPIENT,	/* the mailbox or its domain: counts 1 */
	DSN_BLAME_SENDER,	/* us: policy, spam, blocklist, auth, size */
	DSN_BLAME_TRANSIENT	/* 4.x.x or a delay: counts 0.5 if failed */
};

struct dsn_recipient {
	char final_recipient[256];	/* addr-spec, domain lower-cased; "" if none */
	char original_recipient[256];	/* same rules; "" if none */
	char remote_mta[256];		/* as given, type ("dns;") dropped; "" if none */
	enum dsn_action action;		/* from Action:, else derived from status */
	char status[16];		/* "5.1.1"; always a valid code after parsing */
	char diagnostic[512];		/* the server's reply text, type dropped */
	enum dsn_blame blame;		/* set by dsn_recipient_judge */
	double score;			/* 0, 0.5 or 1: set by dsn_recipient_judge */
};

struct dsn_report {
	char reporting_mta[256];	/* type dropped; "" if absent */
	struct dsn_recipient *rcpts;	/* owned; NULL when n_rcpts is 0 */
	size_t n_rcpts;
};

/* Parse the text of a message/delivery-status part (status_text, len
 * bytes, need not be NUL-terminated; beyond DSN_MAX_TEXT ignored): the
 * per-message fields, a blank line, then one group per recipient.
 * Folded lines, CRLF or LF, address types ("rfc822;", "utf-8;"), <> around
 * addresses, comments before a Diagnostic-Code type and Gmail's repeated
 * "550-5.1.1" continuation prefixes are handled.  A group missing its
 * blank line separator is split where a recipient field repeats.
 *
 * A recipient is kept when it names an address (Final- or
 * Original-Recipient) and gives an Action, a Status or a diagnostic code.
 * Its status is the Status field, refined by the diagnostic when Status
 * is the generic X.0.0 (Exim writes 5.0.0 for everything) and the
 * diagnostic has a code of the same class, or taken from the diagnostic
 * when Status is missing (a code whose class fits the action; a basic
 * reply code "550" gives "5.0.0"), else derived from the action
 * (failed 5.0.0, delayed 4.0.0, others 2.0.0); the action, when missing
 * or unknown, from the status class (5 failed, 4 delayed, 2 delivered).
 * Each kept recipient is judged (dsn_recipient_judge).  At most
 * DSN_MAX_RCPTS are kept.
 *
 * Returns 0 with at least one recipient, or -1 when nothing usable was
 * found (then *out holds no recipients, but may hold reporting_mta).
 * Always call dsn_report_clear on *out afterwards. */
int dsn_parse(const char *status_text, size_t len, struct dsn_report *out);

/* Free what dsn_parse allocated and zero *r.  Safe on a zeroed *r. */
void dsn_report_clear(struct dsn_report *r);

/* Fallback for bounces without a delivery-status part (qmail, old
 * sendmail and Exim, hand-written replies): text (len bytes) is the
 * bounce's body.  Finds the first enhanced status code of class 4 or 5
 * ("5.1.1"), else a basic SMTP reply code where a reply is expected (at
 * a line start, after ": " or "<<< ": "550 Requested action ..."), before
 * the copy of the original message; the diagnostic is that line plus its
 * indented continuation; the recipient is the nearest valid address
 * (addr_valid, not MAILER-DAEMON or postmaster) on that line, else above
 * it, else below.  A 4.x.x code is a delay when
 * the text says so ("warning", "will be retried", ...), else a failure.
 * Returns 0 and fills and judges *out, with final_recipient "" when no
 * address was found (the caller then relies on VERP), or -1 when no
 * status code was found (then *out is zeroed). */
int dsn_guess_from_text(const char *text, size_t len, struct dsn_recipient *out);

/* Set r->blame and r->score from r->action, r->status and r->diagnostic
 * by the rule at the top of this file.  Also for verdicts that do not
 * come from a DSN, e.g. a synchronous SMTP rejection: fill action, status
 * (dsn_status_from_reply) and diagnostic, then judge. */
void dsn_recipient_judge(struct dsn_recipient *r);

/* Find the status code in an SMTP reply text such as "550-5.1.1 The
 * email account ..." or "554 Service unavailable": the enhanced code
 * when there is one of class 2, 4 or 5, else the basic code's class as
 * "5.0.0".  Writes it to status (size >= 16).  Returns 0, or -1 (status
 * "") when the text has neither. */
int dsn_status_from_reply(const char *reply, char *status, size_t size);

/* VERP.  Encoding (the common Postfix/qmail one): for the bounce base
 * BASELOCAL@BASEDOMAIN and the recipient LOCAL@DOMAIN the envelope
 * sender is
 *	BASELOCAL "-" LOCAL "=" DOMAIN "@" BASEDOMAIN
 * e.g. "office+bounce@example.org" and "anna@partner.example" give
 * "office+bounce-anna=partner.example@example.org".  Nothing is escaped:
 * a domain never contains '=', so the LAST '=' always separates LOCAL
 * from DOMAIN and a local part containing '=', '+' or '-' round-trips
 * ("a=b+c@x.example" <-> "office+bounce-a=b+c=x.example@example.org").
 * The recipient's domain is lower-cased.
 *
 * dsn_verp_encode writes the envelope sender for recipient into out.
 * Returns 0, or -1 (out "") when base or recipient is not a valid
 * address or the result does not fit outlen or fails addr_valid (its
 * local part is at most 64 octets, so long recipient addresses have no
 * VERP form: send those with the plain base as Return-Path and rely on
 * the DSN's Final-Recipient). */
int dsn_verp_encode(const char *bounce_base, const char *recipient, char *out,
    size_t outlen);

/* dsn_verp_decode is the inverse: envelope_to (e.g. a Delivered-To) is
 * matched against bounce_base case-insensitively, the recipient written
 * to out with its domain lower-cased.  Returns 0, or -1 (out "") when
 * envelope_to is not a VERP address of this base, the decoded address
 * fails addr_valid, or it does not fit outlen. */
int dsn_verp_decode(const char *bounce_base, const char *envelope_to, char *out,
    size_t outlen);

/* "failed", "delayed", ... / "none", "recipient", "sender", "transient":
 * static strings for logs and reports. */
const char *dsn_action_name(enum dsn_action a);
const char *dsn_blame_name(enum dsn_blame b);

#endif
