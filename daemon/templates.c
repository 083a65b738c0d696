/* templates: see templates.h. */
#include "templates.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpl.h"
#include "util.h"

#define TEMPLATE_MAX (256 * 1024)

/* Files already read, by "LANG/NAME": a newsletter renders its frame
 * for every copy, and rereading two files per copy costs more than the
 * rendering.  A reload (SIGHUP) makes a new struct templates. */
struct template_file {
	char *key;
	char *text;
};

struct templates {
	char *override_dir;	/* NULL when none */
	char *shipped_dir;
	struct template_file *files;
	size_t n_files;
};

struct partial_ctx {
	struct templates *t;
	enum lang lang;
	const char *ext;	/* ".txt" / ".html" */
};

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* templates/ beside the running binary: the build tree needs no install. */
static char *
dir_beside_binary(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *dir;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		if ((slash = strrchr(exe, '/')) == NULL)
			return NULL;
		*slash = '\0';
		dir = xasprintf("%s/templates", exe);
		if (is_dir(dir))
			return dir;
		free(dir);
	}
	return NULL;
}

struct templates *
templates_new(const char *override_dir)
{
	struct templates *t = xcalloc(1, sizeof(*t));
	char *local;

	if (override_dir && *override_dir)
		t->override_dir = xstrdup(override_dir);
	if ((local = dir_beside_binary()) != NULL)
		t->shipped_dir = local;
	else
		t->shipped_dir = xstrdup(HP_DATADIR "/templates");
	return t;
}

void
templates_free(struct templates *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_files; i++) {
		free(t->files[i].key);
		free(t->files[i].text);
	}
	free(t->files);
	free(t->override_dir);
	free(t->shipped_dir);
	free(t);
}

const char *
templates_shipped_dir(const struct templates *t)
{
	return t->shipped_dir;
}

int
templates_read_file(const char *path, size_t max, char **out, size_t *len)
{
	return hp_read_file(path, max, out, len);
}

/* Read LANG/name from the override directory, else the shipped one. */
static char *
templates_read(struct templates *t, enum lang lang, const char *name)
{
	const char *dirs[2] = { t->override_dir, t->shipped_dir };
	char *text = NULL;

	for (size_t i = 0; i < 2 && text == NULL; i++) {
		char *path;
		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/%s/%s", dirs[i], model_lang_code(lang), name);
		if (hp_read_file(path, TEMPLATE_MAX, &text, NULL) == -1)
			text = NULL;
		free(path);
	}
	return text;
}

/* A copy of LANG/name (caller frees), read once per struct templates;
 * NULL when it does not exist. */
static char *
templates_load(struct templates *t, enum lang lang, const char *name)
{
	char *key, *text;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return NULL;	/* partial names come from template files */
	key = xasprintf("%s/%s", model_lang_code(lang), name);
	for (size_t i = 0; i < t->n_files; i++)
		if (strcmp(t->files[i].key, key) == 0) {
			free(key);
			return xstrdup(t->files[i].text);
		}
	if ((text = templates_read(t, lang, name)) == NULL) {
		free(key);
		return NULL;
	}
	t->files = xreallocarray(t->files, t->n_files + 1, sizeof(*t->files));
	t->files[t->n_files++] = (struct template_file){ key, text };
	return xstrdup(text);
}

static char *
load_partial(const char *name, void *arg)
{
	struct partial_ctx *pc = arg;
	char *file = xasprintf("%s%s", name, pc->ext);
	char *text = templates_load(pc->t, pc->lang, file);

	free(file);
	return text;
}

int
templates_render(struct templates *t, enum lang lang, const char *name,
    json_t *ctx, char **out, char *err, size_t errlen)
{
	const char *ext = strrchr(name, '.');
	struct partial_ctx pc = { t, lang, ext ? ext : "" };
	struct tpl_opts opts = { 0 };
	char *text, tplerr[256];
	size_t outlen;
	int rc;

	if ((text = templates_load(t, lang, name)) == NULL) {
		snprintf(err, errlen, "template %s/%s not found in %s%s%s",
		    model_lang_code(lang), name, t->shipped_dir,
		    t->override_dir ? " or " : "",
		    t->override_dir ? t->override_dir : "");
		return -1;
	}
	opts.html_escape = ext != NULL && strcmp(ext, ".html") == 0;
	opts.partial = load_partial;
	opts.partial_arg = &pc;
	rc = tpl_render(text, strlen(text), ctx, &opts, out, &outlen, tplerr,
	    sizeof(tplerr));
	if (rc == -1)
		snprintf(err, errlen, "template %s/%s: %s", model_lang_code(lang),
		    name, tplerr);
	free(text);
	return rc;
}
