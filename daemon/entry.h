/*
 * entry: one registry entry as data — merging a form into it, the list of
 * what changed, and rendering it back as an editable form or as JSON.
 * Pure (L1): no I/O, no clock, no logging.
 *
 * The form text that entry_render_form produces is read back by form_read
 * to exactly the same entry (countries as ISO codes, so names that carry a
 * comma, such as "Bolivia, Plurinational State of", cannot split a line).
 */
#ifndef HP_ENTRY_H
#define HP_ENTRY_H

#include <jansson.h>

#include "form.h"
#include "model.h"

enum entry_change_kind { ENTRY_ADDED, ENTRY_REMOVED, ENTRY_CHANGED };

struct entry_change {
	enum entry_change_kind kind;
	const char *field;	/* canonical field name: "sector", "activity" ... */
	char *old_value;	/* NULL for ADDED */
	char *new_value;	/* NULL for REMOVED */
};

struct entry_changes {
	struct entry_change *v;
	size_t n;
};

/*
 * Apply the fields of form f to old (NULL for a new organisation named
 * name) and return the resulting entry in *out (caller frees) together
 * with every difference, field by field, in ch (caller clears).
 * Absent fields keep their value; present ones replace it (SPEC §3).
 */
void entry_merge(const struct org *old, const char *name,
    const struct form *f, struct org **out, struct entry_changes *ch);
void entry_changes_clear(struct entry_changes *ch);

/* One activity as form text: "DE, Lübeck; trade; note" (kind in lang). */
char *entry_activity_text(const struct activity *a, enum lang lang);
/* One contact as form text: "Anna de Vries <anna@voorbeeld.example>". */
char *entry_contact_text(const struct contact *c);

/* The whole entry as a form with the keys of lang, ready to edit and send
 * back.  Caller frees. */
char *entry_render_form(const struct org *o, enum lang lang);
/* The same, without the Contact lines when contacts is false: the form
 * then leaves the contacts as they are when it is sent back (SPEC §3:
 * contact persons are shared among partners, not with the world). */
char *entry_render_form_for(const struct org *o, enum lang lang, bool contacts);

/* SPEC §10 object for one organisation (new reference). */
json_t *entry_to_json(const struct org *o);

/* Label of a canonical field name in lang ("activity" -> "Actief-in"). */
const char *entry_field_label(const char *field, enum lang lang);

#endif
