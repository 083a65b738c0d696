/*
 * libFuzzer target for config_load, the reader of the INI configuration
 * (daemon/config.c, config_keys.c).  config_load reads a path, and the
 * relative paths inside the file are taken relative to its directory, so
 * each input is written to FILE in a private directory made once under
 * /tmp, next to two password files the seeds name: "pw" (mode 0600, a
 * good password) and "pw-open" (mode 0644, refused).  The directory is
 * removed at exit.
 *
 * Besides crashes, leaks and sanitizer reports it checks config_load's
 * contract (config.h): success hands out a config and no problems;
 * failure hands out no config and 1..101 problems, each a non-empty line
 * that starts with the file name; a loaded config has a password, a
 * watched mailbox, hosts, a poll interval within 5..86400 and an SMTP
 * password exactly when it has an SMTP user.  (One load per input: each
 * costs ~20 ms under the sanitizers, mostly config_load's 1 MB read
 * buffer being poisoned and unpoisoned, and a schedule that never occurs
 * runs sched's whole iteration budget, ~0.8 s.)
 *
 *   make build/fuzz/fuzz_config
 *   build/fuzz/fuzz_config -max_total_time=20 tests/fuzz/corpus/config
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_config.XXXXXX";
static char path[sizeof(dir) + 16];

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: broken promise: %s\n", what);
		abort();
	}
}

static void
put(const char *name, const char *text, mode_t mode)
{
	char p[sizeof(dir) + 16];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	check(fd != -1, "scratch file created");
	check(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "written");
	check(fchmod(fd, mode) == 0 && close(fd) == 0, "mode set");
}

static void
cleanup(void)
{
	const char *names[] = { "pw", "pw-open", "hanzepost.conf" };
	char p[sizeof(dir) + 16];

	for (size_t i = 0; i < HP_NELEM(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A systemd credential directory would change what is required. */
	unsetenv("CREDENTIALS_DIRECTORY");
	check(mkdtemp(dir) != NULL, "scratch directory made");
	atexit(cleanup);
	put("pw", "secret\n", 0600);
	put("pw-open", "secret\n", 0644);
	snprintf(path, sizeof(path), "%s/hanzepost.conf", dir);
	return 0;
}

static void
check_config(const struct config *c)
{
	check(c->mailbox.password != NULL && *c->mailbox.password != '\0',
	    "a mailbox password");
	check(c->mailbox.mailbox != NULL && *c->mailbox.mailbox != '\0',
	    "a watched mailbox");
	check(c->mailbox.url.host != NULL && c->smtp.url.host != NULL, "hosts");
	check(c->mailbox.poll_interval >= 5 && c->mailbox.poll_interval <= 86400,
	    "poll_interval within 5..86400");
	check((c->smtp.user == NULL) == (c->smtp.password == NULL),
	    "an SMTP password exactly when there is an SMTP user");
	check(c->office.address != NULL && c->database.path != NULL,
	    "office address and database path");
	check(c->database.path[0] == '/', "database path made absolute");
}

/* Load path once; returns the number of problems (0: loaded). */
static size_t
load_once(void)
{
	struct config *c = (struct config *)1;
	char **errs = (char **)1;
	size_t n = 99999;
	int rc = config_load(path, &c, &errs, &n);

	if (rc == 0) {
		check(c != NULL && errs == NULL && n == 0, "success: config, no problems");
		check_config(c);
		config_free(c);
		return 0;
	}
	check(rc == -1 && c == NULL, "failure: no config");
	check(errs != NULL && n >= 1 && n <= 101, "failure: 1..101 problems");
	for (size_t i = 0; i < n; i++) {
		check(errs[i] != NULL && *errs[i] != '\0', "a problem has text");
		check(strncmp(errs[i], path, strlen(path)) == 0,
		    "a problem starts with the file name");
		check(strchr(errs[i], '\n') == NULL, "a problem is one line");
	}
	config_errors_free(errs, n);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	check(fd != -1, "input file opened");
	check(write(fd, data, size) == (ssize_t)size && close(fd) == 0,
	    "input written");
	(void)load_once();
	return 0;
}
