/*
 * mailer_pool: see mailer.h (the parallel pool).  Each slot is one easy
 * handle (struct mailer_xfer from mailer_int.h, set up exactly like the
 * single sender's) kept for the pool's life, so every send of a slot
 * goes through the same multi handle whose connection cache keeps up to
 * `slots` SMTP connections open between messages.
 *
 * A slot is idle, running (inside the multi handle) or done (finished,
 * result waiting for mailer_pool_wait).  Must not: know what is sent or
 * why, retry anything but the 503 at MAIL FROM documented in mailer.h,
 * or sleep beyond the timeout it was given.
 */
#include "mailer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "mailer_int.h"
#include "util.h"

#define POOL_SLOTS_MAX	64

enum slot_state { SLOT_IDLE, SLOT_RUNNING, SLOT_DONE };

struct pool_slot {
	struct mailer_xfer x;
	enum slot_state state;
	void *cookie;
	const char *from, *rcpt;	/* borrowed, for a re-send after 503 */
	unsigned nested;		/* re-sends so far after 503 at MAIL */
	struct mailer_result res;	/* valid in SLOT_DONE */
};

struct mailer_pool {
	CURLM *multi;
	char *host;
	struct pool_slot *slots;
	unsigned n_slots;
};

/* Shared by every handle of the multi: the connection pool's size. */
static int
multi_setup(struct mailer_pool *p, char *err, size_t errlen)
{
	long n = (long)p->n_slots;

	if ((p->multi = curl_multi_init()) == NULL)
		return hp_errf(err, errlen, "curl_multi_init failed");
	if (curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, n) != CURLM_OK ||
	    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n) != CURLM_OK ||
	    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, n) != CURLM_OK)
		return hp_errf(err, errlen, "libcurl multi option failed");
	return 0;
}

int
mailer_pool_new(const struct mailer_config *cfg, unsigned slots,
    struct mailer_pool **out, char *err, size_t errlen)
{
	struct mailer_pool *p = NULL;
	char *url = NULL;

	*out = NULL;
	if (slots == 0 || slots > POOL_SLOTS_MAX)
		return hp_errf(err, errlen, "smtp concurrency must be 1..%d", POOL_SLOTS_MAX);
	p = xcalloc(1, sizeof(*p));
	p->slots = xcalloc(slots, sizeof(*p->slots));
	p->n_slots = slots;
	if (mailer_config_check(cfg, &url, &p->host, err, errlen) == -1 ||
	    multi_setup(p, err, errlen) == -1)
		goto fail;
	for (unsigned i = 0; i < slots; i++) {
		struct mailer_xfer *x = &p->slots[i].x;
		if (mailer_xfer_init(x, cfg, url, p->host, (long)slots, err, errlen) == -1 ||
		    curl_easy_setopt(x->curl, CURLOPT_PRIVATE, &p->slots[i]) != CURLE_OK) {
			hp_errf(err, errlen, "libcurl easy handle setup failed");
			goto fail;
		}
	}
	free(url);
	*out = p;
	return 0;
fail:
	free(url);
	mailer_pool_free(p);
	return -1;
}

unsigned
mailer_pool_idle(const struct mailer_pool *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n_slots; i++)
		n += p->slots[i].state == SLOT_IDLE;
	return n;
}

unsigned
mailer_pool_busy(const struct mailer_pool *p)
{
	return p->n_slots - mailer_pool_idle(p);
}

/* A slot's send finished without the multi handle (refused locally, or
 * libcurl failed): its result waits for mailer_pool_wait. */
static void
slot_done_local(struct pool_slot *s, const char *why)
{
	if (why != NULL) {
		memset(&s->res, 0, sizeof(s->res));
		s->res.verdict = MAILER_TEMPFAIL;
		hp_strlcpy(s->res.reply, why, sizeof(s->res.reply));
	}
	s->state = SLOT_DONE;
}

/* Prepare the slot's handle for its send and hand it to the multi. */
static void
slot_start(struct mailer_pool *p, struct pool_slot *s, const void *data,
    size_t len)
{
	if (mailer_xfer_begin(&s->x, s->from, s->rcpt, data, len, &s->res) == -1) {
		slot_done_local(s, NULL);
		return;
	}
	if (curl_multi_add_handle(p->multi, s->x.curl) != CURLM_OK) {
		log_warnx("mailer host=%s cannot start a transfer", p->host);
		s->x.fresh = true;
		slot_done_local(s, "libcurl could not start the transfer");
		return;
	}
	s->state = SLOT_RUNNING;
}

