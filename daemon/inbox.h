/*
 * inbox: the IMAP adapter (L2), in inbox.c (session, TLS) and inbox_ops.c
 * (mail operations), sharing inbox_int.h: the only module that uses
 * libetpan's mailimap_* API.  It connects (IMAPS, or IMAP + STARTTLS),
 * verifies the server certificate chain and host name itself with GnuTLS
 * before LOGIN (libetpan 1.9.4 as Debian builds it verifies nothing, notes
 * finding 1), logs in, selects the watched mailbox and offers UID-based
 * operations in batches: list, fetch, add keyword, move, create folder,
 * IDLE.
 *
 * It must not: parse messages (bytes are handed out untouched, parsing
 * happens in the sandboxed child), decide anything about mail, touch the
 * database, retry on its own, or ever send the password over a connection
 * whose certificate was not verified (plaintext only for tls=off on a
 * loopback host).  It logs one line per event ("inbox ...").
 *
 * Every function that talks to the server returns 0 or -1; on -1 the
 * reason is in inbox_last_error().  When the connection itself is gone
 * (timeout, reset, BYE, protocol desynchronisation) inbox_is_broken()
 * turns true and every later call fails at once: close and reconnect.
 * The process must ignore SIGPIPE (a write to a reset socket would kill it).
 */
#ifndef HP_INBOX_H
#define HP_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inbox_config {
	const char *host;	/* name or IP literal; also the name verified */
	unsigned port;
	bool implicit_tls;	/* imaps://: TLS from the first byte */
	bool tls;		/* imap://: false only for tls=off on loopback;
				 * then no STARTTLS.  Ignored for imaps:// */
	const char *ca_file;	/* PEM bundle; NULL = system trust store */
	const char *user, *password;
	const char *mailbox;	/* UTF-8; encoded to modified UTF-7 here */
	unsigned timeout_s;	/* connect, handshake and every read/write;
				 * 0 = 60 s */
};

struct inbox;

/* Connect, secure (IMAPS, or STARTTLS when cfg->tls), verify the peer's
 * certificate chain against ca_file (or the system store) and its name
 * against cfg->host, LOGIN and SELECT cfg->mailbox.  STARTTLS missing
 * from the server's capabilities is an error, never a fallback to
 * plaintext.  Returns 0 with *out set, or -1 with a human reason in err
 * ("TLS certificate of 127.0.0.1 not trusted: issuer is unknown") and
 * *tmpfail true when retrying later makes sense (network, server
 * temporarily unavailable) and false for configuration and trust errors
 * (bad certificate, wrong password, no such mailbox). */
int inbox_open(const struct inbox_config *cfg, struct inbox **out,
    bool *tmpfail, char *err, size_t errlen);

/* LOGOUT when the connection is healthy, then free everything.
 * NULL is allowed. */
void inbox_close(struct inbox *ib);

/* How many messages the server last said the mailbox holds (SELECT, and
 * every EXISTS since, also one that came with the answer to another
 * command: a message that arrived while the caller was busy). */
uint32_t inbox_exists(const struct inbox *ib);

/* UIDVALIDITY of the selected mailbox, as reported by SELECT. */
uint32_t inbox_uidvalidity(const struct inbox *ib);

/* Create folder (UTF-8 name) unless it exists; "already exists" is
 * success.  A created folder is also subscribed so mail clients show it. */
int inbox_ensure_folder(struct inbox *ib, const char *folder);

/* UIDs greater than after_uid now in the mailbox, ascending, without
 * duplicates (the server's "UID n:*" answer of the highest UID even when
 * it is below n is filtered out).  *uids is the caller's (free()); it is
 * NULL when *n is 0. */
int inbox_list_uids(struct inbox *ib, uint32_t after_uid, uint32_t **uids,
    size_t *n);

/* All UIDs in the mailbox, ascending; ownership as inbox_list_uids. */
int inbox_list_all(struct inbox *ib, uint32_t **uids, size_t *n);

/* Header bytes handed out for an oversize message, at most. */
#define INBOX_MAX_HEADER	(64 * 1024)

