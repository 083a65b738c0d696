/*
 * cli_admin: `hanzepost office`, `hanzepost ambassadors` and
 * `hanzepost subscribers` -- the office's own management of who may
 * moderate and who receives mail.  Part of cli (cli.h); split off to keep
 * files small.
 *
 * These are acts of whoever runs the command on the server, so nothing
 * here asks for a confirmation or sends mail: `subscribers add` records
 * the office as the source of consent ("cli").  `subscribers remove`
 * erases the row with its consent record (a GDPR erasure request);
 * `subscribers export` prints the full consent record (an access request).
 *
 * Every address is checked with addr_valid (the same rule as for SMTP
 * envelopes) and stored with its domain lower-cased; every name is valid
 * UTF-8 without control characters, so nothing typed here can later
 * break a header.
 *
 * Must not: call exit(), talk to mail servers, or hold SQL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "addr.h"
#include "access.h"
#include "cli.h"
#include "config.h"
#include "model.h"
#include "store.h"
#include "util.h"

#define ADMIN_NAME_MAX	200	/* bytes; addr.c allows the same for names */

static const char office_usage[] =
    "usage: hanzepost office add EMAIL | remove EMAIL | list\n";
static const char amb_usage[] =
    "usage: hanzepost ambassadors add EMAIL SECTOR | remove EMAIL SECTOR"
    " | list\n";
static const char subs_usage[] =
    "usage: hanzepost subscribers list [--json] | export [EMAIL]\n"
    "       hanzepost subscribers add EMAIL [--name NAME] [--lang nl|en]"
    " [--list newsletter|events]\n"
    "       hanzepost subscribers remove EMAIL\n";
static const char subs_help[] =
    "\n  list        the subscribers as a table (--json: a JSON array of\n"
    "              {email, name, lang, lists, status, consent_at})\n"
    "  export      the same JSON with the consent record\n"
    "              (consent_source_msgid, consent_confirm_msgid); with EMAIL\n"
    "              only that subscriber (a GDPR access request)\n"
    "  add         subscribe without a confirmation mail: the office's own\n"
    "              act, recorded as consent source \"cli\"; both lists unless\n"
    "              --list names one; the language defaults to [office]\n"
    "              language\n"
    "  remove      erase the subscriber's data, consent record included\n"
    "              (a GDPR erasure request); to stop mail but keep the\n"
    "              record, the subscriber sends \"unsubscribe\"\n";

/* ---- shared plumbing */

static void
admin_close(struct config *cfg, struct store *st)
{
	store_close(st);
	config_free(cfg);
}

