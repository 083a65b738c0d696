/*
 * inbox_ops: the mail operations of the IMAP adapter (folders, UID lists,
 * batched fetch, keywords, moves) and its pure helpers (modified UTF-7,
 * UID sets, keyword syntax); see inbox.h.  Every command goes through
 * inbox_ready/inbox_cmd_failed (inbox.c) so a dead connection is noticed
 * once and reported the same way everywhere.
 *
 * Must not: parse message contents (bytes are handed out untouched), set
 * \Seen (BODY.PEEK only), or use plain EXPUNGE (it would remove every
 * \Deleted message in a shared mailbox, not just ours).
 */
#include "inbox_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define INBOX_MAX_RANGES	1000	/* per command: stays far below the
					 * 64 KB line limit of Dovecot */
#define INBOX_MAX_KEYWORDS	64	/* kept per message */
#define INBOX_MAX_NAME		200	/* folder name, bytes */

/* ------------------------------------------- pure helpers (inbox_int.h) */

bool
inbox_host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

bool
inbox_host_is_loopback(const char *host)
{
	unsigned char a[16];

	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	return inet_pton(AF_INET, host, a) == 1 && a[0] == 127;
}

/* Modified UTF-7 (RFC 3501 §5.1.3) of a UTF-8 mailbox name.  NULL when the
 * name is empty, too long, not UTF-8, or contains control characters or
 * the LIST wildcards % and *. */
char *
inbox_mutf7(const char *name)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	size_t len = name != NULL ? strlen(name) : 0, i = 0, o = 0;
	char *out;

	if (len == 0 || len > INBOX_MAX_NAME || !hp_utf8_valid(name, len) ||
	    strpbrk(name, "%*\t\r\n") != NULL)
		return NULL;
	out = xmalloc(len * 8 + 3);
	while (i < len) {
		unsigned char c = (unsigned char)name[i];
		uint32_t bits = 0;
		int nbits = 0;

		if (c < 0x80) {
			out[o++] = (char)c;
			if (c == '&')
				out[o++] = '-';
			i++;
			continue;
		}
		out[o++] = '&';
		while (i < len && (unsigned char)name[i] >= 0x80) {
			const unsigned char *s = (const unsigned char *)name + i;
			size_t sl = hp_utf8_seqlen(s);
			uint32_t cp = sl == 2 ? (s[0] & 0x1fu) : sl == 3 ?
			    (s[0] & 0x0fu) : (s[0] & 0x07u);
			uint16_t u[2];
			int nu = 1;

			for (size_t k = 1; k < sl; k++)
				cp = (cp << 6) | (s[k] & 0x3fu);
			i += sl;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				u[0] = (uint16_t)(0xd800 | (cp >> 10));
				u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
				nu = 2;
			} else
				u[0] = (uint16_t)cp;
			for (int k = 0; k < nu; k++) {
				bits = (bits << 16) | u[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					out[o++] = b64[(bits >> nbits) & 0x3f];
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0)
			out[o++] = b64[(bits << (6 - nbits)) & 0x3f];
		out[o++] = '-';
	}
	out[o] = '\0';
	return out;
}

/* An IMAP flag keyword is an atom; refuse anything else (and system
 * flags) rather than let the server misread the command. */
bool
inbox_keyword_valid(const char *kw)
{
	size_t len = kw != NULL ? strlen(kw) : 0;

	if (len == 0 || len > 64 || kw[0] == '\\')
		return false;
	for (size_t i = 0; i < len; i++)
		if (kw[i] <= 0x20 || kw[i] >= 0x7f ||
		    strchr("(){%*\"\\]", kw[i]) != NULL)
			return false;
	return true;
}

static int
inbox_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted copy of uids without 0 and duplicates; *out NULL when empty. */
size_t
inbox_uids_sorted(const uint32_t *uids, size_t n, uint32_t **out)
{
	uint32_t *v;
	size_t k = 0;

	*out = NULL;
	if (n == 0)
		return 0;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (uids[i] != 0)
			v[k++] = uids[i];
	qsort(v, k, sizeof(*v), inbox_uid_cmp);
	if (k > 1) {
		size_t w = 1;
		for (size_t i = 1; i < k; i++)
			if (v[i] != v[w - 1])
				v[w++] = v[i];
		k = w;
	}
	if (k == 0)
		free(v);
	else
		*out = v;
	return k;
}

