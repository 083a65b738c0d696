/*
 * cli_registry: `hanzepost registry list|show|export` and
 * `hanzepost template render` — the read-only subcommands that print.
 * Part of cli (cli.h); split off to keep files small.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "buf.h"
#include "entry.h"
#include "store.h"
#include "templates.h"
#include "tpl.h"
#include "util.h"

static void
print_table(struct org **orgs, size_t n)
{
	printf("%-32s %-14s %-24s %s\n", "ORGANISATION", "SECTOR", "COUNTRIES", "UPDATED");
	for (size_t i = 0; i < n; i++) {
		char countries[64] = "", when[32];
		size_t used = 0;
		for (size_t k = 0; k < orgs[i]->n_activities && used + 4 < sizeof(countries); k++) {
			if (strstr(countries, orgs[i]->activities[k].country))
				continue;
			used += (size_t)snprintf(countries + used, sizeof(countries) - used,
			    "%s%s", used ? "," : "", orgs[i]->activities[k].country);
		}
		hp_iso8601_utc(orgs[i]->updated_at, when, sizeof(when));
		printf("%-32s %-14s %-24s %s\n", orgs[i]->name,
		    model_sector_name(orgs[i]->sector) ? model_sector_name(orgs[i]->sector) : "-",
		    countries, when);
	}
}

static int
print_json(struct org **orgs, size_t n)
{
	json_t *a = json_array();
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, entry_to_json(orgs[i]));
	rc = json_dumpf(a, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(a);
	return rc == 0 ? EX_OK : EX_IOERR;
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void
csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL)
		fputs(s, stdout);
	else {
		fputc('"', stdout);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', stdout);
			fputc(*s, stdout);
		}
		fputc('"', stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static char *
join_contacts(const struct org *o)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < o->n_contacts; i++) {
		char *t = entry_contact_text(&o->contacts[i]);
		buf_printf(&b, "%s%s", i ? "; " : "", t);
		free(t);
	}
	return buf_release(&b, NULL);
}

static void
csv_org_rows(const struct org *o)
{
	char *contacts = join_contacts(o), when[32];
	struct buf nets;

	buf_init(&nets, 0);
	for (size_t i = 0; i < o->n_networks; i++)
		buf_printf(&nets, "%s%s", i ? ", " : "", o->networks[i]);
	hp_iso8601_utc(o->updated_at, when, sizeof(when));
	for (size_t k = 0; k < (o->n_activities ? o->n_activities : 1); k++) {
		const struct activity *a = o->n_activities ? &o->activities[k] : NULL;
		csv_field(o->name, false);
		csv_field(model_sector_name(o->sector), false);
		csv_field(o->website, false);
		csv_field(o->description, false);
		csv_field(o->internships, false);
		csv_field(nets.data, false);
		csv_field(contacts, false);
		csv_field(a ? a->country : NULL, false);
		csv_field(a ? a->city : NULL, false);
		csv_field(a ? model_kind_name(a->kind) : NULL, false);
		csv_field(a ? a->note : NULL, false);
		csv_field(when, true);
	}
	buf_free(&nets);
	free(contacts);
}

static void
print_csv(struct org **orgs, size_t n)
{
	fputs("name,sector,website,description,internships,networks,contacts,"
	    "country,city,kind,note,updated_at\r\n", stdout);
	for (size_t i = 0; i < n; i++)
		csv_org_rows(orgs[i]);
}

static int
registry_export(struct org **orgs, size_t n, int argc, char **argv)
{
	const char *format = NULL;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
	}
	if (format && strcmp(format, "json") == 0)
		return print_json(orgs, n);
	if (format && strcmp(format, "csv") == 0) {
		print_csv(orgs, n);
		return EX_OK;
	}
	fprintf(stderr, "usage: hanzepost registry export --format json|csv\n");
	return EX_USAGE;
}

static int
registry_show_one(struct store *st, const char *name)
{
	struct org *o = NULL;
	int found = store_org_get(st, name, &o);
	char *text;

	if (found == -1) {
		fprintf(stderr, "hanzepost: %s\n", store_error(st));
		return EX_TEMPFAIL;
	}
	if (!found) {
		fprintf(stderr, "hanzepost: no organisation named \"%s\"\n", name);
		return EX_DATAERR;
	}
	text = entry_render_form(o, LANG_EN);
	fputs(text, stdout);
	free(text);
	org_free(o);
	return EX_OK;
}

int
cli_registry(const struct cli_opts *o, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct org **orgs = NULL;
	size_t n = 0;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "show") &&
	    strcmp(argv[1], "export")) || (strcmp(argv[1], "show") == 0 && argc != 3)) {
		fprintf(stderr, "usage: hanzepost registry list | show NAME | export --format json|csv\n");
		return EX_USAGE;
	}
	if ((rc = cli_open_store(o, &cfg, &st)) != 0)
		return rc;
	if (strcmp(argv[1], "show") == 0)
		rc = registry_show_one(st, argv[2]);
	else if (store_org_list(st, &orgs, &n) == -1) {
		fprintf(stderr, "hanzepost: %s\n", store_error(st));
		rc = EX_TEMPFAIL;
	} else if (strcmp(argv[1], "list") == 0) {
		print_table(orgs, n);
		rc = EX_OK;
	} else
		rc = registry_export(orgs, n, argc, argv);
	store_orgs_free(orgs, n);
	store_close(st);
	config_free(cfg);
	return rc;
}

/* Partials for `template render --partials DIR`: DIR/NAME.mustache. */
static char *
partial_from_dir(const char *name, void *arg)
{
	const char *dir = arg;
	char *path, *text = NULL;

	if (dir == NULL || strchr(name, '/') || name[0] == '.')
		return NULL;
	path = xasprintf("%s/%s.mustache", dir, name);
	if (hp_read_file(path, 1024 * 1024, &text, NULL) == -1)
		text = NULL;
	free(path);
	return text;
}

