/*
 * templates: find and render the reply and mailing texts.  A template
 * NAME in language LANG is the file LANG/NAME (e.g. "nl/reply.txt") in the
 * override directory from the config, else in the shipped directory
 * (HP_DATADIR/templates, or templates/ beside the binary when it runs
 * from its build tree).  Files ending in .html render with HTML escaping,
 * everything else verbatim.  Partials ({{> name}}) are looked up the same
 * way with the extension of the template that includes them.
 *
 * Each file is read once per struct templates and kept: a daemon picks
 * up edited templates when it makes a new one (reload, restart).
 *
 * L4 (reads files); rendering itself is tpl's.
 */
#ifndef HP_TEMPLATES_H
#define HP_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>

#include "model.h"

struct templates;

/* override_dir may be NULL or "".  Never fails: a missing shipped
 * directory shows up as an error when a template is rendered. */
struct templates *templates_new(const char *override_dir);
void templates_free(struct templates *t);

/* The shipped directory in use (for --help and error messages). */
const char *templates_shipped_dir(const struct templates *t);

/* Render LANG/name against ctx into *out (caller frees).  0, or -1 with
 * the reason (file not found, template error with line) in err. */
int templates_render(struct templates *t, enum lang lang, const char *name,
    json_t *ctx, char **out, char *err, size_t errlen);

/* Same as hp_read_file (util.h), which callers should use; kept only
 * while tests/unit/test_templates.c still calls it by this name. */
int templates_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
