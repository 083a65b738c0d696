/* reply: see reply.h. */
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "addr.h"
#include "compose.h"
#include "log.h"
#include "sched.h"
#include "util.h"

int
reply_new_message_id(const struct app *app, char *out, size_t outlen)
{
	unsigned char rnd[16];
	const char *at = strrchr(app->cfg->office.address, '@');

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	compose_message_id(rnd, at ? at + 1 : "localhost", out, outlen);
	return 0;
}

/* Split "Subject: …\n\nbody" into its two parts (pointers into text). */
static void
split_subject(char *text, const char **subject, const char **body)
{
	char *nl;

	*subject = NULL;
	*body = text;
	if (strncasecmp(text, "Subject:", 8) != 0 || (nl = strchr(text, '\n')) == NULL)
		return;
	*nl = '\0';
	*subject = hp_trim(text + 8);
	*body = nl + 1;
	while (**body == '\n')
		(*body)++;
}

/* Date: in the office's zone, like newsletter and invitation copies. */
static int
office_tz_offset(const struct app *app, time_t t)
{
	struct tm tm;
	int offset = 0;

	sched_local_time(app->cfg->office.timezone, t, &tm, &offset);
	return offset;
}

/* Compose the message and add it to the outbox: an answer (kind reply,
 * counted by the rate limit) or a notice of our own (kind mailing). */
static enum hp_status
queue_text(struct app *app, const struct reply_to *to, enum lang lang,
    const char *subject, const char *body, enum store_out_kind kind,
    time_t now)
{
	struct compose_text ct = { 0 };
	char msgid[128], err[256], *data = NULL;
	size_t len;
	int64_t id;
	enum hp_status rc = HP_FATAL;

	if (reply_new_message_id(app, msgid, sizeof(msgid)) == -1) {
		log_warn("reply getrandom");
		return HP_RETRY;
	}
	ct.from_name = app->cfg->office.name;
	ct.from_addr = app->cfg->office.address;
	ct.to_name = to->name;
	ct.to_addr = to->addr;
	ct.subject = subject;
	ct.message_id = msgid;
	ct.date = now;
	ct.tz_offset_minutes = office_tz_offset(app, now);
	ct.in_reply_to = to->in_reply_to;
	ct.references = to->references;
	ct.auto_submitted = kind == STORE_OUT_REPLY ? "auto-replied" :
	    "auto-generated";
	ct.content_language = model_lang_code(lang);
	ct.text = body;
	if (compose_text_message(&ct, &data, &len, err, sizeof(err)) == -1) {
		/* Outside input (a name, a subject) we cannot put in a header:
		 * answer without it rather than not at all. */
		log_warnx("reply compose to=%s: %s; retrying without name", to->addr, err);
		ct.to_name = NULL;
		ct.in_reply_to = NULL;
		ct.references = NULL;
		if (compose_text_message(&ct, &data, &len, err, sizeof(err)) == -1) {
			log_warnx("reply compose to=%s: %s", to->addr, err);
			return HP_OK;
		}
	}
	if (store_outbox_add(app->store, kind,
	    app->cfg->office.bounce_address ?
	    app->cfg->office.bounce_address : app->cfg->office.address,
	    to->addr, msgid, data, len, now, &id) == -1) {
		log_warnx("reply queue to=%s: %s", to->addr, store_error(app->store));
		rc = store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
		goto fail;
	}
	log_info("%s queued to=%s outbox=%lld msgid=<%s>",
	    kind == STORE_OUT_REPLY ? "reply" : "notice", to->addr,
	    (long long)id, msgid);
	rc = HP_OK;
fail:
	free(data);
	return rc;
}

/* "Re: Aw: x" -> "x", so our "Re: " does not pile up on long threads. */
static const char *
strip_reply_prefixes(const char *s)
{
	static const char *const prefixes[] = { "re:", "aw:", "antw:", "fw:",
	    "fwd:", "doorst:" };
	bool again = true;

	while (again) {
		again = false;
		while (*s == ' ' || *s == '\t')
			s++;
		for (size_t i = 0; i < HP_NELEM(prefixes); i++) {
			size_t len = strlen(prefixes[i]);
			if (strncasecmp(s, prefixes[i], len) == 0) {
				s += len;
				again = true;
			}
		}
	}
	return s;
}

