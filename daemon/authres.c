/*
 * authres: see authres.h.  A hand-written recursive-descent reader over
 * RFC 8601 §2.2 (with RFC 5322 CFWS and RFC 2045 value), then the SPEC §4
 * rule as a tally over the trusted headers.  Pure: no logging, no I/O;
 * libpsl only answers lookups on data the caller loaded.
 *
 * Leniency is one-sided: where real servers bend the grammar in ways that
 * cannot turn a failure into a pass (a trailing ";", an empty resinfo,
 * Microsoft's "action=none" without a ptype) we accept it; everything
 * else makes the header malformed, which never authenticates anything.
 * Values that matter for the verdict (header.d/i/from) are never
 * truncated: an over-long one makes the header malformed, because a cut
 * domain is another domain.
 *
 * Debian 12's libpsl 0.21.2 looks suffixes up case-sensitively:
 * psl_registrable_domain("EXAMPLE.CO.UK") answers "CO.UK", which would
 * align every .co.uk domain with every other.  So every domain is checked
 * to be ASCII letters/digits/'-'/'_' labels and lower-cased before any
 * lookup.  Internationalised domains in U-label form are therefore never
 * aligned (DKIM d= is always an A-label; a From in UTF-8 falls back to a
 * confirmation mail, which is safe).
 */
#include "authres.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_COMMENT_DEPTH 32
#define MAX_DOMAIN 253
#define MAX_LABEL 63
#define MAX_FROM_ADDR 1024

struct cursor {
	const char *s;
	size_t len, pos;
};

/* A bounded output for one value: printable ASCII only, with a flag
 * instead of silent truncation so the caller decides what a cut means. */
struct sink {
	char *buf;
	size_t size, len;
	bool over;
};

static int
peek(const struct cursor *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool
is_fws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_keyword_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    is_digit(ch) || ch == '-' || ch == '_';
}

/* RFC 2045 token, widened to what real pvalues carry ("@", "/", "=" in
 * header.b, ":" in IPv6 addresses); bytes >= 0x80 (RFC 6532) pass and are
 * stored as '?'. */
static bool
is_token_char(int ch)
{
	return ch > 0x20 && ch != 0x7f && ch != '(' && ch != ')' &&
	    ch != ';' && ch != '"' && ch != '\\';
}

