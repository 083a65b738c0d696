/*
 * Unit tests for store: each test gets a fresh database in its own
 * mkdtemp directory under /tmp, removed afterwards.  No sqlite3.h here:
 * the one test that needs a "newer" schema writes the user_version field
 * of the database header (offset 60, big-endian, documented file format).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "store.h"
#include "util.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/hp-test-store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/hanzepost.db", fx->dir);
	if (store_open(fx->path, &fx->st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	DIR *d;
	struct dirent *e;
	char p[512];

	store_close(fx->st);
	if ((d = opendir(fx->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers */

static struct org *
make_org(const char *name)
{
	struct org *o = org_new();

	o->name = xstrdup(name);
	return o;
}

static void
add_network(struct org *o, const char *n)
{
	o->networks = xreallocarray(o->networks, o->n_networks + 1, sizeof(char *));
	o->networks[o->n_networks++] = xstrdup(n);
}

static void
add_contact(struct org *o, const char *name, const char *email)
{
	o->contacts = xreallocarray(o->contacts, o->n_contacts + 1,
	    sizeof(struct contact));
	o->contacts[o->n_contacts++] = (struct contact){ xstrdup(name),
	    xstrdup(email) };
}

static void
add_activity(struct org *o, const char *cc, const char *city,
    enum activity_kind kind, const char *note)
{
	struct activity *a;

	o->activities = xreallocarray(o->activities, o->n_activities + 1,
	    sizeof(struct activity));
	a = &o->activities[o->n_activities++];
	memset(a, 0, sizeof(*a));
	hp_strlcpy(a->country, cc, sizeof(a->country));
	a->city = xstrdup(city);
	a->kind = kind;
	a->note = xstrdup(note);
}

static void
assert_str_null_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_org_equal(const struct org *a, const struct org *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->sector, b->sector);
	assert_str_null_equal(a->website, b->website);
	assert_str_null_equal(a->description, b->description);
	assert_str_null_equal(a->internships, b->internships);
	assert_int_equal(a->n_networks, b->n_networks);
	for (size_t i = 0; i < a->n_networks; i++)
		assert_string_equal(a->networks[i], b->networks[i]);
	assert_int_equal(a->n_contacts, b->n_contacts);
	for (size_t i = 0; i < a->n_contacts; i++) {
		assert_str_null_equal(a->contacts[i].name, b->contacts[i].name);
		assert_string_equal(a->contacts[i].email, b->contacts[i].email);
	}
	assert_int_equal(a->n_activities, b->n_activities);
	for (size_t i = 0; i < a->n_activities; i++) {
		assert_string_equal(a->activities[i].country,
		    b->activities[i].country);
		assert_str_null_equal(a->activities[i].city, b->activities[i].city);
		assert_int_equal(a->activities[i].kind, b->activities[i].kind);
		assert_str_null_equal(a->activities[i].note, b->activities[i].note);
	}
}

/* The example organisation of SPEC §10, with Unicode cities. */
static struct org *
example_org(void)
{
	struct org *o = make_org("Voorbeeld B.V.");

	o->sector = SECTOR_ECONOMY;
	o->website = xstrdup("https://voorbeeld.example");
	o->description = xstrdup("Handel in \xe2\x80\x9cgoede\xe2\x80\x9d dingen");
	o->internships = xstrdup("2 per jaar");
	add_network(o, "Hanze");
	add_network(o, "Eurocities");
	add_contact(o, "Anna de Vries", "anna@voorbeeld.example");
	add_contact(o, NULL, "info@voorbeeld.example");
	add_activity(o, "DE", "L\xc3\xbc" "beck", KIND_TRADE, NULL);
	add_activity(o, "PL", "Gda\xc5\x84sk", KIND_PROJECT, "haven, 2027");
	add_activity(o, "NL", NULL, KIND_NONE, NULL);
	add_activity(o, "BE", "Antwerpen", KIND_EXCHANGE, "");
	return o;
}

static int
read_header_version(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 60), 4);
	close(fd);
	return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
}

/* ---- opening */

