/*
 * newsletter: see newsletter.h.  The context itself is collected in
 * newsletter_ctx.c (its keys are listed there); this file renders it,
 * creates issues (by hand and by the schedule) and builds each
 * subscriber's copy at send time.
 *
 * The per-copy frame context (templates LANG/newsletter-copy.txt and
 * .html):
 *   recipient            {name, email}: name absent when unknown
 *   unsubscribe_address  the personal address (office+unsubscribe-TOKEN@...)
 *   unsubscribe_url      [newsletter] unsubscribe_url with ?token=TOKEN
 *                        (or &token=); absent when not configured
 *   body                 the shared part, already rendered: use {{{body}}}
 *   issue                {label}
 *   office               {name, address}
 *
 * Must not: send mail, or read the registry when a copy is built (a copy
 * needs nothing but its mailing, its part and its delivery row).
 */
#include "newsletter.h"

#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "log.h"
#include "newsletter_int.h"
#include "sched.h"
#include "util.h"

#define SETTING_INSTALLED "newsletter.installed_at"

static enum lang
lang_of(const char *code)
{
	return code && strcmp(code, "en") == 0 ? LANG_EN : LANG_NL;
}

/* Template output as one header line: blanks and line breaks folded. */
static char *
one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return hp_trim(s);
}

int
newsletter_render(struct app *app, json_t *ctx, enum lang lang,
    struct store_mailing_part *out, char *err, size_t errlen)
{
	char *subject = NULL;

	memset(out, 0, sizeof(*out));
	out->lang = xstrdup(model_lang_code(lang));
	if (templates_render(app->templates, lang, "newsletter-subject.txt", ctx,
	    &subject, err, errlen) == -1 ||
	    templates_render(app->templates, lang, "newsletter.txt", ctx,
	    &out->text, err, errlen) == -1 ||
	    templates_render(app->templates, lang, "newsletter.html", ctx,
	    &out->html, err, errlen) == -1)
		goto fail;
	out->subject = xstrdup(one_line(subject));
	free(subject);
	return 0;
fail:
	free(subject);
	store_mailing_part_clear(out);
	return -1;
}

/* The shared part of every language for an issue labelled label. */
static int
render_parts(struct app *app, const char *label, time_t now,
    struct store_mailing_part *parts, char *err, size_t errlen)
{
	json_t *ctx = NULL;

	for (int l = 0; l < LANG_COUNT; l++) {
		if ((ctx = newsletter_context(app, (enum lang)l, now, err,
		    errlen)) == NULL)
			return -1;
		json_object_set_new(json_object_get(ctx, "issue"), "label",
		    json_string(label));
		if (newsletter_render(app, ctx, (enum lang)l, &parts[l], err,
		    errlen) == -1) {
			json_decref(ctx);
			return -1;
		}
		json_decref(ctx);
	}
	return 0;
}

int
newsletter_create_issue(struct app *app, time_t slot, time_t now,
    int64_t *id, size_t *n_recipients, char *err, size_t errlen)
{
	struct store_mailing_part parts[LANG_COUNT];
	char label[NEWSLETTER_LABEL_MAX];
	int rc = -1;

	memset(parts, 0, sizeof(parts));
	*id = 0;
	*n_recipients = 0;
	if (newsletter_issue_label(app, slot, now, label, sizeof(label), err,
	    errlen) == -1 ||
	    render_parts(app, label, now, parts, err, errlen) == -1)
		goto fail;
	rc = store_mailing_create(app->store, "newsletter", label, slot,
	    "newsletter", parts, LANG_COUNT, now, id, n_recipients);
	if (rc == -1)
		hp_errf(err, errlen, "store: %s", store_error(app->store));
	else if (rc == 0)
		log_info("newsletter created mailing=%lld label=\"%s\" "
		    "recipients=%zu", (long long)*id, label, *n_recipients);
fail:
	for (int l = 0; l < LANG_COUNT; l++)
		store_mailing_part_clear(&parts[l]);
	return rc;
}

/* When this installation first ran the schedule (set now if never). */
static int
installed_at(struct app *app, time_t now, time_t *at)
{
	int64_t v = 0;
	int found = store_setting_get_int(app->store, SETTING_INSTALLED, &v);

	if (found == 0) {
		v = now;
		if (store_setting_set_int(app->store, SETTING_INSTALLED, v) == -1)
			return -1;
	}
	*at = (time_t)v;
	return found == -1 ? -1 : 0;
}

