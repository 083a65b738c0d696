/*
 * cli_newsletter: `hanzepost newsletter preview [--lang nl|en] [--json |
 * --html]` prints the next issue as it would go out now (the shared text
 * part; --html the HTML part; --json the template context), and
 * `newsletter send` creates an issue outside the schedule.  L4: prints;
 * the work is newsletter's.  Creating is all `send` does: delivery is for
 * `hanzepost send --once` or the running daemon, like any other mail.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "app.h"
#include "newsletter.h"

static const char usage[] =
    "usage: hanzepost newsletter preview [--lang nl|en] [--json | --html]\n"
    "       hanzepost newsletter send\n";

enum preview_mode { SHOW_TEXT, SHOW_HTML, SHOW_JSON };

/* Config, database, country names and templates.  0 or an exit code. */
/* A failure of the store is worth a retry; anything else is ours. */
static int
failure(struct app *app, const char *what, const char *err)
{
	fprintf(stderr, "hanzepost: newsletter %s: %s\n", what, err);
	return store_error_is_temporary(app->store) ? EX_TEMPFAIL : EX_SOFTWARE;
}

static int
preview(struct app *app, enum lang lang, enum preview_mode mode)
{
	struct store_mailing_part part = { 0 };
	char err[512];
	json_t *ctx = newsletter_context(app, lang, time(NULL), err, sizeof(err));
	int rc = EX_OK;

	if (ctx == NULL)
		return failure(app, "preview", err);
	if (mode == SHOW_JSON) {
		json_dumpf(ctx, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (newsletter_render(app, ctx, lang, &part, err,
	    sizeof(err)) == -1)
		rc = failure(app, "preview", err);
	else
		fputs(mode == SHOW_HTML ? part.html : part.text, stdout);
	store_mailing_part_clear(&part);
	json_decref(ctx);
	return rc;
}

static int
send_issue(struct app *app)
{
	char err[512];
	int64_t id = 0;
	size_t n = 0;

	if (newsletter_create_issue(app, 0, time(NULL), &id, &n, err,
	    sizeof(err)) != 0)
		return failure(app, "send", err);
	printf("issue %lld created for %zu subscribers; `hanzepost send --once` "
	    "or the running daemon delivers it\n", (long long)id, n);
	return EX_OK;
}

/* preview's options; -1 on a usage error. */
static int
parse_preview(int argc, char **argv, enum lang *lang,
    enum preview_mode *mode)
{
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*mode = SHOW_JSON;
		else if (strcmp(argv[i], "--html") == 0)
			*mode = SHOW_HTML;
		else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc &&
		    (strcmp(argv[i + 1], "nl") == 0 || strcmp(argv[i + 1], "en") == 0))
			*lang = strcmp(argv[++i], "en") == 0 ? LANG_EN : LANG_NL;
		else
			return -1;
	}
	return 0;
}

int
cli_newsletter(const struct cli_opts *o, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	enum preview_mode mode = SHOW_TEXT;
	enum lang lang = LANG_COUNT;
	struct app app;
	int rc;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage, stdout);
		return EX_OK;
	}
	if (!((strcmp(verb, "preview") == 0 &&
	    parse_preview(argc, argv, &lang, &mode) == 0) ||
	    (strcmp(verb, "send") == 0 && argc == 2))) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cli_app_open(o, &app)) == 0) {
		if (lang == LANG_COUNT)
			lang = app.cfg->office.language;
		rc = strcmp(verb, "send") == 0 ? send_issue(&app) :
		    preview(&app, lang, mode);
	}
	cli_app_close(&app);
	return rc;
}