int
cli_template(const struct cli_opts *o, int argc, char **argv)
{
	struct tpl_opts opts = { 0 };
	json_error_t jerr;
	json_t *data;
	char *text = NULL, *out = NULL, err[256];
	const char *partials = NULL, *ext;
	size_t len, outlen;
	int rc = EX_DATAERR;

	if (argc == 6 && strcmp(argv[4], "--partials") == 0)
		partials = argv[5];
	if (argc < 4 || strcmp(argv[1], "render") != 0 || (argc != 4 && partials == NULL)) {
		fprintf(stderr, "usage: hanzepost template render FILE DATA.json [--partials DIR]\n");
		return EX_USAGE;
	}
	if (hp_read_file(argv[2], 4 * 1024 * 1024, &text, &len) == -1) {
		fprintf(stderr, "hanzepost: %s: %s\n", argv[2], strerror(errno));
		return EX_NOINPUT;
	}
	if ((data = json_load_file(argv[3], 0, &jerr)) == NULL) {
		fprintf(stderr, "hanzepost: %s:%d: %s\n", argv[3], jerr.line, jerr.text);
		free(text);
		return EX_DATAERR;
	}
	ext = strrchr(argv[2], '.');
	opts.html_escape = ext && strcmp(ext, ".html") == 0;
	opts.partial = partial_from_dir;
	opts.partial_arg = (void *)partials;
	if (tpl_render(text, len, data, &opts, &out, &outlen, err, sizeof(err)) == -1)
		fprintf(stderr, "hanzepost: %s: %s\n", argv[2], err);
	else if (fwrite(out, 1, outlen, stdout) == outlen && fflush(stdout) == 0)
		rc = EX_OK;
	else
		rc = EX_IOERR;
	free(out);
	free(text);
	json_decref(data);
	return rc;
}