ssize_t
inbox_uid_index(const uint32_t *sorted, size_t n, uint32_t uid)
{
	const uint32_t *p;

	if (n == 0)
		return -1;
	p = bsearch(&uid, sorted, n, sizeof(*sorted), inbox_uid_cmp);
	return p != NULL ? p - sorted : -1;
}

/* Run fn once per set of at most INBOX_MAX_RANGES ranges covering the
 * sorted, duplicate-free uids (normally once: a batch is a few ranges). */
static int
inbox_each_set(struct inbox *ib, const uint32_t *sorted, size_t n,
    int (*fn)(struct inbox *, struct mailimap_set *, void *), void *arg)
{
	size_t i = 0;

	while (i < n) {
		struct mailimap_set *set = mailimap_set_new_empty();
		size_t ranges = 0;
		int r;

		if (set == NULL) {
			inbox_seterr(ib, "out of memory");
			return -1;
		}
		while (i < n && ranges < INBOX_MAX_RANGES) {
			size_t j = i;
			while (j + 1 < n && sorted[j + 1] == sorted[j] + 1)
				j++;
			if (mailimap_set_add_interval(set, sorted[i],
			    sorted[j]) != MAILIMAP_NO_ERROR) {
				mailimap_set_free(set);
				inbox_seterr(ib, "out of memory");
				return -1;
			}
			ranges++;
			i = j + 1;
		}
		r = fn(ib, set, arg);
		mailimap_set_free(set);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- operations */

int
inbox_ensure_folder(struct inbox *ib, const char *folder)
{
	char *mb = inbox_mutf7(folder), text[200];
	clist *list = NULL;
	int r, rc = -1;

	if (mb == NULL) {
		inbox_seterr(ib, "invalid folder name");
		return -1;
	}
	if (inbox_ready(ib) == -1)
		goto fail;
	if ((r = mailimap_create(ib->imap, mb)) == MAILIMAP_NO_ERROR) {
		/* Subscribed so that mail clients show it; not required. */
		if ((r = mailimap_subscribe(ib->imap, mb)) != MAILIMAP_NO_ERROR) {
			inbox_cmd_failed(ib, r, "SUBSCRIBE");
			if (ib->broken)
				goto fail;
		}
		log_info("inbox folder created folder=%s", folder);
		rc = 0;
		goto fail;
	}
	if (r != MAILIMAP_ERROR_CREATE) {
		inbox_cmd_failed(ib, r, "CREATE");
		goto fail;
	}
	if (strcmp(inbox_resp_code(ib), "ALREADYEXISTS") == 0) {
		rc = 0;
		goto fail;
	}
	/* Not every server says ALREADYEXISTS: look for the folder. */
	inbox_server_text(ib, text, sizeof(text));
	if ((r = mailimap_list(ib->imap, "", mb, &list)) != MAILIMAP_NO_ERROR) {
		inbox_cmd_failed(ib, r, "LIST");
		goto fail;
	}
	if (list != NULL && clist_count(list) > 0)
		rc = 0;
	else
		inbox_seterr(ib, "cannot create folder %s: %s", folder, text);
fail:
	if (list != NULL)
		mailimap_list_result_free(list);
	free(mb);
	return rc;
}

/* UID SEARCH with key (consumed); keeps UIDs >= min_uid, sorted. */
static int
inbox_search(struct inbox *ib, struct mailimap_search_key *key,
    uint32_t min_uid, uint32_t **uids, size_t *n)
{
	clist *res = NULL;
	uint32_t *v;
	size_t k = 0;
	int r;

	*uids = NULL;
	*n = 0;
	if (key == NULL) {
		inbox_seterr(ib, "out of memory");
		return -1;
	}
	if (inbox_ready(ib) == -1) {
		mailimap_search_key_free(key);
		return -1;
	}
	r = mailimap_uid_search(ib->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "UID SEARCH");
	v = xreallocarray(NULL, clist_count(res) + 1, sizeof(*v));
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		uint32_t u = *(uint32_t *)clist_content(it);
		if (u >= min_uid)	/* finding 12: "n:*" */
			v[k++] = u;
	}
	mailimap_search_result_free(res);
	*n = inbox_uids_sorted(v, k, uids);
	free(v);
	log_debug("inbox list host=%s from=%u found=%zu", ib->host, min_uid,
	    *n);
	return 0;
}

int
inbox_list_uids(struct inbox *ib, uint32_t after_uid, uint32_t **uids,
    size_t *n)
{
	struct mailimap_search_key *key = NULL;
	struct mailimap_set *set;

	if (after_uid == UINT32_MAX) {
		*uids = NULL;
		*n = 0;
		return 0;
	}
	/* last = 0 is "*" in libetpan's sets */
	set = mailimap_set_new_interval(after_uid + 1, 0);
	if (set != NULL && (key = mailimap_search_key_new_uid(set)) == NULL)
		mailimap_set_free(set);
	return inbox_search(ib, key, after_uid + 1, uids, n);
}

int
inbox_list_all(struct inbox *ib, uint32_t **uids, size_t *n)
{
	return inbox_search(ib, mailimap_search_key_new_all(), 1, uids, n);
}

/* Which part of the message a body section of a FETCH answer holds: the
 * whole message (BODY[]) or the top-level header (BODY[HEADER], from
 * offset 0); BODY[1.HEADER], HEADER.FIELDS, TEXT and the like are OTHER. */
enum inbox_section
inbox_section_of(const struct mailimap_msg_att_body_section *bs)
{
	const struct mailimap_section_spec *sp;
	const struct mailimap_section_msgtext *mt;

	if (bs == NULL || bs->sec_origin_octet != 0)
		return INBOX_SECTION_OTHER;
	/* libetpan: BODY[] has no section or one without a spec */
	if (bs->sec_section == NULL || (sp = bs->sec_section->sec_spec) == NULL)
		return INBOX_SECTION_WHOLE;
	if (sp->sec_type == MAILIMAP_SECTION_SPEC_SECTION_MSGTEXT &&
	    (mt = sp->sec_data.sec_msgtext) != NULL &&
	    mt->sec_type == MAILIMAP_SECTION_MSGTEXT_HEADER)
		return INBOX_SECTION_HEADER;
	return INBOX_SECTION_OTHER;
}

/* What one FETCH response says about one message. */
struct inbox_att {
	uint32_t uid;
	bool has_size;
	uint32_t size;
	clist *flags;		/* of struct mailimap_flag_fetch; borrowed */
	bool has_flags;
	const char *body;	/* BODY[]; borrowed */
	size_t body_len;
	bool has_header;	/* BODY[HEADER] was answered (maybe NIL) */
	const char *header;	/* its bytes; borrowed, NULL for NIL */
	size_t header_len;
};

static void
inbox_att_read(const struct mailimap_msg_att *ma, struct inbox_att *a)
{
	memset(a, 0, sizeof(*a));
	for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;
		struct mailimap_msg_att_body_section *bs = NULL;
		enum inbox_section sk = INBOX_SECTION_OTHER;

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC &&
		    item->att_data.att_dyn != NULL) {
			a->flags = item->att_data.att_dyn->att_list;
			a->has_flags = true;
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    (st = item->att_data.att_static) == NULL)
			continue;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			a->uid = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
			a->size = st->att_data.att_rfc822_size;
			a->has_size = true;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
		    (bs = st->att_data.att_body_section) != NULL &&
		    (sk = inbox_section_of(bs)) == INBOX_SECTION_WHOLE) {
			a->body = bs->sec_body_part;
			a->body_len = bs->sec_length;
		} else if (bs != NULL && sk == INBOX_SECTION_HEADER) {
			a->has_header = true;
			a->header = bs->sec_body_part;
			a->header_len = bs->sec_length;
		}
	}
}