/* Print the store's error; a busy or full database is "try again later". */
static int
admin_store_fail(struct store *st)
{
	fprintf(stderr, "hanzepost: database: %s\n", store_error(st));
	return store_error_is_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/* The address arg as we store it (domain lower-cased), or NULL after
 * printing why it is refused. */
static char *
admin_email(const char *arg)
{
	char *name = NULL, *email = NULL;

	if (!addr_valid(arg) || addr_parse_mailbox(arg, &name, &email) == -1) {
		fprintf(stderr, "hanzepost: \"%s\" is not a plain e-mail address "
		    "(local@domain.example)\n", arg);
		return NULL;
	}
	free(name);
	return email;
}

static bool
is_config_admin(const struct config *cfg, const char *email)
{
	for (size_t i = 0; i < cfg->office.n_admins; i++)
		if (addr_equal(cfg->office.admins[i], email))
			return true;
	return false;
}

static void
print_date(time_t t)
{
	char when[32] = "-";

	if (t > 0)
		hp_iso8601_utc(t, when, sizeof(when));
	fputs(when, stdout);
}

/* ---- hanzepost office */

static int
office_row(const char *email, time_t added_at, void *arg)
{
	const struct config *cfg = arg;

	printf("%-40s %-7s ", email, is_config_admin(cfg, email) ? "both" : "cli");
	print_date(added_at);
	putchar('\n');
	return 0;
}

static int
office_list(const struct config *cfg, struct store *st)
{
	printf("%-40s %-7s %s\n", "EMAIL", "SOURCE", "ADDED");
	for (size_t i = 0; i < cfg->office.n_admins; i++)
		printf("%-40s %-7s -\n", cfg->office.admins[i], "config");
	if (store_office_list(st, office_row, (void *)cfg) != 0)
		return admin_store_fail(st);
	return EX_OK;
}

static int
office_add(const struct config *cfg, struct store *st, const char *email)
{
	int rc;

	if (is_config_admin(cfg, email)) {
		printf("%s is already an office address ([office] admins in %s)\n",
		    email, cfg->path);
		return EX_OK;
	}
	if ((rc = store_office_add(st, email, time(NULL))) == -1)
		return admin_store_fail(st);
	printf(rc == 0 ? "%s is now an office address\n" :
	    "%s is already an office address\n", email);
	return EX_OK;
}

static int
office_remove(const struct config *cfg, struct store *st, const char *email)
{
	bool admin = is_config_admin(cfg, email);
	int rc;

	if ((rc = store_office_remove(st, email)) == -1)
		return admin_store_fail(st);
	if (rc == 1)
		printf("%s is no longer an office address%s\n", email,
		    admin ? " here, but still is in [office] admins" : "");
	else if (admin)
		fprintf(stderr, "hanzepost: %s is in [office] admins of %s: "
		    "remove it there\n", email, cfg->path);
	else
		fprintf(stderr, "hanzepost: %s is not an office address\n", email);
	return rc == 1 ? EX_OK : EX_DATAERR;
}

int
cli_office(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *verb = argc > 1 ? argv[1] : "";
	char *email = NULL;
	int rc;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(office_usage, stdout);
		return EX_OK;
	}
	if (!((strcmp(verb, "list") == 0 && argc == 2) ||
	    ((strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0) &&
	    argc == 3))) {
		fputs(office_usage, stderr);
		return EX_USAGE;
	}
	if (argc == 3 && (email = admin_email(argv[2])) == NULL)
		return EX_DATAERR;
	if ((rc = cli_open_store(o, &cfg, &st)) != 0)
		goto fail;
	if (strcmp(verb, "list") == 0)
		rc = office_list(cfg, st);
	else if (strcmp(verb, "add") == 0)
		rc = office_add(cfg, st, email);
	else
		rc = office_remove(cfg, st, email);
fail:
	admin_close(cfg, st);
	free(email);
	return rc;
}

/* ---- hanzepost ambassadors */

static int
amb_row(const char *email, const char *sector, time_t added_at, void *arg)
{
	printf("%-14s %-40s ", sector, email);
	print_date(added_at);
	putchar('\n');
	return 0;
}

/* The canonical English name of a sector typed in English or Dutch, or
 * NULL after printing the choices. */
static const char *
amb_sector(const char *arg)
{
	enum sector s = model_sector_parse(arg);

	if (s == SECTOR_NONE) {
		fprintf(stderr, "hanzepost: unknown sector \"%s\" (one of economy, "
		    "education, culture, civil-society, government, or their Dutch "
		    "names)\n", arg);
		return NULL;
	}
	return model_sector_name(s);
}

static int
amb_change(struct store *st, bool add, const char *email, const char *sector)
{
	int rc = add ? store_ambassador_add(st, email, sector, time(NULL)) :
	    store_ambassador_remove(st, email, sector);

	if (rc == -1)
		return admin_store_fail(st);
	if (add)
		printf(rc == 0 ? "%s is now an ambassador for %s\n" :
		    "%s is already an ambassador for %s\n", email, sector);
	else if (rc == 1)
		printf("%s is no longer an ambassador for %s\n", email, sector);
	else
		fprintf(stderr, "hanzepost: %s is not an ambassador for %s\n",
		    email, sector);
	return add || rc == 1 ? EX_OK : EX_DATAERR;
}

