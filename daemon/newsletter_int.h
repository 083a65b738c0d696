/*
 * newsletter_int: what newsletter.c and newsletter_ctx.c share and
 * nobody else uses.  Times are shown in [office] timezone, read through
 * libical (the system tzdata), never through the process's TZ.
 */
#ifndef HP_NEWSLETTER_INT_H
#define HP_NEWSLETTER_INT_H

#include <stddef.h>
#include <time.h>

#include "app.h"

/* Room for "2027-01-15 10:22 (manual)" and any sched label. */
#define NEWSLETTER_LABEL_MAX 64

/* t broken down in the office's zone into *tm (tm_wday and tm_yday not
 * set) and its UTC offset in minutes (offset_min may be NULL).  An
 * unknown zone gives UTC and -1. */
int newsletter_local_time(const struct app *app, time_t t, struct tm *tm,
    int *offset_min);

/* The label of the issue for slot: sched_issue_label of the schedule, or
 * for slot 0 (manual) "YYYY-MM-DD HH:MM (manual)" at now in the office's
 * zone.  out needs NEWSLETTER_LABEL_MAX bytes.  0, or -1 with err. */
int newsletter_issue_label(const struct app *app, time_t slot, time_t now,
    char *out, size_t outlen, char *err, size_t errlen);

#endif
