/*
 * registry: apply a form from a message to the registry and describe the
 * result for the reply; look entries up for "show".  L3: combines the pure
 * form/entry code with the store, inside the caller's transaction.
 *
 * Who may change what (SPEC §4) is a later layer (access); today a valid
 * form from any sender is applied, and a new organisation without Contact
 * lines gets its sender as contact so that person can keep it up to date.
 */
#ifndef HP_REGISTRY_H
#define HP_REGISTRY_H

#include <jansson.h>

#include "app.h"
#include "entry.h"
#include "form.h"
#include "msg.h"

/* A form checked against the registry, before anything is written. */
struct registry_plan {
	const struct form *form;	/* borrowed */
	char *name;			/* the organisation; NULL when unknown */
	struct org *old;		/* the entry now; NULL for a new one */
	struct org *merged;		/* the entry after the form; NULL when failed */
	struct entry_changes changes;
	struct problems errors;		/* besides the form's own */
	bool failed;			/* errors: nothing may change */
};

/* Check f (from m) and work out what it would change.  HP_OK (see
 * plan->failed), HP_RETRY / HP_FATAL on database errors.  Always clear
 * the plan with registry_plan_clear. */
enum hp_status registry_plan_form(struct app *app, const struct msg *m,
    const struct form *f, struct registry_plan *plan);
/* Write a plan that did not fail (nothing happens when it changes
 * nothing), with actor and message_id in the change log. */
enum hp_status registry_commit(struct app *app, struct registry_plan *plan,
    const char *actor, const char *message_id, time_t now);
/* The reply's "form" object: {org, new, changed, unchanged, failed,
 * changes[], errors[], entry}; without contact persons (and removed
 * contacts) unless contacts is set.  New reference. */
json_t *registry_plan_json(const struct registry_plan *plan, enum lang lang,
    bool contacts);
void registry_plan_clear(struct registry_plan *plan);

/*
 * "show [NAME]": append {org, entry} objects to shown (contact persons
 * only for a sender who may see them), or {name} to not_found.  Without a name, every organisation where the sender is a
 * contact.  HP_OK / HP_RETRY / HP_FATAL.
 */
enum hp_status registry_show(struct app *app, const char *name,
    const char *sender, enum lang lang, json_t *shown, json_t *not_found);

#endif