int
cli_ambassadors(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *verb = argc > 1 ? argv[1] : "", *sector = NULL;
	char *email = NULL;
	int rc;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(amb_usage, stdout);
		return EX_OK;
	}
	if (!((strcmp(verb, "list") == 0 && argc == 2) ||
	    ((strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0) &&
	    argc == 4))) {
		fputs(amb_usage, stderr);
		return EX_USAGE;
	}
	if (argc == 4 && ((email = admin_email(argv[2])) == NULL ||
	    (sector = amb_sector(argv[3])) == NULL)) {
		free(email);
		return EX_DATAERR;
	}
	if ((rc = cli_open_store(o, &cfg, &st)) != 0)
		goto fail;
	if (strcmp(verb, "list") == 0) {
		printf("%-14s %-40s %s\n", "SECTOR", "EMAIL", "ADDED");
		rc = store_ambassador_list(st, amb_row, NULL) == 0 ? EX_OK :
		    admin_store_fail(st);
	} else
		rc = amb_change(st, strcmp(verb, "add") == 0, email, sector);
fail:
	admin_close(cfg, st);
	free(email);
	return rc;
}

/* ---- hanzepost subscribers: list and export */

/* A JSON string, or null for NULL.  Stored text is valid UTF-8 (every
 * writer checks), so json_string failing would mean a damaged row: show
 * null rather than stop the export. */
