/*
 * authres: the Authentication-Results reader (RFC 8601) and the SPEC §4
 * rule that decides whether a message is authenticated for its From
 * address.  Pure (L1): no files, clock, globals or logging.  The only
 * library is libpsl, whose data the CALLER loads (psl_latest(NULL) or
 * psl_builtin()) and passes in; this module never opens anything.
 *
 * Only headers written by the configured receiving server (its
 * authserv-id) are believed: anyone can put an Authentication-Results
 * header into the mail they send, so results under any other id are
 * ignored entirely.  That the receiving MTA removes headers that claim
 * its own id (RFC 8601 §5) is a deployment duty this module cannot check.
 *
 * Everything from the mail is bounded: a value of at most
 * AUTHRES_MAX_VALUE bytes, AUTHRES_MAX_RESULTS results per header,
 * AUTHRES_MAX_HEADERS headers per message.  A header outside those limits
 * or outside the grammar is "malformed": nothing in it is used, and a
 * malformed header under the trusted id makes the whole message
 * unauthenticated (we cannot tell what it said).
 *
 * Traps found with Debian 12's libpsl 0.21.2 (see authres.c): lookups are
 * case-sensitive, so domains are lower-cased before every lookup
 * ("EXAMPLE.CO.UK" gives "CO.UK"); only ASCII domains are accepted.
 */
#ifndef HP_AUTHRES_H
#define HP_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include <libpsl.h>

#define AUTHRES_MAX_VALUE ((size_t)16 << 10)	/* one header value, bytes */
#define AUTHRES_MAX_RESULTS 64			/* resinfo per header */
#define AUTHRES_MAX_HEADERS 32			/* headers per message */

/* One resinfo.  Method, result and the property names are lower-cased;
 * values are unquoted, unfolded and printable ASCII (other bytes become
 * '?').  "" when absent.  A method version ("dkim/1") is dropped. */
struct authres_result {
	char method[32];
	char result[32];
	char reason[128];	/* truncated when longer: for the log only */
	char header_d[256];
	char header_i[256];
	char header_from[256];
};

struct authres_header {
	char authserv_id[256];
	struct authres_result *results;	/* owned; NULL when n_results is 0 */
	size_t n_results;		/* 0 for "authserv-id; none" */
};

/* Parse one header value (after "Authentication-Results:", folded or
 * not).  Returns 0, or -1 when the value is malformed; then nothing in
 * *out is usable except authserv_id, which holds the id when it could be
 * read before the error ("" otherwise), so a caller can tell whether a
 * broken header claimed to be trusted.  Always call authres_header_clear
 * on *out afterwards. */
int authres_parse(const char *value, struct authres_header *out);

/* Free what authres_parse allocated and zero *h.  Safe on a zeroed *h. */
void authres_header_clear(struct authres_header *h);

struct authres_verdict {
	bool authenticated;
	const char *method;	/* static "dkim" or "dmarc", or NULL */
	char reason[200];	/* why (not), for the log; only validated
				 * domains and keywords, never raw mail text */
};

/* SPEC §4 over every Authentication-Results value of one message
 * (headers[0..n), NULL entries ignored) for the From address from_addr
 * (an addr-spec; the domain is what follows the last '@').
 *
 * Authenticated when, among the headers whose authserv-id equals
 * trusted_id (ASCII case-insensitive), there is
 *   - dmarc=pass whose header.from is absent or equals the From domain, or
 *   - dkim=pass whose header.d (else the domain of header.i) is aligned
 *     with the From domain (authres_aligned),
 * and none of these holds:
 *   - a trusted header is malformed, or there are more than
 *     AUTHRES_MAX_HEADERS headers;
 *   - the trusted headers contain both dmarc=pass and dmarc=fail;
 *   - they contain dkim=pass and dkim=fail for the same domain (a
 *     dkim=fail that names no domain contradicts every dkim=pass);
 *   - they contain dmarc=fail for the From domain (the domain owner's
 *     policy, e.g. strict alignment, says no).
 * trusted_id NULL or "" => never authenticated.  A From address without a
 * usable ASCII domain => not authenticated.  psl: a loaded context; NULL
 * means exact-domain alignment only (strict).  Never fails; *v is
 * always filled in. */
void authres_check(const char *const *headers, size_t n, const char *trusted_id,
    const char *from_addr, const psl_ctx_t *psl, struct authres_verdict *v);

/* Relaxed alignment (RFC 7489 §3.1): true when both domains have the same
 * organisational domain, i.e. psl_registrable_domain() of each, compared
 * case-insensitively; false when either is not a syntactically valid
 * ASCII domain or has no registrable domain (is itself a public suffix,
 * e.g. "co.uk" or "github.io").  With psl NULL: exact, case-insensitive
 * equality of two valid domains. */
bool authres_aligned(const psl_ctx_t *psl, const char *domain_a, const char *domain_b);

#endif
