/*
 * events: events from submission to the answers (SPEC §3 Events, §7).
 * L3 service, inside the caller's transaction.
 *
 * An event arrives as an event form or an attached .ics export.  One that
 * an authenticated office address submits is approved by that act; any
 * other waits for the office or the ambassador of the submitter's sector
 * (a pending action of kind "event", approved or rejected by token).  The
 * submitter hears the Event-Id (the event's UID) and the outcome.
 * Approval creates the invitation mailing for the event's audience; an
 * update (Event-Id given, by the organiser or the office) raises SEQUENCE
 * and re-invites everyone invited; `cancel EVENT-ID` sends METHOD:CANCEL.
 * Answers (METHOD:REPLY) are recorded per attendee, newest SEQUENCE and
 * DTSTAMP winning.
 *
 * The copies themselves are built by events_build_copy when the mailing
 * is delivered (mailing.c), so rate, retries and crash safety are the
 * outbox's.
 */
#ifndef HP_EVENTS_H
#define HP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "app.h"
#include "commands.h"
#include "msg.h"
#include "store.h"

/* Mailing kinds of invitations. */
#define EVENTS_KIND_REQUEST	"invitation"
#define EVENTS_KIND_CANCEL	"cancellation"

/* The event form or .ics of r->m: store it and either approve it (an
 * authenticated office address) or hold it for moderation.  Sets "event"
 * in r->ctx for the reply; *outcome "event_pending", "event_approved",
 * "event_updated" or "rejected" (static).  HP_OK, HP_REJECT (the form
 * has errors, reported in the context), HP_RETRY, HP_FATAL. */
enum hp_status events_submit(struct request *r, const char **outcome);

/* The approved pending action p of kind "event": approve the event and
 * create its invitations (or, with reject, mark it rejected).  Fills
 * outcome for the submitter's answer. */
enum hp_status events_decide(struct app *app, const struct store_pending *p,
    bool reject, const char *by, time_t now, json_t *outcome);

/* `cancel EVENT-ID` from r's sender: the organiser of the event or an
 * office address, authenticated.  Adds its result to item. */
enum hp_status events_cancel(struct request *r, const char *event_id,
    json_t *item);

/* `attendees EVENT-ID`: the answers, for the organiser or the office. */
enum hp_status events_attendees(struct request *r, const char *event_id,
    json_t *item);

/* A METHOD:REPLY in m (classify: CLASS_CALENDAR_REPLY): record the
 * answer.  *outcome "rsvp" when recorded, "rsvp_old" when outdated,
 * "rsvp_unknown" for an unknown UID or a non-invitee, "rsvp_unreadable"
 * for a calendar we cannot read (TNEF-only: reported to the office);
 * each logged.  HP_OK, HP_RETRY. */
enum hp_status events_handle_reply(struct app *app, const struct msg *m,
    time_t now, const char **outcome);

/* Build the copy of invitation mailing m for delivery d (mailing.c's
 * builder for EVENTS_KIND_REQUEST and EVENTS_KIND_CANCEL): the event's
 * current calendar for that attendee, fresh DTSTAMP, in the MIME shape of
 * SPEC §7.  Same contract as newsletter_build_copy. */
int events_build_copy(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    char **out, size_t *len, char *err, size_t errlen);

/* Upcoming approved events with their answer counts, for the newsletter
 * context: a JSON array of {summary, start, end, location, event_id,
 * accepted, declined, tentative, invited}; NULL on a store error. */
json_t *events_upcoming_json(struct app *app, enum lang lang, time_t now);

#endif
