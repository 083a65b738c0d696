/*
 * textconv: text format conversions.  Pure (L1): no I/O, no logging, no
 * globals of our own.
 *
 * HTML → plain text exists because partners sometimes send HTML-only mail
 * and the form reader (SPEC §3) only reads lines of text.  It uses
 * libxml2's forgiving HTML parser and renders the tree roughly as a
 * browser would show it: one line per block, "> " before quoted
 * (<blockquote>) lines so the form reader skips them, and a
 * "________________________________" line where Outlook starts the quoted
 * original, because that is what Outlook's own text/plain part shows there
 * and the form reader stops at it.
 *
 * Markdown → HTML uses libcmark in its safe default mode (raw HTML and
 * javascript: links are dropped).
 *
 * Must not: fetch anything (no network, no external entities), or trust
 * the input to be small or well-formed: input beyond the caps below is cut.
 */
#ifndef HP_TEXTCONV_H
#define HP_TEXTCONV_H

#include <stddef.h>

/* Input beyond these is ignored; output beyond TEXTCONV_TEXT_MAX is cut
 * (on a UTF-8 character boundary). */
#define TEXTCONV_HTML_MAX ((size_t)4 << 20)
#define TEXTCONV_TEXT_MAX ((size_t)2 << 20)
#define TEXTCONV_MD_MAX ((size_t)1 << 20)

/* HTML (UTF-8; no <meta charset> is honoured) → readable UTF-8 text:
 * block elements start new lines (paragraphs and headings are separated by
 * a blank line), <br> breaks a line, <li> becomes "- " (indented two
 * spaces per nesting level), a link becomes "text <url>" when the URL
 * differs from the text, <script>/<style>/<head> and hidden elements are
 * dropped, entities are decoded, white space is collapsed outside <pre>,
 * at most 2 consecutive blank lines, no trailing spaces, no control
 * characters other than LF and TAB, and a final LF unless the text is
 * empty.  Returns a string owned by the caller (free()); NULL only when
 * memory runs out. */
char *textconv_html_to_text(const char *html, size_t len);

/* Markdown (CommonMark) → HTML fragment, safe mode: raw HTML is omitted
 * and dangerous link schemes are emptied; invalid UTF-8 is replaced.
 * Returns a string owned by the caller (free()); NULL on allocation
 * failure. */
char *textconv_markdown_to_html(const char *md, size_t len);

#endif