/* One fetched message.  Whole (oversize false): data is the raw message.
 * Oversize (RFC822.SIZE > max_size): data is only its header section
 * (RFC 3501 BODY[HEADER]: the header fields and the empty line ending
 * them, or the whole message when it has no empty line), so the caller
 * can tell the sender why nothing was done; data is NULL when that header
 * is over INBOX_MAX_HEADER bytes (or the server sent none).  Bytes are
 * the server's, unparsed; data may contain NULs (use len). */
struct inbox_item {
	uint32_t uid;
	size_t size;		/* RFC822.SIZE from the server, always the
				 * full message size */
	bool oversize;		/* size > max_size: data is the header only,
				 * or NULL */
	char *data;		/* NUL-terminated (owned): the message, or
				 * for oversize its header */
	size_t len;		/* bytes in data */
	char **keywords;	/* keywords set on the message (owned) */
	size_t n_keywords;
};

/* Fetch a batch in at most three commands, never setting \Seen: one UID
 * FETCH (UID RFC822.SIZE FLAGS) for all uids, one UID FETCH (UID
 * BODY.PEEK[]) for those of at most max_size bytes, and one UID FETCH (UID
 * BODY.PEEK[HEADER]<0.65537>) for the oversize ones.  The header fetch is
 * partial, INBOX_MAX_HEADER + 1 bytes, so a header without an end cannot
 * bring an oversize message in after all; a full-length answer means the
 * header is over the cap and data stays NULL.  (Only a pathologically
 * scattered batch is split into more commands, see inbox_move.)  Results
 * are matched by UID, unsolicited FETCH responses are ignored.  *items
 * follows the order of uids; a UID that vanished (also between the
 * commands) is simply absent, duplicates appear once.  Free with
 * inbox_items_free. */
int inbox_fetch(struct inbox *ib, const uint32_t *uids, size_t n,
    size_t max_size, struct inbox_item **items, size_t *n_items);
void inbox_items_free(struct inbox_item *items, size_t n);

/* Add keyword (an IMAP atom such as "$HanzeAttempt") to the UIDs with one
 * UID STORE +FLAGS.SILENT for the whole set.  n == 0 does nothing. */
int inbox_add_keyword(struct inbox *ib, const uint32_t *uids, size_t n,
    const char *keyword);

/* Move the UIDs to folder (UTF-8) in one command for the whole set: UID
 * MOVE when the server offers MOVE, else UID COPY + UID STORE
 * +FLAGS.SILENT (\Deleted) + UID EXPUNGE of exactly those UIDs (UIDPLUS;
 * plain EXPUNGE is never used: it would remove everybody's \Deleted mail).
 * A server with neither MOVE nor UIDPLUS is an error.  Sets are sent as
 * ranges; only a pathologically scattered set (over 1000 ranges) is split
 * into several commands to stay under server line limits. */
int inbox_move(struct inbox *ib, const uint32_t *uids, size_t n,
    const char *folder);

/* IDLE (RFC 2177).  inbox_idle_start sends IDLE and waits for the
 * continuation; then poll inbox_fd() for POLLIN (first check
 * inbox_idle_pending(): data libetpan has already buffered is not seen by
 * poll).  inbox_idle_done sends DONE and reads the server's answer; then
 * run inbox_list_uids.  Re-IDLE within 29 minutes (RFC 2177).  Without
 * IDLE (inbox_has_idle false) poll with inbox_noop. */
bool inbox_has_idle(const struct inbox *ib);
int inbox_idle_start(struct inbox *ib);
int inbox_fd(const struct inbox *ib);
bool inbox_idle_pending(const struct inbox *ib);
int inbox_idle_done(struct inbox *ib);
/* NOOP: lets the server report new mail and keeps the session alive. */
int inbox_noop(struct inbox *ib);

/* True once the connection is unusable (lost, timed out, BYE, protocol
 * error): close it and open a new one. */
bool inbox_is_broken(const struct inbox *ib);

/* Human-readable reason of the last failure ("" if none); borrowed,
 * valid until the next call on ib. */
const char *inbox_last_error(const struct inbox *ib);

#endif