static void
test_open_twice(void **state)
{
	struct fx *fx = *state;
	char err[256];

	assert_true(store_schema_version() >= 1);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(read_header_version(fx->path), store_schema_version());
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 1, 2), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(read_header_version(fx->path), store_schema_version());
	assert_string_equal(store_error(fx->st), "");
}

static void
test_refuse_newer(void **state)
{
	struct fx *fx = *state;
	int v = store_schema_version() + 1;
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };
	struct store *st = (struct store *)1;
	char err[256] = "";
	int fd;

	store_close(fx->st);
	fx->st = NULL;
	assert_true((fd = open(fx->path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	close(fd);
	assert_int_equal(store_open(fx->path, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	/* Refused, not touched. */
	assert_int_equal(read_header_version(fx->path), v);
}

static void
test_open_errors(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char err[256] = "", path[256];

	snprintf(path, sizeof(path), "%s/missing/hanzepost.db", fx->dir);
	assert_int_equal(store_open(path, &st, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "directory"));
	assert_non_null(strstr(err, "missing"));
	assert_int_equal(store_open("", &st, err, sizeof(err)), -1);
	assert_int_equal(store_open(":memory:", &st, err, sizeof(err)), 0);
	assert_int_equal(store_mailbox_set(st, "INBOX", 3, 4), 0);
	store_close(st);
}

static void
test_file_mode(void **state)
{
	struct fx *fx = *state;
	struct stat sb;
	char wal[256];

	/* A write makes sure the -wal file exists too. */
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 1, 1), 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

/* ---- registry */

static void
test_org_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct org *o = example_org(), *a = make_org("aardvark"), *got = NULL;
	struct org *u = make_org("\xc3\x96lfabriek");	/* Ölfabriek */
	struct org **list = NULL;
	size_t n = 0;

	add_activity(a, "SE", "Visby", KIND_CULTURE, NULL);
	assert_int_equal(store_org_save(fx->st, o, "anna@voorbeeld.example",
	    "<m1@x>", NULL, 0, 1000), 0);
	assert_true(o->id > 0);
	assert_int_equal(o->updated_at, 1000);
	assert_int_equal(store_org_save(fx->st, a, NULL, NULL, NULL, 0, 1001), 0);
	assert_int_equal(store_org_save(fx->st, u, NULL, NULL, NULL, 0, 1002), 0);

	assert_int_equal(store_org_get(fx->st, "voorbeeld b.v.", &got), 1);
	assert_org_equal(got, o);
	assert_int_equal(got->updated_at, 1000);
	org_free(got);
	assert_int_equal(store_org_get(fx->st, "Nope", &got), 0);
	assert_null(got);
	/* NOCASE folds ASCII only. */
	assert_int_equal(store_org_get(fx->st, "\xc3\xb6lfabriek", &got), 0);

	assert_int_equal(store_org_list(fx->st, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0]->name, "aardvark");
	assert_org_equal(list[0], a);
	assert_org_equal(list[1], o);
	assert_string_equal(list[2]->name, "\xc3\x96lfabriek");
	assert_int_equal(list[2]->n_activities, 0);
	store_orgs_free(list, n);
	org_free(o);
	org_free(a);
	org_free(u);
}

static void
test_org_update(void **state)
{
	struct fx *fx = *state;
	struct org *o = example_org(), *other = make_org("Ander"), *got = NULL;
	int64_t id;

	assert_int_equal(store_org_save(fx->st, o, NULL, NULL, NULL, 0, 1000), 0);
	id = o->id;
	org_free(o);
	o = make_org("VOORBEELD B.V.");
	o->id = id;
	o->sector = SECTOR_CULTURE;
	add_network(o, "Eurocities");
	add_contact(o, "Bert", "bert@voorbeeld.example");
	add_activity(o, "PL", "Gda\xc5\x84sk", KIND_PROJECT, NULL);
	add_activity(o, "DE", "L\xc3\xbc" "beck", KIND_TRADE, NULL);
	assert_int_equal(store_org_save(fx->st, o, NULL, NULL, NULL, 0, 2000), 0);
	assert_int_equal(o->id, id);
	assert_int_equal(store_org_get(fx->st, "Voorbeeld B.V.", &got), 1);
	assert_org_equal(got, o);
	assert_int_equal(got->updated_at, 2000);
	assert_null(got->website);
	org_free(got);

	/* A name taken by another organisation, ASCII case ignored. */
	free(other->name);
	other->name = xstrdup("voorbeeld b.v.");
	assert_int_equal(store_org_save(fx->st, other, NULL, NULL, NULL, 0, 1), -1);
	assert_int_equal(other->id, 0);
	assert_non_null(strstr(store_error(fx->st), "UNIQUE"));
	assert_false(store_error_is_temporary(fx->st));
	/* An id that does not exist. */
	other->id = id + 100;
	assert_int_equal(store_org_save(fx->st, other, NULL, NULL, NULL, 0, 1), -1);
	/* A bad country code is refused and nothing of the save remains. */
	free(other->name);
	other->name = xstrdup("Derde");
	other->id = 0;
	add_activity(other, "D", NULL, KIND_NONE, NULL);
	assert_int_equal(store_org_save(fx->st, other, NULL, NULL, NULL, 0, 1), -1);
	assert_int_equal(other->id, 0);
	assert_int_equal(store_org_get(fx->st, "Derde", &got), 0);
	org_free(other);
	org_free(o);
}

struct change_log {
	size_t n;
	char rows[8][200];
	time_t at[8];
	int stop_after;
};

static int
collect_change(const char *org, const char *field, const char *old_value,
    const char *new_value, const char *actor, const char *message_id,
    time_t at, void *arg)
{
	struct change_log *c = arg;

	assert_true(c->n < 8);
	snprintf(c->rows[c->n], sizeof(c->rows[0]), "%s|%s|%s|%s|%s|%s", org,
	    field, old_value ? old_value : "(null)",
	    new_value ? new_value : "(null)", actor ? actor : "(null)",
	    message_id ? message_id : "(null)");
	c->at[c->n++] = at;
	return c->stop_after && (int)c->n >= c->stop_after ? 42 : 0;
}

static void
test_org_delete_and_changes(void **state)
{
	struct fx *fx = *state;
	struct org *o = example_org(), *b = make_org("Bravo"), *got = NULL;
	struct org **list = NULL;
	size_t n = 0;
	struct change_log log = { 0 };
	int64_t id;
	const struct store_change c1[] = {
		{ "organisation", NULL, "Voorbeeld B.V." },
		{ "activity", NULL, "DE, L\xc3\xbc" "beck; trade" },
	};
	const struct store_change c2[] = { { "sector", "economy", NULL } };

	assert_int_equal(store_org_save(fx->st, b, NULL, NULL, c2, 1, 2000), 0);
	assert_int_equal(store_org_save(fx->st, o, "anna@voorbeeld.example",
	    "<m1@x>", c1, 2, 1000), 0);
	id = o->id;
	assert_int_equal(store_org_delete(fx->st, "VOORBEELD b.v.", "office@x",
	    "<m2@x>", 3000), 1);
	assert_int_equal(store_org_delete(fx->st, "Voorbeeld B.V.", NULL, NULL,
	    3001), 0);
	assert_int_equal(store_org_get(fx->st, "Voorbeeld B.V.", &got), 0);
	assert_int_equal(store_org_list(fx->st, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->name, "Bravo");
	store_orgs_free(list, n);
	/* Lists went with it (ON DELETE CASCADE): a new org that gets the
	 * same rowid (it was the highest) starts empty. */
	org_free(o);
	o = make_org("Voorbeeld B.V.");
	assert_int_equal(store_org_save(fx->st, o, NULL, NULL, NULL, 0, 4000), 0);
	assert_int_equal(o->id, id);
	assert_int_equal(store_org_get(fx->st, "Voorbeeld B.V.", &got), 1);
	assert_int_equal(got->n_activities + got->n_contacts + got->n_networks, 0);
	org_free(got);

	assert_int_equal(store_changes_since(fx->st, 0, collect_change, &log), 0);
	assert_int_equal(log.n, 4);
	assert_string_equal(log.rows[0], "Bravo|sector|economy|(null)|(null)|(null)");
	assert_string_equal(log.rows[1], "Voorbeeld B.V.|organisation|(null)|"
	    "Voorbeeld B.V.|anna@voorbeeld.example|<m1@x>");
	assert_string_equal(log.rows[2], "Voorbeeld B.V.|activity|(null)|"
	    "DE, L\xc3\xbc" "beck; trade|anna@voorbeeld.example|<m1@x>");
	assert_string_equal(log.rows[3], "Voorbeeld B.V.|organisation|"
	    "Voorbeeld B.V.|(null)|office@x|<m2@x>");
	assert_int_equal(log.at[3], 3000);
	memset(&log, 0, sizeof(log));
	assert_int_equal(store_changes_since(fx->st, 1500, collect_change, &log), 0);
	assert_int_equal(log.n, 2);	/* Bravo at 2000, the delete at 3000 */
	memset(&log, 0, sizeof(log));
	log.stop_after = 1;
	assert_int_equal(store_changes_since(fx->st, 0, collect_change, &log), 42);
	assert_int_equal(log.n, 1);
	org_free(o);
	org_free(b);
}

static void
test_names_for_contact(void **state)
{
	struct fx *fx = *state;
	struct org *a = make_org("Zeta"), *b = make_org("alfa"), *c = make_org("Mu");
	char **names = NULL;
	size_t n = 0;

	add_contact(a, "Anna", "anna@x.example");
	add_contact(b, NULL, "other@x.example");
	add_contact(b, "Anna", "anna@x.example");
	add_contact(c, NULL, "other@x.example");
	assert_int_equal(store_org_save(fx->st, a, NULL, NULL, NULL, 0, 1), 0);
	assert_int_equal(store_org_save(fx->st, b, NULL, NULL, NULL, 0, 1), 0);
	assert_int_equal(store_org_save(fx->st, c, NULL, NULL, NULL, 0, 1), 0);
	assert_int_equal(store_org_names_for_contact(fx->st, "ANNA@x.example",
	    &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "alfa");
	assert_string_equal(names[1], "Zeta");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(store_org_names_for_contact(fx->st, "nobody@x.example",
	    &names, &n), 0);
	assert_int_equal(n, 0);
	assert_null(names);
	org_free(a);
	org_free(b);
	org_free(c);
}

/* ---- mailbox and messages */

static void
test_mailbox(void **state)
{
	struct fx *fx = *state;
	uint32_t v = 9, u = 9;

	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(v, 0);
	assert_int_equal(u, 0);
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 4000000000u, 17), 0);
	assert_int_equal(store_mailbox_set(fx->st, "Other", 5, 6), 0);
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(v, 4000000000u);
	assert_int_equal(u, 17);
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 4000000000u, 4294967295u), 0);
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(u, 4294967295u);
}

static void
test_messages_seen(void **state)
{
	struct fx *fx = *state;
	char folder[32], tiny[4];

	assert_int_equal(store_message_seen(fx->st, 7, 1, "<a@b>", folder,
	    sizeof(folder)), 0);
	assert_string_equal(folder, "");
	assert_int_equal(store_message_record(fx->st, 7, 1, "<a@b>", "s@x",
	    "Processed", "applied", 100), 0);
	assert_int_equal(store_message_record(fx->st, 7, 2, NULL, NULL,
	    "Rejected", "rejected", 100), 0);
	assert_int_equal(store_message_seen(fx->st, 7, 1, NULL, folder,
	    sizeof(folder)), 1);
	assert_string_equal(folder, "Processed");
	/* The same Message-ID under another UID (a second copy). */
	assert_int_equal(store_message_seen(fx->st, 7, 9, "<a@b>", folder,
	    sizeof(folder)), 1);
	assert_string_equal(folder, "Processed");
	assert_int_equal(store_message_seen(fx->st, 8, 1, "<a@b>", NULL, 0), 1);
	assert_int_equal(store_message_seen(fx->st, 7, 9, "<c@d>", folder,
	    sizeof(folder)), 0);
	assert_int_equal(store_message_seen(fx->st, 8, 1, NULL, folder,
	    sizeof(folder)), 0);
	assert_int_equal(store_message_seen(fx->st, 8, 1, "", folder,
	    sizeof(folder)), 0);
	assert_int_equal(store_message_seen(fx->st, 7, 2, "<x@y>", tiny,
	    sizeof(tiny)), 1);
	assert_string_equal(tiny, "Rej");
	/* Recording a UID twice is a caller bug, reported. */
	assert_int_equal(store_message_record(fx->st, 7, 1, NULL, NULL,
	    "Processed", "applied", 101), -1);
	assert_false(store_error_is_temporary(fx->st));
}

struct groups {
	size_t n;
	char text[256];
	struct store *st;
	uint32_t uidvalidity;
	int ret;
};

static int
collect_group(const char *folder, const uint32_t *uids, size_t n, void *arg)
{
	struct groups *g = arg;
	size_t len = strlen(g->text);

	g->n++;
	len += (size_t)snprintf(g->text + len, sizeof(g->text) - len, "%s:",
	    folder);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(g->text + len, sizeof(g->text) - len,
		    "%s%u", i ? "," : "", uids[i]);
	snprintf(g->text + len, sizeof(g->text) - len, " ");
	/* Moving from inside the callback must work (rows read first). */
	if (g->st != NULL)
		assert_int_equal(store_message_set_moved(g->st, g->uidvalidity,
		    uids, n), 0);
	return g->ret;
}

static void
test_pending_moves(void **state)
{
	struct fx *fx = *state;
	static const char *const folders[] = { "Processed", "Rejected",
	    "Processed", "Held", "Processed" };
	const uint32_t moved[] = { 1, 3, 99 };
	struct groups g = { 0 };

	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(store_message_record(fx->st, 7, i + 1, NULL,
		    NULL, folders[i], "applied", 100), 0);
	assert_int_equal(store_message_record(fx->st, 8, 1, NULL, NULL,
	    "Processed", "applied", 100), 0);
	assert_int_equal(store_message_pending_moves(fx->st, 7, collect_group,
	    &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text, "Held:4 Processed:1,3,5 Rejected:2 ");
	assert_int_equal(store_message_set_moved(fx->st, 7, moved, 3), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_message_pending_moves(fx->st, 7, collect_group,
	    &g), 0);
	assert_string_equal(g.text, "Held:4 Processed:5 Rejected:2 ");
	/* A callback's non-zero return stops the walk. */
	memset(&g, 0, sizeof(g));
	g.ret = 5;
	assert_int_equal(store_message_pending_moves(fx->st, 7, collect_group,
	    &g), 5);
	assert_int_equal(g.n, 1);
	/* Move everything from inside the callback, then nothing is left. */
	memset(&g, 0, sizeof(g));
	g.st = fx->st;
	g.uidvalidity = 7;
	assert_int_equal(store_message_pending_moves(fx->st, 7, collect_group,
	    &g), 0);
	assert_int_equal(g.n, 3);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_message_pending_moves(fx->st, 7, collect_group,
	    &g), 0);
	assert_int_equal(g.n, 0);
	/* Still seen after the move. */
	assert_int_equal(store_message_seen(fx->st, 7, 4, NULL, NULL, 0), 1);
	/* Another UIDVALIDITY is separate. */
	assert_int_equal(store_message_pending_moves(fx->st, 8, collect_group,
	    &g), 0);
	assert_string_equal(g.text, "Processed:1 ");
}

static void
test_attempts(void **state)
{
	struct fx *fx = *state;
	unsigned n = 0;

	assert_int_equal(store_attempt_bump(fx->st, 7, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_attempt_bump(fx->st, 7, 1, &n), 0);
	assert_int_equal(store_attempt_bump(fx->st, 7, 1, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_attempt_bump(fx->st, 7, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_attempt_bump(fx->st, 8, 1, &n), 0);
	assert_int_equal(n, 1);
}

/* ---- outbox */

struct outlist {
	size_t n;
	char rows[8][200];
};

static int
collect_out(int64_t id, enum store_out_kind kind, const char *recipient,
    const char *message_id, const char *state, int attempts, int smtp_code,
    const char *reply, time_t created_at, time_t next_attempt, void *arg)
{
	struct outlist *l = arg;

	assert_int_equal(kind, STORE_OUT_REPLY);
	assert_true(l->n < 8);
	snprintf(l->rows[l->n++], sizeof(l->rows[0]), "%lld %s %s %s %d %d %s %lld %lld",
	    (long long)id, recipient, message_id, state, attempts, smtp_code,
	    reply ? reply : "-", (long long)created_at, (long long)next_attempt);
	return 0;
}

static void
test_outbox(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "Subject: x\r\n\r\nbody\0with a NUL\r\n";
	struct store_outmsg *m = NULL;
	struct outlist l = { 0 };
	size_t n = 0;
	int64_t id[3];

	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "bounce@h.example", "a@x.example", "<o1@h>", data,
	    sizeof(data) - 1, 100, &id[0]), 0);
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "bounce@h.example", "b@x.example", "<o2@h>", "B", 1, 100, &id[1]),
	    0);
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "bounce@h.example", "c@x.example", "<o3@h>", "C", 1, 200, &id[2]),
	    0);
	/* Message-IDs are unique. */
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "bounce@h.example", "d@x.example", "<o3@h>", "D", 1, 200, NULL),
	    -1);

	assert_int_equal(store_outbox_due(fx->st, 150, 10, &m, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].id, id[0]);
	assert_int_equal(m[0].len, sizeof(data) - 1);
	assert_memory_equal(m[0].data, data, sizeof(data) - 1);
	assert_int_equal(m[0].data[m[0].len], '\0');
	assert_string_equal(m[0].sender, "bounce@h.example");
	assert_string_equal(m[0].recipient, "a@x.example");
	assert_string_equal(m[0].message_id, "<o1@h>");
	assert_int_equal(m[0].attempts, 0);
	assert_int_equal(m[0].created_at, 100);
	store_outmsgs_free(m, n);
	assert_int_equal(store_outbox_due(fx->st, 150, 1, &m, &n), 0);
	assert_int_equal(n, 1);
	store_outmsgs_free(m, n);
	assert_int_equal(store_outbox_due(fx->st, 50, 10, &m, &n), 0);
	assert_int_equal(n, 0);
	assert_null(m);

	assert_int_equal(store_outbox_result(fx->st, id[0], STORE_OUT_SENT, 250,
	    "2.0.0 Ok: queued", 0, 160), 0);
	assert_int_equal(store_outbox_result(fx->st, id[1], STORE_OUT_QUEUED,
	    451, "4.3.0 try later", 1000, 170), 0);
	assert_int_equal(store_outbox_due(fx->st, 300, 10, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].id, id[2]);
	store_outmsgs_free(m, n);
	assert_int_equal(store_outbox_result(fx->st, id[2], STORE_OUT_FAILED,
	    550, "5.1.1 no such user", 0, 180), 0);
	assert_int_equal(store_outbox_due(fx->st, 1000, 10, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].id, id[1]);
	assert_int_equal(m[0].attempts, 1);
	store_outmsgs_free(m, n);
	/* Only a queued row takes a result. */
	assert_int_equal(store_outbox_result(fx->st, id[0], STORE_OUT_SENT, 250,
	    NULL, 0, 190), -1);
	assert_non_null(strstr(store_error(fx->st), "not queued"));
	assert_int_equal(store_outbox_result(fx->st, 12345, STORE_OUT_SENT, 250,
	    NULL, 0, 190), -1);

	assert_int_equal(store_outbox_list(fx->st, collect_out, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.rows[0], "1 a@x.example <o1@h> sent 1 250 "
	    "2.0.0 Ok: queued 100 100");
	assert_string_equal(l.rows[1], "2 b@x.example <o2@h> queued 1 451 "
	    "4.3.0 try later 100 1000");
	assert_string_equal(l.rows[2], "3 c@x.example <o3@h> failed 1 550 "
	    "5.1.1 no such user 200 200");
}

