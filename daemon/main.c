/*
 * main: global options and the subcommand table; the only caller of
 * exit().  Everything else is in cli.c.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "parser.h"

struct subcommand {
	const char *name;
	int (*run)(const struct cli_opts *, int, char **);
	const char *usage;
};

static const struct subcommand subcommands[] = {
	{ "run", cli_run, "run                        the daemon: new mail at once with IMAP IDLE (else every\n"
	  "                             poll_interval), replies, newsletter issues on their schedule and\n"
	  "                             invitations; systemd Type=notify; SIGHUP reloads, SIGTERM stops" },
	{ "poll", cli_poll, "poll --once                handle every new message once, send the replies, exit" },
	{ "send", cli_send, "send --once                start a due newsletter issue, deliver what is due (replies, newsletter\n"
	  "                             copies, invitations), send the weekly bounce summary, exit" },
	{ "registry", cli_registry, "registry list              the registry as a table\n"
	  "  registry show NAME         one entry as an editable form\n"
	  "  registry export --format json|csv" },
	{ "check-config", cli_check_config, "check-config               validate the configuration; each error as FILE:LINE: [section] key: problem" },
	{ "office", cli_office, "office add EMAIL | remove EMAIL | list\n"
	  "                             office addresses besides [office] admins" },
	{ "ambassadors", cli_ambassadors, "ambassadors add EMAIL SECTOR | remove EMAIL SECTOR | list\n"
	  "                             sector ambassadors (SECTOR in English or Dutch)" },
	{ "subscribers", cli_subscribers, "subscribers list [--json]  the subscribers (--json: a JSON array)\n"
	  "  subscribers export [EMAIL] the same JSON with the consent record\n"
	  "  subscribers add EMAIL [--name NAME] [--lang nl|en] [--list newsletter|events]\n"
	  "                             subscribe without confirmation (the office's own act)\n"
	  "  subscribers remove EMAIL   erase the subscriber's data and consent record" },
	{ "newsletter", cli_newsletter, "newsletter preview [--lang nl|en] [--json]\n"
	  "                             the next issue as it would go out (--json: its template context)\n"
	  "  newsletter send            create an issue now, outside the schedule; `send --once` or `run` delivers it" },
	{ "events", cli_events, "events list [--json]       the events, their state and the answers counted\n"
	  "  events show ID [--json]    one event (ID: its Event-Id or number) with every invitee's answer\n"
	  "  events export ID           the event as an .ics file (METHOD:PUBLISH) for a website" },
	{ "queue", cli_queue, "queue list [--json]        replies and mailing copies not yet delivered, and failures\n"
	  "  queue retry [ID | --all]   put failed rows back in the queue" },
	{ "template", cli_template, "template render FILE DATA.json [--partials DIR]\n"
	  "                             render a Mustache template (partials DIR/NAME.mustache)" },
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: hanzepost [-c FILE] [-v] COMMAND [ARGS]\n"
	    "       hanzepost --help | --version\n\n"
	    "Keeps the registry of who is active where by e-mail: partners mail a\n"
	    "form to the shared mailbox and get the result back.  Sends the\n"
	    "scheduled newsletter and event invitations, and counts the answers.\n\n"
	    "Options:\n"
	    "  -c FILE   configuration file (default %s)\n"
	    "  -v        debug logging (lines carry <N> syslog priorities when\n"
	    "            JOURNAL_STREAM is set, i.e. under systemd)\n\nCommands:\n",
	    config_default_path());
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(fp, "  %s\n", subcommands[i].usage);
	fprintf(fp, "\nExit codes (sysexits.h): 0 done, 64 usage, 65 bad data, "
	    "69/75 server unavailable / try again later, 78 configuration error.\n"
	    "Configuration keys: see hanzepost.conf(5) and config/hanzepost.conf.\n");
}

int
main(int argc, char **argv)
{
	struct cli_opts opts;
	int i;

	/* `hanzepost --parser-child` is internal, not in --help: parser.c
	 * execs it, with an empty environment, as the sandboxed MIME parser.
	 * It must come before setlocale, the configuration or anything else,
	 * so that the child holds nothing the daemon knows. */
	if (argc == 2 && strcmp(argv[1], PARSER_CHILD_ARG) == 0)
		return parser_child_main();
	opts.config_path = config_default_path();
	opts.verbose = 0;
	setlocale(LC_CTYPE, "C.UTF-8");
	/* A peer that resets its socket must give an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("hanzepost %s\n", HP_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "-v") == 0)
			opts.verbose = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			opts.config_path = argv[++i];
		else {
			fprintf(stderr, "hanzepost: unknown option %s\n", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init(opts.verbose);
	for (size_t k = 0; k < sizeof(subcommands) / sizeof(subcommands[0]); k++)
		if (strcmp(argv[i], subcommands[k].name) == 0)
			return subcommands[k].run(&opts, argc - i, argv + i);
	fprintf(stderr, "hanzepost: unknown command %s (see hanzepost --help)\n", argv[i]);
	return EX_USAGE;
}
