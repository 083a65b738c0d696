/*
 * textconv: see textconv.h.
 *
 * The HTML tree walk is iterative (next/parent pointers, no recursion), so
 * a document nested arbitrarily deep cannot exhaust our stack, and every
 * byte of output goes through one bounded buffer.  Line breaks are
 * requested lazily ("at least N line ends before the next text") so that
 * nested blocks do not pile up empty lines; a final pass trims trailing
 * blanks and limits runs of empty lines.
 */
#include "textconv.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "util.h"

#define URL_MAX 2048
#define LINK_STACK 16
#define NEST_SHOWN 8	/* quote and list levels shown in line prefixes */
#define SEPARATOR "________________________________"

enum {
	EL_SKIP = 1 << 0,	/* drop the element and everything inside */
	EL_LINE = 1 << 1,	/* starts and ends a line */
	EL_PARA = 1 << 2,	/* separated by a blank line */
	EL_BR = 1 << 3,
	EL_LI = 1 << 4,
	EL_LIST = 1 << 5,
	EL_PRE = 1 << 6,
	EL_QUOTE = 1 << 7,
	EL_CELL = 1 << 8,
	EL_HR = 1 << 9,
	EL_LINK = 1 << 10,
	EL_DIV = 1 << 11,
	EL_P = 1 << 12,
};

static const struct {
	const char *name;
	unsigned flags;
} elements[] = {
	{ "a", EL_LINK },		{ "address", EL_LINE },
	{ "article", EL_LINE },		{ "aside", EL_LINE },
	{ "blockquote", EL_PARA | EL_QUOTE },
	{ "br", EL_BR },		{ "caption", EL_LINE },
	{ "center", EL_LINE },		{ "dd", EL_LINE },
	{ "details", EL_LINE },		{ "dialog", EL_LINE },
	{ "div", EL_LINE | EL_DIV },	{ "dl", EL_LINE },
	{ "dt", EL_LINE },		{ "fieldset", EL_LINE },
	{ "figcaption", EL_LINE },	{ "figure", EL_LINE },
	{ "footer", EL_LINE },		{ "form", EL_LINE },
	{ "h1", EL_PARA },		{ "h2", EL_PARA },
	{ "h3", EL_PARA },		{ "h4", EL_PARA },
	{ "h5", EL_PARA },		{ "h6", EL_PARA },
	{ "head", EL_SKIP },		{ "header", EL_LINE },
	{ "hr", EL_HR },		{ "iframe", EL_SKIP },
	{ "legend", EL_LINE },		{ "li", EL_LI },
	{ "main", EL_LINE },		{ "menu", EL_PARA | EL_LIST },
	{ "nav", EL_LINE },		{ "ol", EL_PARA | EL_LIST },
	{ "p", EL_PARA | EL_P },	{ "pre", EL_PARA | EL_PRE },
	{ "script", EL_SKIP },		{ "section", EL_LINE },
	{ "style", EL_SKIP },		{ "summary", EL_LINE },
	{ "svg", EL_SKIP },		{ "table", EL_LINE },
	{ "td", EL_CELL },		{ "template", EL_SKIP },
	{ "th", EL_CELL },		{ "title", EL_SKIP },
	{ "tr", EL_LINE },		{ "ul", EL_PARA | EL_LIST },
	{ "xml", EL_SKIP },
};

struct conv {
	struct buf out;
	int pending;		/* line ends wanted before the next text */
	bool space;		/* a collapsed space is due before the next text */
	bool full;		/* output cap reached: stop */
	unsigned pre, quote, list;
	size_t links[LINK_STACK];	/* output offset where each open <a> began */
	unsigned nlinks;	/* may exceed LINK_STACK; deeper links get no URL */
};

static unsigned
lookup(const xmlNode *n)
{
	const char *name = (const char *)n->name;

	if (name == NULL)
		return 0;
	for (size_t i = 0; i < HP_NELEM(elements); i++)
		if (strcasecmp(name, elements[i].name) == 0)
			return elements[i].flags;
	return 0;
}