static void
test_count_to(void **state)
{
	struct fx *fx = *state;
	unsigned count = 99;

	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "h@h.example", "Bob@x.example", "<c1@h>", "x", 1, 100, NULL), 0);
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "h@h.example", "bob@x.example", "<c2@h>", "x", 1, 200, NULL), 0);
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "h@h.example", "eve@x.example", "<c3@h>", "x", 1, 200, NULL), 0);
	/* A newsletter is not a reply: it does not use up Bob's answers. */
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_MAILING,
	    "h@h.example", "bob@x.example", "<c4@h>", "x", 1, 200, NULL), 0);
	assert_int_equal(store_outbox_add(fx->st, (enum store_out_kind)7,
	    "h@h.example", "bob@x.example", "<c5@h>", "x", 1, 200, NULL), -1);
	assert_int_equal(store_outbox_count_to(fx->st, "BOB@x.example", 150,
	    &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_outbox_count_to(fx->st, "bob@x.example", 0,
	    &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_outbox_count_to(fx->st, "nobody@x.example", 0,
	    &count), 0);
	assert_int_equal(count, 0);
}

/* ---- transactions */

static void
test_busy(void **state)
{
	struct fx *fx = *state;
	struct store *other = NULL;
	char err[256];
	uint32_t v, u;

	assert_int_equal(store_open(fx->path, &other, err, sizeof(err)), 0);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(store_mailbox_set(other, "INBOX", 1, 1), 0);
	store_set_busy_timeout(fx->st, 100);
	assert_int_equal(store_begin(fx->st), -1);
	assert_true(store_error_is_temporary(fx->st));
	assert_non_null(strstr(store_error(fx->st), "locked"));
	/* A write outside a transaction waits and fails the same way. */
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 2, 2), -1);
	assert_true(store_error_is_temporary(fx->st));
	/* Readers are not blocked in WAL mode, and see the old state. */
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(v, 0);
	assert_int_equal(store_commit(other), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_commit(fx->st), 0);
	store_close(other);
}

