/*
 * cli: every subcommand of hanzepost(8) except argument dispatch, which
 * is main's.  Each returns a sysexits.h exit code and never calls exit().
 * L4: opens the config, database and servers, calls the services, prints.
 */
#ifndef HP_CLI_H
#define HP_CLI_H

struct app;
struct config;
struct store;

struct cli_opts {
	const char *config_path;	/* -c FILE, or the default */
	int verbose;
};

int cli_run(const struct cli_opts *o, int argc, char **argv);
int cli_poll(const struct cli_opts *o, int argc, char **argv);
int cli_send(const struct cli_opts *o, int argc, char **argv);
int cli_registry(const struct cli_opts *o, int argc, char **argv);
int cli_check_config(const struct cli_opts *o, int argc, char **argv);
int cli_template(const struct cli_opts *o, int argc, char **argv);

/* cli_admin.c: the office's own management, no confirmation mail.
 * `office add EMAIL | remove EMAIL | list`: office addresses kept in the
 * database, besides [office] admins of the config. */
int cli_office(const struct cli_opts *o, int argc, char **argv);
/* `ambassadors add EMAIL SECTOR | remove EMAIL SECTOR | list`; SECTOR in
 * English or Dutch, stored by its English name. */
int cli_ambassadors(const struct cli_opts *o, int argc, char **argv);
/* `subscribers list [--json] | export [EMAIL] | add EMAIL [--name NAME]
 * [--lang nl|en] [--list newsletter|events] | remove EMAIL` (remove
 * erases the subscriber's data, consent record included). */
int cli_subscribers(const struct cli_opts *o, int argc, char **argv);

/* cli_newsletter.c: `newsletter preview [--lang nl|en] [--json] | send`. */
int cli_newsletter(const struct cli_opts *o, int argc, char **argv);
/* cli_queue.c: `queue list [--json] | retry [ID | --all]`. */
int cli_queue(const struct cli_opts *o, int argc, char **argv);
/* cli_events.c: `events list [--json] | show ID [--json]`. */
int cli_events(const struct cli_opts *o, int argc, char **argv);
/* For the subcommands that run services: load the configuration, open
 * its database, the country names and the templates into *app, printing
 * what goes wrong to stderr.  0, or an exit code (then *app holds
 * nothing).  cli_app_close releases it all (also after a failed open). */
int cli_app_open(const struct cli_opts *o, struct app *app);
void cli_app_close(struct app *app);
/* For the subcommands in cli*.c: load the configuration and open its
 * database, printing what goes wrong to stderr.  Returns 0 with *cfg
 * and *st set (the caller frees them with store_close and config_free),
 * or EX_CONFIG / EX_CANTCREAT with both NULL. */
int cli_open_store(const struct cli_opts *o, struct config **cfg,
    struct store **st);

#endif
