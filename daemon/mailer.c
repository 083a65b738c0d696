/*
 * mailer: see mailer.h.  The single-connection sender (mailer_new /
 * mailer_send) and what it shares with the parallel pool (mailer_pool.c)
 * through mailer_int.h: session options, address checks, reading the
 * server's replies and classifying them.  One curl easy handle per
 * mailer; its connection cache holds the open SMTP connection between
 * sends.
 *
 * What the server said is read from curl's debug stream: the last
 * CURLINFO_HEADER_IN lines are the replies (bounded ring, control
 * characters replaced), and the verb of the last command we sent tells
 * at which step a refusal came (MAIL, RCPT or DATA decide about the
 * message; EHLO, STARTTLS, AUTH about the session).  Outgoing lines are
 * never stored or logged beyond that verb: AUTH carries the password.
 */
#include "mailer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "addr.h"
#include "log.h"
#include "mailer_int.h"
#include "util.h"

#define URL_MAX		1024
#define MAXAGE_CONN_S	55L	/* do not reuse a connection idle for longer */

struct mailer {
	struct mailer_xfer x;
	char *host;			/* for log lines */
};

static bool mailer_curl_ready;

int
mailer_global_init(void)
{
	if (mailer_curl_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	mailer_curl_ready = true;
	return 0;
}

void
mailer_global_cleanup(void)
{
	if (mailer_curl_ready)
		curl_global_cleanup();
	mailer_curl_ready = false;
}

/* ---- curl callbacks ---- */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct mailer_xfer *x = arg;
	size_t n = size * nitems;

	if (n > x->len - x->off)
		n = x->len - x->off;
	memcpy(buf, x->data + x->off, n);
	x->off += n;
	return n;
}

static void
reply_line_done(struct mailer_xfer *x)
{
	char *dst = x->replies[x->n_replies % MAILER_REPLY_RING];
	size_t n = x->partial_len;

	while (n > 0 && (x->partial[n - 1] == '\r' || x->partial[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)x->partial[i];
		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
	x->n_replies++;
	x->partial_len = 0;
}

/* Server replies, one line at a time (a long line is cut, not split). */
static void
reply_feed(struct mailer_xfer *x, const char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			reply_line_done(x);
			continue;
		}
		if (x->partial_len < MAILER_REPLY_MAX - 1)
			x->partial[x->partial_len++] = data[i];
	}
}

/* Keep only the verb of a command we sent, and only a known one: the
 * lines after AUTH are credentials. */
static void
stage_feed(struct mailer_xfer *x, const char *data, size_t size)
{
	static const char *const verbs[] = { "EHLO", "HELO", "STARTTLS", "AUTH",
	    "MAIL", "RCPT", "DATA", "RSET", "NOOP" };
	size_t n = 0;

	while (n < size && n < sizeof(x->stage) - 1 && isalpha((unsigned char)data[n]))
		n++;
	for (size_t i = 0; i < HP_NELEM(verbs); i++)
		if (strlen(verbs[i]) == n && strncasecmp(data, verbs[i], n) == 0) {
			memcpy(x->stage, verbs[i], n + 1);
			return;
		}
	/* QUIT after a failure must not hide the step that failed. */
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mailer_xfer *x = arg;

	if (type == CURLINFO_HEADER_IN)
		reply_feed(x, data, size);
	else if (type == CURLINFO_HEADER_OUT)
		stage_feed(x, data, size);
	return 0;
}

/* ---- configuration ---- */

static bool
host_is_loopback(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 ||
	    strcmp(h, "[::1]") == 0 || strcmp(h, "::1") == 0;
}

static bool
helo_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* Check the URL and put the EHLO name in its path (curl sends the path
 * as the EHLO argument).  *url and *host are the caller's. */