static void
inbox_keywords_set(struct inbox_item *it, clist *flags)
{
	for (size_t i = 0; i < it->n_keywords; i++)
		free(it->keywords[i]);
	free(it->keywords);
	it->keywords = NULL;
	it->n_keywords = 0;
	for (clistiter *c = flags != NULL ? clist_begin(flags) : NULL; c;
	    c = clist_next(c)) {
		struct mailimap_flag_fetch *ff = clist_content(c);
		const char *kw;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || ff->fl_flag ==
		    NULL || ff->fl_flag->fl_type != MAILIMAP_FLAG_KEYWORD ||
		    (kw = ff->fl_flag->fl_data.fl_keyword) == NULL ||
		    strlen(kw) > 256 || it->n_keywords >= INBOX_MAX_KEYWORDS)
			continue;
		it->keywords = xreallocarray(it->keywords, it->n_keywords + 1,
		    sizeof(*it->keywords));
		it->keywords[it->n_keywords++] = xstrdup(kw);
	}
}

/* The FETCH commands of a batch, at most one of each kind. */
enum inbox_fetch_kind {
	INBOX_FETCH_META,	/* UID RFC822.SIZE FLAGS: everything asked */
	INBOX_FETCH_BODY,	/* UID BODY.PEEK[]: those within max_size */
	INBOX_FETCH_HEADER,	/* UID BODY.PEEK[HEADER]<0.cap+1>: the others */
};

