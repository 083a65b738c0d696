/*
 * config: load, validate and describe the INI configuration (SPEC §9).
 *
 * One table (config_keys[] in config_keys.c) names every key with its
 * type, default, bounds, place in struct config and help text; parsing,
 * defaults, validation, freeing and config_print_keys() are all driven
 * by it.  A load runs in
 * four passes over a private struct load, filling a fresh struct config:
 *
 *   1. read the file (bounded) and scan it line by line: overlong lines,
 *      NUL bytes, bad UTF-8, malformed lines and unknown [sections] are
 *      reported and blanked, so libinih never sees them;
 *   2. libinih splits "key = value" (finding 16: its line limit raised at
 *      run time, multi-line values off so a repeated key is a duplicate);
 *      our reader counts lines so every value keeps its line number;
 *   3. each key's value (or default) is converted by its type;
 *   4. relations between keys are checked (tls = off only on loopback,
 *      derived addresses) and the password files are read.
 *
 * The config is handed out only when no pass reported a problem.  This
 * file must not log, touch the network or the database, or exit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "addr.h"
#include "config.h"
#include "config_keys.h"
#include "sched.h"
#include "util.h"

#ifndef HP_SYSCONFDIR
#define HP_SYSCONFDIR "/etc"
#endif

#define CONFIG_MAX_FILE		(1024 * 1024)
#define CONFIG_MAX_LINE		4000	/* libinih gets ini_max_line 4096 */
#define CONFIG_MAX_ERRORS	100

#define FIELD(c, off, type)	((type *)(void *)((char *)(c) + (off)))

struct config_problem {
	int line;	/* 0: not tied to a line */
	size_t seq;	/* keeps the order among equal lines */
	char *text;
};

struct slot {
	char *value;	/* as written, trimmed; NULL when not in the file */
	int line;
	bool ok;	/* converted (or legitimately unset) without a problem */
};

struct load {
	const char *file;	/* for messages */
	char *dir;		/* base of relative paths */
	struct config_problem *errs;
	size_t n_errs;
	bool overflow;
	char *text;		/* the file, bad lines blanked */
	size_t len, pos;	/* the reader's position in text */
	int lineno;		/* line the reader is on */
	bool bol;
	struct slot *slots;	/* one per config_keys[] entry */
	struct config *c;
};