static json_t *
json_str_or_null(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

static json_t *
sub_json(const struct store_subscriber *s, bool full)
{
	json_t *o = json_object(), *lists = json_array();
	char when[32];

	if (s->newsletter)
		json_array_append_new(lists, json_string("newsletter"));
	if (s->events)
		json_array_append_new(lists, json_string("events"));
	json_object_set_new(o, "email", json_str_or_null(s->email));
	json_object_set_new(o, "name", json_str_or_null(s->name));
	json_object_set_new(o, "lang", json_str_or_null(s->lang));
	json_object_set_new(o, "lists", lists);
	json_object_set_new(o, "status", json_str_or_null(s->status));
	if (s->consent_at > 0) {
		hp_iso8601_utc(s->consent_at, when, sizeof(when));
		json_object_set_new(o, "consent_at", json_string(when));
	} else
		json_object_set_new(o, "consent_at", json_null());
	if (full) {
		json_object_set_new(o, "consent_source_msgid",
		    json_str_or_null(s->consent_source_msgid));
		json_object_set_new(o, "consent_confirm_msgid",
		    json_str_or_null(s->consent_confirm_msgid));
	}
	return o;
}

struct sub_out {
	json_t *array;		/* NULL: print a table row */
	bool full;		/* export: the consent record too */
	const char *only;	/* export EMAIL: that subscriber alone */
	size_t n;
};

static int
sub_row(const struct store_subscriber *s, void *arg)
{
	struct sub_out *out = arg;
	char lists[32];

	if (out->only != NULL && !addr_equal(out->only, s->email))
		return 0;
	out->n++;
	if (out->array != NULL)
		return json_array_append_new(out->array, sub_json(s, out->full));
	snprintf(lists, sizeof(lists), "%s%s%s", s->newsletter ? "newsletter" : "",
	    s->newsletter && s->events ? "," : "", s->events ? "events" : "");
	printf("%-36s %-24s %-4s %-18s %-12s ", s->email, s->name ? s->name : "-",
	    s->lang, lists[0] ? lists : "-", s->status);
	print_date(s->consent_at);
	putchar('\n');
	return 0;
}

static int
subs_print(struct store *st, bool json, bool full, const char *only)
{
	struct sub_out out = { NULL, full, only, 0 };
	int rc = EX_OK;

	if (json)
		out.array = json_array();
	else
		printf("%-36s %-24s %-4s %-18s %-12s %s\n", "EMAIL", "NAME", "LANG",
		    "LISTS", "STATUS", "CONSENT");
	if (store_subscriber_list(st, sub_row, &out) != 0)
		rc = admin_store_fail(st);
	else if (only != NULL && out.n == 0) {
		fprintf(stderr, "hanzepost: %s is not a subscriber\n", only);
		rc = EX_DATAERR;
	} else if (json) {
		if (json_dumpf(out.array, stdout, JSON_INDENT(2)) == -1 ||
		    fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
			rc = EX_IOERR;
	}
	json_decref(out.array);
	return rc;
}

/* ---- hanzepost subscribers add / remove */

struct sub_add {
	char *email;
	const char *name;	/* NULL: keep / none */
	const char *lang;	/* NULL: keep / the office language */
	bool newsletter, events;
};

/* A name that may later go into a To: header: valid UTF-8 (no NUL, no
 * C0 controls but TAB/CR/LF) and not those three either. */
static bool
name_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= ADMIN_NAME_MAX && hp_utf8_valid(s, len) &&
	    strpbrk(s, "\t\r\n\x7f") == NULL;
}

/* Parse EMAIL [--name NAME] [--lang nl|en] [--list newsletter|events]
 * from argv[2..].  0, or the exit code after printing why. */
static int
sub_add_args(int argc, char **argv, struct sub_add *a)
{
	const char *list = NULL;

	if (argc < 3 || argv[2][0] == '-') {
		fputs(subs_usage, stderr);
		return EX_USAGE;
	}
	for (int i = 3; i < argc; i += 2) {
		const char **dst = strcmp(argv[i], "--name") == 0 ? &a->name :
		    strcmp(argv[i], "--lang") == 0 ? &a->lang :
		    strcmp(argv[i], "--list") == 0 ? &list : NULL;
		if (dst == NULL || i + 1 >= argc) {
			fputs(subs_usage, stderr);
			return EX_USAGE;
		}
		*dst = argv[i + 1];
	}
	if (a->name != NULL && !name_ok(a->name)) {
		fprintf(stderr, "hanzepost: --name must be 1 to %d bytes of UTF-8 "
		    "text on one line\n", ADMIN_NAME_MAX);
		return EX_DATAERR;
	}
	if (a->lang != NULL && strcmp(a->lang, "nl") && strcmp(a->lang, "en")) {
		fprintf(stderr, "hanzepost: --lang must be nl or en\n");
		return EX_DATAERR;
	}
	if (list != NULL && strcmp(list, "newsletter") && strcmp(list, "events")) {
		fprintf(stderr, "hanzepost: --list must be newsletter or events\n");
		return EX_DATAERR;
	}
	a->newsletter = list == NULL || strcmp(list, "newsletter") == 0;
	a->events = list == NULL || strcmp(list, "events") == 0;
	return (a->email = admin_email(argv[2])) == NULL ? EX_DATAERR : 0;
}

/* The row to write for a, given the existing one (old, may be NULL).
 * Lists are added to those already on; the consent record is rewritten
 * only when this act turns something on, so an earlier double opt-in is
 * kept as the evidence it is.  Returns false when nothing would change. */
static bool
sub_merge(const struct sub_add *a, const struct store_subscriber *old,
    const char *lang, struct store_subscriber *s)
{
	bool was_active = old != NULL && strcmp(old->status, "active") == 0;
	bool adds = !was_active || (a->newsletter && !old->newsletter) ||
	    (a->events && !old->events);

	if (old != NULL)
		*s = *old;
	s->email = old != NULL ? old->email : a->email;
	s->name = a->name != NULL ? (char *)a->name : old ? old->name : NULL;
	s->lang = a->lang != NULL ? (char *)a->lang : old ? old->lang :
	    (char *)lang;
	s->status = (char *)"active";
	s->newsletter = a->newsletter || (old != NULL && old->newsletter);
	s->events = a->events || (old != NULL && old->events);
	s->unsub_token = NULL;	/* an existing row keeps its own */
	if (adds) {
		s->consent_at = time(NULL);
		s->consent_source_msgid = (char *)"cli";
		s->consent_confirm_msgid = NULL;
	}
	if (adds || old == NULL)
		return true;
	return !hp_streq_null(s->name, old->name) ||
	    strcmp(s->lang, old->lang) != 0;
}

/* Read, merge and write in one BEGIN IMMEDIATE transaction. */
static int
sub_add_tx(struct store *st, const struct sub_add *a, const char *lang,
    bool *changed, bool *created)
{
	struct store_subscriber *old = NULL, s = { 0 };
	char token[TOKEN_LEN + 1];
	int ret = -1;

	if (store_begin(st) == -1 || store_subscriber_get(st, a->email, &old) == -1)
		goto fail;
	*created = old == NULL;
	if (!(*changed = sub_merge(a, old, lang, &s))) {
		ret = 0;
		goto fail;
	}
	if (old == NULL) {
		if (access_new_token(token) == -1) {
			fprintf(stderr, "hanzepost: getrandom: %s\n", strerror(errno));
			ret = -2;
			goto fail;
		}
		s.unsub_token = token;
	}
	if (store_subscriber_put(st, &s, time(NULL)) == -1 ||
	    store_commit(st) == -1)
		goto fail;
	ret = 0;
fail:
	store_rollback(st);
	store_subscriber_free(old);
	return ret;
}

static int
subs_add(const struct config *cfg, struct store *st, const struct sub_add *a)
{
	bool changed = false, created = false;
	int rc = sub_add_tx(st, a, model_lang_code(cfg->office.language),
	    &changed, &created);

	if (rc == -2)
		return EX_OSERR;
	if (rc == -1)
		return admin_store_fail(st);
	if (!changed)
		printf("%s is already subscribed to these lists\n", a->email);
	else
		printf("%s %s (%s%s%s)\n", created ? "subscribed" : "updated",
		    a->email, a->newsletter ? "newsletter" : "",
		    a->newsletter && a->events ? ", " : "",
		    a->events ? "events" : "");
	return EX_OK;
}

static int
subs_remove(struct store *st, const char *email)
{
	int rc = store_subscriber_delete(st, email);

	if (rc == -1)
		return admin_store_fail(st);
	if (rc == 0) {
		fprintf(stderr, "hanzepost: %s is not a subscriber\n", email);
		return EX_DATAERR;
	}
	printf("erased %s: subscription and consent record\n", email);
	return EX_OK;
}

/* Check the arguments of list / export / remove; add has its own. */
static int
subs_args(int argc, char **argv, const char **only)
{
	const char *verb = argv[1];

	*only = NULL;
	if (strcmp(verb, "list") == 0 && (argc == 2 ||
	    (argc == 3 && strcmp(argv[2], "--json") == 0)))
		return 0;
	if ((strcmp(verb, "export") == 0 && (argc == 2 || argc == 3)) ||
	    (strcmp(verb, "remove") == 0 && argc == 3)) {
		if (argc == 3)
			*only = argv[2];
		return 0;
	}
	fputs(subs_usage, stderr);
	return EX_USAGE;
}

int
cli_subscribers(const struct cli_opts *o, int argc, char **argv)
{
	struct sub_add a = { 0 };
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *verb = argc > 1 ? argv[1] : "", *only = NULL;
	char *email = NULL;
	int rc;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		printf("%s%s", subs_usage, subs_help);
		return EX_OK;
	}
	if (argc < 2) {
		fputs(subs_usage, stderr);
		return EX_USAGE;
	}
	rc = strcmp(verb, "add") == 0 ? sub_add_args(argc, argv, &a) :
	    subs_args(argc, argv, &only);
	if (rc == 0 && only != NULL && (email = admin_email(only)) == NULL)
		rc = EX_DATAERR;
	if (rc != 0 || (rc = cli_open_store(o, &cfg, &st)) != 0)
		goto fail;
	if (strcmp(verb, "add") == 0)
		rc = subs_add(cfg, st, &a);
	else if (strcmp(verb, "remove") == 0)
		rc = subs_remove(st, email);
	else
		rc = subs_print(st, strcmp(verb, "export") == 0 || argc == 3,
		    strcmp(verb, "export") == 0, email);
fail:
	admin_close(cfg, st);
	free(a.email);
	free(email);
	return rc;
}
