/*
 * addr: see addr.h.  Pure (L1): no I/O, no logging, no allocation except
 * the strings addr_parse_mailbox hands to its caller.
 *
 * The checks are deliberately narrow (ASCII dot-atom @ host name with a
 * dot) because the result goes into SMTP envelopes, where anything odd is
 * either useless or an injection attempt (notes/libraries.md #6).  The
 * display name is looser: any valid UTF-8 without control characters, so
 * "Anna de Vries" and "Jörg Müller" pass but CR/LF never does.
 */
#include "addr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define ADDR_MAX	254	/* RFC 5321 path limit minus the brackets */
#define LOCAL_MAX	64
#define LABEL_MAX	63
#define NAME_MAX_LEN	200	/* a display name longer than this is not a name */

static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Dot-atom: atext runs separated by single dots, none at either end. */
static bool
local_valid(const char *s, size_t len)
{
	if (len == 0 || len > LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The last label must not be all digits so that a dotted IPv4 address,
 * which we never want to mail directly, fails. */
bool
addr_domain_valid(const char *s, size_t len)
{
	size_t start = 0, labels = 0;
	bool digits_only = true;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t n = i - start;
			if (n == 0 || n > LABEL_MAX || s[start] == '-' ||
			    s[i - 1] == '-')
				return false;
			labels++;
			start = i + 1;
			if (i < len)
				digits_only = true;
			continue;
		}
		if (!is_ldh((unsigned char)s[i]))
			return false;
		if (s[i] < '0' || s[i] > '9')
			digits_only = false;
	}
	return labels >= 2 && !digits_only;
}

bool
addr_valid(const char *s)
{
	const char *at;
	size_t len;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len == 0 || len > ADDR_MAX)
		return false;
	at = strchr(s, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	return local_valid(s, (size_t)(at - s)) &&
	    addr_domain_valid(at + 1, len - (size_t)(at - s) - 1);
}

/* The address proper: validated copy with the domain lower-cased. */
static char *
email_dup(const char *s, size_t len)
{
	char *e, *at;

	if (len == 0 || len > ADDR_MAX)
		return NULL;
	e = xstrndup(s, len);
	if (strlen(e) != len || !addr_valid(e)) {
		free(e);
		return NULL;
	}
	at = strchr(e, '@');
	hp_lower(at + 1);
	return e;
}

static bool
name_char_ok(unsigned char c)
{
	return c >= 0x20 && c != 0x7f;
}

/*
 * Display name from s[0..len): trimmed, unquoted when it is one
 * "quoted string" (backslash escapes honoured).  An unquoted name may not
 * contain <, > or " (that would be a second address or a broken quote).
 * Sets *out to NULL for an empty name; returns -1 when unacceptable.
 */
static int
name_parse(const char *s, size_t len, char **out)
{
	char *n = NULL;
	size_t o = 0;

	*out = NULL;
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 0;
	if (len > NAME_MAX_LEN || !hp_utf8_valid(s, len))
		return -1;
	n = xmalloc(len + 1);
	if (s[0] == '"') {
		size_t i;
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			if (!name_char_ok((unsigned char)s[i]))
				goto fail;
			n[o++] = s[i];
		}
		if (i != len - 1)	/* unterminated, or text after the quote */
			goto fail;
	} else {
		for (size_t i = 0; i < len; i++) {
			if (!name_char_ok((unsigned char)s[i]) ||
			    strchr("<>\"", s[i]) != NULL)
				goto fail;
			n[o++] = s[i];
		}
	}
	n[o] = '\0';
	if (o == 0)
		free(n);
	else
		*out = n;
	return 0;
fail:
	free(n);
	return -1;
}

int
addr_parse_mailbox(const char *s, char **name, char **email)
{
	const char *start, *end, *lt = NULL;
	char *n = NULL, *e = NULL;
	bool quoted = false;

	*name = *email = NULL;
	if (s == NULL)
		return -1;
	start = s;
	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == start)
		return -1;
	if (end[-1] != '>') {
		if ((e = email_dup(start, (size_t)(end - start))) == NULL)
			return -1;
		*email = e;
		return 0;
	}
	/* The '<' that opens the address: the first one outside quotes. */
	for (const char *p = start; p < end - 1; p++) {
		if (*p == '\\' && quoted && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '<' && !quoted) {
			lt = p;
			break;
		}
	}
	if (lt == NULL)
		goto fail;
	{
		const char *a = lt + 1, *z = end - 1;
		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
			z--;
		if ((e = email_dup(a, (size_t)(z - a))) == NULL)
			goto fail;
	}
	if (name_parse(start, (size_t)(lt - start), &n) == -1)
		goto fail;
	*name = n;
	*email = e;
	return 0;
fail:
	free(n);
	free(e);
	return -1;
}

bool
addr_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	return strcasecmp(a, b) == 0;
}
