/*
 * commands_newsletter: the office's newsletter commands by mail (SPEC §5,
 * commands.h): `preview` and the editorial intro (subject `newsletter`).
 * L3, inside the caller's transaction: the intro is stored together with
 * the record of the mail that carried it and the reply.
 *
 * An intro changes what every subscriber reads, so it needs an
 * authenticated office address (SPEC §4).  Confirmation by token is not
 * offered for it (yet): the pending actions of the store have no kind for
 * it; the answer tells the office to send it from an authenticated
 * (DKIM-signed) address.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "log.h"
#include "newsletter.h"
#include "reply.h"
#include "textconv.h"
#include "util.h"

/* An intro longer than this is a mistake (a pasted document, a forward). */
#define INTRO_MAX	(64 * 1024)

static enum hp_status
store_status(struct app *app, const char *what)
{
	log_warnx("commands %s: %s", what, store_error(app->store));
	return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
}

enum hp_status
commands_preview(struct request *r)
{
	struct store_mailing_part part = { 0 };
	char err[512];
	json_t *ctx = NULL;
	bool office = false;
	enum hp_status rc = HP_OK;

	if (access_is_office(r->app, r->m->from_addr, &office) == -1)
		return HP_RETRY;
	if (!office) {
		json_object_set_new(r->ctx, "preview_denied", json_true());
		return HP_OK;
	}
	if ((ctx = newsletter_context(r->app, r->lang, r->now, err,
	    sizeof(err))) == NULL ||
	    newsletter_render(r->app, ctx, r->lang, &part, err, sizeof(err)) == -1) {
		/* A broken template or store: the admin's problem, not the mail's. */
		log_warnx("commands preview: %s", err);
		rc = ctx == NULL ? store_status(r->app, "preview") : HP_FATAL;
		goto fail;
	}
	json_object_set_new(r->ctx, "preview", json_pack("{s:s,s:s}", "subject",
	    part.subject, "text", part.text));
fail:
	store_mailing_part_clear(&part);
	json_decref(ctx);
	return rc;
}

bool
commands_is_intro(const struct msg *m)
{
	const char *s = m->subject;
	size_t n;

	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return (n == 10 && strncasecmp(s, "newsletter", n) == 0) ||
	    (n == 11 && strncasecmp(s, "nieuwsbrief", n) == 0);
}

/* The body up to the signature line, trimmed; a new string. */
static char *
intro_text(const char *body)
{
	char *t = xstrdup(body), *p = t;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "-- \n", 4) == 0 || strncmp(p, "--\n", 3) == 0 ||
		    strncmp(p, "-- \r\n", 5) == 0 || strcmp(p, "-- ") == 0) {
			*p = '\0';
			break;
		}
	p = xstrdup(hp_trim(t));
	free(t);
	return p;
}

/* *why = why an intro is refused, NULL when it may be stored. */
static enum hp_status
intro_refusal(struct app *app, const struct msg *m, const char *md,
    const char **why)
{
	bool office = false;

	*why = NULL;
	if (access_is_office(app, m->from_addr, &office) == -1)
		return HP_RETRY;
	if (!office)
		*why = "not_office";
	else if (!access_authenticated(app, m))
		*why = "not_authenticated";
	else if (*md == '\0')
		*why = "empty";
	else if (strlen(md) > INTRO_MAX)
		*why = "too_long";
	return HP_OK;
}

enum hp_status
commands_intro(struct app *app, const struct msg *m, time_t now,
    const char **outcome)
{
	enum lang lang = m->content_language && strncasecmp(m->content_language,
	    "en", 2) == 0 ? LANG_EN : app->cfg->office.language;
	char *md = intro_text(m->text), *html = NULL, *text = NULL;
	json_t *ctx = json_object(), *intro = json_object();
	const char *why = NULL;
	enum hp_status rc;

	*outcome = "rejected";
	json_object_set_new(ctx, "intro", intro);
	if ((rc = intro_refusal(app, m, md, &why)) != HP_OK)
		goto fail;
	if (why == NULL) {
		if (store_intro_add(app->store, md, m->from_addr, m->message_id,
		    now) == -1) {
			rc = store_status(app, "intro");
			goto fail;
		}
		html = textconv_markdown_to_html(md, strlen(md));
		text = html ? textconv_html_to_text(html, strlen(html)) : NULL;
		for (size_t n = text ? strlen(text) : 0; n > 0 && text[n - 1] == '\n'; )
			text[--n] = '\0';	/* the template places the blank lines */
		json_object_set_new(intro, "text", json_string(text ? text : ""));
		log_info("newsletter intro stored by=%s bytes=%zu", m->from_addr,
		    strlen(md));
		*outcome = "intro";
	}
	json_object_set_new(intro, why ? why : "stored", json_true());
	rc = reply_queue(app, m, lang, "reply.txt", ctx, now);
fail:
	json_decref(ctx);
	free(md);
	free(html);
	free(text);
	return rc;
}
