/* registry: see registry.h. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "addr.h"
#include "entry.h"
#include "log.h"
#include "util.h"

static enum hp_status
registry_db_status(struct app *app, const char *what)
{
	log_warnx("registry %s: %s", what, store_error(app->store));
	return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
}

static json_t *
problems_json(const struct problems *p, enum lang lang)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++) {
		json_t *o = json_object();
		if (p->v[i].line > 0)
			json_object_set_new(o, "line", json_integer(p->v[i].line));
		json_object_set_new(o, "text", json_string(p->v[i].text[lang]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
changes_json(const struct entry_changes *ch, enum lang lang, bool contacts)
{
	json_t *a = json_array();

	for (size_t i = 0; i < ch->n; i++) {
		const struct entry_change *c = &ch->v[i];
		/* A removed contact's address is not the reader's to see. */
		if (!contacts && c->old_value && strcmp(c->field, "contact") == 0)
			continue;
		json_array_append_new(a, json_pack("{s:b,s:b,s:b,s:s,s:o,s:o}",
		    "added", c->kind == ENTRY_ADDED,
		    "removed", c->kind == ENTRY_REMOVED,
		    "changed", c->kind == ENTRY_CHANGED,
		    "field", entry_field_label(c->field, lang),
		    "old", c->old_value ? json_string(c->old_value) : json_null(),
		    "new", c->new_value ? json_string(c->new_value) : json_null()));
	}
	return a;
}

/*
 * Which organisation the form is about: its Organisation line, else the
 * one organisation the sender is a contact of.  Returns a new string, or
 * NULL with a problem added.
 */
static char *
resolve_name(struct app *app, const struct msg *m, const struct form *f,
    struct problems *errs, enum hp_status *rc)
{
	char **names = NULL, *name = NULL;
	size_t n = 0;

	*rc = HP_OK;
	if (f->organisation)
		return xstrdup(f->organisation);
	if (m->from_addr && store_org_names_for_contact(app->store, m->from_addr,
	    &names, &n) == -1) {
		*rc = registry_db_status(app, "lookup contact");
		return NULL;
	}
	if (n == 1)
		name = xstrdup(names[0]);
	else if (n == 0)
		problems_add(errs, 0,
		    "Er staat geen regel \"Organisatie: ...\" in het formulier.",
		    "The form has no \"Organisation: ...\" line.");
	else
		problems_add(errs, 0,
		    "U bent contactpersoon van %zu organisaties; zet een regel \"Organisatie: ...\" in het formulier.",
		    "You are a contact of %zu organisations; add an \"Organisation: ...\" line to the form.",
		    n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return name;
}

/* Checks that need the old entry: a new organisation needs a sector. */
static void
check_new_org(const struct form *f, struct problems *errs)
{
	if (!(f->present & FORM_F_SECTOR) || f->sector == SECTOR_NONE)
		problems_add(errs, f->organisation_line,
		    "Een nieuwe organisatie heeft een sector nodig (economy, education, culture, civil-society of government).",
		    "A new organisation needs a sector (economy, education, culture, civil-society or government).");
}

/* The sender as the first contact of a new organisation, but only in a
 * shape the form reader accepts back (the reply shows it as a form). */
static void
add_sender_as_contact(struct org *o, const struct msg *m)
{
	char *name = NULL, *email = NULL, *text;

	if (o->n_contacts > 0 || m->from_addr == NULL || !addr_valid(m->from_addr))
		return;
	o->contacts = xcalloc(1, sizeof(struct contact));
	o->contacts[0].email = xstrdup(m->from_addr);
	o->n_contacts = 1;
	if (m->from_name == NULL || strlen(m->from_name) > 200)
		return;
	o->contacts[0].name = xstrdup(m->from_name);
	text = entry_contact_text(&o->contacts[0]);
	if (addr_parse_mailbox(text, &name, &email) == -1 ||
	    !hp_streq_null(name, m->from_name)) {
		free(o->contacts[0].name);
		o->contacts[0].name = NULL;
	}
	free(text);
	free(name);
	free(email);
}

static int
save_org(struct app *app, struct org *o, const char *actor,
    const char *message_id, const struct entry_changes *ch, time_t now)
{
	struct store_change *sc = xcalloc(ch->n, sizeof(*sc));
	int rc;

	for (size_t i = 0; i < ch->n; i++) {
		sc[i].field = ch->v[i].field;
		sc[i].old_value = ch->v[i].old_value;
		sc[i].new_value = ch->v[i].new_value;
	}
	rc = store_org_save(app->store, o, actor, message_id, sc, ch->n, now);
	free(sc);
	return rc;
}

void
registry_plan_clear(struct registry_plan *plan)
{
	free(plan->name);
	org_free(plan->old);
	org_free(plan->merged);
	entry_changes_clear(&plan->changes);
	problems_clear(&plan->errors);
	memset(plan, 0, sizeof(*plan));
}

enum hp_status
registry_plan_form(struct app *app, const struct msg *m, const struct form *f,
    struct registry_plan *plan)
{
	enum hp_status rc;
	int found = 0;

