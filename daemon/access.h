/*
 * access: who may change what (SPEC §4).  Authentication from the trusted
 * receiving server's Authentication-Results, the roles (office, sector
 * ambassador, registered contact), and the pending actions that wait for a
 * confirmation or a moderator, keyed by single-use, expiring tokens of
 * which only a hash is stored.  L3; runs inside the caller's transaction.
 */
#ifndef HP_ACCESS_H
#define HP_ACCESS_H

#include <jansson.h>
#include <stdbool.h>

#include "app.h"
#include "msg.h"
#include "token.h"

/* True when m counts as authenticated for its From address. */
bool access_authenticated(struct app *app, const struct msg *m);

/* An office address: [office] admins or `hanzepost office add`. */
int access_is_office(struct app *app, const char *email, bool *is);
/* May email see contact persons (SPEC §3): an office address or a
 * registered contact of any organisation.  0 / -1. */
int access_may_see_contacts(struct app *app, const char *email, bool *ok);

/* A registered contact of o. */
bool access_is_contact(const struct org *o, const char *email);

/* Who confirms a change to o: its contacts, else the office.  Who
 * moderates a new organisation of sector s: its ambassadors, else the
 * office.  The caller frees with access_list_free. */
int access_confirmers(struct app *app, const struct org *o, char ***emails, size_t *n);
int access_moderators(struct app *app, enum sector s, char ***emails, size_t *n);
void access_list_free(char **v, size_t n);
/* "a@x, b@y" (caller frees). */
char *access_list_join(char *const *v, size_t n);

struct access_request {
	const char *kind;	/* update | new_org | remove | subscribe */
	const char *org_name, *sector;	/* may be NULL */
	const char *requester;
	const char *authorisers;	/* for the record */
	json_t *payload;	/* what to do once authorised (borrowed) */
	const char *source_msgid;
};

/* A fresh token (TOKEN_LEN + 1 bytes) from getrandom(2).  0 / -1. */
int access_new_token(char *out);

/* Record a pending action and hand out its token (TOKEN_LEN + 1 bytes).
 * HP_OK / HP_RETRY / HP_FATAL. */
enum hp_status access_pending_new(struct app *app, const struct access_request *req,
    time_t now, char *token);

enum access_token { ACCESS_TOKEN_OK, ACCESS_TOKEN_UNKNOWN, ACCESS_TOKEN_EXPIRED,
	ACCESS_TOKEN_USED };

/*
 * Look up token.  When it is pending and not expired, mark it finished
 * (state "done" or "rejected", by, msgid) and return the action in *out
 * (caller frees with store_pending_free); *result says which case it was.
 */
enum hp_status access_pending_take(struct app *app, const char *token,
    const char *state, const char *by, const char *msgid, time_t now,
    struct store_pending **out, enum access_token *result);

/* Peek at a token's action without using it (for approve/reject checks):
 * same results as access_pending_take, nothing is marked. */
enum hp_status access_pending_peek(struct app *app, const char *token, time_t now,
    struct store_pending **out, enum access_token *result);

#endif