/* Shared by the FETCH passes: uids/tab are the sorted request and its
 * result table (tab[i].uid stays 0 until the server reports it). */
struct inbox_fetch_ctx {
	const uint32_t *uids;
	struct inbox_item *tab;
	size_t n;
	enum inbox_fetch_kind kind;
	size_t bytes;
};

static bool
inbox_fetch_add(struct mailimap_fetch_type *ft, struct mailimap_fetch_att *att)
{
	if (att == NULL)
		return false;
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, att) !=
	    MAILIMAP_NO_ERROR) {
		mailimap_fetch_att_free(att);
		return false;
	}
	return true;
}

/* The attribute list of a kind; NULL when out of memory.  Headers are
 * asked for one byte past the cap: a header without an end (a message
 * with no empty line is all header) must not bring an oversize message
 * in after all, and a full answer shows the header is too large. */
static struct mailimap_fetch_type *
inbox_fetch_type(enum inbox_fetch_kind kind)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_section *sec = NULL;
	struct mailimap_fetch_att *att = NULL;
	bool ok;

	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL)
		return NULL;
	ok = inbox_fetch_add(ft, mailimap_fetch_att_new_uid());
	if (ok && kind == INBOX_FETCH_META)
		ok = inbox_fetch_add(ft, mailimap_fetch_att_new_rfc822_size()) &&
		    inbox_fetch_add(ft, mailimap_fetch_att_new_flags());
	else if (ok) {
		sec = kind == INBOX_FETCH_BODY ? mailimap_section_new(NULL) :
		    mailimap_section_new_header();
		if (sec != NULL)
			att = kind == INBOX_FETCH_BODY ?
			    mailimap_fetch_att_new_body_peek_section(sec) :
			    mailimap_fetch_att_new_body_peek_section_partial(sec,
			    0, INBOX_MAX_HEADER + 1);
		if (sec != NULL && att == NULL)
			mailimap_section_free(sec);
		ok = inbox_fetch_add(ft, att);	/* frees att (and sec) */
	}
	if (!ok) {
		mailimap_fetch_type_free(ft);
		return NULL;
	}
	return ft;
}

/* Take what one answer says about item it for the pass's kind.  A BODY or
 * HEADER answer marks the item as reported (uid set) even when its bytes
 * are not kept (NIL, or a header over the cap). */
static void
inbox_fetch_take(struct inbox_fetch_ctx *fc, struct inbox_item *it,
    const struct inbox_att *a)
{
	const char *p;
	size_t len;

	if (fc->kind == INBOX_FETCH_META) {
		if (a->has_size) {
			it->uid = a->uid;
			it->size = a->size;
		}
		if (a->has_flags)
			inbox_keywords_set(it, a->flags);
		return;
	}
	if (fc->kind == INBOX_FETCH_BODY) {
		if ((p = a->body) == NULL)
			return;
		len = a->body_len;
	} else {
		if (!a->has_header)
			return;
		len = a->header_len;
		p = len <= INBOX_MAX_HEADER ? a->header : NULL;
	}
	it->uid = a->uid;
	if (p == NULL || it->data != NULL)
		return;
	it->data = xmalloc(len + 1);
	memcpy(it->data, p, len);
	it->data[len] = '\0';
	it->len = len;
	fc->bytes += len;
}