	memset(plan, 0, sizeof(*plan));
	plan->form = f;
	if ((plan->name = resolve_name(app, m, f, &plan->errors, &rc)) == NULL &&
	    rc != HP_OK)
		return rc;
	if (plan->name && (found = store_org_get(app->store, plan->name,
	    &plan->old)) == -1)
		return registry_db_status(app, "get");
	if (plan->name && !found)
		check_new_org(f, &plan->errors);
	plan->failed = f->errors.n > 0 || plan->errors.n > 0;
	if (plan->failed)
		return HP_OK;
	entry_merge(plan->old, plan->name, f, &plan->merged, &plan->changes);
	if (plan->old == NULL)
		add_sender_as_contact(plan->merged, m);
	return HP_OK;
}

enum hp_status
registry_commit(struct app *app, struct registry_plan *plan, const char *actor,
    const char *message_id, time_t now)
{
	if (plan->failed || plan->changes.n == 0)
		return HP_OK;
	if (save_org(app, plan->merged, actor, message_id, &plan->changes, now) == -1)
		return registry_db_status(app, "save");
	log_info("registry %s org=\"%s\" changes=%zu by=%s", plan->old ?
	    "updated" : "added", plan->merged->name, plan->changes.n, actor);
	return HP_OK;
}

json_t *
registry_plan_json(const struct registry_plan *plan, enum lang lang,
    bool contacts)
{
	json_t *res = json_object();
	const struct org *shown = plan->merged ? plan->merged : plan->old;
	char *entry_text;

	json_object_set_new(res, "org", plan->name ? json_string(plan->old ?
	    plan->old->name : plan->name) : json_null());
	json_object_set_new(res, "new", json_boolean(plan->name && !plan->old));
	if (plan->failed) {
		json_t *all = problems_json(&plan->form->errors, lang);
		json_t *more = problems_json(&plan->errors, lang);
		json_array_extend(all, more);
		json_decref(more);
		json_object_set_new(res, "failed", json_true());
		json_object_set_new(res, "errors", all);
	} else {
		json_object_set_new(res, "changed", json_boolean(plan->changes.n > 0));
		json_object_set_new(res, "unchanged", json_boolean(plan->changes.n == 0));
		json_object_set_new(res, "changes", changes_json(&plan->changes, lang,
		    contacts));
	}
	if (shown) {
		entry_text = entry_render_form_for(shown, lang, contacts);
		json_object_set_new(res, "entry", json_string(entry_text));
		free(entry_text);
	}
	return res;
}

static void
append_shown(json_t *shown, const struct org *o, enum lang lang, bool contacts)
{
	char *text = entry_render_form_for(o, lang, contacts);

	json_array_append_new(shown, json_pack("{s:s,s:s}", "org", o->name,
	    "entry", text));
	free(text);
}

enum hp_status
registry_show(struct app *app, const char *name, const char *sender,
    enum lang lang, json_t *shown, json_t *not_found)
{
	char **names = NULL;
	size_t n = 0;
	enum hp_status rc = HP_OK;
	bool contacts = false;

	if (access_may_see_contacts(app, sender, &contacts) == -1)
		return HP_RETRY;
	if (name && *name) {
		names = xcalloc(1, sizeof(char *));
		names[0] = xstrdup(name);
		n = 1;
	} else if (sender && store_org_names_for_contact(app->store, sender,
	    &names, &n) == -1)
		return registry_db_status(app, "lookup contact");
	if (n == 0 && (name == NULL || *name == '\0'))
		json_array_append_new(not_found, json_pack("{s:n}", "name"));
	for (size_t i = 0; i < n; i++) {
		struct org *o = NULL;
		int found = store_org_get(app->store, names[i], &o);
		if (found == -1) {
			rc = registry_db_status(app, "get");
			break;
		}
		if (found)
			append_shown(shown, o, lang, contacts);
		else
			json_array_append_new(not_found, json_pack("{s:s}", "name", names[i]));
		org_free(o);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