static char
lower(int ch)
{
	return (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
}

/* ASCII-only, so the answer cannot depend on a locale. */
static bool
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

static void
sink_init(struct sink *k, char *buf, size_t size)
{
	k->buf = buf;
	k->size = size;
	k->len = 0;
	k->over = false;
	buf[0] = '\0';
}

static void
sink_put(struct sink *k, int ch)
{
	if (ch >= 0x80 || ch < 0x20 || ch == 0x7f)
		ch = ch == '\t' ? ' ' : '?';
	if (k->len + 1 < k->size) {
		k->buf[k->len++] = (char)ch;
		k->buf[k->len] = '\0';
	} else
		k->over = true;
}

/* A comment at c->pos (which is '('): nested, with quoted-pairs, so
 * "(a \) b (c))" is one comment.  Inside a comment '"' is plain text
 * (RFC 5322 ctext), which is why a quoted string cannot hide a ')'. */
static int
skip_comment(struct cursor *c)
{
	size_t depth = 0;
	int ch;

	while ((ch = peek(c)) != -1) {
		c->pos++;
		if (ch == '\\') {
			if (peek(c) == -1)
				return -1;
			c->pos++;
		} else if (ch == '(') {
			if (++depth > MAX_COMMENT_DEPTH)
				return -1;
		} else if (ch == ')') {
			if (--depth == 0)
				return 0;
		}
	}
	return -1;
}

/* [CFWS]: white space (folded or not) and comments. */
static int
skip_cfws(struct cursor *c)
{
	int ch;

	while ((ch = peek(c)) != -1) {
		if (is_fws(ch))
			c->pos++;
		else if (ch == '(') {
			if (skip_comment(c) == -1)
				return -1;
		} else
			break;
	}
	return 0;
}

static int
expect(struct cursor *c, int want)
{
	if (peek(c) != want)
		return -1;
	c->pos++;
	return skip_cfws(c);
}

/* Keyword (RFC 5321 ldh-str, plus '_'), lower-cased into buf. */
static int
read_keyword(struct cursor *c, char *buf, size_t size)
{
	size_t n = 0;

	while (is_keyword_char(peek(c))) {
		if (n + 1 >= size)
			return -1;
		buf[n++] = lower(c->s[c->pos++]);
	}
	buf[n] = '\0';
	return n == 0 ? -1 : 0;
}

/* 1*DIGIT [CFWS], a version number we do not keep. */
static int
skip_version(struct cursor *c)
{
	if (!is_digit(peek(c)))
		return -1;
	while (is_digit(peek(c)))
		c->pos++;
	return skip_cfws(c);
}

/* quoted-string at c->pos (which is '"'): quoted-pairs unescaped, folding
 * line breaks removed. */
static int
read_quoted(struct cursor *c, struct sink *k)
{
	int ch;

	c->pos++;
	while ((ch = peek(c)) != -1) {
		c->pos++;
		if (ch == '"')
			return 0;
		if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '\\') {
			if ((ch = peek(c)) == -1)
				return -1;
			c->pos++;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -1;
		sink_put(k, ch);
	}
	return -1;
}

static size_t
read_token(struct cursor *c, struct sink *k)
{
	size_t start = c->pos;

	while (is_token_char(peek(c)))
		sink_put(k, c->s[c->pos++]);
	return c->pos - start;
}

/* value = token / quoted-string; never empty. */
static int
read_value(struct cursor *c, struct sink *k)
{
	if (peek(c) == '"')
		return read_quoted(c, k);
	return read_token(c, k) == 0 ? -1 : 0;
}

/* pvalue = value / [ [ local-part ] "@" ] domain-name, so also a quoted
 * local part followed by "@domain". */
static int
read_pvalue(struct cursor *c, struct sink *k)
{
	if (peek(c) == '"') {
		if (read_quoted(c, k) == -1)
			return -1;
		if (peek(c) == '@')
			(void)read_token(c, k);
		return 0;
	}
	return read_token(c, k) == 0 ? -1 : 0;
}

/* The field a "ptype.property" fills, or NULL for one we do not use. */
static char *
prop_field(struct authres_result *r, const char *ptype, const char *prop)
{
	if (strcmp(ptype, "header") != 0)
		return NULL;
	if (strcmp(prop, "d") == 0)
		return r->header_d;
	if (strcmp(prop, "i") == 0)
		return r->header_i;
	if (strcmp(prop, "from") == 0)
		return r->header_from;
	return NULL;
}

/* After "ptype" and CFWS: either "." property "=" pvalue, or (reason, and
 * tolerated non-standard "key=value") "=" value. */
static int
parse_prop(struct cursor *c, struct authres_result *r, const char *ptype)
{
	char prop[64], scratch[256], *field = NULL;
	struct sink k;

	if (peek(c) == '.') {
		if (expect(c, '.') == -1 || read_keyword(c, prop, sizeof(prop)) == -1 ||
		    skip_cfws(c) == -1 || expect(c, '=') == -1)
			return -1;
		field = prop_field(r, ptype, prop);
		/* A second header.d in one result: which one was verified? */
		if (field != NULL && field[0] != '\0')
			return -1;
		sink_init(&k, field != NULL ? field : scratch,
		    field != NULL ? sizeof(r->header_d) : sizeof(scratch));
		if (read_pvalue(c, &k) == -1 || (field != NULL && k.over))
			return -1;
		return 0;
	}
	if (expect(c, '=') == -1)
		return -1;
	if (strcmp(ptype, "reason") == 0 && r->reason[0] == '\0') {
		sink_init(&k, r->reason, sizeof(r->reason));
		return read_value(c, &k);	/* truncation is harmless here */
	}
	sink_init(&k, scratch, sizeof(scratch));
	return read_pvalue(c, &k);
}

/* After the method keyword and CFWS: [ "/" version ] "=" result
 * [ reasonspec ] *propspec, up to the next ";" or the end. */
static int
parse_resinfo(struct cursor *c, struct authres_result *r)
{
	char ptype[64];
	int ch;

	if (peek(c) == '/' && (expect(c, '/') == -1 || skip_version(c) == -1))
		return -1;
	if (expect(c, '=') == -1 ||
	    read_keyword(c, r->result, sizeof(r->result)) == -1)
		return -1;
	for (;;) {
		if (skip_cfws(c) == -1)
			return -1;
		if ((ch = peek(c)) == -1 || ch == ';')
			return 0;
		if (read_keyword(c, ptype, sizeof(ptype)) == -1 ||
		    skip_cfws(c) == -1 || parse_prop(c, r, ptype) == -1)
			return -1;
	}
}

static struct authres_result *
new_result(struct authres_header *h, size_t *cap)
{
	struct authres_result *r;

	if (h->n_results == *cap) {
		*cap = *cap == 0 ? 4 : *cap * 2;
		h->results = xreallocarray(h->results, *cap, sizeof(*h->results));
	}
	r = &h->results[h->n_results];
	memset(r, 0, sizeof(*r));
	return r;
}

/* ( no-result / 1*resinfo ), each introduced by ";". */
static int
parse_results(struct cursor *c, struct authres_header *h)
{
	char method[32];
	size_t cap = 0;
	bool none = false;
	int ch;

	if (peek(c) != ';')
		return -1;
	while (peek(c) != -1) {
		if (expect(c, ';') == -1)
			return -1;
		/* Tolerated: an empty resinfo or a trailing ";". */
		if ((ch = peek(c)) == -1 || ch == ';')
			continue;
		if (none || read_keyword(c, method, sizeof(method)) == -1 ||
		    skip_cfws(c) == -1)
			return -1;
		ch = peek(c);
		if (strcmp(method, "none") == 0 && ch != '=' && ch != '/') {
			if (h->n_results > 0)
				return -1;
			none = true;
			continue;
		}
		if (h->n_results >= AUTHRES_MAX_RESULTS)
			return -1;
		hp_strlcpy(new_result(h, &cap)->method, method, sizeof(method));
		if (parse_resinfo(c, &h->results[h->n_results]) == -1)
			return -1;
		h->n_results++;
	}
	return 0;
}

/* [CFWS] authserv-id [ CFWS authres-version ] [CFWS] */
static int
parse_authserv(struct cursor *c, struct authres_header *h)
{
	struct sink k;

	sink_init(&k, h->authserv_id, sizeof(h->authserv_id));
	if (skip_cfws(c) == -1 || read_value(c, &k) == -1 || k.over) {
		h->authserv_id[0] = '\0';
		return -1;
	}
	if (skip_cfws(c) == -1)
		return -1;
	if (is_digit(peek(c)) && skip_version(c) == -1)
		return -1;
	return 0;
}

int
authres_parse(const char *value, struct authres_header *out)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return -1;
	c.s = value;
	c.pos = 0;
	c.len = strnlen(value, AUTHRES_MAX_VALUE + 1);
	if (c.len > AUTHRES_MAX_VALUE)
		return -1;
	if (parse_authserv(&c, out) == -1 || parse_results(&c, out) == -1)
		goto fail;
	return 0;
fail:
	free(out->results);
	out->results = NULL;
	out->n_results = 0;
	return -1;
}