/* libxml2 drops namespace prefixes, so Outlook's <o:p> (inside nearly
 * every MsoNormal paragraph) arrives as a <p> nested in a <p>, which real
 * HTML cannot produce: such a <p> is inline. */
static unsigned
element_flags(const xmlNode *n)
{
	unsigned f = lookup(n);
	const xmlNode *a = n->parent;

	for (int i = 0; (f & EL_P) && a != NULL && i < 8; i++, a = a->parent)
		if (a->type == XML_ELEMENT_NODE && (lookup(a) & EL_P))
			return 0;
	return f;
}

/* True when attribute attr of n, lower-cased with white space removed,
 * contains needle (given in that form). */
static bool
attr_contains(const xmlNode *n, const char *attr, const char *needle)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	char *s = (char *)v;
	size_t w = 0;
	bool found;

	if (v == NULL)
		return false;
	for (size_t r = 0; s[r] != '\0'; r++)
		if (s[r] != ' ' && s[r] != '\t' && s[r] != '\n' && s[r] != '\r')
			s[w++] = (s[r] >= 'A' && s[r] <= 'Z') ? s[r] + 32 : s[r];
	s[w] = '\0';
	found = strstr(s, needle) != NULL;
	xmlFree(v);
	return found;
}

/* Preheaders and Outlook-only fragments are hidden from the reader, so
 * they must not show up in the text either. */
static bool
is_hidden(const xmlNode *n)
{
	if (n->properties == NULL)
		return false;
	return xmlHasProp(n, (const xmlChar *)"hidden") != NULL ||
	    attr_contains(n, "style", "display:none") ||
	    attr_contains(n, "style", "mso-hide:all") ||
	    attr_contains(n, "style", "visibility:hidden");
}

/* Where Outlook starts the quoted original: desktop Outlook draws a
 * border-top div before the "From:/Sent:" block, Outlook on the web wraps
 * it in divRplyFwdMsg. */
static bool
is_outlook_separator(const xmlNode *n)
{
	return attr_contains(n, "id", "divrplyfwdmsg") ||
	    attr_contains(n, "style", "border-top:solid");
}

static void
put(struct conv *c, const char *s, size_t n)
{
	if (!c->full && buf_append(&c->out, s, n) == -1)
		c->full = true;
}

static bool
at_line_start(const struct conv *c)
{
	return c->out.len == 0 || c->out.data[c->out.len - 1] == '\n';
}

static void
want_lines(struct conv *c, int n)
{
	if (n > c->pending)
		c->pending = n;
	c->space = false;
}

static void
flush_lines(struct conv *c)
{
	int have = 0;

	if (c->out.len > 0) {
		while (have < c->pending && (size_t)have < c->out.len &&
		    c->out.data[c->out.len - 1 - (size_t)have] == '\n')
			have++;
		for (; have < c->pending; have++)
			put(c, "\n", 1);
	}
	c->pending = 0;
}

/* Everything visible goes through here: due line ends, then the quote
 * prefix at the start of a line, else a due collapsed space. */
static void
begin_content(struct conv *c)
{
	flush_lines(c);
	if (at_line_start(c)) {
		for (unsigned i = 0; i < c->quote && i < NEST_SHOWN; i++)
			put(c, "> ", 2);
	} else if (c->space)
		put(c, " ", 1);
	c->space = false;
}

static void
hard_break(struct conv *c)
{
	flush_lines(c);
	put(c, "\n", 1);
	c->space = false;
}

static void
separator(struct conv *c)
{
	want_lines(c, 1);
	begin_content(c);
	put(c, SEPARATOR, sizeof(SEPARATOR) - 1);
	want_lines(c, 1);
}

/* Zero-width and soft characters that newsletters use as padding. */
static bool
is_invisible(uint32_t cp)
{
	return cp == 0xad || cp == 0x34f || cp == 0x200b || cp == 0x200c ||
	    cp == 0x2060 || cp == 0xfeff;
}