int
newsletter_schedule_tick(struct app *app, time_t now, time_t *next_due)
{
	const struct config *cfg = app->cfg;
	time_t installed = 0, last = 0, slot = 0;
	int64_t id;
	size_t n;
	char err[512];
	int due, rc;

	*next_due = 0;
	if (installed_at(app, now, &installed) == -1 ||
	    store_mailing_last_slot(app->store, "newsletter", &last) == -1) {
		log_warnx("newsletter schedule: %s", store_error(app->store));
		return -1;
	}
	due = sched_due(cfg->newsletter.schedule, cfg->office.timezone, last,
	    installed, now, &slot, next_due, err, sizeof(err));
	if (due <= 0) {
		if (due == -1)
			log_warnx("newsletter schedule: %s", err);
		return due;
	}
	rc = newsletter_create_issue(app, slot, now, &id, &n, err, sizeof(err));
	if (rc == -1)
		log_warnx("newsletter issue slot=%lld: %s", (long long)slot, err);
	/* 1: another process created this slot's issue meanwhile. */
	return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

int
newsletter_unsubscribe_address(const struct app *app, const char *token,
    char *out, size_t outlen)
{
	const char *base = app->cfg->office.unsubscribe_address;
	const char *at = base ? strrchr(base, '@') : NULL;

	if (outlen > 0)
		out[0] = '\0';
	if (at == NULL || token == NULL || *token == '\0')
		return -1;
	if ((size_t)snprintf(out, outlen, "%.*s-%s%s", (int)(at - base), base,
	    token, at) >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* The one-click URL of this subscriber, or NULL when none is configured. */
static char *
unsubscribe_url(const struct app *app, const char *token)
{
	const char *url = app->cfg->newsletter.unsubscribe_url;

	if (url == NULL || *url == '\0')
		return NULL;
	return xasprintf("%s%ctoken=%s", url, strchr(url, '?') ? '&' : '?',
	    token);
}

/* The frame around the shared part: one template, one copy. */
static int
render_frame(struct app *app, const struct store_delivery *d,
    const struct store_mailing *m, const char *addr, const char *url,
    const char *tpl, const char *body, char **out, char *err, size_t errlen)
{
	const struct config *cfg = app->cfg;
	size_t n = strlen(body);
	json_t *ctx;
	int rc;

	while (n > 0 && body[n - 1] == '\n')
		n--;	/* the frame places the blank lines around it */
	ctx = json_pack("{s:{s:s?,s:s},s:s,s:s?,s:s#,s:{s:s},s:{s:s,s:s}}",
	    "recipient", "name", d->name, "email", d->email,
	    "unsubscribe_address", addr, "unsubscribe_url", url, "body", body, n,
	    "issue", "label", m->label, "office", "name", cfg->office.name ?
	    cfg->office.name : cfg->office.address, "address", cfg->office.address);

	if (ctx == NULL)
		return hp_errf(err, errlen, "frame context: bad UTF-8 in a name");
	rc = templates_render(app->templates, lang_of(d->lang), tpl, ctx, out,
	    err, errlen);
	json_decref(ctx);
	return rc;
}

/* "nl-<mailing>-<delivery>@<office domain>": the same for every attempt. */
static int
copy_message_id(const struct app *app, const struct store_mailing *m,
    const struct store_delivery *d, char *out, size_t outlen)
{
	const char *at = strrchr(app->cfg->office.address, '@');

	return at == NULL || (size_t)snprintf(out, outlen, "nl-%lld-%lld%s",
	    (long long)m->id, (long long)d->id, at) >= outlen ? -1 : 0;
}

int
newsletter_build_copy(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    char **out, size_t *len, char *err, size_t errlen)
{
	const struct config *cfg = app->cfg;
	struct compose_mailing cm = { 0 };
	char addr[512], msgid[COMPOSE_MAX_MSGID], *url = NULL;
	char *text = NULL, *html = NULL, *list_name = NULL;
	struct tm tm;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (newsletter_unsubscribe_address(app, d->unsub_token, addr,
	    sizeof(addr)) == -1 || copy_message_id(app, m, d, msgid,
	    sizeof(msgid)) == -1) {
		hp_errf(err, errlen, "no unsubscribe address or Message-ID");
		goto fail;
	}
	url = unsubscribe_url(app, d->unsub_token);
	if (render_frame(app, d, m, addr, url, "newsletter-copy.txt", part->text,
	    &text, err, errlen) == -1 || (part->html && render_frame(app, d, m,
	    addr, url, "newsletter-copy.html", part->html, &html, err,
	    errlen) == -1))
		goto fail;
	list_name = xasprintf("%s %s", cfg->office.name ? cfg->office.name :
	    "hanzepost", lang_of(d->lang) == LANG_NL ? "nieuwsbrief" :
	    "newsletter");
	cm.from_name = cfg->office.name;
	cm.from_addr = cfg->office.address;
	cm.to_name = d->name;
	cm.to_addr = d->email;
	cm.subject = part->subject;
	cm.message_id = msgid;
	cm.date = time(NULL);
	newsletter_local_time(app, cm.date, &tm, &cm.tz_offset_minutes);
	cm.content_language = model_lang_code(lang_of(d->lang));
	cm.text = text;
	cm.html = html;
	cm.list_id = cfg->newsletter.list_id;
	cm.list_name = list_name;
	cm.unsubscribe_mailto = addr;
	cm.unsubscribe_https = url;
	rc = compose_mailing_message(&cm, out, len, err, errlen);
	if (rc == -1 && cm.to_name != NULL) {
		/* A name we cannot put in To: send without it rather than not. */
		cm.to_name = NULL;
		rc = compose_mailing_message(&cm, out, len, err, errlen);
	}
fail:
	free(url);
	free(text);
	free(html);
	free(list_name);
	return rc;
}
