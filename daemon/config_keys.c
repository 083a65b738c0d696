/*
 * config_keys: the key table of the config file (SPEC §9) and its value
 * types: one value string -> its typed field of struct config (see
 * config_keys.h).  Each setter either stores a fresh value or leaves the
 * field untouched and explains why in one line.
 *
 * Values quoted back in a reason are cut to 80 bytes; the config file has
 * already been checked to be UTF-8 without control characters, so they
 * are safe to print.  No logging, no network; open() and stat() only to
 * read password files and check that named files, directories and time
 * zones exist.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "config_keys.h"
#include "util.h"

#define FIELD(c, off, type)	((type *)(void *)((char *)(c) + (off)))
#define OFF(field)	offsetof(struct config, field)

#define MAX_TEXT	255
#define MAX_FOLDER	200
#define MAX_PATH_LEN	1024
#define MAX_SCHEDULE	500
#define MAX_URL		1000
#define MAX_ADMINS	100
#define MAX_TZ		64
#define MAX_SECRET	4096
#define ZONEINFO_DIR	"/usr/share/zoneinfo"

/* A duration or size bound written the way a user writes it. */
#define SEC(n)	((uint64_t)(n))
#define DAYS(n)	((uint64_t)(n) * 86400)
#define KIB(n)	((uint64_t)(n) * 1024)
#define MIB(n)	((uint64_t)(n) * 1024 * 1024)

/*
 * The key table, in the order of SPEC §9 and config/hanzepost.conf.
 * def "" means "no default": the key is unset (NULL) or, for bounce_address,
 * unsubscribe_address and list_id, derived from office.address.  off is
 * where the value goes; aux/aux2 are the extra fields a few types fill
 * (the parsed URL; the display name and address of office.address; the
 * count of admins).
 */