/* A subject from outside, made safe to quote in ours: controls become
 * spaces and the length is capped on a UTF-8 boundary. */
static char *
clean_subject(const char *s)
{
	size_t max = 200, n = 0;
	char *out;

	if (s == NULL)
		return xstrdup("");
	s = strip_reply_prefixes(s);
	while (s[n] && n < max)
		n += hp_utf8_seqlen((const unsigned char *)s + n);
	out = xstrndup(s, n);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* Render LANG/template_name (first line "Subject: ...") and queue it. */
static enum hp_status
render_and_queue(struct app *app, const struct reply_to *to, enum lang lang,
    const char *template_name, json_t *ctx, enum store_out_kind kind,
    time_t now)
{
	char err[512], *text = NULL;
	const char *subject, *body;
	enum hp_status rc;

	json_object_set_new(ctx, "office", json_string(app->cfg->office.name ?
	    app->cfg->office.name : app->cfg->office.address));
	json_object_set_new(ctx, "office_address", json_string(app->cfg->office.address));
	if (templates_render(app->templates, lang, template_name, ctx, &text,
	    err, sizeof(err)) == -1) {
		log_warnx("reply %s", err);
		return HP_FATAL;
	}
	split_subject(text, &subject, &body);
	rc = queue_text(app, to, lang, subject ? subject : "hanzepost", body,
	    kind, now);
	free(text);
	return rc;
}

enum hp_status
reply_send(struct app *app, const struct reply_to *to, enum lang lang,
    const char *template_name, json_t *ctx, time_t now)
{
	char *subj;
	unsigned count = 0;

	if (to->addr == NULL || !addr_valid(to->addr)) {
		log_info("reply skipped: no valid address to answer msgid=<%s>",
		    to->in_reply_to ? to->in_reply_to : "");
		return HP_OK;
	}
	if (store_outbox_count_to(app->store, to->addr, now - 3600, &count) == -1)
		return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
	if (count >= app->cfg->limits.replies_per_hour) {
		log_warnx("reply suppressed to=%s: %u replies in the last hour (limit %u)",
		    to->addr, count, app->cfg->limits.replies_per_hour);
		return HP_OK;
	}
	subj = clean_subject(to->subject);
	json_object_set_new(ctx, "subject", json_string(subj));
	json_object_set_new(ctx, "has_subject", json_boolean(*subj != '\0'));
	free(subj);
	json_object_set_new(ctx, "sender_name", to->name ? json_string(to->name) : json_null());
	return render_and_queue(app, to, lang, template_name, ctx,
	    STORE_OUT_REPLY, now);
}

enum hp_status
reply_notify(struct app *app, const char *addr, enum lang lang,
    const char *template_name, json_t *ctx, time_t now)
{
	struct reply_to to = { .addr = addr };

	if (addr == NULL || !addr_valid(addr)) {
		log_warnx("notice %s skipped: invalid address", template_name);
		return HP_OK;
	}
	return render_and_queue(app, &to, lang, template_name, ctx,
	    STORE_OUT_MAILING, now);
}

enum hp_status
reply_queue(struct app *app, const struct msg *m, enum lang lang,
    const char *template_name, json_t *ctx, time_t now)
{
	struct reply_to to = { m->from_addr, m->from_name, m->subject,
	    m->message_id, m->references };

	return reply_send(app, &to, lang, template_name, ctx, now);
}

/* The admins are people; the office address is usually the mailbox this
 * daemon reads, where its own notice would be filed away as automatic
 * mail unseen.  So it is only the fallback. */
enum hp_status
reply_notify_office(struct app *app, const char *template_name, json_t *ctx,
    time_t now)
{
	const struct config *cfg = app->cfg;
	enum hp_status rc = HP_OK;

	if (cfg->office.n_admins == 0)
		return reply_notify(app, cfg->office.address, cfg->office.language,
		    template_name, ctx, now);
	for (size_t i = 0; i < cfg->office.n_admins && rc == HP_OK; i++)
		rc = reply_notify(app, cfg->office.admins[i], cfg->office.language,
		    template_name, ctx, now);
	return rc;
}