void
authres_header_clear(struct authres_header *h)
{
	if (h == NULL)
		return;
	free(h->results);
	memset(h, 0, sizeof(*h));
}

/* ---- domains and alignment ---- */

/* Copy in, lower-cased, to out (at least MAX_DOMAIN + 1 bytes) when it is
 * an ASCII domain: labels of 1..63 letters, digits, '-' or '_', at most
 * 253 bytes, no empty label and no trailing dot. */
static bool
domain_norm(const char *in, char *out, size_t size)
{
	size_t n, label = 0;

	if (in == NULL || size <= MAX_DOMAIN)
		return false;
	n = strnlen(in, MAX_DOMAIN + 1);
	if (n == 0 || n > MAX_DOMAIN)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_keyword_char(ch)) {
			if (++label > MAX_LABEL)
				return false;
		} else
			return false;
		out[i] = lower(ch);
	}
	out[n] = '\0';
	return label > 0;
}

bool
authres_aligned(const psl_ctx_t *psl, const char *domain_a, const char *domain_b)
{
	char a[MAX_DOMAIN + 1], b[MAX_DOMAIN + 1];
	const char *org_a, *org_b;

	if (!domain_norm(domain_a, a, sizeof(a)) ||
	    !domain_norm(domain_b, b, sizeof(b)))
		return false;
	if (psl == NULL)
		return strcmp(a, b) == 0;
	/* Both lower-case: libpsl's lookup is case-sensitive (see top). */
	org_a = psl_registrable_domain(psl, a);
	org_b = psl_registrable_domain(psl, b);
	return org_a != NULL && org_b != NULL && strcmp(org_a, org_b) == 0;
}