static int
url_build(const struct mailer_config *cfg, char **url, char **host,
    char *err, size_t errlen)
{
	CURLU *u = NULL;
	char *scheme = NULL, *h = NULL, *path = NULL, *full = NULL;
	int rc = -1;

	*url = *host = NULL;
	if (cfg->url == NULL || strlen(cfg->url) > URL_MAX || (u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, cfg->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		hp_errf(err, errlen, "smtp url is not a URL");
		goto fail;
	}
	if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
		hp_errf(err, errlen, "smtp url must start with smtp:// or smtps://");
		goto fail;
	}
	if (!cfg->tls && (strcmp(scheme, "smtps") == 0 || !host_is_loopback(h))) {
		hp_errf(err, errlen, "tls off is only allowed for smtp:// on a loopback host");
		goto fail;
	}
	if (cfg->helo_name != NULL) {
		if (!helo_ok(cfg->helo_name)) {
			hp_errf(err, errlen, "EHLO name is not a host name");
			goto fail;
		}
		path = xasprintf("/%s", cfg->helo_name);
		if (curl_url_set(u, CURLUPART_PATH, path, 0) != CURLUE_OK) {
			hp_errf(err, errlen, "cannot set the EHLO name");
			goto fail;
		}
	}
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		hp_errf(err, errlen, "smtp url is not a URL");
		goto fail;
	}
	*url = xstrdup(full);
	*host = xstrdup(h);
	rc = 0;
fail:
	curl_free(scheme);
	curl_free(h);
	curl_free(full);
	free(path);
	curl_url_cleanup(u);
	return rc;
}

int
mailer_config_check(const struct mailer_config *cfg, char **url,
    char **host, char *err, size_t errlen)
{
	*url = *host = NULL;
	if (mailer_global_init() == -1)
		return hp_errf(err, errlen, "libcurl initialisation failed");
	if (cfg->user != NULL && cfg->password == NULL)
		return hp_errf(err, errlen, "smtp user is set but no password");
	if (cfg->ca_file != NULL && access(cfg->ca_file, R_OK) != 0)
		return hp_errf(err, errlen, "ca_file %s is not readable", cfg->ca_file);
	return url_build(cfg, url, host, err, errlen);
}

/* Options that stay the same for every transfer. */
static CURLcode
setup_session(struct mailer_xfer *x, const struct mailer_config *cfg,
    const char *url, long maxconnects)
{
	CURL *c = x->curl;
	long t = cfg->timeout_s ? (long)cfg->timeout_s : 60L;
	CURLcode r = CURLE_OK;

#define SET(opt, val) if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, cfg->tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file != NULL) {
		/* GnuTLS adds CAINFO to /etc/ssl/certs unless CAPATH is unset
		 * (notes/libraries.md §3.2): trust only the configured file. */
		SET(CURLOPT_CAINFO, cfg->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	if (cfg->user != NULL) {
		SET(CURLOPT_USERNAME, cfg->user);
		SET(CURLOPT_PASSWORD, cfg->password);
	}
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, t);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, t);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, t);
	SET(CURLOPT_MAXAGE_CONN, MAXAGE_CONN_S);
	SET(CURLOPT_MAXCONNECTS, maxconnects);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, x);
	SET(CURLOPT_VERBOSE, 1L);	/* feeds debug_cb; nothing is printed */
#undef SET
	return r;
}

int
mailer_xfer_init(struct mailer_xfer *x, const struct mailer_config *cfg,
    const char *url, const char *host, long maxconnects, char *err,
    size_t errlen)
{
	CURLcode r;

	x->host = host;
	if ((x->curl = curl_easy_init()) == NULL)
		return hp_errf(err, errlen, "curl_easy_init failed");
	if ((r = setup_session(x, cfg, url, maxconnects)) != CURLE_OK)
		return hp_errf(err, errlen, "libcurl option: %s", curl_easy_strerror(r));
	return 0;
}

void
mailer_xfer_cleanup(struct mailer_xfer *x)
{
	if (x->curl != NULL)
		curl_easy_cleanup(x->curl);	/* QUIT on a connection it owns */
	curl_slist_free_all(x->rcpts);
	x->curl = NULL;
	x->rcpts = NULL;
}

/* ---- one transfer ---- */