const struct config_key config_keys[] = {
	{ "mailbox", "url", KT_URL_IMAP, "", true, 0, 0,
	  OFF(mailbox.url_text), OFF(mailbox.url), 0,
	  "imaps://HOST[:PORT]/MAILBOX (TLS, port 993) or imap:// (STARTTLS, 143)" },
	{ "mailbox", "user", KT_TEXT, "", true, 0, 0,
	  OFF(mailbox.user), 0, 0, "IMAP login name" },
	{ "mailbox", "password_file", KT_SECRET, "", false, 0, 0,
	  OFF(mailbox.password_file), 0, 0,
	  "file with the IMAP password, mode 0600; default: the systemd "
	  "credential imap-password" },
	{ "mailbox", "ca_file", KT_FILE, "", false, 0, 0,
	  OFF(mailbox.ca_file), 0, 0, "extra CA bundle (PEM); default: the system store" },
	{ "mailbox", "tls", KT_TLS, "required", false, 0, 0,
	  OFF(mailbox.tls), 0, 0, "required | off (off only for a loopback host)" },
	{ "mailbox", "idle", KT_BOOL, "yes", false, 0, 0,
	  OFF(mailbox.idle), 0, 0, "use IMAP IDLE when the server offers it (yes | no)" },
	{ "mailbox", "poll_interval", KT_UINT, "60", false, 5, 86400,
	  OFF(mailbox.poll_interval), 0, 0,
	  "seconds between polls without IDLE (5..86400)" },
	{ "mailbox", "processed_folder", KT_FOLDER, "Processed", false, 0, 0,
	  OFF(mailbox.processed_folder), 0, 0, "folder for handled mail" },
	{ "mailbox", "rejected_folder", KT_FOLDER, "Rejected", false, 0, 0,
	  OFF(mailbox.rejected_folder), 0, 0, "folder for refused or unreadable mail" },
	{ "mailbox", "held_folder", KT_FOLDER, "Held", false, 0, 0,
	  OFF(mailbox.held_folder), 0, 0, "folder for mail waiting for a moderator" },
	{ "mailbox", "trusted_authserv_id", KT_TOKEN, "", false, 0, 0,
	  OFF(mailbox.trusted_authserv_id), 0, 0,
	  "authserv-id of our own receiving server (RFC 8601); default: none trusted" },
	{ "mailbox", "max_message_size", KT_SIZE, "10M", false, KIB(1), MIB(512),
	  OFF(mailbox.max_message_size), 0, 0,
	  "larger messages are not fetched (bytes, K or M suffix; 1K..512M)" },

	{ "smtp", "url", KT_URL_SMTP, "", true, 0, 0,
	  OFF(smtp.url_text), OFF(smtp.url), 0,
	  "smtp://HOST[:PORT] (STARTTLS, port 587) or smtps:// (TLS, 465)" },
	{ "smtp", "user", KT_TEXT, "", false, 0, 0,
	  OFF(smtp.user), 0, 0, "SMTP AUTH login name; default: no AUTH" },
	{ "smtp", "password_file", KT_SECRET, "", false, 0, 0,
	  OFF(smtp.password_file), 0, 0,
	  "file with the SMTP password, mode 0600; default: the systemd "
	  "credential smtp-password" },
	{ "smtp", "ca_file", KT_FILE, "", false, 0, 0,
	  OFF(smtp.ca_file), 0, 0, "extra CA bundle (PEM); default: the system store" },
	{ "smtp", "tls", KT_TLS, "required", false, 0, 0,
	  OFF(smtp.tls), 0, 0, "required | off (off only for a loopback host)" },
	{ "smtp", "concurrency", KT_UINT, "4", false, 1, 64,
	  OFF(smtp.concurrency), 0, 0, "parallel SMTP connections (1..64)" },
	{ "smtp", "rate", KT_UINT, "600", false, 1, 10000000,
	  OFF(smtp.rate), 0, 0, "messages per minute, all connections together (1..10000000)" },
	{ "smtp", "max_age", KT_DURATION, "3d", false, SEC(1), DAYS(60),
	  OFF(smtp.max_age), 0, 0,
	  "give up retrying a temporary failure after this (s/m/h/d; 1s..60d)" },

	{ "office", "address", KT_MAILBOX, "", true, 0, 0,
	  OFF(office.address_text), OFF(office.name), OFF(office.address),
	  "Name <address> of the office: From:, ORGANIZER, where partners write" },
	{ "office", "admins", KT_ADDRLIST, "", false, 0, 0,
	  OFF(office.admins), OFF(office.n_admins), 0,
	  "office addresses, separated by commas or spaces; default: none" },
	{ "office", "bounce_address", KT_ADDRESS, "", false, 0, 0,
	  OFF(office.bounce_address), 0, 0,
	  "VERP base for Return-Path; default: LOCAL+bounce@DOMAIN of address" },
	{ "office", "unsubscribe_address", KT_ADDRESS, "", false, 0, 0,
	  OFF(office.unsubscribe_address), 0, 0,
	  "base of per-recipient unsubscribe addresses; default: LOCAL+unsubscribe@DOMAIN" },
	{ "office", "language", KT_LANG, "nl", false, 0, 0,
	  OFF(office.language), 0, 0, "default language of replies (nl | en)" },
	{ "office", "timezone", KT_TZ, "Europe/Amsterdam", false, 0, 0,
	  OFF(office.timezone), 0, 0, "IANA time zone name for events and schedules" },

	{ "database", "path", KT_PATH, "", true, 0, 0,
	  OFF(database.path), 0, 0, "SQLite database file (created when missing)" },

	{ "templates", "dir", KT_DIR, "", false, 0, 0,
	  OFF(templates.dir), 0, 0,
	  "directory of template overrides; default: only the shipped templates" },

	{ "newsletter", "schedule", KT_SCHEDULE,
	  "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0", false, 0, 0,
	  OFF(newsletter.schedule), 0, 0, "RFC 5545 RRULE in office.timezone" },
	{ "newsletter", "list_id", KT_HOSTNAME, "", false, 0, 0,
	  OFF(newsletter.list_id), 0, 0,
	  "List-Id (RFC 2919); default: nieuwsbrief.DOMAIN of office.address" },
	{ "newsletter", "unsubscribe_url", KT_HTTPS_URL, "", false, 0, 0,
	  OFF(newsletter.unsubscribe_url), 0, 0,
	  "https endpoint for RFC 8058 one-click unsubscribe; default: none" },

	{ "limits", "replies_per_hour", KT_UINT, "10", false, 1, 10000,
	  OFF(limits.replies_per_hour), 0, 0,
	  "automatic replies to one address per hour (1..10000)" },
	{ "limits", "token_lifetime", KT_DURATION, "7d", false, SEC(1), DAYS(365),
	  OFF(limits.token_lifetime), 0, 0,
	  "confirmation tokens expire after this (s/m/h/d; 1s..365d)" },
	{ "limits", "bounce_threshold", KT_UINT, "3", false, 1, 100,
	  OFF(limits.bounce_threshold), 0, 0,
	  "hard bounces within bounce_window that disable a subscriber (1..100)" },
	{ "limits", "bounce_window", KT_DURATION, "30d", false, SEC(1), DAYS(3650),
	  OFF(limits.bounce_window), 0, 0,
	  "period in which bounces are counted (s/m/h/d; 1s..3650d)" },
};

