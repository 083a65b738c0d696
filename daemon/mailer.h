/*
 * mailer: hand finished messages to the submission server over SMTP, one
 * recipient per transaction, and say what the server decided: one
 * connection at a time (mailer_send, for replies) or many in parallel
 * (mailer_pool_*, for mailings).  L2 adapter: mailer.c and mailer_pool.c
 * (sharing mailer_int.h) are the only files that include curl/curl.h.
 * It does not build messages (compose), store anything or retry
 * (outbox, mailing): it sends what it is given and classifies the answer.
 *
 * TLS: STARTTLS is required (CURLUSESSL_ALL) unless the configuration
 * says tls = off, which is accepted only for a loopback host; smtps://
 * is TLS from the first byte.  The peer certificate and host name are
 * always verified; with ca_file set only that file is trusted.
 *
 * One connection is reused across sends.  After any failed transaction
 * the next one opens a fresh connection: curl 7.88 keeps a connection
 * after an end-of-data rejection without RSET, and the next MAIL FROM
 * would be answered "503 nested MAIL command" (notes/libraries.md #7).
 *
 * Build: Debian's libcurl4-gnutls-dev (libcurl4-openssl-dev conflicts
 * with libetpan-dev, notes/libraries.md #5).  The password is never
 * logged and never kept by us (curl holds its own copy).
 */
#ifndef HP_MAILER_H
#define HP_MAILER_H

#include <stdbool.h>
#include <stddef.h>

struct mailer_config {
	const char *url;	/* smtp://host:port (STARTTLS) or smtps://host:port */
	bool tls;		/* false only for tls = off on loopback: no STARTTLS at all */
	const char *ca_file;	/* NULL = system store; when set, trust only it */
	const char *user, *password;	/* user NULL = no AUTH */
	const char *helo_name;	/* EHLO name, e.g. the office domain; NULL = curl's default */
	unsigned timeout_s;	/* connect / per-reply / stall limit; 0 = 60 */
};

enum mailer_verdict {
	MAILER_SENT,		/* the server took responsibility (2xx) */
	MAILER_TEMPFAIL,	/* try again later; nothing was decided for good */
	MAILER_PERMFAIL,	/* the server refused this message/recipient for good */
};

struct mailer_result {
	enum mailer_verdict verdict;
	/* The server's reply code when the verdict comes from the server's
	 * answer to MAIL, RCPT or DATA; 0 when the session could not be set
	 * up (connection, TLS, EHLO, authentication) or the address was
	 * refused before any network use. */
	int smtp_code;
	/* The server's reply line ("550 5.1.1 ...", control characters
	 * replaced) or, without one, what went wrong locally. */
	char reply[512];
	/* Connections this send opened: 0 when an open one was reused. */
	long connects;
};

struct mailer;

/* Initialise libcurl once for the process.  Not thread-safe: main calls
 * it before any thread exists; mailer_new calls it too (a no-op after
 * the first success).  Returns 0 or -1. */
int mailer_global_init(void);
/* Release libcurl's global state (at exit, after every mailer_free). */
void mailer_global_cleanup(void);

/* Check cfg and prepare a sender; no network use yet.  Returns 0 and
 * *out (free with mailer_free), or -1 with a one-line reason in err: a
 * URL that is not smtp:// or smtps://, tls off for a host that is not
 * loopback, an unreadable ca_file, a user without a password, a bad EHLO
 * name.  cfg's strings are copied (the password only into curl). */
int mailer_new(const struct mailer_config *cfg, struct mailer **out, char *err,
    size_t errlen);

/*
 * Send one message (data[0, len), already CRLF, dot-stuffing is curl's)
 * from the envelope sender from to one recipient.  Both addresses pass
 * addr_valid() first: otherwise PERMFAIL "invalid address" without any
 * network use (curl 7.88 would send CR/LF inside an address verbatim).
 * Classification by the server's reply code:
 *   2xx                               SENT
 *   4xx, and 503 (a protocol-state error, not a verdict)   TEMPFAIL
 *   5xx at RCPT or DATA/end of data   PERMFAIL
 *   5xx at MAIL FROM                  TEMPFAIL (sender refused, quota:
 *                                     a configuration matter), except 552
 *                                     (message too large) PERMFAIL
 *   no answer, TLS or authentication failure                TEMPFAIL,
 *                                     smtp_code 0, logged as a warning
 * A TLS certificate verification failure is a configuration problem
 * (ca_file or the server's certificate); it is reported as TEMPFAIL so
 * nothing is lost, and the reply says so.
 */
void mailer_send(struct mailer *m, const char *from, const char *rcpt,
    const char *data, size_t len, struct mailer_result *res);

/* Close the connection (QUIT) and free m; NULL is fine. */
void mailer_free(struct mailer *m);

/*
 * The parallel pool (mailer_pool.c): `slots` transfers at once in one
 * libcurl multi handle, over at most `slots` connections, each reused for
 * many messages (the connection cache belongs to the multi handle).  Each
 * send has one recipient and is classified exactly as mailer_send does.
 *
 * A send answered "503 nested MAIL command" at MAIL FROM met a
 * connection on which an earlier message was refused after its final
 * dot (curl 7.88 keeps such a connection without RSET, and in a multi
 * any handle may pick it up; notes/libraries.md #7).  That is not a
 * verdict: the pool sends the message again at once on a fresh
 * connection (the 503 transfer closed the bad one), at most
 * MAILER_POOL_NESTED_RETRIES times; only the last answer is returned.
 *
 * Single-threaded: every call from the thread that made the pool.
 */
#define MAILER_POOL_NESTED_RETRIES	2

struct mailer_pool;

/* Check cfg as mailer_new does and prepare `slots` (1..64) handles; no
 * network use yet.  0 and *out (free with mailer_pool_free), or -1 with
 * a one-line reason in err. */
int mailer_pool_new(const struct mailer_config *cfg, unsigned slots,
    struct mailer_pool **out, char *err, size_t errlen);

/* Slots free for mailer_pool_send now (a finished send holds its slot
 * until mailer_pool_wait returned it). */
unsigned mailer_pool_idle(const struct mailer_pool *p);
/* Sends started and not yet returned by mailer_pool_wait. */
unsigned mailer_pool_busy(const struct mailer_pool *p);

/* Start sending data[0, len) (CRLF) from `from` to `rcpt`.  from, rcpt
 * and data are borrowed until mailer_pool_wait returns this send's
 * result together with cookie.  A send refused before any network use
 * (invalid address, empty message) still takes a slot and its result
 * comes from the next mailer_pool_wait without waiting.  0, or -1 when
 * no slot is free (nothing started, nothing borrowed). */
int mailer_pool_send(struct mailer_pool *p, const char *from,
    const char *rcpt, const char *data, size_t len, void *cookie);

/* Run the transfers for at most timeout_ms (0: only what is ready now)
 * until a send has finished.  1 with *cookie and *res of that send (its
 * slot is free again); 0 when none finished in time (with nothing busy
 * it just waits timeout_ms, so it can pace the caller).
 * A failure of libcurl itself finishes every busy send with TEMPFAIL,
 * smtp_code 0, so every cookie is returned exactly once. */
int mailer_pool_wait(struct mailer_pool *p, int timeout_ms, void **cookie,
    struct mailer_result *res);

/* Close every connection (QUIT) and free p; NULL is fine.  Sends still
 * busy are dropped without a result: wait for them first. */
void mailer_pool_free(struct mailer_pool *p);

#endif
