/*
 * cli: every subcommand of hanzepost(8) except argument dispatch, which
 * is main's.  Each returns a sysexits.h exit code and never calls exit().
 * L4: opens the config, database and servers, calls the services, prints.
 */
#ifndef HP_CLI_H
#define HP_CLI_H

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

#endif