const size_t config_keys_n = HP_NELEM(config_keys);

struct scheme {
	const char *name;
	bool imap;
	bool implicit_tls;
	unsigned port;
};

static const struct scheme schemes[] = {
	{ "imaps", true, true, 993 },
	{ "imap", true, false, 143 },
	{ "smtps", false, true, 465 },
	{ "smtp", false, false, 587 },
};

/* Locale-independent, unlike isalnum(). */
static bool
is_alnum(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z');
}

/* Printable ASCII without spaces and without the bytes in specials. */
static bool
plain_ascii(const char *v, const char *specials)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr(specials, *p) != NULL)
			return false;
	return true;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Dotted labels of letters, digits and inner hyphens (RFC 1123). */
static bool
host_valid(const char *s, size_t n, bool need_dot)
{
	size_t label = 0;
	bool dot = false;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			dot = true;
		} else if (is_alnum(ch) || (ch == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-' && (dot || !need_dot);
}

bool
config_keys_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

/* %XX-decode an IMAP mailbox name; NULL on a bad escape, a control
 * character or invalid UTF-8. */
static char *
pct_decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int hi, lo;
		if (ch == '%') {
			if ((hi = hex_value(s[i + 1])) < 0 ||
			    (lo = hex_value(s[i + 2])) < 0)
				goto fail;
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto fail;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	if (!hp_utf8_valid(out, o))
		goto fail;
	return out;
fail:
	free(out);
	return NULL;
}

/* host[:port] or [v6]:port between a and end. */
static int
parse_authority(const char *a, const char *end, struct config_url *u,
    char *why, size_t size)
{
	char v6[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *hend, *p;
	unsigned long port = u->port;
	char *e;

	if (*a == '[') {
		hend = memchr(a, ']', (size_t)(end - a));
		if (hend == NULL || (size_t)(hend - a - 1) >= sizeof(v6))
			return hp_errf(why, size, "bad IPv6 address in the URL");
		memcpy(v6, a + 1, (size_t)(hend - a - 1));
		v6[hend - a - 1] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return hp_errf(why, size, "'%s' is not an IPv6 address", v6);
		p = hend + 1;
	} else {
		hend = memchr(a, ':', (size_t)(end - a));
		p = hend != NULL ? hend : end;
		if (!host_valid(a, (size_t)(p - a), false))
			return hp_errf(why, size, "'%.*s' is not a host name",
			    (int)(p - a > 80 ? 80 : p - a), a);
	}
	if (p < end) {
		if (*p != ':' || p + 1 == end || p + 6 < end ||
		    strspn(p + 1, "0123456789") != (size_t)(end - p - 1))
			return hp_errf(why, size, "bad port: expected :1..65535");
		port = strtoul(p + 1, &e, 10);
		if (port == 0 || port > 65535)
			return hp_errf(why, size, "bad port: expected :1..65535");
	}
	u->host = *a == '[' ? xstrdup(v6) : xstrndup(a, (size_t)(p - a));
	hp_lower(u->host);
	u->port = (unsigned)port;
	return 0;
}

/* The part from the first '/' on: the IMAP mailbox, or nothing for SMTP. */
static int
parse_path(const char *p, bool imap, struct config_url *u, char *why,
    size_t size)
{
	if (*p == '/')
		p++;
	if (!imap) {
		if (*p != '\0')
			return hp_errf(why, size, "an SMTP URL has no path");
		return 0;
	}
	if (*p == '\0') {
		u->path = xstrdup("INBOX");
		return 0;
	}
	if (strpbrk(p, "?#;") != NULL)
		return hp_errf(why, size, "IMAP URL parameters (;, ?, #) are not "
		    "supported; write only the mailbox name");
	if (strlen(p) > MAX_FOLDER || (u->path = pct_decode(p)) == NULL)
		return hp_errf(why, size, "bad mailbox name in the URL (bad %%XX "
		    "escape, control character or too long)");
	return 0;
}

static int
url_parse(const char *text, bool imap, struct config_url *u, char *why,
    size_t size)
{
	const char *sep = strstr(text, "://"), *auth, *end;
	const struct scheme *sc = NULL;
	struct config_url r = { 0 };

	if (sep == NULL || strlen(text) > MAX_URL)
		return hp_errf(why, size, "'%.80s' is not a URL like %s", text,
		    imap ? "imaps://imap.example.org/INBOX" :
		    "smtp://smtp.example.org:587");
	for (size_t i = 0; i < HP_NELEM(schemes); i++)
		if (schemes[i].imap == imap &&
		    strlen(schemes[i].name) == (size_t)(sep - text) &&
		    strncasecmp(schemes[i].name, text, (size_t)(sep - text)) == 0)
			sc = &schemes[i];
	if (sc == NULL)
		return hp_errf(why, size, "the scheme must be %s, not '%.*s://'",
		    imap ? "imaps:// or imap://" : "smtp:// or smtps://",
		    (int)(sep - text > 20 ? 20 : sep - text), text);
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return hp_errf(why, size, "no user name in the URL; use the user key");
	if (*end == '?' || *end == '#')
		return hp_errf(why, size, "a query or fragment is not allowed in the URL");
	r.port = sc->port;
	if (parse_authority(auth, end, &r, why, size) == -1)
		return -1;
	if (parse_path(end, imap, &r, why, size) == -1) {
		free(r.host);
		return -1;
	}
	r.scheme = xstrdup(sc->name);
	r.implicit_tls = sc->implicit_tls;
	*u = r;
	return 0;
}

static int
set_url(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	if (url_parse(v, k->type == KT_URL_IMAP, FIELD(c, k->aux,
	    struct config_url), why, size) == -1)
		return -1;
	*FIELD(c, k->off, char *) = xstrdup(v);
	return 0;
}

/* Printable text (the file has no control characters by now). */
static int
set_text(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	if (k->type == KT_TEXT && strlen(v) > MAX_TEXT)
		return hp_errf(why, size, "longer than %d bytes", MAX_TEXT);
	if (k->type == KT_TOKEN) {
		if (!plain_ascii(v, ";()\"\\,"))
			return hp_errf(why, size, "'%.80s' is not a single "
			    "token such as mx.example.org", v);
		if (strlen(v) > MAX_TEXT)
			return hp_errf(why, size, "longer than %d bytes", MAX_TEXT);
	}
	if (k->type == KT_FOLDER && (strlen(v) > MAX_FOLDER ||
	    strpbrk(v, "*%\"\\") != NULL))
		return hp_errf(why, size, "not a usable folder name (at most %d "
		    "bytes, none of * %% \" \\)", MAX_FOLDER);
	if (k->type == KT_SCHEDULE && (strlen(v) > MAX_SCHEDULE ||
	    strpbrk(v, " \t") != NULL))
		return hp_errf(why, size, "not an RRULE such as "
		    "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0");
	if (k->type == KT_HOSTNAME && !host_valid(v, strlen(v), true))
		return hp_errf(why, size, "'%.80s' is not a dotted name such as "
		    "nieuwsbrief.example.org", v);
	*FIELD(c, k->off, char *) = xstrdup(v);
	return 0;
}

static int
set_path(const struct config_key *k, const char *v, const char *base,
    struct config *c, char *why, size_t size)
{
	struct stat st;
	char *path;
	int fd, err;

	if (strlen(v) > MAX_PATH_LEN)
		return hp_errf(why, size, "path longer than %d bytes", MAX_PATH_LEN);
	path = v[0] == '/' ? xstrdup(v) : xasprintf("%s/%s", base, v);
	if (k->type == KT_FILE) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
		    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			err = fd == -1 ? errno : EINVAL;
			if (fd != -1)
				close(fd);
			hp_errf(why, size, "cannot read %.200s: %s", path,
			    err == EINVAL ? "not a regular file" : strerror(err));
			free(path);
			return -1;
		}
		close(fd);
	}
	if (k->type == KT_DIR && (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))) {
		hp_errf(why, size, "%.200s is not a directory", path);
		free(path);
		return -1;
	}
	*FIELD(c, k->off, char *) = path;
	return 0;
}