/* The domain a dkim result speaks for: header.d, else header.i's domain
 * (i= is "[local-part] @ domain").  "" when neither is usable. */
static void
dkim_domain(const struct authres_result *r, char *out, size_t size)
{
	const char *at;

	out[0] = '\0';
	if (r->header_d[0] != '\0') {
		if (!domain_norm(r->header_d, out, size))
			out[0] = '\0';
		return;
	}
	if ((at = strrchr(r->header_i, '@')) != NULL &&
	    !domain_norm(at + 1, out, size))
		out[0] = '\0';
}

/* ---- the SPEC §4 rule ---- */

struct tally {
	const psl_ctx_t *psl;
	char from[MAX_DOMAIN + 1];		/* From domain, normalised */
	size_t n_trusted, n_other;
	bool malformed;
	bool dmarc_pass, dmarc_fail;		/* any header.from */
	bool dmarc_pass_from, dmarc_fail_from;	/* for the From domain */
	bool dkim_pass, dkim_aligned, dkim_contra;
	char dkim_d[MAX_DOMAIN + 1];		/* the aligned (or last) d= */
	char contra_d[MAX_DOMAIN + 1];
};

static bool
is_method(const struct authres_result *r, const char *method, const char *result)
{
	return strcmp(r->method, method) == 0 && strcmp(r->result, result) == 0;
}

static void
tally_dmarc(struct tally *t, const struct authres_result *r)
{
	char d[MAX_DOMAIN + 1];
	bool ours = r->header_from[0] == '\0' ||
	    (domain_norm(r->header_from, d, sizeof(d)) && strcmp(d, t->from) == 0);

	if (is_method(r, "dmarc", "pass")) {
		t->dmarc_pass = true;
		t->dmarc_pass_from |= ours;
	} else if (is_method(r, "dmarc", "fail")) {
		t->dmarc_fail = true;
		t->dmarc_fail_from |= ours;
	}
}

/* dkim=pass with domain d against every dkim=fail of every trusted
 * header: a fail for the same domain, or one naming no domain, means the
 * trusted server said both yes and no. */
static bool
dkim_contradicted(const struct authres_header *hs, size_t n, const char *d)
{
	char fd[MAX_DOMAIN + 1];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < hs[i].n_results; j++) {
			if (!is_method(&hs[i].results[j], "dkim", "fail"))
				continue;
			dkim_domain(&hs[i].results[j], fd, sizeof(fd));
			if (fd[0] == '\0' || strcmp(fd, d) == 0)
				return true;
		}
	return false;
}

static void
tally_dkim(struct tally *t, const struct authres_header *hs, size_t n,
    const struct authres_result *r)
{
	char d[MAX_DOMAIN + 1];

	if (!is_method(r, "dkim", "pass"))
		return;
	dkim_domain(r, d, sizeof(d));
	t->dkim_pass = true;
	if (dkim_contradicted(hs, n, d)) {
		t->dkim_contra = true;
		hp_strlcpy(t->contra_d, d, sizeof(t->contra_d));
		return;
	}
	if (t->dkim_aligned || d[0] == '\0')
		return;
	hp_strlcpy(t->dkim_d, d, sizeof(t->dkim_d));
	if (authres_aligned(t->psl, d, t->from))
		t->dkim_aligned = true;
}

/* Parse every header, keep the trusted ones in hs[] (*n_hs of them). */
static void
tally_parse(struct tally *t, const char *const *headers, size_t n,
    const char *trusted_id, struct authres_header *hs, size_t *n_hs)
{
	struct authres_header h;
	int rc;

	*n_hs = 0;
	for (size_t i = 0; i < n; i++) {
		if (headers[i] == NULL)
			continue;
		rc = authres_parse(headers[i], &h);

		if (!ascii_caseeq(h.authserv_id, trusted_id)) {
			t->n_other++;
			authres_header_clear(&h);
			continue;
		}
		t->n_trusted++;
		if (rc == -1) {
			t->malformed = true;
			authres_header_clear(&h);
			continue;
		}
		hs[(*n_hs)++] = h;
	}
}

