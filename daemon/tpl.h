/*
 * tpl: a Mustache renderer over jansson values (L1, pure).
 *
 * Hand-written because Debian 12 ships no C Mustache library.  It
 * implements the core modules of the Mustache specification (comments,
 * set delimiters, interpolation, sections, inverted sections, partials,
 * standalone-line stripping and partial indentation) and passes all 136
 * of their test cases; lambdas, inheritance and dynamic names are not
 * supported.
 *
 * Choices the spec leaves to the implementation:
 *  - Falsy section values (JavaScript-like, as the spec's `!!data`
 *    example suggests): a missing name, null, false, an empty list, an
 *    empty string, and the number 0.  Everything else, including {}, is
 *    truthy.  A list renders its section once per element; any other
 *    truthy value is pushed on the context stack and renders it once.
 *  - Interpolation: strings as they are, integers in decimal, reals in
 *    the shortest form that reads back exactly (1.21, never
 *    1.2100000000000000), true/false as "true"/"false"; null, missing
 *    names, objects and lists as nothing.
 *  - With html_escape, & < > " and ' become &amp; &lt; &gt; &quot; &#39;.
 *
 * What it must not do: read files, log, or trust its input.  Templates
 * come from the configuration directory and the context holds text from
 * mail, so a malformed template is an error with a line number (never a
 * crash), and output size, nesting depth (sections and partials, so a
 * partial that includes itself stops) and total work are all bounded.
 * Partials are fetched through a callback, so this module never touches
 * the file system.
 */
#ifndef HP_TPL_H
#define HP_TPL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Partial lookup: return the template text for name (caller-owned, freed
 * by tpl with free()), or NULL when there is none (renders as empty, per
 * spec).  Called at most once per distinct partial name and indentation
 * during one tpl_render(). */
typedef char *(*tpl_partial_fn)(const char *name, void *arg);

struct tpl_opts {
	/* {{x}} HTML-escaped (& < > " ') when true; false for text/plain
	 * templates, where {{x}} is verbatim.  {{{x}}} and {{&x}} are
	 * always verbatim. */
	bool html_escape;
	tpl_partial_fn partial;	/* NULL: every partial is missing */
	void *partial_arg;
	/* Output cap in bytes, 0 = 16 MiB; exceeding it is an error.  It
	 * also bounds the work: rendering fails after max(max_output,
	 * 65536) template nodes, so nested loops producing nothing still
	 * end. */
	size_t max_output;
	/* Section/partial nesting cap, 0 = 64; values above 1000 are
	 * treated as 1000 (the renderer recurses on the C stack). */
	unsigned max_depth;
};

/*
 * Render template (len bytes, need not be NUL-terminated, may hold any
 * bytes: text outside tags passes through unchanged) against context
 * (borrowed; NULL behaves like an empty object).  opts may be NULL for
 * the defaults with html_escape off.
 *
 * Returns 0 and sets *out (caller frees, NUL-terminated) and *out_len
 * (bytes, not counting the NUL; may be NULL).  Returns -1 with *out NULL
 * and a message in err naming the line, e.g.
 * `line 3: unclosed section "items"`, or for an error inside a partial
 * `partial "footer", line 2: unclosed tag`.  err may be NULL.
 */
int tpl_render(const char *tmpl, size_t len, json_t *context,
    const struct tpl_opts *opts, char **out, size_t *out_len,
    char *err, size_t errlen);

struct buf;

/* Append s[0, n) to out HTML-escaped exactly as {{x}} is with html_escape
 * (for code that fills in values after rendering, and must not drift from
 * the template engine).  0, or -1 when out is full. */
int tpl_html_escape(struct buf *out, const char *s, size_t n);

#endif
