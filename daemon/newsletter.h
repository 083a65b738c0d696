/*
 * newsletter: what an issue says and how one subscriber's copy is built
 * (SPEC §5).  L3 service.  The context of an issue (JSON, jansson) is
 * collected from the store: the editorial intro (Markdown from the office,
 * rendered by libcmark in safe mode to HTML and to text), organisations
 * new since the last issue, changed activities, countries with counts of
 * organisations (names from iso-codes in the subscriber's language),
 * offered internships and upcoming events (empty until events exist).
 *
 * Rendering happens twice, so memory and time stay flat in the number of
 * recipients: the shared body (templates LANG/newsletter.txt and .html,
 * subject from LANG/newsletter-subject.txt) once per language when the
 * issue is created, stored with the mailing; the per-recipient frame
 * (LANG/newsletter-copy.txt and .html: greeting with the name, the body
 * as {{{body}}}, the personal unsubscribe address) for each copy when it
 * is sent.
 *
 * Must not: send mail (mailing/outbox do), or talk to IMAP.
 */
#ifndef HP_NEWSLETTER_H
#define HP_NEWSLETTER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "app.h"
#include "model.h"
#include "store.h"

/* The template context of the next issue in lang at now (a new
 * reference), or NULL with the reason in err. */
json_t *newsletter_context(struct app *app, enum lang lang, time_t now,
    char *err, size_t errlen);

/* Render the shared part of lang (subject, text, html) from ctx into *out
 * (strings new; store_mailing_part_clear).  0, or -1 with err. */
int newsletter_render(struct app *app, json_t *ctx, enum lang lang,
    struct store_mailing_part *out, char *err, size_t errlen);

/* Create an issue now: render every language, then store_mailing_create
 * (kind "newsletter", list "newsletter") with the label of slot (0 =
 * manual).  Returns 0 created (*id, *n_recipients), 1 when slot already
 * has its issue, -1 with err. */
int newsletter_create_issue(struct app *app, time_t slot, time_t now,
    int64_t *id, size_t *n_recipients, char *err, size_t errlen);

/* The daemon's schedule step: when an occurrence of [newsletter]
 * schedule lies between the last scheduled issue (or the installation)
 * and now, create the issue for the latest one (catch-up once).  Returns
 * 1 created, 0 nothing due, -1 error (logged); *next_due = the next
 * occurrence (0 when the series ended). */
int newsletter_schedule_tick(struct app *app, time_t now, time_t *next_due);

/* Build the copy of mailing m for delivery d: frame around part, headers
 * by compose_mailing_message (List-Id, List-Unsubscribe with the personal
 * address, Precedence: bulk).  The Message-ID is derived from m->id and
 * d->id, so a copy sent again after a crash has the same one.  0 with
 * *out (free()) and *len, or -1 with err (the delivery then fails for
 * good: it can never be built). */
int newsletter_build_copy(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    char **out, size_t *len, char *err, size_t errlen);

/*
 * The same copies as newsletter_build_copy, byte for byte, for many
 * deliveries of one mailing in one language: the part's body is
 * checked and encoded once here, and each copy renders and encodes only
 * its own frame (greeting, footer, headers).  A copy whose frame does
 * not hold the body on lines of its own (a template override, an odd
 * name) is built the ordinary way, so the fast path never changes what
 * a subscriber gets.
 *
 * newsletter_copier_new borrows app, m and part (they must outlive the
 * copier) and never fails; the caller frees the copier with
 * newsletter_copier_free (NULL is fine).  newsletter_copier_build has
 * the contract of newsletter_build_copy for delivery d of that mailing
 * and part.
 */
struct newsletter_copier;

struct newsletter_copier *newsletter_copier_new(struct app *app,
    const struct store_mailing *m, const struct store_mailing_part *part);
int newsletter_copier_build(struct newsletter_copier *c,
    const struct store_delivery *d, char **out, size_t *len, char *err,
    size_t errlen);
void newsletter_copier_free(struct newsletter_copier *c);

/* The personal unsubscribe address for token: [office]
 * unsubscribe_address with "-TOKEN" added to the local part
 * (office+unsubscribe-TOKEN@example.org).  0, or -1 when it does not fit. */
int newsletter_unsubscribe_address(const struct app *app, const char *token,
    char *out, size_t outlen);

#endif