static void
result_set(struct mailer_result *res, enum mailer_verdict v, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
result_set(struct mailer_result *res, enum mailer_verdict v, int code,
    const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	res->smtp_code = code;
	va_start(ap, fmt);
	vsnprintf(res->reply, sizeof(res->reply), fmt, ap);
	va_end(ap);
}

/* The newest reply line of this transfer that carries code, or NULL. */
static const char *
reply_for(const struct mailer_xfer *x, long code)
{
	size_t n = x->n_replies < MAILER_REPLY_RING ? x->n_replies : MAILER_REPLY_RING;
	char want[8];

	snprintf(want, sizeof(want), "%03ld", code);
	for (size_t k = 0; k < n; k++) {
		const char *line = x->replies[(x->n_replies - 1 - k) % MAILER_REPLY_RING];
		if (strncmp(line, want, 3) == 0)
			return line;
	}
	return NULL;
}

/* The last session failure logged as a warning; cleared by a success.
 * A server that stays away fails every connection of every round the
 * same way: the first says so, the rest only in debug (SPEC §8: logged
 * once, retried). */
static char last_session_failure[256];

static void
log_session_failure(const struct mailer_xfer *x, CURLcode rc,
    const char *reply)
{
	const char *stage = x->stage[0] != '\0' ? x->stage : "connect";
	char key[sizeof(last_session_failure)];

	snprintf(key, sizeof(key), "%.64s %.16s %.160s", x->host, stage, reply);
	if (strcmp(key, last_session_failure) == 0) {
		log_debug("mailer host=%s session failed again at=%s curl=%d: %s",
		    x->host, stage, (int)rc, reply);
		return;
	}
	hp_strlcpy(last_session_failure, key, sizeof(last_session_failure));
	log_warnx("mailer host=%s session failed at=%s curl=%d: %s", x->host,
	    stage, (int)rc, reply);
}

/* A failed transfer: a verdict on this message when MAIL, RCPT or DATA
 * was answered 4xx/5xx, otherwise the session failed (nothing decided). */
static void
classify_failure(struct mailer_xfer *x, CURLcode rc, long code,
    struct mailer_result *res)
{
	const char *line = code >= 400 && code <= 599 ? reply_for(x, code) : NULL;
	const char *why = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
	bool at_mail = strcmp(x->stage, "MAIL") == 0;

	if (line != NULL && (at_mail || strcmp(x->stage, "RCPT") == 0 ||
	    strcmp(x->stage, "DATA") == 0)) {
		/* 503 is a sequence error on our side of the protocol, and a
		 * refused sender is our configuration: neither is a verdict
		 * about the recipient. */
		bool perm = code / 100 == 5 && code != 503 && (!at_mail || code == 552);
		result_set(res, perm ? MAILER_PERMFAIL : MAILER_TEMPFAIL, (int)code,
		    "%s", line);
		if (code == 503)
			log_warnx("mailer host=%s protocol state error at=%s, next send "
			    "reconnects: %s", x->host, x->stage, line);
		else if (at_mail && code / 100 == 5 && !perm)
			log_warnx("mailer host=%s sender refused: %s", x->host, line);
		return;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		result_set(res, MAILER_TEMPFAIL, 0, "TLS certificate verification "
		    "failed (configuration: smtp ca_file or the server's certificate; "
		    "kept for retry): %s", why);
	else if (rc == CURLE_USE_SSL_FAILED)
		result_set(res, MAILER_TEMPFAIL, 0, "the server offers no STARTTLS "
		    "and TLS is required (configuration: smtp url / tls): %s", why);
	else if (line != NULL)
		result_set(res, MAILER_TEMPFAIL, 0, "%s (at %s)", line,
		    x->stage[0] != '\0' ? x->stage : "greeting");
	else
		result_set(res, MAILER_TEMPFAIL, 0, "%s", why);
	log_session_failure(x, rc, res->reply);
}

int
mailer_xfer_begin(struct mailer_xfer *x, const char *from, const char *rcpt,
    const char *data, size_t len, struct mailer_result *res)
{
	CURLcode rc;

	memset(res, 0, sizeof(*res));
	if (from == NULL || rcpt == NULL || !addr_valid(from) || !addr_valid(rcpt)) {
		result_set(res, MAILER_PERMFAIL, 0, "invalid address");
		return -1;
	}
	if (data == NULL || len == 0) {
		result_set(res, MAILER_PERMFAIL, 0, "empty message");
		return -1;
	}
	curl_slist_free_all(x->rcpts);
	if ((x->rcpts = curl_slist_append(NULL, rcpt)) == NULL) {
		result_set(res, MAILER_TEMPFAIL, 0, "out of memory");
		return -1;
	}
	x->data = data;
	x->len = len;
	x->off = 0;
	x->n_replies = 0;
	x->partial_len = 0;
	x->stage[0] = '\0';
	x->errbuf[0] = '\0';
	if ((rc = curl_easy_setopt(x->curl, CURLOPT_MAIL_FROM, from)) != CURLE_OK ||
	    (rc = curl_easy_setopt(x->curl, CURLOPT_MAIL_RCPT, x->rcpts)) != CURLE_OK ||
	    (rc = curl_easy_setopt(x->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len)) != CURLE_OK ||
	    (rc = curl_easy_setopt(x->curl, CURLOPT_FRESH_CONNECT, x->fresh ? 1L : 0L)) != CURLE_OK) {
		result_set(res, MAILER_TEMPFAIL, 0, "libcurl option: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void
mailer_xfer_finish(struct mailer_xfer *x, CURLcode rc, struct mailer_result *res)
{
	long code = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		result_set(res, MAILER_SENT, (int)code, "%s", reply_for(x, code) ?
		    reply_for(x, code) : "accepted");
		last_session_failure[0] = '\0';
	} else
		classify_failure(x, rc, code, res);
	curl_easy_getinfo(x->curl, CURLINFO_NUM_CONNECTS, &res->connects);
	/* After any failure the connection's state is unknown (finding #7). */
	x->fresh = rc != CURLE_OK;
	log_debug("mailer host=%s to=%s code=%d connects=%ld verdict=%s", x->host,
	    x->rcpts->data, res->smtp_code, res->connects,
	    res->verdict == MAILER_SENT ? "sent" :
	    res->verdict == MAILER_TEMPFAIL ? "tempfail" : "permfail");
	curl_easy_setopt(x->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(x->rcpts);
	x->rcpts = NULL;
	x->data = NULL;
}

bool
mailer_xfer_nested_mail(const struct mailer_xfer *x,
    const struct mailer_result *res)
{
	return res->smtp_code == 503 && strcmp(x->stage, "MAIL") == 0;
}

/* ---- the single-connection sender ---- */

int
mailer_new(const struct mailer_config *cfg, struct mailer **out, char *err,
    size_t errlen)
{
	struct mailer *m = NULL;
	char *url = NULL;

	*out = NULL;
	m = xcalloc(1, sizeof(*m));
	if (mailer_config_check(cfg, &url, &m->host, err, errlen) == -1)
		goto fail;
	/* One cached connection: FRESH_CONNECT alone leaves the connection
	 * of a failed transaction in curl's cache, and a later send picked
	 * it up and got "503 nested MAIL command" (seen against Postfix).
	 * With one slot the fresh connection evicts it. */
	if (mailer_xfer_init(&m->x, cfg, url, m->host, 1L, err, errlen) == -1)
		goto fail;
	free(url);
	*out = m;
	return 0;
fail:
	free(url);
	mailer_free(m);
	return -1;
}

void
mailer_send(struct mailer *m, const char *from, const char *rcpt,
    const char *data, size_t len, struct mailer_result *res)
{
	if (mailer_xfer_begin(&m->x, from, rcpt, data, len, res) == -1)
		return;
	mailer_xfer_finish(&m->x, curl_easy_perform(m->x.curl), res);
}

void
mailer_free(struct mailer *m)
{
	if (m == NULL)
		return;
	mailer_xfer_cleanup(&m->x);
	free(m->host);
	free(m);
}
