/*
 * msg_wire: the pipe encoding of struct msg (msg_encode / msg_decode in
 * msg.h).  Pure (L1).
 *
 * Layout, all integers little-endian:
 *   u8  version (1)
 *   u8  flags: bit 0 has_return_path, bit 1 text_from_html,
 *       bit 2 calendar_is_attachment, bit 3 has_tnef; other bits zero
 *   u64 raw_size
 *   the strings of fields[] below, in that order, each as
 *       u32 length (0xffffffff = NULL) and that many bytes, no NUL
 *   u32 n_authres, then that many strings (never NULL)
 * and nothing after.  The decoder is the parent's only view of what the
 * child parsed, so it accepts exactly this and nothing else: every length
 * is checked against both the bytes left and the field's own maximum,
 * and every string against the guarantees msg.h promises.  Encoding is
 * canonical: decode(encode(m)) re-encodes to the same bytes.
 */
#include "msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define WIRE_VERSION 1
#define WIRE_NULL 0xffffffffu
#define F_RETURN_PATH 0x01
#define F_FROM_HTML 0x02
#define F_CAL_ATTACH 0x04
#define F_TNEF 0x08

enum { ONE_LINE, MULTI_LINE };

static const struct {
	size_t off;
	size_t max;
	int lines;
	bool required;
} fields[] = {
	{ offsetof(struct msg, message_id), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, from_addr), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, from_name), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, reply_to), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, subject), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, in_reply_to), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, references), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, auto_submitted), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, precedence), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, list_id), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, content_language), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, return_path), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, text), MSG_TEXT_MAX, MULTI_LINE, true },
	{ offsetof(struct msg, report_type), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, dsn_status), MSG_DSN_MAX, MULTI_LINE, false },
	{ offsetof(struct msg, returned_message_id), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, calendar), MSG_CALENDAR_MAX, MULTI_LINE, false },
	{ offsetof(struct msg, calendar_method), MSG_HEADER_MAX, ONE_LINE, false },
	{ offsetof(struct msg, delivered_to), MSG_HEADER_MAX, ONE_LINE, false },
};

static char **
slot(struct msg *m, size_t i)
{
	return (char **)((char *)m + fields[i].off);
}

static char *const *
cslot(const struct msg *m, size_t i)
{
	return (char *const *)((const char *)m + fields[i].off);
}

static int
put_u32(struct buf *b, uint32_t v)
{
	unsigned char u[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	return buf_append(b, u, sizeof(u));
}

static int
put_u64(struct buf *b, uint64_t v)
{
	if (put_u32(b, (uint32_t)v) == -1)
		return -1;
	return put_u32(b, (uint32_t)(v >> 32));
}

static int
put_str(struct buf *b, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return put_u32(b, WIRE_NULL);
	n = strlen(s);
	if (n > max || put_u32(b, (uint32_t)n) == -1)
		return -1;
	return buf_append(b, s, n);
}

int
msg_encode(const struct msg *m, struct buf *out)
{
	unsigned char head[2] = { WIRE_VERSION, 0 };

	if (m->text == NULL || m->n_authres > MSG_AUTHRES_MAX ||
	    m->has_return_path != (m->return_path != NULL))
		return -1;
	head[1] = (unsigned char)((m->has_return_path ? F_RETURN_PATH : 0) |
	    (m->text_from_html ? F_FROM_HTML : 0) |
	    (m->calendar_is_attachment ? F_CAL_ATTACH : 0) |
	    (m->has_tnef ? F_TNEF : 0));
	if (buf_append(out, head, sizeof(head)) == -1 ||
	    put_u64(out, (uint64_t)m->raw_size) == -1)
		return -1;
	for (size_t i = 0; i < HP_NELEM(fields); i++)
		if (put_str(out, *cslot(m, i), fields[i].max) == -1)
			return -1;
	if (put_u32(out, (uint32_t)m->n_authres) == -1)
		return -1;
	for (size_t i = 0; i < m->n_authres; i++)
		if (m->authres[i] == NULL ||
		    put_str(out, m->authres[i], MSG_HEADER_MAX) == -1)
			return -1;
	return 0;
}

struct reader {
	const unsigned char *p;
	size_t left;
};

static int
get_bytes(struct reader *r, void *dst, size_t n)
{
	if (n > r->left)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static int
get_u32(struct reader *r, uint32_t *v)
{
	unsigned char u[4];

	if (get_bytes(r, u, sizeof(u)) == -1)
		return -1;
	*v = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	    (uint32_t)u[3] << 24;
	return 0;
}

static int
get_u64(struct reader *r, uint64_t *v)
{
	uint32_t lo, hi;

	if (get_u32(r, &lo) == -1 || get_u32(r, &hi) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* hp_utf8_valid() already refuses NUL and controls other than TAB, CR and
 * LF; one-line strings must hold none of those, text no CR. */
static bool
str_ok(const char *s, size_t n, int lines)
{
	if (!hp_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || (lines == ONE_LINE && (s[i] == '\n' || s[i] == '\t')))
			return false;
	return true;
}

static int
get_str(struct reader *r, size_t max, int lines, bool required, char **out)
{
	uint32_t n;

	*out = NULL;
	if (get_u32(r, &n) == -1)
		return -1;
	if (n == WIRE_NULL)
		return required ? -1 : 0;
	if (n > max || n > r->left || !str_ok((const char *)r->p, n, lines))
		return -1;
	*out = xstrndup((const char *)r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static int
get_authres(struct reader *r, struct msg *m)
{
	uint32_t n;

	if (get_u32(r, &n) == -1 || n > MSG_AUTHRES_MAX)
		return -1;
	/* Each string needs at least its 4-byte length: a count that the
	 * remaining bytes cannot hold is a lie, refuse before allocating. */
	if (n > r->left / 4)
		return -1;
	if (n > 0)
		m->authres = xcalloc(n, sizeof(*m->authres));
	for (; m->n_authres < n; m->n_authres++)
		if (get_str(r, MSG_HEADER_MAX, ONE_LINE, true,
		    &m->authres[m->n_authres]) == -1)
			return -1;
	return 0;
}

int
msg_decode(const char *data, size_t len, struct msg **out)
{
	struct reader r = { (const unsigned char *)data, len };
	unsigned char head[2];
	struct msg *m = NULL;
	uint64_t raw_size;

	*out = NULL;
	if (data == NULL || len > MSG_ENCODED_MAX)
		return -1;
	if (get_bytes(&r, head, sizeof(head)) == -1 || head[0] != WIRE_VERSION ||
	    (head[1] & ~(F_RETURN_PATH | F_FROM_HTML | F_CAL_ATTACH |
	    F_TNEF)) != 0 ||
	    get_u64(&r, &raw_size) == -1 || raw_size > SIZE_MAX)
		return -1;
	m = xcalloc(1, sizeof(*m));
	m->has_return_path = (head[1] & F_RETURN_PATH) != 0;
	m->text_from_html = (head[1] & F_FROM_HTML) != 0;
	m->calendar_is_attachment = (head[1] & F_CAL_ATTACH) != 0;
	m->has_tnef = (head[1] & F_TNEF) != 0;
	m->raw_size = (size_t)raw_size;
	for (size_t i = 0; i < HP_NELEM(fields); i++)
		if (get_str(&r, fields[i].max, fields[i].lines,
		    fields[i].required, slot(m, i)) == -1)
			goto fail;
	if (m->has_return_path != (m->return_path != NULL) ||
	    get_authres(&r, m) == -1 || r.left != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	msg_free(m);
	return -1;
}