static void
verdict(struct authres_verdict *v, const char *method, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verdict(struct authres_verdict *v, const char *method, const char *fmt, ...)
{
	va_list ap;

	v->authenticated = method != NULL;
	v->method = method;
	va_start(ap, fmt);
	(void)vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* The decision, in order of precedence: anything that makes the trusted
 * headers untrustworthy first, then a pass, then why nothing passed. */
static void
tally_decide(const struct tally *t, struct authres_verdict *v)
{
	if (t->n_trusted == 0)
		verdict(v, NULL, "no Authentication-Results from the trusted "
		    "authserv-id (%zu other ignored)", t->n_other);
	else if (t->malformed)
		verdict(v, NULL, "malformed Authentication-Results from the "
		    "trusted authserv-id");
	else if (t->dmarc_pass && t->dmarc_fail)
		verdict(v, NULL, "contradicting dmarc results");
	else if (t->dkim_contra)
		verdict(v, NULL, "contradicting dkim results for header.d=%s",
		    t->contra_d[0] != '\0' ? t->contra_d : "(none)");
	else if (t->dmarc_fail_from)
		verdict(v, NULL, "dmarc=fail for %s", t->from);
	else if (t->dmarc_pass_from)
		verdict(v, "dmarc", "dmarc=pass for %s", t->from);
	else if (t->dkim_aligned)
		verdict(v, "dkim", "dkim=pass header.d=%s aligned with %s",
		    t->dkim_d, t->from);
	else if (t->dmarc_pass)
		verdict(v, NULL, "dmarc=pass for another domain than %s", t->from);
	else if (t->dkim_pass)
		verdict(v, NULL, "dkim=pass header.d=%s not aligned with %s",
		    t->dkim_d[0] != '\0' ? t->dkim_d : "(invalid)", t->from);
	else
		verdict(v, NULL, "no dkim=pass or dmarc=pass for %s", t->from);
}

/* The From domain (after the last '@'), normalised; false when none. */
static bool
from_domain(const char *from_addr, char *out, size_t size)
{
	const char *at;

	if (from_addr == NULL || strnlen(from_addr, MAX_FROM_ADDR) >= MAX_FROM_ADDR ||
	    (at = strrchr(from_addr, '@')) == NULL)
		return false;
	return domain_norm(at + 1, out, size);
}

/* False, with the verdict filled in, when the message cannot be
 * authenticated whatever its headers say. */
static bool
check_inputs(size_t n, const char *trusted_id, const char *from_addr,
    struct tally *t, struct authres_verdict *v)
{
	if (trusted_id == NULL || trusted_id[0] == '\0')
		verdict(v, NULL, "no trusted_authserv_id configured");
	else if (!from_domain(from_addr, t->from, sizeof(t->from)))
		verdict(v, NULL, "From address has no usable domain");
	else if (n > AUTHRES_MAX_HEADERS)
		verdict(v, NULL, "too many Authentication-Results headers (%zu)", n);
	else
		return true;
	return false;
}

void
authres_check(const char *const *headers, size_t n, const char *trusted_id,
    const char *from_addr, const psl_ctx_t *psl, struct authres_verdict *v)
{
	struct authres_header hs[AUTHRES_MAX_HEADERS];
	struct tally t;
	size_t n_hs = 0;

	memset(v, 0, sizeof(*v));
	memset(&t, 0, sizeof(t));
	t.psl = psl;
	if (headers == NULL)
		n = 0;
	if (!check_inputs(n, trusted_id, from_addr, &t, v))
		return;
	tally_parse(&t, headers, n, trusted_id, hs, &n_hs);
	for (size_t i = 0; i < n_hs; i++)
		for (size_t j = 0; j < hs[i].n_results; j++) {
			tally_dmarc(&t, &hs[i].results[j]);
			tally_dkim(&t, hs, n_hs, &hs[i].results[j]);
		}
	tally_decide(&t, v);
	for (size_t i = 0; i < n_hs; i++)
		authres_header_clear(&hs[i]);
}
