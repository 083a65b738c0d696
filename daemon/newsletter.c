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
 * Copies are built two ways with the same bytes: newsletter_build_copy
 * renders the whole part into the frame and encodes all of it;
 * newsletter_copier (the sender's way) encodes the part once per
 * mailing and language and per copy only the frame around it.
 *
 * Must not: send mail, or read the registry when a copy is built (a copy
 * needs nothing but its mailing, its part and its delivery row).
 */
#include "newsletter.h"

#include <stdbool.h>
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

/* The frame around the shared part: one template, one copy.  body[0, n)
 * is the part's text without its final line breaks, or the marker. */
static int
render_frame(struct app *app, const struct store_delivery *d,
    const struct store_mailing *m, const char *addr, const char *url,
    const char *tpl, const char *body, size_t n, char **out, char *err,
    size_t errlen)
{
	const struct config *cfg = app->cfg;
	json_t *ctx;
	int rc;

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

/* The length of body without its final line breaks: the frame places
 * the blank lines around it. */
static size_t
body_len(const char *body)
{
	size_t n = strlen(body);

	while (n > 0 && body[n - 1] == '\n')
		n--;
	return n;
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

/* What a copy needs besides its two texts: the header arguments. */
struct copy_env {
	char addr[512], msgid[COMPOSE_MAX_MSGID];
	char *url, *list_name;
	struct compose_mailing cm;	/* text and html left NULL */
};

static void
copy_env_clear(struct copy_env *e)
{
	free(e->url);
	free(e->list_name);
	e->url = e->list_name = NULL;
}

/* Fill e for d's copy of m dated date in a zone tz minutes east of UTC. */
static int
copy_env_init(const struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    time_t date, int tz, struct copy_env *e, char *err, size_t errlen)
{
	const struct config *cfg = app->cfg;
	struct compose_mailing *cm = &e->cm;

	memset(e, 0, sizeof(*e));
	if (newsletter_unsubscribe_address(app, d->unsub_token, e->addr,
	    sizeof(e->addr)) == -1 || copy_message_id(app, m, d, e->msgid,
	    sizeof(e->msgid)) == -1)
		return hp_errf(err, errlen, "no unsubscribe address or Message-ID");
	e->url = unsubscribe_url(app, d->unsub_token);
	e->list_name = xasprintf("%s %s", cfg->office.name ? cfg->office.name :
	    "hanzepost", lang_of(d->lang) == LANG_NL ? "nieuwsbrief" :
	    "newsletter");
	cm->from_name = cfg->office.name;
	cm->from_addr = cfg->office.address;
	cm->to_name = d->name;
	cm->to_addr = d->email;
	cm->subject = part->subject;
	cm->message_id = e->msgid;
	cm->date = date;
	cm->tz_offset_minutes = tz;
	cm->content_language = model_lang_code(lang_of(d->lang));
	cm->list_id = cfg->newsletter.list_id;
	cm->list_name = e->list_name;
	cm->unsubscribe_mailto = e->addr;
	cm->unsubscribe_https = e->url;
	return 0;
}

/* Compose cm (its texts, or the frames when text is not NULL); a name
 * that cannot go in To: is left out rather than the copy not sent. */
static int
copy_compose(struct compose_mailing *cm, const struct compose_frame *text,
    const struct compose_frame *html, char **out, size_t *len, char *err,
    size_t errlen)
{
	for (;;) {
		int rc = text != NULL ?
		    compose_mailing_framed(cm, text, html, out, len, err, errlen) :
		    compose_mailing_message(cm, out, len, err, errlen);
		if (rc == 0 || cm->to_name == NULL)
			return rc;
		cm->to_name = NULL;
	}
}

/* d's copy with the whole part rendered into each frame. */
static int
build_copy_at(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    time_t date, int tz, char **out, size_t *len, char *err, size_t errlen)
{
	struct copy_env e;
	char *text = NULL, *html = NULL;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (copy_env_init(app, m, part, d, date, tz, &e, err, errlen) == -1)
		goto fail;
	if (render_frame(app, d, m, e.addr, e.url, "newsletter-copy.txt",
	    part->text, body_len(part->text), &text, err, errlen) == -1 ||
	    (part->html && render_frame(app, d, m, e.addr, e.url,
	    "newsletter-copy.html", part->html, body_len(part->html), &html, err,
	    errlen) == -1))
		goto fail;
	e.cm.text = text;
	e.cm.html = html;
	rc = copy_compose(&e.cm, NULL, NULL, out, len, err, errlen);
fail:
	copy_env_clear(&e);
	free(text);
	free(html);
	return rc;
}

int
newsletter_build_copy(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct tm tm;
	time_t now = time(NULL);
	int tz = 0;

	newsletter_local_time(app, now, &tm, &tz);
	return build_copy_at(app, m, part, d, now, tz, out, len, err, errlen);
}

/* ---- copies around a body encoded once (newsletter_copier) ----
 *
 * The frame is rendered with a marker in place of the body, split at
 * the marker and handed to compose_mailing_framed with the part's body
 * encoded once (compose_shared).  The marker holds a control character
 * no name or template text has (checked: a value holding it sends that
 * copy the ordinary way) and an '&', so a template that HTML-escapes the
 * body ({{body}}) does not show it and takes the ordinary way too; so
 * does a frame with the body twice or not at all, and an empty body
 * (a {{#body}} section would tell the marker from it).
 */
#define MARKER		"\x1dhanzepost&body\x1d"
#define MARKER_CHAR	'\x1d'

struct newsletter_copier {
	struct app *app;
	const struct store_mailing *m;		/* borrowed */
	const struct store_mailing_part *part;	/* borrowed */
	struct compose_shared *text, *html;	/* NULL: ordinary way */
	time_t zone_at;		/* the second tz_offset was read for */
	int tz_offset;
};

static bool
has_marker_char(const char *s)
{
	return s != NULL && strchr(s, MARKER_CHAR) != NULL;
}

struct newsletter_copier *
newsletter_copier_new(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part)
{
	struct newsletter_copier *c = xcalloc(1, sizeof(*c));
	size_t nt = body_len(part->text);
	size_t nh = part->html ? body_len(part->html) : 0;

	c->app = app;
	c->m = m;
	c->part = part;
	c->zone_at = (time_t)-1;
	if (nt == 0 || (part->html != NULL && nh == 0) ||
	    has_marker_char(m->label) || has_marker_char(app->cfg->office.name) ||
	    has_marker_char(app->cfg->office.address))
		return c;
	c->text = compose_shared_new(part->text, nt);
	if (part->html != NULL)
		c->html = compose_shared_new(part->html, nh);
	return c;
}

void
newsletter_copier_free(struct newsletter_copier *c)
{
	if (c == NULL)
		return;
	compose_shared_free(c->text);
	compose_shared_free(c->html);
	free(c);
}

/* Split the rendered frame s at its one marker into pre (s, cut there)
 * and post.  -1 when the marker is not there exactly once. */
static int
frame_split(char *s, const struct compose_shared *shared,
    struct compose_frame *f)
{
	char *at = strstr(s, MARKER);

	if (at == NULL || strstr(at + 1, MARKER) != NULL)
		return -1;
	*at = '\0';
	f->pre = s;
	f->post = at + strlen(MARKER);
	f->shared = shared;
	return 0;
}

/* The copy the fast way: 0 built, 1 when this copy must go the ordinary
 * way, -1 error. */
static int
copier_try(struct newsletter_copier *c, const struct store_delivery *d,
    time_t date, char **out, size_t *len, char *err, size_t errlen)
{
	struct compose_frame ft, fh;
	struct copy_env e;
	char *text = NULL, *html = NULL;
	int rc = -1;

	if (copy_env_init(c->app, c->m, c->part, d, date, c->tz_offset, &e,
	    err, errlen) == -1)
		goto fail;
	rc = 1;
	if (has_marker_char(d->name) || has_marker_char(d->email) ||
	    has_marker_char(e.addr) || has_marker_char(e.url))
		goto fail;
	if (render_frame(c->app, d, c->m, e.addr, e.url, "newsletter-copy.txt",
	    MARKER, strlen(MARKER), &text, err, errlen) == -1 ||
	    (c->html != NULL && render_frame(c->app, d, c->m, e.addr, e.url,
	    "newsletter-copy.html", MARKER, strlen(MARKER), &html, err,
	    errlen) == -1))
		goto fail;	/* the ordinary way gives the error */
	if (frame_split(text, c->text, &ft) == -1 ||
	    (html != NULL && frame_split(html, c->html, &fh) == -1))
		goto fail;
	rc = copy_compose(&e.cm, &ft, html != NULL ? &fh : NULL, out, len, err,
	    errlen);
fail:
	copy_env_clear(&e);
	free(text);
	free(html);
	return rc;
}

int
newsletter_copier_build(struct newsletter_copier *c,
    const struct store_delivery *d, char **out, size_t *len, char *err,
    size_t errlen)
{
	time_t now = time(NULL);
	struct tm tm;
	int rc = 1;

	*out = NULL;
	*len = 0;
	/* The zone's offset changes at most by the hour: read it once a
	 * second, not once a copy. */
	if (now != c->zone_at) {
		newsletter_local_time(c->app, now, &tm, &c->tz_offset);
		c->zone_at = now;
	}
	if (c->text != NULL)
		rc = copier_try(c, d, now, out, len, err, errlen);
	if (rc == 1)
		rc = build_copy_at(c->app, c->m, c->part, d, now, c->tz_offset,
		    out, len, err, errlen);
	return rc;
}
