/*
 * entry: see entry.h.  Merging follows SPEC §3: a present field sets the
 * value, an absent one leaves it; list fields (contacts, activities,
 * networks) are replaced as a whole and their differences are reported
 * item by item so the reply can say "added" and "removed".
 */
#include "entry.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static const struct {
	const char *field;
	const char *label[LANG_COUNT];	/* nl, en: the form keys */
} labels[] = {
	{ "organisation", { "Organisatie", "Organisation" } },
	{ "sector", { "Sector", "Sector" } },
	{ "website", { "Website", "Website" } },
	{ "description", { "Omschrijving", "Description" } },
	{ "contact", { "Contact", "Contact" } },
	{ "activity", { "Actief-in", "Active-in" } },
	{ "internships", { "Stages", "Internships" } },
	{ "network", { "Netwerken", "Networks" } },
};

const char *
entry_field_label(const char *field, enum lang lang)
{
	for (size_t i = 0; i < HP_NELEM(labels); i++)
		if (strcmp(labels[i].field, field) == 0)
			return labels[i].label[lang];
	return field;
}

static void
changes_add(struct entry_changes *ch, enum entry_change_kind kind,
    const char *field, const char *old_value, const char *new_value)
{
	struct entry_change *c;

	ch->v = xreallocarray(ch->v, ch->n + 1, sizeof(*ch->v));
	c = &ch->v[ch->n++];
	c->kind = kind;
	c->field = field;
	c->old_value = xstrdup(old_value);
	c->new_value = xstrdup(new_value);
}

void
entry_changes_clear(struct entry_changes *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->v[i].old_value);
		free(ch->v[i].new_value);
	}
	free(ch->v);
	ch->v = NULL;
	ch->n = 0;
}

/* Replace *slot by value (copied) and record the difference, if any. */
static void
merge_scalar(char **slot, const char *value, const char *field,
    struct entry_changes *ch)
{
	if (hp_streq_null(*slot, value))
		return;
	if (*slot == NULL)
		changes_add(ch, ENTRY_ADDED, field, NULL, value);
	else if (value == NULL)
		changes_add(ch, ENTRY_REMOVED, field, *slot, NULL);
	else
		changes_add(ch, ENTRY_CHANGED, field, *slot, value);
	free(*slot);
	*slot = xstrdup(value);
}

static bool
text_in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Report items of the old list missing from the new one and vice versa. */
static void
diff_lists(char **old_v, size_t old_n, char **new_v, size_t new_n,
    const char *field, struct entry_changes *ch)
{
	for (size_t i = 0; i < old_n; i++)
		if (!text_in(new_v, new_n, old_v[i]))
			changes_add(ch, ENTRY_REMOVED, field, old_v[i], NULL);
	for (size_t i = 0; i < new_n; i++)
		if (!text_in(old_v, old_n, new_v[i]))
			changes_add(ch, ENTRY_ADDED, field, NULL, new_v[i]);
}

