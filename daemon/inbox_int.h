/*
 * inbox_int: what inbox.c (session) and inbox_ops.c (mail operations)
 * share.  Other modules use inbox.h only; the unit test uses the pure
 * helpers at the end.
 */
#ifndef HP_INBOX_INT_H
#define HP_INBOX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libetpan/libetpan.h>

#include "inbox.h"

struct inbox {
	mailimap *imap;
	char *host;
	char *mailbox;		/* modified UTF-7 */
	uint32_t uidvalidity;
	unsigned timeout_s;
	bool preauth;
	bool broken;		/* never talk on this connection again */
	bool idling;
	bool tmpfail;		/* during inbox_open */
	bool opened;
	char err[512];
};

/* Set the last error (inbox_last_error). */
void inbox_seterr(struct inbox *ib, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The server's text of its last answer, printable ASCII only, in buf. */
const char *inbox_server_text(const struct inbox *ib, char *buf, size_t len);
/* The response code atom of the last answer ("ALREADYEXISTS"), or "". */
const char *inbox_resp_code(const struct inbox *ib);
/* Record and log why command `what` failed with libetpan code r; errors
 * that leave the session dead or out of step mark it broken.  Returns -1. */
int inbox_cmd_failed(struct inbox *ib, int r, const char *what);
/* 0 when commands may be sent (not broken, not idling), else -1. */
int inbox_ready(struct inbox *ib);

/* ---- pure helpers (inbox_ops.c), no I/O ---- */

/* Modified UTF-7 (RFC 3501 §5.1.3) of a UTF-8 mailbox name, caller frees.
 * NULL when the name is empty, longer than 200 bytes, not UTF-8, or holds
 * control characters or the LIST wildcards % and *. */
char *inbox_mutf7(const char *name);
/* True for an IMAP flag keyword (an atom, not a \System flag, <= 64). */
bool inbox_keyword_valid(const char *kw);
/* Sorted copy of uids without 0 and duplicates into *out (caller frees;
 * NULL when the result is empty); returns its length. */
size_t inbox_uids_sorted(const uint32_t *uids, size_t n, uint32_t **out);
/* Index of uid in a sorted array, or -1. */
ssize_t inbox_uid_index(const uint32_t *sorted, size_t n, uint32_t uid);
/* What a body section of a FETCH answer holds: the whole message
 * (BODY[]), the top-level header (BODY[HEADER], also as BODY[HEADER]<0>),
 * or something else (a part, HEADER.FIELDS, TEXT, a non-zero offset). */
enum inbox_section {
	INBOX_SECTION_OTHER,
	INBOX_SECTION_WHOLE,
	INBOX_SECTION_HEADER,
};
enum inbox_section inbox_section_of(
    const struct mailimap_msg_att_body_section *bs);
/* An IPv4 or IPv6 literal (no SNI for those). */
bool inbox_host_is_ip(const char *host);
/* localhost, 127.0.0.0/8 or ::1. */
bool inbox_host_is_loopback(const char *host);

#endif
