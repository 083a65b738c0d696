/*
 * store_registry: the registry part of the store adapter (see store.h):
 * organisations with their networks, contacts and activities (lists kept
 * in their order), the contact lookup, and the changelog written with
 * every change.  Reads of several tables run in one snapshot and writes
 * of several rows in one transaction (store_tx_start in store_int.h).
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * or validate form values: that is the registry service's job; this file
 * stores what it is given.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "store_int.h"
#include "util.h"

/* ---- registry: reading */

static struct org *
org_from_row(sqlite3_stmt *s)
{
	struct org *o = org_new();

	o->id = sqlite3_column_int64(s, 0);
	o->name = store_col_str(s, 1);
	o->sector = model_sector_parse((const char *)sqlite3_column_text(s, 2));
	o->website = store_col_str(s, 3);
	o->description = store_col_str(s, 4);
	o->internships = store_col_str(s, 5);
	o->updated_at = (time_t)sqlite3_column_int64(s, 6);
	return o;
}

/* Append the row of list table t (0 networks, 1 contacts, 2 activities). */
static void
org_add_row(struct org *o, int t, sqlite3_stmt *s)
{
	if (t == 0) {
		o->networks = xreallocarray(o->networks, o->n_networks + 1,
		    sizeof(char *));
		o->networks[o->n_networks++] = store_col_str(s, 1);
	} else if (t == 1) {
		o->contacts = xreallocarray(o->contacts, o->n_contacts + 1,
		    sizeof(struct contact));
		o->contacts[o->n_contacts++] = (struct contact){
			store_col_str(s, 1), store_col_str(s, 2) };
	} else {
		struct activity *a;
		const char *cc = (const char *)sqlite3_column_text(s, 1);

		o->activities = xreallocarray(o->activities,
		    o->n_activities + 1, sizeof(struct activity));
		a = &o->activities[o->n_activities++];
		memset(a, 0, sizeof(*a));
		hp_strlcpy(a->country, cc ? cc : "", sizeof(a->country));
		a->city = store_col_str(s, 2);
		a->kind = model_kind_parse((const char *)sqlite3_column_text(s, 3));
		a->note = store_col_str(s, 4);
	}
}

static int
org_cmp_id(const void *a, const void *b)
{
	int64_t x = (*(struct org *const *)a)->id;
	int64_t y = (*(struct org *const *)b)->id;

	return (x > y) - (x < y);
}

static struct org *
org_by_id(struct org **byid, size_t n, int64_t id)
{
	struct org key = { .id = id }, *kp = &key, **hit;

	if (n == 0)
		return NULL;
	hit = bsearch(&kp, byid, n, sizeof(*byid), org_cmp_id);
	return hit ? *hit : NULL;
}

/* Fill the lists of the orgs in byid (sorted by id): of byid[0] alone, or
 * of every organisation at once (three queries instead of 3 per org). */
