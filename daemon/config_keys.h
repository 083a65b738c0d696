/*
 * config_keys: the config key table (every key of SPEC §9 with its type,
 * default, bounds, place in struct config and help) and the value types —
 * turning one trimmed value string into its field of struct config, with
 * the reason when it cannot.  Private to config.c (split off only to keep
 * files small); nothing else includes this header.
 *
 * It reads no config file and reports nothing itself; its only I/O is
 * reading password files and checking that ca_file, templates.dir and a
 * time zone exist.
 */
#ifndef HP_CONFIG_KEYS_H
#define HP_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum config_ktype {
	KT_URL_IMAP,	/* char * url_text at off, struct config_url at aux */
	KT_URL_SMTP,
	KT_TEXT,	/* char *: printable, up to 255 bytes */
	KT_TOKEN,	/* char *: no white space or RFC 8601 specials */
	KT_FOLDER,	/* char *: IMAP mailbox name */
	KT_PATH,	/* char *: made absolute against the config's directory */
	KT_FILE,	/* KT_PATH that must be a readable regular file */
	KT_DIR,		/* KT_PATH that must be a directory */
	KT_SECRET,	/* KT_PATH of a password file; read later by config.c */
	KT_TLS,		/* enum config_tls */
	KT_BOOL,	/* bool */
	KT_UINT,	/* unsigned within [min, max] */
	KT_SIZE,	/* uint64_t bytes within [min, max] */
	KT_DURATION,	/* uint64_t seconds within [min, max] */
	KT_MAILBOX,	/* char * text at off, name at aux, addr-spec at aux2 */
	KT_ADDRESS,	/* char * addr-spec */
	KT_ADDRLIST,	/* char ** at off, size_t count at aux */
	KT_LANG,	/* enum lang */
	KT_TZ,		/* char * zoneinfo name */
	KT_SCHEDULE,	/* char *: non-empty, no white space */
	KT_HOSTNAME,	/* char *: dotted host name */
	KT_HTTPS_URL,	/* char *: https://... */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_ktype type;
	const char *def;	/* default as written in the file; "" = none */
	bool required;
	uint64_t min, max;	/* KT_UINT, KT_SIZE, KT_DURATION */
	size_t off, aux, aux2;	/* offsets into struct config */
	const char *help;
};

/*
 * The key table, in the order of SPEC §9 and config/hanzepost.conf.
 * def "" means "no default": the key is unset (NULL) or, for
 * bounce_address, unsubscribe_address and list_id, derived from
 * office.address by config.c.
 */
extern const struct config_key config_keys[];
extern const size_t config_keys_n;

/*
 * Convert v (non-empty, trimmed) for key k and store it in c, freeing
 * nothing (the field must still be unset).  Relative paths are taken
 * against base_dir.  Returns 0, or -1 with a one-line reason in why.
 */
int config_keys_set(const struct config_key *k, const char *v,
    const char *base_dir, struct config *c, char *why, size_t why_size);

/*
 * Read a password file: at most 4 KiB, one final newline stripped, no
 * NUL, CR or LF inside, not empty.  With check_mode, a file readable by
 * group or others is refused.  Returns 0 and a fresh *out (wipe before
 * freeing), or -1 with the reason (naming the file) in why.
 */
int config_keys_read_secret(const char *path, bool check_mode, char **out,
    char *why, size_t why_size);

/* True for "localhost", 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool config_keys_loopback(const char *host);

/* "3d", "10M", "45s": v written in the largest unit that divides it. */
void config_keys_format(enum config_ktype type, uint64_t v, char *buf,
    size_t size);

#endif