static void
emit_text(struct conv *c, const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n && !c->full) {
		uint32_t cp = hp_utf8_decode(s + i, n - i, &len);
		const char *bytes = (const char *)s + i;
		bool bad = cp == HP_UTF8_BAD;

		i += len;
		if (bad)
			cp = 0xfffd;
		if (c->pre == 0 && (cp == ' ' || cp == '\t' || cp == '\n' ||
		    cp == '\r' || cp == '\f' || cp == '\v')) {
			c->space = true;
			continue;
		}
		if (cp == '\n') {
			hard_break(c);
			continue;
		}
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0) || is_invisible(cp))
			continue;
		begin_content(c);
		if (cp == 0xa0)
			put(c, " ", 1);
		else if (bad)
			put(c, "\xef\xbf\xbd", 3);
		else
			put(c, bytes, len);
	}
}

static void
list_item(struct conv *c)
{
	want_lines(c, 1);
	begin_content(c);
	for (unsigned i = 1; i < c->list && i < NEST_SHOWN; i++)
		put(c, "  ", 2);
	put(c, "- ", 2);
	c->space = false;
}

/* Blank line around paragraphs, except Outlook's MsoNormal paragraphs
 * (its style sheet gives them no margin: one per visual line) and nested
 * lists. */
static int
para_lines(const struct conv *c, const xmlNode *n, unsigned flags)
{
	if ((flags & EL_P) && attr_contains(n, "class", "msonormal"))
		return 1;
	if ((flags & EL_LIST) && c->list > 1)
		return 1;
	return 2;
}

/* Strip what makes two spellings of one address differ. */
static void
url_core(const char *s, size_t n, const char **out, size_t *outlen)
{
	static const char *const schemes[] = { "mailto:", "https://", "http://" };

	while (n > 0 && (*s == ' ' || *s == '\n' || *s == '>'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '/'))
		n--;
	for (size_t i = 0; i < HP_NELEM(schemes); i++) {
		size_t k = strlen(schemes[i]);
		if (n >= k && strncasecmp(s, schemes[i], k) == 0) {
			s += k;
			n -= k;
			break;
		}
	}
	*out = s;
	*outlen = n;
}

static bool
url_usable(const char *u, size_t n)
{
	if (n == 0 || n > URL_MAX)
		return false;
	/* Printable ASCII only: the URL is written out as it is. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f ||
		    u[i] == '<' || u[i] == '>')
			return false;
	return strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "mailto:", 7) == 0;
}

static void
link_end(struct conv *c, const xmlNode *n)
{
	xmlChar *href;
	const char *t, *h;
	size_t start, tl, hl, len;

	if (c->nlinks == 0 || --c->nlinks >= LINK_STACK || c->full)
		return;
	start = c->links[c->nlinks];
	if (start >= c->out.len)
		return;	/* no text at all */
	url_core(c->out.data + start, c->out.len - start, &t, &tl);
	if (tl == 0)
		return;	/* image links: the URL alone tells the reader nothing */
	href = xmlGetProp(n, (const xmlChar *)"href");
	if (href == NULL)
		return;
	len = strlen((const char *)href);
	if (url_usable((const char *)href, len)) {
		url_core((const char *)href, len, &h, &hl);
		if (tl != hl || strncasecmp(t, h, hl) != 0) {
			c->space = true;
			begin_content(c);
			put(c, "<", 1);
			put(c, (const char *)href, len);
			put(c, ">", 1);
		}
	}
	xmlFree(href);
}

