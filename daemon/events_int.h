/*
 * events_int: what events.c (submission, moderation) and events_reply.c
 * (cancellation, answers, the attendee list, the newsletter's upcoming
 * events) share and nobody else uses.
 */
#ifndef HP_EVENTS_INT_H
#define HP_EVENTS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "itip.h"
#include "store.h"

/* Log the store's error and say whether it was temporary. */
enum hp_status events_db_status(struct app *app, const char *what);

/* The invitation mailing of kind (EVENTS_KIND_*) for ev: everyone in its
 * audience, or with invited_only those invited before; *n recipients.
 * HP_OK, HP_RETRY, HP_FATAL. */
enum hp_status events_invite(struct app *app, const struct store_event *ev,
    const char *kind, bool invited_only, time_t now, size_t *n);

/* When the event takes place, for people, in lang: "12 juni 2027 10:00 -
 * 16:00 (Europe/Amsterdam)", "12 June 2027" for a one-day event. */
void events_when_text(const struct store_event *ev, enum lang lang,
    char *out, size_t size);

/* The event as the templates see it: event_id, summary, start, end
 * ("YYYY-MM-DD HH:MM" as written, or dates with an inclusive end),
 * timezone (null for all-day), all_day, when, location, description,
 * audience, audience_text (localised), audience_all, state, sequence.
 * A new object. */
json_t *events_event_json(const struct store_event *ev, enum lang lang);

/* The same wall-clock time days later (earlier when negative), for the
 * exclusive end of all-day events (RFC 5545) and its inclusive display. */
struct itip_time events_day_shift(struct itip_time t, int days);

#endif