static void
free_texts(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
activity_texts(const struct activity *a, size_t n)
{
	char **v = xcalloc(n, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = entry_activity_text(&a[i], LANG_EN);
	return v;
}

static char **
contact_texts(const struct contact *c, size_t n)
{
	char **v = xcalloc(n, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = entry_contact_text(&c[i]);
	return v;
}

static void
merge_activities(struct org *o, const struct form *f, struct entry_changes *ch)
{
	char **old_t = activity_texts(o->activities, o->n_activities);
	char **new_t = activity_texts(f->activities, f->n_activities);

	diff_lists(old_t, o->n_activities, new_t, f->n_activities, "activity", ch);
	/* Order counts too (SPEC §10 keeps the form's order), silently. */
	free_texts(old_t, o->n_activities);
	free_texts(new_t, f->n_activities);
	for (size_t i = 0; i < o->n_activities; i++)
		activity_clear(&o->activities[i]);
	free(o->activities);
	o->n_activities = f->n_activities;
	o->activities = xcalloc(f->n_activities, sizeof(struct activity));
	for (size_t i = 0; i < f->n_activities; i++) {
		o->activities[i] = f->activities[i];
		o->activities[i].city = xstrdup(f->activities[i].city);
		o->activities[i].note = xstrdup(f->activities[i].note);
	}
}

static void
merge_contacts(struct org *o, const struct form *f, struct entry_changes *ch)
{
	char **old_t = contact_texts(o->contacts, o->n_contacts);
	char **new_t = contact_texts(f->contacts, f->n_contacts);

	diff_lists(old_t, o->n_contacts, new_t, f->n_contacts, "contact", ch);
	free_texts(old_t, o->n_contacts);
	free_texts(new_t, f->n_contacts);
	for (size_t i = 0; i < o->n_contacts; i++)
		contact_clear(&o->contacts[i]);
	free(o->contacts);
	o->n_contacts = f->n_contacts;
	o->contacts = xcalloc(f->n_contacts, sizeof(struct contact));
	for (size_t i = 0; i < f->n_contacts; i++) {
		o->contacts[i].name = xstrdup(f->contacts[i].name);
		o->contacts[i].email = xstrdup(f->contacts[i].email);
	}
}

static void
merge_networks(struct org *o, const struct form *f, struct entry_changes *ch)
{
	diff_lists(o->networks, o->n_networks, f->networks, f->n_networks,
	    "network", ch);
	free_texts(o->networks, o->n_networks);
	o->n_networks = f->n_networks;
	o->networks = xcalloc(f->n_networks, sizeof(char *));
	for (size_t i = 0; i < f->n_networks; i++)
		o->networks[i] = xstrdup(f->networks[i]);
}

void
entry_merge(const struct org *old, const char *name, const struct form *f,
    struct org **out, struct entry_changes *ch)
{
	struct org *o;

	if (old != NULL) {
		o = org_clone(old);
	} else {
		o = org_new();
		o->name = xstrdup(name);
		changes_add(ch, ENTRY_ADDED, "organisation", NULL, name);
	}
	if (f->present & FORM_F_SECTOR) {
		char *cur = xstrdup(model_sector_name(o->sector));
		merge_scalar(&cur, model_sector_name(f->sector), "sector", ch);
		o->sector = f->sector;
		free(cur);
	}
	if (f->present & FORM_F_WEBSITE)
		merge_scalar(&o->website, f->website, "website", ch);
	if (f->present & FORM_F_DESCRIPTION)
		merge_scalar(&o->description, f->description, "description", ch);
	if (f->present & FORM_F_INTERNSHIPS)
		merge_scalar(&o->internships, f->internships, "internships", ch);
	if (f->present & FORM_F_CONTACTS)
		merge_contacts(o, f, ch);
	if (f->present & FORM_F_ACTIVITIES)
		merge_activities(o, f, ch);
	if (f->present & FORM_F_NETWORKS)
		merge_networks(o, f, ch);
	*out = o;
}

char *
entry_activity_text(const struct activity *a, enum lang lang)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, a->country);
	if (a->city)
		buf_printf(&b, ", %s", a->city);
	if (a->kind != KIND_NONE || a->note)
		buf_printf(&b, "; %s", a->kind != KIND_NONE ?
		    model_kind_name_lang(a->kind, lang) : "");
	if (a->note)
		buf_printf(&b, "; %s", a->note);
	return buf_release(&b, NULL);
}

/* A name the form reader would split, misread or trim unless quoted
 * (a quoted name keeps its blanks: " Piet " stays " Piet "). */
static bool
name_needs_quotes(const char *name)
{
	size_t n = strlen(name);

	return strpbrk(name, "\"<>,;\\") != NULL || name[0] == ' ' ||
	    name[0] == '\t' || name[n - 1] == ' ' || name[n - 1] == '\t';
}

char *
entry_contact_text(const struct contact *c)
{
	struct buf b;

	if (c->name == NULL || c->name[0] == '\0')
		return xasprintf("<%s>", c->email);
	if (!name_needs_quotes(c->name))
		return xasprintf("%s <%s>", c->name, c->email);
	buf_init(&b, 0);
	buf_putc(&b, '"');
	for (const char *p = c->name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *p);
	}
	buf_printf(&b, "\" <%s>", c->email);
	return buf_release(&b, NULL);
}