static int
org_load_lists(struct store *st, struct org **byid, size_t n, bool all)
{
	static const enum store_stmt_id one[] = { S_NET_ONE, S_CONTACT_ONE, S_ACT_ONE };
	static const enum store_stmt_id every[] = { S_NET_ALL, S_CONTACT_ALL, S_ACT_ALL };

	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *s = store_stmt_get(st, all ? every[t] : one[t]);
		int rc = SQLITE_ERROR;

		if (s == NULL)
			return -1;
		if (all || store_bind_int(st, s, 1, byid[0]->id) == 0) {
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				struct org *o = org_by_id(byid, n,
				    sqlite3_column_int64(s, 0));
				if (o != NULL)
					org_add_row(o, t, s);
			}
			if (rc != SQLITE_DONE)
				store_fail_db(st, "read organisation lists");
		}
		store_stmt_done(s);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_org_get(struct store *st, const char *name, struct org **out)
{
	sqlite3_stmt *s = NULL;
	struct org *o = NULL;
	bool own;
	int rc, ret = -1;

	*out = NULL;
	if (store_tx_start(st, &own, false) == -1)
		return -1;
	if ((s = store_stmt_get(st, S_ORG_GET)) == NULL ||
	    store_bind_text(st, s, 1, name) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		o = org_from_row(s);
	else if (rc != SQLITE_DONE) {
		store_fail_db(st, "read organisation");
		goto fail;
	}
	store_stmt_done(s);
	s = NULL;
	if (o != NULL && org_load_lists(st, &o, 1, false) == -1)
		goto fail;
	ret = o != NULL;
fail:
	store_stmt_done(s);
	if ((ret = store_tx_end(st, own, ret)) == 1)
		*out = o;
	else
		org_free(o);
	return ret;
}

static int
org_load_all(struct store *st, struct org ***v, size_t *n)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ORG_ALL);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = org_from_row(s);
	}
	if (rc != SQLITE_DONE)
		store_fail_db(st, "list organisations");
	store_stmt_done(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_org_list(struct store *st, struct org ***orgs, size_t *n)
{
	struct org **v = NULL, **byid = NULL;
	size_t cnt = 0;
	bool own;
	int ret = -1;

	*orgs = NULL;
	*n = 0;
	if (store_tx_start(st, &own, false) == -1)
		return -1;
	if (org_load_all(st, &v, &cnt) == -1)
		goto fail;
	if (cnt > 0) {
		byid = xcalloc(cnt, sizeof(*byid));
		memcpy(byid, v, cnt * sizeof(*byid));
		qsort(byid, cnt, sizeof(*byid), org_cmp_id);
		if (org_load_lists(st, byid, cnt, true) == -1)
			goto fail;
	}
	ret = 0;
fail:
	free(byid);
	if ((ret = store_tx_end(st, own, ret)) == 0) {
		*orgs = v;
		*n = cnt;
	} else
		store_orgs_free(v, cnt);
	return ret;
}

void
store_orgs_free(struct org **orgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		org_free(orgs[i]);
	free(orgs);
}

int
store_org_names_for_contact(struct store *st, const char *email,
    char ***names, size_t *n)
{
	return store_strings(st, S_NAMES_FOR_CONTACT, email, names, n,
	    "organisations for contact");
}

/* ---- registry: writing */

static int
changes_add(struct store *st, const char *org, const char *actor,
    const char *message_id, const struct store_change *c, size_t n,
    time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_CHANGE_ADD);
	int ret = -1;

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].field == NULL) {
			store_fail(st, 0, "changelog: a change without a field");
			goto fail;
		}
		if (store_bind_text(st, s, 1, org) == -1 ||
		    store_bind_text(st, s, 2, c[i].field) == -1 ||
		    store_bind_text(st, s, 3, c[i].old_value) == -1 ||
		    store_bind_text(st, s, 4, c[i].new_value) == -1 ||
		    store_bind_text(st, s, 5, actor) == -1 ||
		    store_bind_text(st, s, 6, message_id) == -1 ||
		    store_bind_int(st, s, 7, (int64_t)now) == -1 ||
		    store_step_done(st, s, "write changelog") == -1)
			goto fail;
		sqlite3_reset(s);
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