static int
inbox_fetch_set(struct inbox *ib, struct mailimap_set *set, void *arg)
{
	struct inbox_fetch_ctx *fc = arg;
	struct mailimap_fetch_type *ft;
	struct inbox_att a;
	clist *res = NULL;
	int r;

	if ((ft = inbox_fetch_type(fc->kind)) == NULL) {
		inbox_seterr(ib, "out of memory");
		return -1;
	}
	r = mailimap_uid_fetch(ib->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "UID FETCH");
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		ssize_t i;

		inbox_att_read(clist_content(it), &a);
		/* finding 11: unsolicited FETCH, without UID or not ours */
		if (a.uid == 0 || (i = inbox_uid_index(fc->uids, fc->n, a.uid)) < 0)
			continue;
		inbox_fetch_take(fc, &fc->tab[i], &a);
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* A later pass (BODY or HEADER): one FETCH of that kind for the reported
 * items whose oversize flag equals `oversize`, filling their data/len.
 * An item the server no longer answers for vanished in between: uid 0. */
static int
inbox_fetch_pass(struct inbox *ib, struct inbox_fetch_ctx *fc,
    enum inbox_fetch_kind kind, bool oversize)
{
	struct inbox_fetch_ctx pc = { .kind = kind };
	uint32_t *want = xreallocarray(NULL, fc->n, sizeof(*want));
	struct inbox_item **slot = xreallocarray(NULL, fc->n, sizeof(*slot));
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < fc->n; i++) {
		if (fc->tab[i].uid == 0 || fc->tab[i].oversize != oversize)
			continue;
		want[k] = fc->tab[i].uid;
		slot[k++] = &fc->tab[i];
	}
	/* The pass fills a table of its own, in the order of want. */
	pc.uids = want;
	pc.n = k;
	pc.tab = xcalloc(k + 1, sizeof(*pc.tab));
	rc = inbox_each_set(ib, want, k, inbox_fetch_set, &pc);
	for (size_t j = 0; j < k; j++) {
		slot[j]->data = pc.tab[j].data;
		slot[j]->len = pc.tab[j].len;
		if (pc.tab[j].uid == 0)
			slot[j]->uid = 0;
	}
	fc->bytes += pc.bytes;
	free(pc.tab);
	free(want);
	free(slot);
	return rc;
}

/* Mark the reported items over max_size; returns how many. */
static size_t
inbox_mark_oversize(struct inbox_fetch_ctx *fc, size_t max_size)
{
	size_t count = 0;

	for (size_t i = 0; i < fc->n; i++)
		if (fc->tab[i].uid != 0 && fc->tab[i].size > max_size) {
			fc->tab[i].oversize = true;
			count++;
		}
	return count;
}

int
inbox_fetch(struct inbox *ib, const uint32_t *uids, size_t n,
    size_t max_size, struct inbox_item **items, size_t *n_items)
{
	struct inbox_fetch_ctx fc;
	struct inbox_item *out = NULL;
	uint32_t *sorted = NULL;
	size_t k = 0, oversize = 0;
	int rc = -1;

	*items = NULL;
	*n_items = 0;
	memset(&fc, 0, sizeof(fc));
	if (inbox_ready(ib) == -1)
		return -1;
	fc.n = inbox_uids_sorted(uids, n, &sorted);
	fc.uids = sorted;
	fc.kind = INBOX_FETCH_META;
	if (fc.n == 0)
		return 0;
	fc.tab = xcalloc(fc.n, sizeof(*fc.tab));
	if (inbox_each_set(ib, fc.uids, fc.n, inbox_fetch_set, &fc) == -1)
		goto fail;
	oversize = inbox_mark_oversize(&fc, max_size);
	if (inbox_fetch_pass(ib, &fc, INBOX_FETCH_BODY, false) == -1 ||
	    inbox_fetch_pass(ib, &fc, INBOX_FETCH_HEADER, true) == -1)
		goto fail;
	/* Hand the items out in the caller's order, each UID once. */
	out = xcalloc(fc.n, sizeof(*out));
	for (size_t j = 0; j < n; j++) {
		ssize_t i = inbox_uid_index(fc.uids, fc.n, uids[j]);

		if (i < 0 || fc.tab[i].uid == 0)
			continue;
		out[k++] = fc.tab[i];
		memset(&fc.tab[i], 0, sizeof(fc.tab[i]));
	}
	log_debug("inbox fetch host=%s asked=%zu got=%zu oversize=%zu bytes=%zu",
	    ib->host, fc.n, k, oversize, fc.bytes);
	if (k == 0) {
		free(out);
		out = NULL;
	}
	*items = out;
	*n_items = k;
	rc = 0;
fail:
	inbox_items_free(fc.tab, fc.n);
	free(sorted);
	return rc;
}