static void
render_line(struct buf *b, const char *field, enum lang lang, const char *value)
{
	buf_printf(b, "%s: %s\n", entry_field_label(field, lang),
	    value ? value : "-");
}

char *
entry_render_form_for(const struct org *o, enum lang lang, bool contacts)
{
	struct buf b;

	buf_init(&b, 0);
	render_line(&b, "organisation", lang, o->name);
	render_line(&b, "sector", lang, model_sector_name(o->sector));
	render_line(&b, "website", lang, o->website);
	render_line(&b, "description", lang, o->description);
	for (size_t i = 0; contacts && i < o->n_contacts; i++) {
		char *t = entry_contact_text(&o->contacts[i]);
		render_line(&b, "contact", lang, t);
		free(t);
	}
	if (contacts && o->n_contacts == 0)
		render_line(&b, "contact", lang, NULL);
	for (size_t i = 0; i < o->n_activities; i++) {
		char *t = entry_activity_text(&o->activities[i], lang);
		render_line(&b, "activity", lang, t);
		free(t);
	}
	if (o->n_activities == 0)
		render_line(&b, "activity", lang, lang == LANG_NL ? "geen" : "none");
	render_line(&b, "internships", lang, o->internships);
	if (o->n_networks > 0) {
		buf_printf(&b, "%s: ", entry_field_label("network", lang));
		for (size_t i = 0; i < o->n_networks; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", o->networks[i]);
		buf_putc(&b, '\n');
	} else
		render_line(&b, "network", lang, NULL);
	return buf_release(&b, NULL);
}

char *
entry_render_form(const struct org *o, enum lang lang)
{
	return entry_render_form_for(o, lang, true);
}

static json_t *
json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
entry_to_json(const struct org *o)
{
	json_t *j = json_object(), *nets = json_array(), *contacts = json_array();
	json_t *acts = json_array();
	char when[32];

	json_object_set_new(j, "name", json_str_or_null(o->name));
	json_object_set_new(j, "sector", json_str_or_null(model_sector_name(o->sector)));
	json_object_set_new(j, "website", json_str_or_null(o->website));
	json_object_set_new(j, "description", json_str_or_null(o->description));
	json_object_set_new(j, "internships", json_str_or_null(o->internships));
	for (size_t i = 0; i < o->n_networks; i++)
		json_array_append_new(nets, json_string(o->networks[i]));
	json_object_set_new(j, "networks", nets);
	for (size_t i = 0; i < o->n_contacts; i++)
		json_array_append_new(contacts, json_pack("{s:o,s:s}",
		    "name", json_str_or_null(o->contacts[i].name),
		    "email", o->contacts[i].email));
	json_object_set_new(j, "contacts", contacts);
	for (size_t i = 0; i < o->n_activities; i++) {
		const struct activity *a = &o->activities[i];
		json_array_append_new(acts, json_pack("{s:s,s:o,s:o,s:s}",
		    "country", a->country, "city", json_str_or_null(a->city),
		    "kind", json_str_or_null(model_kind_name(a->kind)),
		    "note", a->note ? a->note : ""));
	}
	json_object_set_new(j, "activities", acts);
	if (o->updated_at) {
		hp_iso8601_utc(o->updated_at, when, sizeof(when));
		json_object_set_new(j, "updated_at", json_string(when));
	} else
		json_object_set_new(j, "updated_at", json_null());
	return j;
}