/* Insert or update the orgs row; *id is set for a new one. */
static int
org_write_row(struct store *st, const struct org *org, time_t now,
    int64_t *id)
{
	sqlite3_stmt *s = store_stmt_get(st, org->id == 0 ? S_ORG_INSERT : S_ORG_UPDATE);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, org->name) == -1 ||
	    store_bind_text(st, s, 2, model_sector_name(org->sector)) == -1 ||
	    store_bind_text(st, s, 3, org->website) == -1 ||
	    store_bind_text(st, s, 4, org->description) == -1 ||
	    store_bind_text(st, s, 5, org->internships) == -1 ||
	    store_bind_int(st, s, 6, (int64_t)now) == -1 ||
	    (org->id != 0 && store_bind_int(st, s, 7, org->id) == -1) ||
	    store_step_done(st, s, "write organisation") == -1)
		goto fail;
	if (org->id == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	else if (sqlite3_changes(st->db) != 1) {
		store_fail(st, 0, "write organisation: no organisation with id %lld",
		    (long long)org->id);
		goto fail;
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

/* Bind row i of list table t (as in org_add_row) after org_id and pos. */
static int
org_bind_item(struct store *st, sqlite3_stmt *s, const struct org *o, int t,
    size_t i)
{
	if (t == 0)
		return store_bind_text(st, s, 3, o->networks[i]);
	if (t == 1)
		return store_bind_text(st, s, 3, o->contacts[i].name) == -1 ||
		    store_bind_text(st, s, 4, o->contacts[i].email) == -1 ? -1 : 0;
	const struct activity *a = &o->activities[i];
	if (sqlite3_bind_text(s, 3, a->country,
	    (int)strnlen(a->country, sizeof(a->country)), SQLITE_STATIC) != SQLITE_OK)
		return store_fail_db(st, "bind");
	return store_bind_text(st, s, 4, a->city) == -1 ||
	    store_bind_text(st, s, 5, model_kind_name(a->kind)) == -1 ||
	    store_bind_text(st, s, 6, a->note) == -1 ? -1 : 0;
}

/* Replace the three lists of organisation id, keeping their order.  A
 * new organisation has none to clear (ON DELETE CASCADE leaves no orphans
 * for a reused rowid to pick up). */
static int
org_write_lists(struct store *st, const struct org *o, int64_t id, bool fresh)
{
	static const enum store_stmt_id clear[] = { S_NET_CLEAR, S_CONTACT_CLEAR, S_ACT_CLEAR };
	static const enum store_stmt_id add[] = { S_NET_ADD, S_CONTACT_ADD, S_ACT_ADD };
	const size_t count[] = { o->n_networks, o->n_contacts, o->n_activities };

	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *s = fresh ? NULL : store_stmt_get(st, clear[t]);
		int ret = 0;

		if (!fresh && s == NULL)
			return -1;
		if (!fresh) {
			ret = store_bind_int(st, s, 1, id) == -1 ? -1 :
			    store_step_done(st, s, "clear organisation list");
			store_stmt_done(s);
		}
		if (ret == -1 || (s = store_stmt_get(st, add[t])) == NULL)
			return -1;
		for (size_t i = 0; i < count[t] && ret == 0; i++) {
			if (store_bind_int(st, s, 1, id) == -1 ||
			    store_bind_int(st, s, 2, (int64_t)i) == -1 ||
			    org_bind_item(st, s, o, t, i) == -1)
				ret = -1;
			else
				ret = store_step_done(st, s, "write organisation list");
			store_stmt_done(s);
		}
		if (ret == -1)
			return -1;
	}
	return 0;
}

int
store_org_save(struct store *st, struct org *org, const char *actor,
    const char *message_id, const struct store_change *changes,
    size_t n_changes, time_t now)
{
	int64_t id = org->id;
	bool own;
	int ret = -1;

	if (org->name == NULL || org->name[0] == '\0')
		return store_fail(st, 0, "save organisation: no name");
	if (store_tx_start(st, &own, true) == -1)
		return -1;
	if (org_write_row(st, org, now, &id) == -1 ||
	    org_write_lists(st, org, id, org->id == 0) == -1 ||
	    changes_add(st, org->name, actor, message_id, changes, n_changes,
	    now) == -1)
		goto fail;
	ret = 0;
fail:
	if ((ret = store_tx_end(st, own, ret)) == 0) {
		org->id = id;
		org->updated_at = now;
	}
	return ret;
}

int
store_org_delete(struct store *st, const char *name, const char *actor,
    const char *message_id, time_t now)
{
	sqlite3_stmt *s = NULL;
	struct store_change c = { "organisation", NULL, NULL };
	char *canon = NULL;
	bool own;
	int rc, ret = -1;

	if (store_tx_start(st, &own, true) == -1)
		return -1;
	if ((s = store_stmt_get(st, S_ORG_DELETE)) == NULL ||
	    store_bind_text(st, s, 1, name) == -1)
		goto fail;
	/* RETURNING gives the stored spelling of the name for the log. */
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		canon = store_col_str(s, 0);
	else if (rc != SQLITE_DONE) {
		store_fail_db(st, "delete organisation");
		goto fail;
	}
	if (canon != NULL && store_step_done(st, s, "delete organisation") == -1)
		goto fail;
	store_stmt_done(s);
	s = NULL;
	c.old_value = canon;
	if (canon != NULL && changes_add(st, canon, actor, message_id, &c, 1,
	    now) == -1)
		goto fail;
	ret = canon != NULL;
fail:
	store_stmt_done(s);
	free(canon);
	return store_tx_end(st, own, ret);
}

int
store_changes_since(struct store *st, time_t since,
    int (*cb)(const char *org, const char *field, const char *old_value,
        const char *new_value, const char *actor, const char *message_id,
        time_t at, void *arg),
    void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_CHANGES_SINCE);
	int rc = SQLITE_DONE, ret = -1;

#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	if (s == NULL || store_bind_int(st, s, 1, (int64_t)since) == -1)
		goto fail;
	ret = 0;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(T(0), T(1), T(2), T(3), T(4), T(5),
		    (time_t)sqlite3_column_int64(s, 6), arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "read changelog");
#undef T
fail:
	store_stmt_done(s);
	return ret;
}
