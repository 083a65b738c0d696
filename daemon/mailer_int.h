/*
 * mailer_int: what mailer.c (one connection, blocking) and mailer_pool.c
 * (libcurl multi, many connections) share, so the session options (TLS,
 * verification, timeouts), the address checks and the classification of
 * the server's answer exist once.  Private to those two files: the only
 * ones that include curl/curl.h.
 *
 * A struct mailer_xfer is one curl easy handle with the state of the
 * transfer it carries: the message being uploaded, the server's reply
 * lines seen on the debug stream (bounded ring, control characters
 * replaced) and the verb of the last command sent.  It is reused for many
 * transfers, so curl can reuse its connection.
 */
#ifndef HP_MAILER_INT_H
#define HP_MAILER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "mailer.h"

#define MAILER_REPLY_RING	4	/* the final reply may be followed by QUIT's 221 */
#define MAILER_REPLY_MAX	512

struct mailer_xfer {
	CURL *curl;
	const char *host;		/* borrowed, for log lines */
	bool fresh;			/* next transfer on a new connection */
	struct curl_slist *rcpts;	/* the one recipient of this transfer */
	/* the message being sent (borrowed) */
	const char *data;
	size_t len, off;
	/* what the debug stream told us about this transfer */
	char replies[MAILER_REPLY_RING][MAILER_REPLY_MAX];
	size_t n_replies;
	char partial[MAILER_REPLY_MAX];
	size_t partial_len;
	char stage[12];			/* verb of the last command sent */
	char errbuf[CURL_ERROR_SIZE];
};

/* Check cfg as mailer_new documents (libcurl initialised, URL, tls off
 * only on loopback, ca_file readable, user with password, EHLO name) and
 * build the URL curl gets (EHLO name as its path).  0 with *url and
 * *host new (free both), or -1 with err. */
int mailer_config_check(const struct mailer_config *cfg, char **url,
    char **host, char *err, size_t errlen);

/* Create x's easy handle with every option that stays the same across
 * transfers (url as from mailer_config_check; host borrowed for logs;
 * maxconnects is the handle's own cache size, ignored inside a multi).
 * x must be zeroed.  0, or -1 with err (x is then safe to clean up). */
int mailer_xfer_init(struct mailer_xfer *x, const struct mailer_config *cfg,
    const char *url, const char *host, long maxconnects, char *err,
    size_t errlen);

/* Prepare the next transfer of data[0, len) from `from` to `rcpt`
 * (data borrowed until mailer_xfer_finish).  Both addresses must pass
 * addr_valid.  0 when the handle is ready to run, or -1 with *res set
 * (PERMFAIL "invalid address" / "empty message", TEMPFAIL for a curl
 * option that failed): then nothing is to be run or finished. */
int mailer_xfer_begin(struct mailer_xfer *x, const char *from,
    const char *rcpt, const char *data, size_t len,
    struct mailer_result *res);

/* Classify the transfer curl finished with rc (mailer_send's rules in
 * mailer.h) into *res, remember that the next transfer needs a fresh
 * connection after any failure, and release the transfer's recipient. */
void mailer_xfer_finish(struct mailer_xfer *x, CURLcode rc,
    struct mailer_result *res);

/* Whether the last finished transfer was answered 503 at MAIL FROM: the
 * connection carried a transaction curl left open (notes/libraries.md
 * #7), a fault of the connection, not a verdict on the message. */
bool mailer_xfer_nested_mail(const struct mailer_xfer *x,
    const struct mailer_result *res);

/* Free x's handle (QUIT on its open connection when it owns one) and
 * the recipient list; x may be half-initialised or zeroed. */
void mailer_xfer_cleanup(struct mailer_xfer *x);

#endif