void
inbox_items_free(struct inbox_item *items, size_t n)
{
	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(items[i].data);
		for (size_t k = 0; k < items[i].n_keywords; k++)
			free(items[i].keywords[k]);
		free(items[i].keywords);
	}
	free(items);
}

/* UID STORE +FLAGS.SILENT (arg): a keyword, or \Deleted when arg is NULL. */
static int
inbox_store_set(struct inbox *ib, struct mailimap_set *set, void *arg)
{
	struct mailimap_flag_list *fl = NULL;
	struct mailimap_flag *flag = NULL;
	struct mailimap_store_att_flags *sf;
	char *kw = arg != NULL ? xstrdup(arg) : NULL;
	int r;

	if ((fl = mailimap_flag_list_new_empty()) == NULL)
		goto fail;
	flag = kw != NULL ? mailimap_flag_new_flag_keyword(kw) :
	    mailimap_flag_new_deleted();
	if (flag == NULL)
		goto fail;
	kw = NULL;			/* owned by flag */
	if (mailimap_flag_list_add(fl, flag) != MAILIMAP_NO_ERROR)
		goto fail;
	flag = NULL;			/* owned by fl */
	if ((sf = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL)
		goto fail;
	r = mailimap_uid_store(ib->imap, set, sf);
	mailimap_store_att_flags_free(sf);	/* and fl */
	if (r != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "UID STORE");
	return 0;
fail:
	free(kw);
	if (flag != NULL)
		mailimap_flag_free(flag);
	if (fl != NULL)
		mailimap_flag_list_free(fl);
	inbox_seterr(ib, "out of memory");
	return -1;
}

int
inbox_add_keyword(struct inbox *ib, const uint32_t *uids, size_t n,
    const char *keyword)
{
	uint32_t *sorted = NULL;
	size_t ns;
	int rc;

	if (!inbox_keyword_valid(keyword)) {
		inbox_seterr(ib, "invalid IMAP keyword");
		return -1;
	}
	if (inbox_ready(ib) == -1)
		return -1;
	if ((ns = inbox_uids_sorted(uids, n, &sorted)) == 0)
		return 0;
	rc = inbox_each_set(ib, sorted, ns, inbox_store_set, (void *)keyword);
	if (rc == 0)
		log_info("inbox keyword uids=%zu keyword=%s", ns, keyword);
	free(sorted);
	return rc;
}

static int
inbox_move_set(struct inbox *ib, struct mailimap_set *set, void *mb)
{
	int r = mailimap_uid_move(ib->imap, set, mb);

	return r == MAILIMAP_NO_ERROR ? 0 : inbox_cmd_failed(ib, r, "UID MOVE");
}

/* Without MOVE: COPY, flag \Deleted, and expunge exactly this set (UID
 * EXPUNGE, RFC 4315).  A failure after COPY leaves copies behind; the
 * caller's records make the next attempt harmless apart from that. */
static int
inbox_copy_set(struct inbox *ib, struct mailimap_set *set, void *mb)
{
	int r;

	if ((r = mailimap_uid_copy(ib->imap, set, mb)) != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "UID COPY");
	if (inbox_store_set(ib, set, NULL) == -1)
		return -1;
	if ((r = mailimap_uid_expunge(ib->imap, set)) != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "UID EXPUNGE");
	return 0;
}

int
inbox_move(struct inbox *ib, const uint32_t *uids, size_t n,
    const char *folder)
{
	uint32_t *sorted = NULL;
	char *mb = NULL;
	size_t ns;
	int rc = -1;
	bool move;

	if (inbox_ready(ib) == -1)
		return -1;
	if ((mb = inbox_mutf7(folder)) == NULL) {
		inbox_seterr(ib, "invalid folder name");
		return -1;
	}
	move = mailimap_has_extension(ib->imap, "MOVE");
	if ((ns = inbox_uids_sorted(uids, n, &sorted)) == 0)
		rc = 0;
	else if (!move && !mailimap_has_uidplus(ib->imap))
		inbox_seterr(ib, "%s offers neither MOVE nor UIDPLUS: cannot "
		    "move messages without touching others", ib->host);
	else
		rc = inbox_each_set(ib, sorted, ns, move ? inbox_move_set :
		    inbox_copy_set, mb);
	if (rc == 0 && ns > 0)
		log_info("inbox move uids=%zu folder=%s method=%s", ns, folder,
		    move ? "move" : "copy+expunge");
	free(sorted);
	free(mb);
	return rc;
}