static int
set_enum(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	switch (k->type) {
	case KT_TLS:
		if (strcasecmp(v, "required") != 0 && strcasecmp(v, "off") != 0)
			return hp_errf(why, size, "'%.80s' is not required or off", v);
		*FIELD(c, k->off, enum config_tls) = strcasecmp(v, "off") == 0 ?
		    CONFIG_TLS_OFF : CONFIG_TLS_REQUIRED;
		return 0;
	case KT_LANG:
		if (strcasecmp(v, "nl") != 0 && strcasecmp(v, "en") != 0)
			return hp_errf(why, size, "'%.80s' is not nl or en", v);
		*FIELD(c, k->off, enum lang) = strcasecmp(v, "en") == 0 ?
		    LANG_EN : LANG_NL;
		return 0;
	default:
		break;
	}
	for (size_t i = 0; i < HP_NELEM(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*FIELD(c, k->off, bool) = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return hp_errf(why, size, "'%.80s' is not a boolean (yes/no, true/false, "
	    "on/off, 1/0)", v);
}

void
config_keys_format(enum config_ktype type, uint64_t v, char *buf,
    size_t size)
{
	static const struct { char unit; uint64_t f; } dur[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	}, sz[] = {
		{ 'M', 1024 * 1024 }, { 'K', 1024 },
	};
	const char *suffix = type == KT_DURATION ? "s" : "";

	for (size_t i = 0; type == KT_DURATION && i < HP_NELEM(dur); i++)
		if (v != 0 && v % dur[i].f == 0) {
			snprintf(buf, size, "%llu%c",
			    (unsigned long long)(v / dur[i].f), dur[i].unit);
			return;
		}
	for (size_t i = 0; type == KT_SIZE && i < HP_NELEM(sz); i++)
		if (v != 0 && v % sz[i].f == 0) {
			snprintf(buf, size, "%llu%c",
			    (unsigned long long)(v / sz[i].f), sz[i].unit);
			return;
		}
	snprintf(buf, size, "%llu%s", (unsigned long long)v, suffix);
}

static int
set_number(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	char lo[32], hi[32];
	uint64_t n = 0;
	int rc;

	if (k->type == KT_SIZE)
		rc = hp_parse_size(v, &n);
	else if (k->type == KT_DURATION)
		rc = hp_parse_duration(v, &n);
	else if (strspn(v, "0123456789") == strlen(v) && strlen(v) < 19)
		rc = (n = strtoull(v, NULL, 10), 0);
	else
		rc = -1;
	if (rc == -1)
		return hp_errf(why, size, "'%.80s' is not %s", v,
		    k->type == KT_SIZE ? "a size (a number with an optional K "
		    "or M suffix, e.g. 10M)" : k->type == KT_DURATION ?
		    "a duration (a number with an optional s, m, h or d "
		    "suffix, e.g. 3d)" : "a whole number");
	if (n < k->min || n > k->max) {
		config_keys_format(k->type, k->min, lo, sizeof(lo));
		config_keys_format(k->type, k->max, hi, sizeof(hi));
		return hp_errf(why, size, "%.80s is out of range (%s..%s)", v, lo, hi);
	}
	if (k->type == KT_UINT)
		*FIELD(c, k->off, unsigned) = (unsigned)n;
	else
		*FIELD(c, k->off, uint64_t) = n;
	return 0;
}

static int
set_address(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	char *name = NULL, *email = NULL;

	if (k->type == KT_ADDRESS) {
		if (!addr_valid(v))
			return hp_errf(why, size, "'%.80s' is not an address like "
			    "local@example.org", v);
		*FIELD(c, k->off, char *) = xstrdup(v);
		return 0;
	}
	if (strlen(v) > 512 || addr_parse_mailbox(v, &name, &email) == -1)
		return hp_errf(why, size, "'%.80s' is not an address like "
		    "Name <local@example.org>", v);
	*FIELD(c, k->off, char *) = xstrdup(v);
	*FIELD(c, k->aux, char *) = name;
	*FIELD(c, k->aux2, char *) = email;
	return 0;
}

static int
set_addrlist(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	char *copy = xstrdup(v), *tok, *save = NULL, **list = NULL;
	size_t n = 0;
	int rc = -1;

	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		size_t i;
		if (!addr_valid(tok)) {
			hp_errf(why, size, "'%.80s' is not an address like "
			    "local@example.org", tok);
			goto fail;
		}
		for (i = 0; i < n && !addr_equal(list[i], tok); i++)
			;
		if (i < n)
			continue;
		if (n == MAX_ADMINS) {
			hp_errf(why, size, "more than %d addresses", MAX_ADMINS);
			goto fail;
		}
		list = xreallocarray(list, n + 1, sizeof(*list));
		list[n++] = xstrdup(tok);
	}
	*FIELD(c, k->off, char **) = list;
	*FIELD(c, k->aux, size_t) = n;
	list = NULL;
	n = 0;
	rc = 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(copy);
	return rc;
}

static int
set_timezone(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	struct stat st;
	char path[sizeof(ZONEINFO_DIR) + MAX_TZ + 2];
	bool ok = strlen(v) <= MAX_TZ &&
	    ((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z'));

	/* A name, not a path: no "..", no leading '/', nothing unusual. */
	for (const char *p = v; ok && *p != '\0'; p++)
		ok = is_alnum((unsigned char)*p) || strchr("/_+-", *p) != NULL;
	if (ok) {
		snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, v);
		ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	}
	if (!ok)
		return hp_errf(why, size, "'%.80s' is not a time zone in "
		    ZONEINFO_DIR " (e.g. Europe/Amsterdam)", v);
	*FIELD(c, k->off, char *) = xstrdup(v);
	return 0;
}

/* Goes into List-Unsubscribe-Post's <...>: no spaces, quotes or '>'. */
static int
set_https_url(const struct config_key *k, const char *v, struct config *c,
    char *why, size_t size)
{
	const char *host;

	if (strncasecmp(v, "https://", 8) != 0)
		return hp_errf(why, size, "must start with https://");
	host = v + 8;
	if (!plain_ascii(v, "<>\"\\"))
		return hp_errf(why, size, "must be plain ASCII without "
		    "spaces, quotes or <>; escape them as %%XX");
	if (strlen(v) > MAX_URL || !host_valid(host, strcspn(host, ":/?#"), true))
		return hp_errf(why, size, "'%.80s' is not a URL like "
		    "https://example.org/unsubscribe", v);
	*FIELD(c, k->off, char *) = xstrdup(v);
	return 0;
}

int
config_keys_set(const struct config_key *k, const char *v,
    const char *base_dir, struct config *c, char *why, size_t why_size)
{
	switch (k->type) {
	case KT_URL_IMAP:
	case KT_URL_SMTP:
		return set_url(k, v, c, why, why_size);
	case KT_TEXT:
	case KT_TOKEN:
	case KT_FOLDER:
	case KT_SCHEDULE:
	case KT_HOSTNAME:
		return set_text(k, v, c, why, why_size);
	case KT_PATH:
	case KT_FILE:
	case KT_DIR:
	case KT_SECRET:
		return set_path(k, v, base_dir, c, why, why_size);
	case KT_TLS:
	case KT_BOOL:
	case KT_LANG:
		return set_enum(k, v, c, why, why_size);
	case KT_UINT:
	case KT_SIZE:
	case KT_DURATION:
		return set_number(k, v, c, why, why_size);
	case KT_MAILBOX:
	case KT_ADDRESS:
		return set_address(k, v, c, why, why_size);
	case KT_ADDRLIST:
		return set_addrlist(k, v, c, why, why_size);
	case KT_TZ:
		return set_timezone(k, v, c, why, why_size);
	case KT_HTTPS_URL:
		return set_https_url(k, v, c, why, why_size);
	}
	return hp_errf(why, why_size, "internal error: unknown key type");
}

static const char *
secret_problem(const char *buf, size_t len)
{
	if (len > MAX_SECRET)
		return "larger than 4 KiB";
	if (len == 0)
		return "empty";
	if (memchr(buf, '\0', len) != NULL || memchr(buf, '\r', len) != NULL ||
	    memchr(buf, '\n', len) != NULL)
		return "contains a NUL, CR or LF (only one final newline is allowed)";
	return NULL;
}

int
config_keys_read_secret(const char *path, bool check_mode, char **out,
    char *why, size_t why_size)
{
	char buf[MAX_SECRET + 1];	/* one byte more shows a larger file */
	const char *problem = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return hp_errf(why, why_size, "cannot open %.200s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hp_errf(why, why_size, "%.200s is not a regular file", path);
	}
	if (check_mode && (st.st_mode & 044) != 0) {
		close(fd);
		return hp_errf(why, why_size, "%.200s: mode %04o is readable by "
		    "others; chmod 600 %.200s", path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	if ((n = hp_read_full(fd, buf, sizeof(buf))) == -1)
		problem = strerror(errno);
	else
		len = (size_t)n;
	close(fd);
	if (problem == NULL && len > 0 && len <= MAX_SECRET && buf[len - 1] == '\n')
		len--;
	if (problem == NULL)
		problem = secret_problem(buf, len);
	if (problem == NULL)
		*out = xstrndup(buf, len);
	explicit_bzero(buf, sizeof(buf));
	if (problem != NULL)
		return hp_errf(why, why_size, "%.200s: %s", path, problem);
	return 0;
}