static void
load_verror(struct load *ld, int line, const char *section, const char *key,
    const char *fmt, va_list ap)
{
	char msg[1024], where[64], sk[160];
	struct config_problem *p;

	if (ld->n_errs >= CONFIG_MAX_ERRORS) {
		ld->overflow = true;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	else
		where[0] = '\0';
	if (section != NULL && key != NULL)
		snprintf(sk, sizeof(sk), " [%.50s] %.60s:", section, key);
	else if (section != NULL)
		snprintf(sk, sizeof(sk), " [%.50s]:", section);
	else
		sk[0] = '\0';
	ld->errs = xreallocarray(ld->errs, ld->n_errs + 1, sizeof(*ld->errs));
	p = &ld->errs[ld->n_errs];
	p->line = line;
	p->seq = ld->n_errs++;
	p->text = xasprintf("%s%s:%s %s", ld->file, where, sk, msg);
}

/* A problem on a line (line 0: not tied to one), of a [section] key when
 * section and key are set. */
static void __attribute__((format(printf, 5, 6)))
load_error(struct load *ld, int line, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	load_verror(ld, line, section, key, fmt, ap);
	va_end(ap);
}

static size_t
section_len(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

static bool
section_known(const char *s, size_t n)
{
	for (size_t i = 0; i < config_keys_n; i++)
		if (strlen(config_keys[i].section) == n &&
		    strncasecmp(config_keys[i].section, s, n) == 0)
			return true;
	return false;
}

static int
key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < config_keys_n; i++)
		if (strcasecmp(config_keys[i].section, section) == 0 &&
		    strcasecmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Index of a key the code itself names; the table always has it. */
static struct slot *
slot_of(struct load *ld, const char *section, const char *name)
{
	return &ld->slots[key_find(section, name)];
}

/* " (did you mean [section]?)" for an unknown section name, or "". */
static void
suggest_section(const char *s, size_t n, char *out, size_t size)
{
	char name[64];
	const char *best = NULL;
	size_t bestd = 3;

	out[0] = '\0';
	if (n >= sizeof(name))
		return;
	memcpy(name, s, n);
	name[n] = '\0';
	for (size_t i = 0; i < config_keys_n; i++) {
		size_t d = hp_edit_distance(name, config_keys[i].section, 2);
		if (d < bestd) {
			bestd = d;
			best = config_keys[i].section;
		}
	}
	if (best != NULL)
		snprintf(out, size, " (did you mean [%s]?)", best);
}

/* The hint for an unknown key: a near name in the same section, the same
 * name in another section, or where passwords belong. */
static void
suggest_key(const char *section, const char *name, char *out, size_t size)
{
	const struct config_key *best = NULL, *elsewhere = NULL;
	size_t bestd = 3;

	out[0] = '\0';
	for (size_t i = 0; i < config_keys_n; i++) {
		const struct config_key *k = &config_keys[i];
		if (strcasecmp(k->section, section) != 0) {
			if (strcasecmp(k->name, name) == 0 && elsewhere == NULL)
				elsewhere = k;
			continue;
		}
		size_t d = hp_edit_distance(name, k->name, 2);
		if (d < bestd) {
			bestd = d;
			best = k;
		}
	}
	if (best != NULL)
		snprintf(out, size, " (did you mean %s?)", best->name);
	else if (strncasecmp(name, "pass", 4) == 0)
		snprintf(out, size, "; passwords never go in this file: use "
		    "password_file or a systemd credential");
	else if (elsewhere != NULL)
		snprintf(out, size, " (did you mean [%s] %s?)", elsewhere->section,
		    elsewhere->name);
}

/* A "[section]" line: report unknown names and anything after ']'.
 * Returns true when the line must be blanked. */
static bool
scan_section(struct load *ld, int line, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *p;
	size_t len;
	char hint[80];

	if (close == NULL) {
		load_error(ld, line, NULL, NULL, "section header without ']'");
		return true;
	}
	for (p = close + 1; p < s + n && (*p == ' ' || *p == '\t' || *p == '\r'); p++)
		;
	if (p < s + n && *p != ';' && *p != '#') {
		load_error(ld, line, NULL, NULL, "unexpected text after ']'");
		return true;
	}
	for (s++; s < close && (*s == ' ' || *s == '\t'); s++)
		;
	len = section_len(s, (size_t)(close - s));
	if (!section_known(s, len)) {
		suggest_section(s, len, hint, sizeof(hint));
		load_error(ld, line, NULL, NULL, "[%.*s]: unknown section%s",
		    (int)(len > 50 ? 50 : len), s, hint);
	}
	return false;
}

/* Check one physical line; true when it must be blanked because libinih
 * would misread it (or has been reported already). */
static bool
scan_line(struct load *ld, int line, const char *s, size_t n)
{
	size_t eq;

	if (line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;		/* libinih skips a UTF-8 BOM too */
		n -= 3;
	}
	if (n > CONFIG_MAX_LINE) {
		load_error(ld, line, NULL, NULL, "line is longer than %d bytes",
		    CONFIG_MAX_LINE);
		return true;
	}
	if (memchr(s, '\0', n) != NULL || !hp_utf8_valid(s, n)) {
		load_error(ld, line, NULL, NULL,
		    "line is not valid UTF-8 or contains control characters");
		return true;
	}
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	if (n == 0 || *s == ';' || *s == '#')
		return false;
	if (*s == '[')
		return scan_section(ld, line, s, n);
	for (eq = 0; eq < n && s[eq] != '=' && s[eq] != ':'; eq++)
		;
	if (eq == n) {
		load_error(ld, line, NULL, NULL, "expected 'key = value' or '[section]'");
		return true;
	}
	if (eq == 0) {
		load_error(ld, line, NULL, NULL, "missing key name before '%c'", *s);
		return true;
	}
	return false;
}

/* Pass 1: check every line and compact text so that bad lines become
 * empty ones (line numbers stay the same). */
static void
scan_text(struct load *ld)
{
	char *t = ld->text;
	size_t start = 0, out = 0;
	int line = 0;

	while (start < ld->len) {
		char *nl = memchr(t + start, '\n', ld->len - start);
		size_t end = nl != NULL ? (size_t)(nl - t) : ld->len;

		if (!scan_line(ld, ++line, t + start, end - start)) {
			memmove(t + out, t + start, end - start);
			out += end - start;
		}
		if (nl != NULL)
			t[out++] = '\n';
		start = end + 1;
	}
	ld->len = out;
	t[out] = '\0';
}

/* libinih's fgets-style reader over ld->text; counts lines so the handler
 * knows the line of each value (Debian's inih has no lineno handler). */
static char *
read_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	size_t n = 0;

	if (ld->pos >= ld->len || num < 2)
		return NULL;
	if (ld->bol)
		ld->lineno++;
	while (n < (size_t)num - 1 && ld->pos < ld->len) {
		char ch = ld->text[ld->pos++];
		str[n++] = ch;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	ld->bol = str[n - 1] == '\n';
	return str;
}

static int
on_value(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	struct slot *s;
	char hint[120], sec[64];
	size_t len;
	int i;

	section += strspn(section, " \t");
	if ((len = section_len(section, strlen(section))) == 0) {
		load_error(ld, ld->lineno, NULL, NULL,
		    "%.60s: key outside any [section]", name);
		return 1;
	}
	if (len >= sizeof(sec) || !section_known(section, len))
		return 1;	/* the [section] line has been reported */
	memcpy(sec, section, len);
	sec[len] = '\0';
	if ((i = key_find(sec, name)) == -1) {
		suggest_key(sec, name, hint, sizeof(hint));
		load_error(ld, ld->lineno, sec, name, "unknown key%s", hint);
		return 1;
	}
	s = &ld->slots[i];
	if (s->line != 0) {
		load_error(ld, ld->lineno, config_keys[i].section, config_keys[i].name,
		    "duplicate key (first set on line %d)", s->line);
		return 1;
	}
	s->line = ld->lineno;
	s->value = hp_trim(xstrdup(value));
	return 1;
}

/* Pass 2: libinih over the scanned text. */
static void
parse_text(struct load *ld)
{
	int rc;

	/*
	 * Debian's libinih exposes its build options as globals (finding 16):
	 * a heap line buffer that may grow to 4096 bytes instead of values
	 * silently cut at ~200, and no multi-line values, so a repeated key
	 * reaches on_value as the duplicate it is.
	 */
	ini_use_stack = 0;
	ini_allow_realloc = 1;
	ini_max_line = 4096;
	ini_allow_multiline = 0;
	ini_allow_no_value = 0;
	ini_stop_on_first_error = 0;
	ld->pos = 0;
	ld->lineno = 0;
	ld->bol = true;
	rc = ini_parse_stream(read_line, ld, on_value, ld);
	if (rc == -2)
		load_error(ld, 0, NULL, NULL, "out of memory while parsing");
	else if (rc != 0)
		load_error(ld, rc > 0 ? rc : 0, NULL, NULL, "cannot parse this line");
}

/* Pass 3: every key's value, or its default, into the struct. */
static void
convert_keys(struct load *ld)
{
	char why[512];

	for (size_t i = 0; i < config_keys_n; i++) {
		const struct config_key *k = &config_keys[i];
		struct slot *s = &ld->slots[i];
		const char *v = s->line != 0 ? s->value : k->def;

		if (*v == '\0' && k->required)
			load_error(ld, s->line, k->section, k->name, "%s",
			    s->line != 0 ? "must not be empty" :
			    "missing required key");
		else if (*v == '\0' && *k->def != '\0')
			load_error(ld, s->line, k->section, k->name,
			    "empty value; remove the line to get the default (%s)",
			    k->def);
		else if (*v == '\0' ||
		    config_keys_set(k, v, ld->dir, ld->c, why, sizeof(why)) == 0)
			s->ok = true;
		else
			load_error(ld, s->line, k->section, k->name, "%s%s", why,
			    s->line != 0 ? "" : " (the default)");
	}
}

/* tls = off sends the password in clear: only over loopback, and never
 * with a scheme that promises TLS from the first byte. */
static void
check_tls(struct load *ld, const char *section, const struct config_url *u,
    enum config_tls tls)
{
	struct slot *st = slot_of(ld, section, "tls");

	if (!slot_of(ld, section, "url")->ok || !st->ok || tls != CONFIG_TLS_OFF)
		return;
	if (!config_keys_loopback(u->host))
		load_error(ld, st->line, section, "tls", "'off' is only allowed "
		    "for a loopback host (localhost, 127.0.0.0/8, ::1), not %.80s",
		    u->host);
	else if (u->implicit_tls)
		load_error(ld, st->line, section, "tls", "'off' contradicts "
		    "%s://; use %.4s:// for a plain connection", u->scheme,
		    u->scheme);
}

/* Moving mail into the mailbox we watch would process it again. */
static void
check_folders(struct load *ld)
{
	static const char *const names[] = {
		"processed_folder", "rejected_folder", "held_folder",
	};
	const char *mbox = ld->c->mailbox.url.path;

	if (!slot_of(ld, "mailbox", "url")->ok)
		return;
	for (size_t i = 0; i < HP_NELEM(names); i++) {
		int k = key_find("mailbox", names[i]);
		const char *v = *FIELD(ld->c, config_keys[k].off, char *);
		if (ld->slots[k].ok && (strcmp(v, mbox) == 0 ||
		    (strcasecmp(v, "INBOX") == 0 && strcasecmp(mbox, "INBOX") == 0)))
			load_error(ld, ld->slots[k].line, "mailbox", names[i],
			    "'%.80s' is the watched mailbox itself", v);
	}
}

/* LOCAL+tag@DOMAIN from office.address when the key is unset. */
static void
derive_address(struct load *ld, const char *name, char **field,
    const char *tag)
{
	const char *addr = ld->c->office.address, *at = strrchr(addr, '@');

	if (!slot_of(ld, "office", name)->ok || *field != NULL)
		return;
	*field = xasprintf("%.*s+%s%s", (int)(at - addr), addr, tag, at);
	if (!addr_valid(*field))
		load_error(ld, 0, "office", name, "cannot derive a default from "
		    "office.address; set it");
}

static void
derive_defaults(struct load *ld)
{
	struct config *c = ld->c;

	if (!slot_of(ld, "office", "address")->ok)
		return;
	derive_address(ld, "bounce_address", &c->office.bounce_address, "bounce");
	derive_address(ld, "unsubscribe_address",
	    &c->office.unsubscribe_address, "unsubscribe");
	if (slot_of(ld, "newsletter", "list_id")->ok &&
	    c->newsletter.list_id == NULL)
		c->newsletter.list_id = xasprintf("nieuwsbrief.%s",
		    strrchr(c->office.address, '@') + 1);
}

static void
read_secret(struct load *ld, const char *section, int line, const char *path,
    bool check_mode, char **out)
{
	char why[512];

	if (config_keys_read_secret(path, check_mode, out, why, sizeof(why)) == -1)
		load_error(ld, line, section, "password_file", "%s", why);
}

/*
 * The password of a section: from password_file, else from the systemd
 * credential.  The credential's mode is not checked: systemd keeps it in
 * a directory only the service can read, and a user ACL on the file shows
 * up as group bits in st_mode.
 */
static void
load_secret(struct load *ld, const char *section, const char *credential,
    char *file, char **out, bool required)
{
	struct slot *s = slot_of(ld, section, "password_file");
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct stat st;
	char *path;

	if (!s->ok)
		return;
	if (file != NULL) {
		read_secret(ld, section, s->line, file, true, out);
		return;
	}
	if (dir != NULL && *dir != '\0') {
		path = xasprintf("%s/%s", dir, credential);
		if (stat(path, &st) == 0 || errno != ENOENT) {
			read_secret(ld, section, s->line, path, false, out);
			free(path);
			return;
		}
		free(path);
	}
	if (required)
		load_error(ld, s->line, section, "password_file", "no password: "
		    "set password_file, or give the service the systemd "
		    "credential %s (LoadCredential=%s:FILE)", credential,
		    credential);
}

/* The newsletter's RRULE, read in the office's zone as the daemon will:
 * a rule libical cannot evaluate, or one without any occurrence, is a
 * configuration error now rather than a log line every cycle. */
static void
check_schedule(struct load *ld)
{
	struct slot *sch = slot_of(ld, "newsletter", "schedule");
	char why[256];

	if (!sch->ok || !slot_of(ld, "office", "timezone")->ok ||
	    ld->c->newsletter.schedule == NULL || ld->c->office.timezone == NULL)
		return;
	if (sched_check(ld->c->newsletter.schedule, ld->c->office.timezone, why,
	    sizeof(why)) == -1)
		load_error(ld, sch->line, "newsletter", "schedule", "%s", why);
}

/* Pass 4: what single values cannot show. */
static void
check_relations(struct load *ld)
{
	struct config *c = ld->c;
	struct slot *user = slot_of(ld, "smtp", "user");

	check_tls(ld, "mailbox", &c->mailbox.url, c->mailbox.tls);
	check_tls(ld, "smtp", &c->smtp.url, c->smtp.tls);
	check_schedule(ld);
	if (slot_of(ld, "mailbox", "url")->ok)
		c->mailbox.mailbox = xstrdup(c->mailbox.url.path);
	check_folders(ld);
	derive_defaults(ld);
	load_secret(ld, "mailbox", "imap-password", c->mailbox.password_file,
	    &c->mailbox.password, true);
	if (!user->ok)
		return;
	if (c->smtp.user != NULL)
		load_secret(ld, "smtp", "smtp-password", c->smtp.password_file,
		    &c->smtp.password, true);
	else if (c->smtp.password_file != NULL)
		load_error(ld, slot_of(ld, "smtp", "password_file")->line, "smtp",
		    "password_file", "set, but [smtp] user is not: set both or "
		    "neither");
}

static int
read_file(struct load *ld, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		load_error(ld, 0, NULL, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		load_error(ld, 0, NULL, NULL, "not a regular file");
		close(fd);
		return -1;
	}
	/* One byte more than allowed shows a file that is too large. */
	ld->text = xmalloc(CONFIG_MAX_FILE + 2);
	n = hp_read_full(fd, ld->text, CONFIG_MAX_FILE + 1);
	if (n == -1)
		load_error(ld, 0, NULL, NULL, "cannot read: %s",
		    strerror(errno));
	close(fd);
	if (n == -1)
		return -1;
	if (n > CONFIG_MAX_FILE) {
		load_error(ld, 0, NULL, NULL, "larger than %d bytes",
		    CONFIG_MAX_FILE);
		return -1;
	}
	ld->text[n] = '\0';
	ld->len = (size_t)n;
	return 0;
}

/* Directory of the config file, absolute when possible. */
static char *
base_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (slash == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	if ((real = realpath(dir, NULL)) == NULL)
		return dir;
	free(dir);
	return real;
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct config_problem *pa = a, *pb = b;
	unsigned la = pa->line > 0 ? (unsigned)pa->line : UINT_MAX;
	unsigned lb = pb->line > 0 ? (unsigned)pb->line : UINT_MAX;

	if (la != lb)
		return la < lb ? -1 : 1;
	return pa->seq < pb->seq ? -1 : pa->seq > pb->seq;
}

/* Hand the problems to the caller in file order, or drop them. */
static void
hand_errors(struct load *ld, char ***errs, size_t *n_errs)
{
	char **v;
	size_t n = ld->n_errs;

	qsort(ld->errs, n, sizeof(*ld->errs), problem_cmp);
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = ld->errs[i].text;
		ld->errs[i].text = NULL;
	}
	if (ld->overflow)
		v[n++] = xasprintf("%s: too many problems; only the first %d "
		    "are shown", ld->file, CONFIG_MAX_ERRORS);
	if (errs != NULL && n_errs != NULL) {
		*errs = v;
		*n_errs = n;
	} else {
		config_errors_free(v, n);
	}
}

int
config_load(const char *path, struct config **out, char ***errs,
    size_t *n_errs)
{
	struct load ld = { .file = path };
	int rc = -1;

	*out = NULL;
	if (errs != NULL)
		*errs = NULL;
	if (n_errs != NULL)
		*n_errs = 0;
	ld.slots = xcalloc(config_keys_n, sizeof(*ld.slots));
	ld.c = xcalloc(1, sizeof(*ld.c));
	ld.c->path = xstrdup(path);
	if (read_file(&ld, path) == 0) {
		ld.dir = base_dir(path);
		scan_text(&ld);
		parse_text(&ld);
		convert_keys(&ld);
		check_relations(&ld);
	}
	if (ld.n_errs == 0 && !ld.overflow) {
		*out = ld.c;
		ld.c = NULL;
		rc = 0;
	} else {
		hand_errors(&ld, errs, n_errs);
	}
	for (size_t i = 0; i < config_keys_n; i++)
		free(ld.slots[i].value);
	free(ld.slots);
	for (size_t i = 0; i < ld.n_errs; i++)
		free(ld.errs[i].text);
	free(ld.errs);
	free(ld.text);
	free(ld.dir);
	config_free(ld.c);
	return rc;
}

void
config_errors_free(char **errs, size_t n)
{
	for (size_t i = 0; i < n && errs != NULL; i++)
		free(errs[i]);
	free(errs);
}

static void
free_secret(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Driven by the table, like everything else, so a new key is freed too. */
void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < config_keys_n; i++) {
		const struct config_key *k = &config_keys[i];
		struct config_url *u;
		char **list;

		switch (k->type) {
		case KT_TLS: case KT_BOOL: case KT_UINT: case KT_SIZE:
		case KT_DURATION: case KT_LANG:
			break;
		case KT_URL_IMAP: case KT_URL_SMTP:
			u = FIELD(c, k->aux, struct config_url);
			free(u->scheme);
			free(u->host);
			free(u->path);
			free(*FIELD(c, k->off, char *));
			break;
		case KT_MAILBOX:
			free(*FIELD(c, k->aux, char *));
			free(*FIELD(c, k->aux2, char *));
			free(*FIELD(c, k->off, char *));
			break;
		case KT_ADDRLIST:
			list = *FIELD(c, k->off, char **);
			for (size_t j = 0; j < *FIELD(c, k->aux, size_t); j++)
				free(list[j]);
			free(list);
			break;
		default:
			free(*FIELD(c, k->off, char *));
			break;
		}
	}
	free(c->mailbox.mailbox);
	free_secret(c->mailbox.password);
	free_secret(c->smtp.password);
	free(c->path);
	free(c);
}

const char *
config_default_path(void)
{
	return HP_SYSCONFDIR "/hanzepost/hanzepost.conf";
}

void
config_print_keys(FILE *fp)
{
	char name[64];

	for (size_t i = 0; i < config_keys_n; i++) {
		const struct config_key *k = &config_keys[i];
		snprintf(name, sizeof(name), "%s.%s", k->section, k->name);
		fprintf(fp, "%-30s %-16s %s\n", name, k->required ? "(required)" :
		    *k->def != '\0' ? k->def : "-", k->help);
	}
}