static void
test_rollback(void **state)
{
	struct fx *fx = *state;
	struct org *o = example_org(), *got = NULL;
	struct store_outmsg *m = NULL;
	const struct store_change c = { "organisation", NULL, "Voorbeeld B.V." };
	struct change_log log = { 0 };
	uint32_t v = 1, u = 1;
	size_t n = 0;

	store_rollback(fx->st);		/* no transaction: a no-op */
	assert_int_equal(store_commit(fx->st), -1);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_begin(fx->st), -1);
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 5, 6), 0);
	assert_int_equal(store_org_save(fx->st, o, "a@x", "<m@x>", &c, 1, 10), 0);
	assert_int_equal(store_message_record(fx->st, 5, 6, "<m@x>", NULL,
	    "Processed", "applied", 10), 0);
	assert_int_equal(store_outbox_add(fx->st, STORE_OUT_REPLY,
	    "h@h.example", "a@x.example", "<r@h>", "x", 1, 10, NULL), 0);
	store_rollback(fx->st);
	/* The caller's rollback voids the id store_org_save gave. */
	o->id = 0;

	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &v, &u), 0);
	assert_int_equal(v + u, 0);
	assert_int_equal(store_org_get(fx->st, "Voorbeeld B.V.", &got), 0);
	assert_int_equal(store_message_seen(fx->st, 5, 6, "<m@x>", NULL, 0), 0);
	assert_int_equal(store_outbox_due(fx->st, 100, 10, &m, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_changes_since(fx->st, 0, collect_change, &log), 0);
	assert_int_equal(log.n, 0);
	/* And the same work commits fine afterwards. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_org_save(fx->st, o, "a@x", "<m@x>", &c, 1, 10), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_org_get(fx->st, "Voorbeeld B.V.", &got), 1);
	org_free(got);
	org_free(o);
}

/* The error that made a caller roll back survives the rollback. */
static void
test_rollback_keeps_error(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(store_message_record(fx->st, 1, 1, NULL, NULL, "P",
	    "applied", 1), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_message_record(fx->st, 1, 1, NULL, NULL, "P",
	    "applied", 1), -1);
	store_rollback(fx->st);
	assert_non_null(strstr(store_error(fx->st), "record message"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_open_twice),
		T(test_refuse_newer),
		T(test_open_errors),
		T(test_file_mode),
		T(test_org_roundtrip),
		T(test_org_update),
		T(test_org_delete_and_changes),
		T(test_names_for_contact),
		T(test_mailbox),
		T(test_messages_seen),
		T(test_pending_moves),
		T(test_attempts),
		T(test_outbox),
		T(test_count_to),
		T(test_busy),
		T(test_rollback),
		T(test_rollback_keeps_error),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