int
mailer_pool_send(struct mailer_pool *p, const char *from, const char *rcpt,
    const char *data, size_t len, void *cookie)
{
	struct pool_slot *s = NULL;

	for (unsigned i = 0; i < p->n_slots && s == NULL; i++)
		if (p->slots[i].state == SLOT_IDLE)
			s = &p->slots[i];
	if (s == NULL)
		return -1;
	s->cookie = cookie;
	s->from = from;
	s->rcpt = rcpt;
	s->nested = 0;
	slot_start(p, s, data, len);
	return 0;
}

/* A transfer of the multi handle ended with rc: classify it, or send it
 * again on a fresh connection after a 503 at MAIL FROM. */
static void
slot_finished(struct mailer_pool *p, struct pool_slot *s, CURLcode rc)
{
	const char *data = s->x.data;
	size_t len = s->x.len;

	curl_multi_remove_handle(p->multi, s->x.curl);
	mailer_xfer_finish(&s->x, rc, &s->res);
	if (mailer_xfer_nested_mail(&s->x, &s->res) &&
	    s->nested < MAILER_POOL_NESTED_RETRIES) {
		/* finish set x.fresh: the re-send opens its own connection. */
		s->nested++;
		slot_start(p, s, data, len);
		return;
	}
	s->state = SLOT_DONE;
}

static void
collect_finished(struct mailer_pool *p)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		char *priv = NULL;
		struct pool_slot *s;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		s = (struct pool_slot *)(void *)priv;
		if (s != NULL && s->state == SLOT_RUNNING)
			slot_finished(p, s, msg->data.result);
	}
}

/* libcurl itself failed: end every running send without a verdict. */
static void
fail_running(struct mailer_pool *p, const char *what, int code)
{
	log_warnx("mailer host=%s %s failed: %d", p->host, what, code);
	for (unsigned i = 0; i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];
		if (s->state != SLOT_RUNNING)
			continue;
		curl_multi_remove_handle(p->multi, s->x.curl);
		s->x.fresh = true;
		slot_done_local(s, "libcurl multi interface failed");
	}
}

static bool
take_done(struct mailer_pool *p, void **cookie, struct mailer_result *res)
{
	for (unsigned i = 0; i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];
		if (s->state != SLOT_DONE)
			continue;
		*cookie = s->cookie;
		*res = s->res;
		s->state = SLOT_IDLE;
		s->cookie = NULL;
		s->from = s->rcpt = NULL;
		return true;
	}
	return false;
}

int
mailer_pool_wait(struct mailer_pool *p, int timeout_ms, void **cookie,
    struct mailer_result *res)
{
	int64_t deadline = (hp_monotonic_us() / 1000) + (timeout_ms > 0 ? timeout_ms : 0);
	int running;
	CURLMcode mc;

	for (;;) {
		if (take_done(p, cookie, res))
			return 1;
		if ((mc = curl_multi_perform(p->multi, &running)) != CURLM_OK) {
			fail_running(p, "curl_multi_perform", (int)mc);
			continue;
		}
		collect_finished(p);
		if (take_done(p, cookie, res))
			return 1;
		int64_t left = deadline - (hp_monotonic_us() / 1000);
		if (left <= 0)
			return 0;
		if ((mc = curl_multi_poll(p->multi, NULL, 0, (int)left, NULL)) != CURLM_OK)
			fail_running(p, "curl_multi_poll", (int)mc);
	}
}

void
mailer_pool_free(struct mailer_pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; p->slots != NULL && i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];
		if (s->state == SLOT_RUNNING)
			curl_multi_remove_handle(p->multi, s->x.curl);
	}
	/* The multi handle owns the connections: cleaning it up first sends
	 * QUIT on each; then the easy handles have nothing left to close. */
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	for (unsigned i = 0; p->slots != NULL && i < p->n_slots; i++)
		mailer_xfer_cleanup(&p->slots[i].x);
	free(p->slots);
	free(p->host);
	free(p);
}
