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
 * mailing and language, renders the frame templates once per language
 * and "name or none", and per copy only fills the subscriber's values
 * into the frame and encodes the frame's own lines.
 *
 * Must not: send mail, or read the registry when a copy is built (a copy
 * needs nothing but its mailing, its part and its delivery row).
 */
#include "newsletter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compose.h"
#include "log.h"
#include "newsletter_int.h"
#include "sched.h"
#include "tpl.h"
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
 * The frame is rendered with a marker in place of the body (and of the
 * per-copy values, below), split at the marker and handed to
 * compose_mailing_framed with the part's body
 * encoded once (compose_shared).  The marker holds a control character
 * no name or template text has (checked: a value holding it sends that
 * copy the ordinary way) and an '&', so a template that HTML-escapes the
 * body ({{body}}) does not show it and takes the ordinary way too; so
 * does a frame with the body twice or not at all, and an empty body
 * (a {{#body}} section would tell the marker from it).
 */
#define MARKER		"\x1dhanzepost&body\x1d"
#define MARKER_CHAR	'\x1d'

/* ---- frames rendered once (per language and name or none) ----
 *
 * The per-copy values (name, address, unsubscribe address and URL) are
 * rendered as markers too, so one rendering of each frame serves every
 * copy with the same shape: a marker is replaced by the value as it is,
 * or HTML-escaped exactly as tpl does ({{x}} in an .html template); the
 * '&' in each marker tells which (tpl writes it as "&amp;").  Only
 * truthiness could tell a marker from its value in a template, so the
 * shape is the language and whether the name is empty (the address and
 * the unsubscribe address never are; the URL is there for all or none).
 * A frame with a marker in any other form, or without the body marker
 * exactly once as it is, is not cached: those copies take the per-copy
 * rendering, which decides as before.
 */
enum frame_val { FV_NAME, FV_EMAIL, FV_ADDR, FV_URL, FV_COUNT };

#define VAL_MARK	"\x1dhanzepost&v%d\x1d"
#define VAL_MARK_ESC	"\x1dhanzepost&amp;v%d\x1d"

/* A literal run of the rendered frame, or a value (val >= 0). */
struct frame_piece {
	const char *p;
	size_t n;
	int val;
	bool esc;
};

/* One rendered frame: pieces[0, body) before the body, the rest after. */
struct frame_form {
	char *text;
	struct frame_piece *pieces;
	size_t n, body;
};

/* Both frames of one shape; html.text NULL when the part has no HTML. */
struct frame_shape {
	bool tried, ok;
	struct frame_form text, html;
};

struct newsletter_copier {
	struct app *app;
	const struct store_mailing *m;		/* borrowed */
	const struct store_mailing_part *part;	/* borrowed */
	struct compose_shared *text, *html;	/* NULL: ordinary way */
	struct frame_shape shapes[LANG_COUNT][2];	/* [lang][name given] */
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

static void
frame_form_clear(struct frame_form *f)
{
	free(f->text);
	free(f->pieces);
	memset(f, 0, sizeof(*f));
}

static void
frame_shape_clear(struct frame_shape *sh)
{
	frame_form_clear(&sh->text);
	frame_form_clear(&sh->html);
	sh->tried = sh->ok = false;
}

static void
piece_add(struct frame_form *f, const char *p, size_t n, int val, bool esc)
{
	if (n == 0 && val < 0)
		return;
	f->pieces = xreallocarray(f->pieces, f->n + 1, sizeof(*f->pieces));
	f->pieces[f->n++] = (struct frame_piece){ p, n, val, esc };
}

/* The marker at s (a MARKER_CHAR): its value and form, or -1 for the
 * body marker as it is (val FV_COUNT), -2 for anything else. */
static int
marker_at(const char *s, int *val, bool *esc, size_t *len)
{
	char m[64];

	if (strncmp(s, MARKER, strlen(MARKER)) == 0) {
		*val = FV_COUNT;
		*len = strlen(MARKER);
		return 0;
	}
	for (int v = 0; v < FV_COUNT; v++)
		for (int e = 0; e < 2; e++) {
			snprintf(m, sizeof(m), e ? VAL_MARK_ESC : VAL_MARK, v);
			if (strncmp(s, m, strlen(m)) == 0) {
				*val = v;
				*esc = e;
				*len = strlen(m);
				return 0;
			}
		}
	return -1;
}

/* Cut f->text (rendered with markers) into pieces: 0, or -1 when it is
 * not a frame the cache can serve. */
static int
frame_form_parse(struct frame_form *f)
{
	const char *s = f->text, *at;
	bool body = false;

	while ((at = strchr(s, MARKER_CHAR)) != NULL) {
		int val;
		bool esc = false;
		size_t len;
		if (marker_at(at, &val, &esc, &len) == -1)
			return -1;
		piece_add(f, s, (size_t)(at - s), -1, false);
		if (val == FV_COUNT) {
			if (body)
				return -1;
			body = true;
			f->body = f->n;
		} else
			piece_add(f, NULL, 0, val, esc);
		s = at + len;
	}
	piece_add(f, s, strlen(s), -1, false);
	return body ? 0 : -1;
}

/* Render both frames of a shape with markers for every per-copy value. */
static void
frame_shape_make(struct newsletter_copier *c, struct frame_shape *sh,
    enum lang lang, bool named)
{
	char mk[FV_COUNT][64];
	struct store_delivery d;
	char err[256];

	sh->tried = true;
	for (int v = 0; v < FV_COUNT; v++)
		snprintf(mk[v], sizeof(mk[v]), VAL_MARK, v);
	memset(&d, 0, sizeof(d));
	d.name = named ? mk[FV_NAME] : NULL;
	d.email = mk[FV_EMAIL];
	d.lang = (char *)model_lang_code(lang);
	if (render_frame(c->app, &d, c->m, mk[FV_ADDR],
	    c->app->cfg->newsletter.unsubscribe_url != NULL &&
	    *c->app->cfg->newsletter.unsubscribe_url != '\0' ? mk[FV_URL] : NULL,
	    "newsletter-copy.txt", MARKER, strlen(MARKER), &sh->text.text, err,
	    sizeof(err)) == -1 || frame_form_parse(&sh->text) == -1)
		return;
	if (c->html != NULL && (render_frame(c->app, &d, c->m, mk[FV_ADDR],
	    c->app->cfg->newsletter.unsubscribe_url != NULL &&
	    *c->app->cfg->newsletter.unsubscribe_url != '\0' ? mk[FV_URL] : NULL,
	    "newsletter-copy.html", MARKER, strlen(MARKER), &sh->html.text, err,
	    sizeof(err)) == -1 || frame_form_parse(&sh->html) == -1))
		return;
	sh->ok = true;
}

/* pieces[from, to) of f with the values vals into a new string. */
static char *
frame_fill(const struct frame_form *f, size_t from, size_t to,
    const char *const vals[FV_COUNT])
{
	struct buf b;
	int bad = 0;

	buf_init(&b, COMPOSE_MAX_BODY);
	for (size_t i = from; i < to; i++) {
		const struct frame_piece *pc = &f->pieces[i];
		const char *v = pc->val >= 0 ? vals[pc->val] : NULL;
		if (pc->val < 0)
			bad |= buf_append(&b, pc->p, pc->n);
		else if (v != NULL && pc->esc)
			bad |= tpl_html_escape(&b, v, strlen(v));
		else if (v != NULL)
			bad |= buf_puts(&b, v);
	}
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b, NULL);
}

void
newsletter_copier_free(struct newsletter_copier *c)
{
	if (c == NULL)
		return;
	compose_shared_free(c->text);
	compose_shared_free(c->html);
	for (int l = 0; l < LANG_COUNT; l++)
		for (int k = 0; k < 2; k++)
			frame_shape_clear(&c->shapes[l][k]);
	free(c);
}

/* A value that may go into a frame through the cache: what render_frame
 * would accept (UTF-8) and cannot be mistaken for a marker. */
static bool
value_ok(const char *v)
{
	return v == NULL || (!has_marker_char(v) && hp_utf8_valid(v, strlen(v)));
}

/* Both frames of d's copy from the cache into fr (text before and after
 * the body, then HTML likewise; new strings, the caller frees them
 * whatever the result): 0, or 1 when this copy must go the ordinary way. */
static int
frames_fill(struct newsletter_copier *c, const struct store_delivery *d,
    const struct copy_env *e, char *fr[4])
{
	const char *vals[FV_COUNT] = { d->name, d->email, e->addr, e->url };
	bool named = d->name != NULL && d->name[0] != '\0';
	enum lang lang = lang_of(d->lang);
	struct frame_shape *sh = &c->shapes[lang][named];

	if (!value_ok(d->name) || !value_ok(d->email) || !value_ok(e->addr) ||
	    !value_ok(e->url))
		return 1;
	if (!sh->tried)
		frame_shape_make(c, sh, lang, named);
	if (!sh->ok)
		return 1;
	fr[0] = frame_fill(&sh->text, 0, sh->text.body, vals);
	fr[1] = frame_fill(&sh->text, sh->text.body, sh->text.n, vals);
	if (sh->html.text != NULL) {
		fr[2] = frame_fill(&sh->html, 0, sh->html.body, vals);
		fr[3] = frame_fill(&sh->html, sh->html.body, sh->html.n, vals);
	}
	if (fr[0] == NULL || fr[1] == NULL || (sh->html.text != NULL &&
	    (fr[2] == NULL || fr[3] == NULL)))
		return 1;
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
	char *fr[4] = { NULL, NULL, NULL, NULL };
	int rc = -1;

	if (copy_env_init(c->app, c->m, c->part, d, date, c->tz_offset, &e,
	    err, errlen) == -1)
		goto fail;
	if ((rc = frames_fill(c, d, &e, fr)) != 0)
		goto fail;
	ft = (struct compose_frame){ fr[0], fr[1], c->text };
	fh = (struct compose_frame){ fr[2], fr[3], c->html };
	rc = copy_compose(&e.cm, &ft, fr[2] != NULL ? &fh : NULL, out, len,
	    err, errlen);
fail:
	copy_env_clear(&e);
	for (int i = 0; i < 4; i++)
		free(fr[i]);
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