/* Returns false when the element and its subtree are to be skipped. */
static bool
enter(struct conv *c, const xmlNode *n)
{
	unsigned f = element_flags(n);

	if ((f & EL_SKIP) || is_hidden(n))
		return false;
	if (f & EL_LINE)
		want_lines(c, 1);
	if (f & EL_LIST)
		c->list++;
	if (f & EL_PARA)
		want_lines(c, para_lines(c, n, f));
	if (f & EL_QUOTE)
		c->quote++;
	if (f & EL_PRE)
		c->pre++;
	if (f & EL_LI)
		list_item(c);
	if (f & EL_BR)
		hard_break(c);
	if (f & EL_HR)
		separator(c);
	if ((f & EL_DIV) && is_outlook_separator(n))
		separator(c);
	if (f & EL_CELL)
		c->space = true;
	if (f & EL_LINK) {
		if (c->nlinks < LINK_STACK)
			c->links[c->nlinks] = c->out.len;
		if (c->nlinks < UINT_MAX)
			c->nlinks++;
	}
	return true;
}

static void
leave(struct conv *c, const xmlNode *n)
{
	unsigned f = element_flags(n);

	if (f & EL_LINK)
		link_end(c, n);
	if (f & (EL_LINE | EL_LI))
		want_lines(c, 1);
	if (f & EL_PARA)
		want_lines(c, para_lines(c, n, f));
	if ((f & EL_LIST) && c->list > 0)
		c->list--;
	if ((f & EL_QUOTE) && c->quote > 0)
		c->quote--;
	if ((f & EL_PRE) && c->pre > 0)
		c->pre--;
}

static void
walk(struct conv *c, xmlDoc *doc)
{
	xmlNode *n = doc->children;

	while (n != NULL && !c->full) {
		if (n->type == XML_ELEMENT_NODE) {
			if (enter(c, n)) {
				if (n->children != NULL) {
					n = n->children;
					continue;
				}
				leave(c, n);
			}
		} else if (n->type == XML_TEXT_NODE && n->content != NULL) {
			emit_text(c, n->content, strlen((const char *)n->content));
		}
		/* Next sibling, else climb: every ancestor we pass was entered. */
		while (n != NULL) {
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (n == NULL || n == (xmlNode *)doc)
				n = NULL;
			else if (n->type == XML_ELEMENT_NODE)
				leave(c, n);
		}
	}
}

/* Trailing blanks off every line, at most 2 empty lines in a row, no
 * leading empty lines, exactly one final LF. */
static char *
finish(struct conv *c)
{
	size_t len, r = 0, w = 0, nl = 0;
	char *s = buf_release(&c->out, &len);
	char *o = xmalloc(len + 2);

	while (r < len) {
		size_t e = r, t;

		while (e < len && s[e] != '\n')
			e++;
		t = e;
		while (t > r && (s[t - 1] == ' ' || s[t - 1] == '\t'))
			t--;
		if (t > r) {
			if (w > 0) {
				size_t k = nl < 3 ? nl : 3;
				memset(o + w, '\n', k);
				w += k;
			}
			memcpy(o + w, s + r, t - r);
			w += t - r;
			nl = 0;
		}
		if (e < len)
			nl++;
		r = e + 1;
	}
	if (w > 0)
		o[w++] = '\n';
	o[w] = '\0';
	free(s);
	return o;
}

char *
textconv_html_to_text(const char *html, size_t len)
{
	struct conv c;
	htmlDocPtr doc;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_NODEFDTD |
	    HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC;

	if (html == NULL || len == 0)
		return xstrdup("");
	if (len > TEXTCONV_HTML_MAX)
		len = TEXTCONV_HTML_MAX;
	/* The encoding is given: the caller converted to UTF-8 already, and a
	 * <meta charset> in the mail must not re-interpret those bytes. */
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", opts);
	if (doc == NULL)
		return xstrdup("");
	memset(&c, 0, sizeof(c));
	buf_init(&c.out, TEXTCONV_TEXT_MAX);
	walk(&c, doc);
	xmlFreeDoc(doc);
	return finish(&c);
}

char *
textconv_markdown_to_html(const char *md, size_t len)
{
	if (md == NULL)
		len = 0;
	if (len > TEXTCONV_MD_MAX)
		len = TEXTCONV_MD_MAX;
	return cmark_markdown_to_html(md ? md : "", len,
	    CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
}
