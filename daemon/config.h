/*
 * config: the INI configuration file (SPEC §9) read into a struct config.
 * L4 shell.  Parsing, defaults, validation and the `check-config` / --help
 * key listing all come from one declarative key table in config.c, so a
 * key cannot be documented, defaulted and validated three different ways.
 *
 * config_load() parses into a fresh struct and hands it out only when the
 * whole file is valid: a SIGHUP reload of a broken file leaves the caller
 * with its old config.  Every problem is collected, not just the first, as
 * "FILE:LINE: [section] key: problem" (":LINE" is left out when a problem
 * is not tied to a line, e.g. a missing required key).  Unknown sections
 * and keys, duplicate keys and empty values of keys that have a default
 * are errors.
 *
 * Secrets never come from the INI file or the command line (ARCHITECTURE):
 * passwords are read from password_file, or from the systemd credentials
 * imap-password / smtp-password under $CREDENTIALS_DIRECTORY.  A password
 * file readable by group or others is refused.
 *
 * Relative paths in the file (password_file, ca_file, database.path,
 * templates.dir) are taken relative to the directory of the config file
 * and stored as absolute paths.
 *
 * This module does no network or database I/O and does not log; it reads
 * the config file, the password files, and stats ca_file, templates.dir and
 * /usr/share/zoneinfo.  It sets libinih's process-wide run-time options
 * (Debian-only globals, notes/libraries.md finding 16) on every load.
 */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

enum config_tls { CONFIG_TLS_REQUIRED, CONFIG_TLS_OFF };

/*
 * A parsed mail server URL: imaps://host[:port]/MAILBOX, imap://...,
 * smtps://host[:port], smtp://...  scheme and host are lower-cased; an
 * IPv6 literal is stored without its brackets.  port is the explicit one
 * or the scheme's default (993, 143, 465, 587).  path is the IMAP mailbox
 * name, percent-decoded (default "INBOX"); NULL for SMTP.  implicit_tls is
 * true for imaps and smtps (TLS from the first byte), false for imap and
 * smtp (STARTTLS, unless tls = off on a loopback host).
 */
struct config_url {
	char *scheme;
	char *host;
	unsigned port;
	char *path;
	bool implicit_tls;
};

/*
 * Every char * is owned by the struct (config_free).  Optional strings
 * that are not set are NULL, never "".  Durations are in seconds, sizes
 * in bytes.
 */
struct config {
	char *path;	/* the file it came from, as given to config_load */
	struct {
		char *url_text;		/* as written */
		struct config_url url;
		char *mailbox;		/* = url.path: the mailbox to watch */
		char *user;
		char *password_file;	/* NULL when the credential was used */
		char *password;		/* always set; wiped by config_free */
		char *ca_file;		/* NULL: the system trust store */
		enum config_tls tls;
		bool idle;
		unsigned poll_interval;
		char *processed_folder, *rejected_folder, *held_folder;
		char *trusted_authserv_id;	/* NULL: trust no Authentication-Results */
		uint64_t max_message_size;
	} mailbox;
	struct {
		char *url_text;
		struct config_url url;
		char *user;		/* NULL: no SMTP AUTH */
		char *password_file;	/* NULL when unset or the credential was used */
		char *password;		/* set exactly when user is */
		char *ca_file;
		enum config_tls tls;
		unsigned concurrency;
		unsigned rate;		/* messages per minute, all connections */
		uint64_t max_age;
	} smtp;
	struct {
		char *address_text;	/* as written */
		char *name;		/* display name; NULL when absent */
		char *address;		/* addr-spec, domain lower-cased */
		char **admins;		/* addr-specs, no duplicates */
		size_t n_admins;
		char *bounce_address;		/* default LOCAL+bounce@DOMAIN */
		char *unsubscribe_address;	/* default LOCAL+unsubscribe@DOMAIN */
		enum lang language;
		char *timezone;		/* an existing /usr/share/zoneinfo name */
	} office;
	struct {
		char *path;
	} database;
	struct {
		char *dir;	/* NULL: only the shipped templates */
	} templates;
	struct {
		char *schedule;		/* an RRULE, checked with sched_check in timezone */
		char *list_id;		/* default nieuwsbrief.DOMAIN */
		char *unsubscribe_url;	/* https://...; NULL when unset */
	} newsletter;
	struct {
		unsigned replies_per_hour;
		uint64_t token_lifetime;
		unsigned bounce_threshold;
		uint64_t bounce_window;
	} limits;
};

/*
 * Load and validate the file at path.  On success returns 0 and stores a
 * new config in *out (free with config_free); *errs is set to NULL and
 * *n_errs to 0.  On any problem returns -1, sets *out to NULL, and stores
 * every problem in *errs / *n_errs (heap strings in file order, problems
 * without a line last; free with config_errors_free).  errs and n_errs may
 * be NULL when the caller does not want the messages.  At most 100 problems
 * are reported.
 */
int config_load(const char *path, struct config **out, char ***errs,
    size_t *n_errs);

/* Free an error list from config_load.  NULL is fine. */
void config_errors_free(char **errs, size_t n);

/* Free a config, wiping the passwords first.  NULL is fine. */
void config_free(struct config *c);

/* The default config path: HP_SYSCONFDIR "/hanzepost/hanzepost.conf"
 * (HP_SYSCONFDIR from the Makefile, /etc by default).  Borrowed. */
const char *config_default_path(void);

/* One line per key, in file order, for --help and docs:
 * "section.key  default  help" (default shown as "-" when there is none,
 * and "(required)" for required keys). */
void config_print_keys(FILE *fp);

#endif
