/* access: see access.h. */
#include "access.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libpsl.h>

#include "addr.h"
#include "authres.h"
#include "buf.h"
#include "log.h"
#include "util.h"

static enum hp_status
db_status(struct app *app, const char *what)
{
	log_warnx("access %s: %s", what, store_error(app->store));
	return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
}

bool
access_authenticated(struct app *app, const struct msg *m)
{
	struct authres_verdict v;
	const char *id = app->cfg->mailbox.trusted_authserv_id;

	if (id == NULL || *id == '\0' || m->from_addr == NULL)
		return false;
	if (app->psl == NULL)
		app->psl = psl_latest(NULL);	/* Debian's publicsuffix data */
	authres_check((const char *const *)m->authres, m->n_authres, id,
	    m->from_addr, app->psl ? app->psl : psl_builtin(), &v);
	log_debug("access from=%s authenticated=%s reason=\"%s\"", m->from_addr,
	    v.authenticated ? "yes" : "no", v.reason);
	return v.authenticated;
}

int
access_is_office(struct app *app, const char *email, bool *is)
{
	*is = false;
	if (email == NULL)
		return 0;
	for (size_t i = 0; i < app->cfg->office.n_admins; i++)
		if (addr_equal(app->cfg->office.admins[i], email)) {
			*is = true;
			return 0;
		}
	if (store_office_is(app->store, email, is) == -1) {
		db_status(app, "office");
		return -1;
	}
	return 0;
}

bool
access_is_contact(const struct org *o, const char *email)
{
	if (o == NULL || email == NULL)
		return false;
	for (size_t i = 0; i < o->n_contacts; i++)
		if (addr_equal(o->contacts[i].email, email))
			return true;
	return false;
}

void
access_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *
access_list_join(char *const *v, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", v[i]);
	return buf_release(&b, NULL);
}

static void
list_add(char ***v, size_t *n, const char *email)
{
	for (size_t i = 0; i < *n; i++)
		if (addr_equal((*v)[i], email))
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = xstrdup(email);
}

static int
office_cb(const char *email, time_t added_at, void *arg)
{
	void **a = arg;

	list_add(a[0], a[1], email);
	return 0;
}

/* Every office address, from the config and the database. */
static int
office_list(struct app *app, char ***emails, size_t *n)
{
	void *arg[2] = { emails, n };

	for (size_t i = 0; i < app->cfg->office.n_admins; i++)
		list_add(emails, n, app->cfg->office.admins[i]);
	if (store_office_list(app->store, office_cb, arg) == -1) {
		db_status(app, "office list");
		return -1;
	}
	return 0;
}

int
access_confirmers(struct app *app, const struct org *o, char ***emails, size_t *n)
{
	*emails = NULL;
	*n = 0;
	for (size_t i = 0; o && i < o->n_contacts; i++)
		list_add(emails, n, o->contacts[i].email);
	if (*n > 0)
		return 0;
	return office_list(app, emails, n);
}

int
access_moderators(struct app *app, enum sector s, char ***emails, size_t *n)
{
	const char *name = model_sector_name(s);

	*emails = NULL;
	*n = 0;
	if (name && store_ambassadors_for_sector(app->store, name, emails, n) == -1) {
		db_status(app, "ambassadors");
		return -1;
	}
	if (*n > 0)
		return 0;
	return office_list(app, emails, n);
}

int
access_new_token(char *out)
{
	unsigned char rnd[16];
	ssize_t got;

	while ((got = getrandom(rnd, sizeof(rnd), 0)) == -1 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(rnd))
		return -1;
	token_format(rnd, out);
	return 0;
}

enum hp_status
access_pending_new(struct app *app, const struct access_request *req,
    time_t now, char *token)
{
	char hash[TOKEN_HASH_LEN + 1], *payload;
	int64_t id;
	int rc;

	if (access_new_token(token) == -1) {
		log_warn("access getrandom");
		return HP_RETRY;
	}
	if (token_hash(token, hash) == -1)
		return HP_FATAL;
	payload = json_dumps(req->payload, JSON_COMPACT);
	rc = store_pending_add(app->store, hash, req->kind, req->org_name,
	    req->sector, req->requester, req->authorisers, payload ? payload : "{}",
	    req->source_msgid, now,
	    now + (time_t)app->cfg->limits.token_lifetime, &id);
	free(payload);
	if (rc == -1)
		return db_status(app, "pending");
	log_info("access pending=%lld kind=%s org=\"%s\" requester=%s authorisers=\"%s\"",
	    (long long)id, req->kind, req->org_name ? req->org_name : "",
	    req->requester, req->authorisers);
	return HP_OK;
}

enum hp_status
access_pending_peek(struct app *app, const char *token, time_t now,
    struct store_pending **out, enum access_token *result)
{
	char hash[TOKEN_HASH_LEN + 1];
	int found;

	*out = NULL;
	*result = ACCESS_TOKEN_UNKNOWN;
	if (token_hash(token, hash) == -1)
		return HP_OK;
	if ((found = store_pending_get(app->store, hash, out)) == -1)
		return db_status(app, "pending get");
	if (!found)
		return HP_OK;
	if (strcmp((*out)->state, "pending") != 0)
		*result = ACCESS_TOKEN_USED;
	else if ((*out)->expires_at <= now)
		*result = ACCESS_TOKEN_EXPIRED;
	else
		*result = ACCESS_TOKEN_OK;
	return HP_OK;
}

enum hp_status
access_pending_take(struct app *app, const char *token, const char *state,
    const char *by, const char *msgid, time_t now, struct store_pending **out,
    enum access_token *result)
{
	enum hp_status rc = access_pending_peek(app, token, now, out, result);
	int r;

	if (rc != HP_OK || *result != ACCESS_TOKEN_OK)
		return rc;
	r = store_pending_finish(app->store, (*out)->id, state, by, msgid, now);
	if (r == -1)
		return db_status(app, "pending finish");
	if (r == 1)
		*result = ACCESS_TOKEN_USED;
	else
		log_info("access pending=%lld %s by=%s", (long long)(*out)->id, state, by);
	return HP_OK;
}

int
access_may_see_contacts(struct app *app, const char *email, bool *ok)
{
	char **names = NULL;
	size_t n = 0;

	*ok = false;
	if (email == NULL)
		return 0;
	if (access_is_office(app, email, ok) == -1)
		return -1;
	if (*ok)
		return 0;
	if (store_org_names_for_contact(app->store, email, &names, &n) == -1) {
		db_status(app, "contact lookup");
		return -1;
	}
	*ok = n > 0;
	access_list_free(names, n);
	return 0;
}
