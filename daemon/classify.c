/*
 * classify: see classify.h.  The rules are RFC 3834 (Auto-Submitted,
 * never answer automatic mail), RFC 3464 (DSNs), RFC 2369/2919 (list mail)
 * and the usual conventions for bulk mail and MAILER-DAEMON.
 */
#include "classify.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "util.h"

struct rule {
	enum msg_class cls;
	const char *why;
	bool (*match)(const struct msg *, const char *, const struct classify_rules *);
};

static bool
is_dsn(const struct msg *m, const char *to, const struct classify_rules *r)
{
	return m->report_type != NULL &&
	    strcasecmp(m->report_type, "delivery-status") == 0;
}

/*
 * True when to is base or, with a suffix, its VERP form: base
 * "office+bounce@example.org" matches "office+bounce-xyz@example.org".
 */
static bool
to_base_address(const char *to, const char *base, bool suffix_required)
{
	const char *at_base, *at_to;
	size_t local_len;

	if (to == NULL || base == NULL)
		return false;
	at_base = strrchr(base, '@');
	at_to = strrchr(to, '@');
	if (at_base == NULL || at_to == NULL || strcasecmp(at_base, at_to) != 0)
		return false;
	local_len = (size_t)(at_base - base);
	if (strncasecmp(to, base, local_len) != 0)
		return false;
	if (to[local_len] == '-')
		return to + local_len + 1 < at_to;
	return !suffix_required && to[local_len] == '@';
}

static bool
to_bounce_address(const struct msg *m, const char *to, const struct classify_rules *r)
{
	return to_base_address(to, r->bounce_address, false);
}

static bool
to_unsubscribe_address(const struct msg *m, const char *to,
    const struct classify_rules *r)
{
	return to_base_address(to, r->unsubscribe_address, true);
}

/* The METHOD property of the calendar text: a line of its own (a folded
 * continuation starts with a blank, so it never counts). */
static bool
calendar_text_is_reply(const char *cal)
{
	static const char prop[] = "METHOD:REPLY";
	const size_t n = sizeof(prop) - 1;

	for (const char *l = cal; l != NULL && *l != '\0';) {
		if (strncasecmp(l, prop, n) == 0 &&
		    (l[n] == '\n' || l[n] == '\r' || l[n] == '\0'))
			return true;
		if ((l = strchr(l, '\n')) != NULL)
			l++;
	}
	return false;
}

/* RFC 6047 puts the method in the Content-Type too, but an .ics sent as
 * an attachment often carries none: then the calendar itself says.  A
 * reply missed here would be taken for an event submission. */
static bool
is_calendar_reply(const struct msg *m, const char *to, const struct classify_rules *r)
{
	if (m->calendar == NULL)
		return false;
	if (m->calendar_method != NULL)
		return strcasecmp(m->calendar_method, "REPLY") == 0;
	return calendar_text_is_reply(m->calendar);
}

static bool
is_auto_submitted(const struct msg *m, const char *to, const struct classify_rules *r)
{
	const char *v = m->auto_submitted;

	if (v == NULL)
		return false;
	/* RFC 3834: anything but "no"; CFWS or ";" parameters may follow. */
	return !(strncasecmp(v, "no", 2) == 0 &&
	    (v[2] == '\0' || strchr(" \t;(", v[2]) != NULL));
}

static bool
is_bulk(const struct msg *m, const char *to, const struct classify_rules *r)
{
	const char *p = m->precedence;

	return p != NULL && (strncasecmp(p, "bulk", 4) == 0 ||
	    strncasecmp(p, "junk", 4) == 0 || strncasecmp(p, "list", 4) == 0);
}

static bool
is_list(const struct msg *m, const char *to, const struct classify_rules *r)
{
	return m->list_id != NULL;
}

static bool
has_null_return_path(const struct msg *m, const char *to, const struct classify_rules *r)
{
	return m->has_return_path &&
	    (m->return_path == NULL || m->return_path[0] == '\0');
}

static bool
from_daemon(const struct msg *m, const char *to, const struct classify_rules *r)
{
	static const char *const locals[] = { "mailer-daemon@", "postmaster@" };

	if (m->from_addr == NULL)
		return false;
	for (size_t i = 0; i < HP_NELEM(locals); i++)
		if (strncasecmp(m->from_addr, locals[i], strlen(locals[i])) == 0)
			return true;
	return false;
}

static bool
from_ourselves(const struct msg *m, const char *to, const struct classify_rules *r)
{
	if (m->from_addr == NULL)
		return false;
	for (size_t i = 0; i < r->n_own; i++)
		if (r->own_addresses[i] && addr_equal(m->from_addr, r->own_addresses[i]))
			return true;
	return false;
}

static const struct rule rules_in_order[] = {
	{ CLASS_BOUNCE, "delivery-status report", is_dsn },
	{ CLASS_BOUNCE, "sent to the bounce address", to_bounce_address },
	{ CLASS_CALENDAR_REPLY, "calendar reply", is_calendar_reply },
	{ CLASS_UNSUBSCRIBE, "sent to an unsubscribe address", to_unsubscribe_address },
	{ CLASS_AUTOMATED, "Auto-Submitted", is_auto_submitted },
	{ CLASS_AUTOMATED, "Precedence bulk/junk/list", is_bulk },
	{ CLASS_AUTOMATED, "List-Id", is_list },
	{ CLASS_AUTOMATED, "empty Return-Path", has_null_return_path },
	{ CLASS_AUTOMATED, "from MAILER-DAEMON", from_daemon },
	{ CLASS_AUTOMATED, "from our own address", from_ourselves },
};

enum msg_class
classify_message(const struct msg *m, const char *to_addr,
    const struct classify_rules *rules, const char **why)
{
	for (size_t i = 0; i < HP_NELEM(rules_in_order); i++) {
		if (rules_in_order[i].match(m, to_addr, rules)) {
			*why = rules_in_order[i].why;
			return rules_in_order[i].cls;
		}
	}
	*why = "request";
	return CLASS_REQUEST;
}

bool
classify_is_automated(const struct msg *m, const struct classify_rules *rules)
{
	for (size_t i = 0; i < HP_NELEM(rules_in_order); i++)
		if (rules_in_order[i].cls == CLASS_AUTOMATED &&
		    rules_in_order[i].match(m, NULL, rules))
			return true;
	return false;
}

const char *
classify_name(enum msg_class c)
{
	switch (c) {
	case CLASS_BOUNCE:
		return "bounce";
	case CLASS_CALENDAR_REPLY:
		return "calendar-reply";
	case CLASS_UNSUBSCRIBE:
		return "unsubscribe";
	case CLASS_AUTOMATED:
		return "automated";
	case CLASS_REQUEST:
		return "request";
	}
	return "unknown";
}
