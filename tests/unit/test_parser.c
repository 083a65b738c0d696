/*
 * Unit tests for parser: the child process really isolates libetpan.
 * The crash input is finding 2 of notes/libraries.md (heap overflow on
 * boundary="\""), run here on purpose: it must cost one child, never the
 * test process.  The CPU and wall-clock limits are exercised with a
 * legitimately expensive input (libetpan needs seconds for 20,000 nested
 * multiparts), not with test hooks.  What the child inherits (file
 * descriptors, rlimits, seccomp, environment, memory) is read from
 * /proc/<pid>/, the pid from the parser's own log line.
 *
 * The child execs /proc/self/exe, which here is this test binary: main()
 * dispatches PARSER_CHILD_ARG to parser_child_main() as the daemon does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "parser.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static const char normal_msg[] =
    "Message-ID: <n-1@example.org>\r\n"
    "From: =?UTF-8?Q?Jos=C3=A9?= <jose@Example.ORG>\r\n"
    "Subject: Aanmelding\r\n"
    "Content-Type: text/plain; charset=iso-8859-2\r\n"
    "\r\n"
    "Organisation: Gda\xf1sk Port\r\n";

static const char crash_msg[] =
    "From: attacker@example.org\r\n"
    "Subject: boom\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n"
    "\r\n"
    "--\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n"
    "--\"--\r\n";

/* ---- stderr capture: the parser logs one line per child event ---- */

static int saved_stderr = -1;
static char capture_path[64];

static void
capture_begin(void)
{
	int fd;

	hp_strlcpy(capture_path, "/tmp/hp-test-parser-XXXXXX", sizeof(capture_path));
	fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_init(1);
}

static char *
capture_end(void)
{
	struct buf b;
	char tmp[4096];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	buf_init(&b, 0);
	fd = open(capture_path, O_RDONLY);
	assert_true(fd >= 0);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_append(&b, tmp, (size_t)n);
	close(fd);
	unlink(capture_path);
	return buf_release(&b, NULL);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The pid of the last child started, from the log. */
static long
last_child_pid(const char *log)
{
	const char *p = NULL, *q = log, *key = "parser child started pid=";

	while ((q = strstr(q, key)) != NULL)
		p = q++;
	assert_non_null(p);
	return strtol(p + strlen(key), NULL, 10);
}

static char *
nested(size_t depth)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "From: deep@example.org\r\nSubject: deep\r\n");
	for (size_t i = 0; i < depth; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%zu\"\r\n"
		    "\r\n--b%zu\r\n", i, i);
	buf_puts(&b, "Content-Type: text/plain\r\n\r\ndeep text");
	for (size_t i = depth; i-- > 0;)
		buf_printf(&b, "\r\n--b%zu--\r\n", i);
	return buf_release(&b, NULL);
}

/* HTML (libxml2) and a base64 calendar part, in the sandboxed child. */
static void
parse_html(struct parser *p)
{
	static const char raw[] =
	    "From: a@b.example\r\n"
	    "Content-Type: multipart/alternative; boundary=x\r\n\r\n"
	    "--x\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n"
	    "<p>Organisation: X<br>Sector: economy \x80</p>\r\n"
	    "--x\r\nContent-Type: text/calendar; method=reply\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVQTFkNCkVORDpWQ0FMRU5EQVINCg==\r\n"
	    "--x--\r\n";
	struct msg *m = NULL;
	char err[128];

	assert_int_equal(parser_parse(p, raw, sizeof(raw) - 1, &m, err,
	    sizeof(err)), 0);
	assert_true(m->text_from_html);
	assert_string_equal(m->text, "Organisation: X\nSector: economy \xe2\x82\xac\n");
	assert_string_equal(m->calendar, "BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n");
	assert_string_equal(m->calendar_method, "REPLY");
	msg_free(m);
}

static void
parse_normal(struct parser *p)
{
	struct msg *m = NULL;
	char err[128];

	assert_int_equal(parser_parse(p, normal_msg, sizeof(normal_msg) - 1,
	    &m, err, sizeof(err)), 0);
	assert_non_null(m);
	assert_string_equal(m->message_id, "n-1@example.org");
	assert_string_equal(m->from_addr, "jose@example.org");
	assert_string_equal(m->from_name, "Jos\xc3\xa9");
	/* iso-8859-2 goes through iconv, which loads a gconv module in the
	 * sandboxed child. */
	assert_string_equal(m->text, "Organisation: Gda\xc5\x84sk Port\n");
	assert_int_equal(m->raw_size, sizeof(normal_msg) - 1);
	msg_free(m);
}

static int
expensive(struct parser *p, size_t depth, char *err, size_t errlen)
{
	char *raw = nested(depth);
	struct msg *m = NULL;
	int r = parser_parse(p, raw, strlen(raw), &m, err, errlen);

	msg_free(m);
	free(raw);
	return r;
}

static void
check_proc(long pid)
{
	char path[64], line[256];
	DIR *d;
	struct dirent *e;
	FILE *f;
	int fds = 0, limits = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		assert_true(atoi(e->d_name) <= 3);	/* stdio + the socket */
		fds++;
	}
	closedir(d);
	assert_true(fds <= 4);
	snprintf(path, sizeof(path), "/proc/%ld/limits", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = line + 26;	/* the "Soft Limit" column */
		if (strncmp(line, "Max file size", 13) == 0 ||
		    strncmp(line, "Max core file size", 18) == 0)
			limits += strncmp(v, "0 ", 2) == 0;
		else if (strncmp(line, "Max open files", 14) == 0)
			limits += strtol(v, NULL, 10) == 16;
		else if (strncmp(line, "Max stack size", 14) == 0)
			limits += strtol(v, NULL, 10) == 8 << 20;
	}
	fclose(f);
	assert_int_equal(limits, 4);
#if defined(__x86_64__) || defined(__aarch64__)
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	limits = -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Seccomp:", 8) == 0)
			limits = atoi(line + 8);
	fclose(f);
	/* SECCOMP_MODE_FILTER, on kernels that report seccomp at all. */
	if (limits != -1)
		assert_int_equal(limits, 2);
#endif
}

static void
test_one_child_per_batch(void **state)
{
	struct parser *p;
	char *log;
	long pid;
	int sv[2], extra = open("/dev/null", O_RDONLY);

	(void)state;
	/* Descriptors the daemon holds (database, IMAP) must not leak. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	capture_begin();
	p = parser_new(NULL);
	for (int i = 0; i < 5; i++)
		parse_normal(p);
	parse_html(p);
	log = capture_end();
	assert_int_equal(count(log, "parser child started"), 1);
	assert_int_equal(count(log, "parser child died"), 0);
	pid = last_child_pid(log);
	check_proc(pid);
	parser_free(p);
	assert_int_equal(kill((pid_t)pid, 0), -1);	/* reaped */
	assert_int_equal(errno, ESRCH);
	free(log);
	close(extra);
	close(sv[0]);
	close(sv[1]);
}

static void
test_crash_costs_one_message(void **state)
{
	struct parser *p;
	struct msg *m = (struct msg *)1;
	char err[128], *log;

	(void)state;
	capture_begin();
	p = parser_new(NULL);
	parse_normal(p);
	assert_int_equal(parser_parse(p, crash_msg, sizeof(crash_msg) - 1, &m,
	    err, sizeof(err)), PARSER_UNREADABLE);
	assert_null(m);
	assert_string_equal(err, "parser child died");
	/* The same struct parser goes on with a fresh child. */
	parse_normal(p);
	parse_normal(p);
	parser_free(p);
	log = capture_end();
	assert_int_equal(count(log, "parser child started"), 2);
	assert_int_equal(count(log, "parser child died"), 1);
	assert_int_equal(count(log, "reason=died"), 1);
	free(log);
}

static void
test_not_a_message(void **state)
{
	struct parser *p;
	struct msg *m = NULL;
	char err[128], *log;

	(void)state;
	capture_begin();
	p = parser_new(NULL);
	assert_int_equal(parser_parse(p, "hello\n", 6, &m, err, sizeof(err)),
	    PARSER_INVALID);
	assert_string_equal(err, "no header fields");
	assert_int_equal(parser_parse(p, "", 0, &m, err, sizeof(err)),
	    PARSER_INVALID);
	assert_string_equal(err, "empty message");
	/* Refused before anything is sent. */
	assert_int_equal(parser_parse(p, normal_msg, MSG_RAW_MAX + 1, &m, err,
	    sizeof(err)), PARSER_INVALID);
	parse_normal(p);
	parser_free(p);
	log = capture_end();
	assert_int_equal(count(log, "parser child started"), 1);
	assert_int_equal(count(log, "parser child died"), 0);
	free(log);
}

static void
test_deep_nesting(void **state)
{
	struct parser_limits lim = { .cpu_seconds = 1 };
	struct parser *p;
	char err[128];
	int r;

	(void)state;
	capture_begin();
	p = parser_new(&lim);
	r = expensive(p, 30000, err, sizeof(err));
	assert_true(r == 0 || r == PARSER_UNREADABLE);
	parse_normal(p);
	parser_free(p);
	free(capture_end());
}

static void
test_stack_limit(void **state)
{
	/* finding 3: libetpan recurses once per nesting level; a small stack
	 * makes that a quick SIGSEGV (or an ASan stack-overflow report). */
	struct parser_limits lim = { .stack_bytes = 256 << 10 };
	struct parser *p;
	char err[128], *log;

	(void)state;
	capture_begin();
	p = parser_new(&lim);
	assert_int_equal(expensive(p, 5000, err, sizeof(err)), PARSER_UNREADABLE);
	parse_normal(p);
	parser_free(p);
	log = capture_end();
	assert_int_equal(count(log, "parser child died"), 1);
	free(log);
}

static void
test_cpu_limit(void **state)
{
	struct parser_limits lim = { .cpu_seconds = 1, .timeout_ms = 60000 };
	struct parser *p;
	char err[128], *log;
	sigset_t block, old;

	(void)state;
	/* Like the daemon, which blocks signals for its signalfd: the child
	 * must not inherit a blocked SIGXCPU. */
	sigemptyset(&block);
	sigaddset(&block, SIGXCPU);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, &old);
	capture_begin();
	p = parser_new(&lim);
	assert_int_equal(expensive(p, 20000, err, sizeof(err)), PARSER_UNREADABLE);
	assert_string_equal(err, "parser child died");
	parse_normal(p);
	parser_free(p);
	log = capture_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(count(log, "signal=24 reason=died"), 1);	/* SIGXCPU */
	free(log);
}

static int64_t
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_wall_clock_timeout(void **state)
{
	struct parser_limits lim = { .cpu_seconds = 60, .timeout_ms = 300 };
	struct parser *p;
	char err[128], *log;
	int64_t t0;

	(void)state;
	capture_begin();
	p = parser_new(&lim);
	t0 = ms();
	assert_int_equal(expensive(p, 20000, err, sizeof(err)), PARSER_UNREADABLE);
	assert_true(ms() - t0 < 5000);
	assert_string_equal(err, "parser child timeout");
	parse_normal(p);
	parser_free(p);
	log = capture_end();
	assert_int_equal(count(log, "signal=9 reason=timeout"), 1);
	free(log);
}

static void
test_memory_limit(void **state)
{
#ifdef TEST_ASAN
	(void)state;
	skip();	/* RLIMIT_AS is not applied under AddressSanitizer */
#else
	struct parser_limits lim = { .memory_bytes = 16 << 20 };
	struct parser *p;
	struct msg *m = NULL;
	size_t len = 40 << 20;
	char err[128], *raw = xmalloc(len);

	(void)state;
	memset(raw, 'x', len);
	memcpy(raw, "From: a@b.example\r\n\r\n", 21);
	capture_begin();
	p = parser_new(&lim);
	assert_int_equal(parser_parse(p, raw, len, &m, err, sizeof(err)),
	    PARSER_UNREADABLE);
	parse_normal(p);
	parser_free(p);
	free(capture_end());
	free(raw);
#endif
}

/* Does the readable memory of pid (mappings up to 64 MiB; the sanitizer's
 * shadow is far bigger) contain needle?  -1: not allowed to look. */
static int
memory_contains(long pid, const char *needle)
{
	char path[64], line[4096], perms[8];
	unsigned long lo, hi;
	FILE *maps;
	int mem, found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	mem = open(path, O_RDONLY);
	if (maps == NULL || mem == -1) {
		if (maps != NULL)
			fclose(maps);
		if (mem != -1)
			close(mem);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		char *b;
		ssize_t n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || hi - lo > (64UL << 20) ||
		    strstr(line, "[vvar") != NULL || strstr(line, "[vsyscall]") != NULL)
			continue;
		b = xmalloc(hi - lo);
		n = pread(mem, b, hi - lo, (off_t)lo);
		found = n > 0 && memmem(b, (size_t)n, needle, strlen(needle)) != NULL;
		free(b);
	}
	fclose(maps);
	close(mem);
	return found;
}

static void
assert_link_equal(const char *a, const char *b)
{
	char la[4096], lb[4096];
	ssize_t na = readlink(a, la, sizeof(la) - 1);
	ssize_t nb = readlink(b, lb, sizeof(lb) - 1);

	assert_true(na > 0 && nb > 0);
	la[na] = lb[nb] = '\0';
	assert_string_equal(la, lb);
}

/* The child is a fresh image of the program, not a copy of the caller:
 * nothing the daemon holds (passwords, configuration, environment) is in
 * it for code that takes it over to copy into a parsed field. */
static void
test_child_holds_no_secret(void **state)
{
	struct parser *p;
	char path[64], buf[256], *log, *secret;
	long pid;
	int fd, self;
	ssize_t n;

	(void)state;
	/* Made at run time: not in the program file the child maps. */
	secret = xasprintf("imap-password-%ld-%lx", (long)getpid(),
	    (unsigned long)time(NULL) * 2654435761UL);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "/run/credentials/hp", 1), 0);
	assert_int_equal(setenv("HP_TEST_SECRET", secret, 1), 0);
	capture_begin();
	p = parser_new(NULL);
	parse_normal(p);
	log = capture_end();
	pid = last_child_pid(log);
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 0);		/* an empty environment */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, sizeof("hanzepost\0" PARSER_CHILD_ARG));
	assert_memory_equal(buf, "hanzepost\0" PARSER_CHILD_ARG, (size_t)n);
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	assert_link_equal(path, "/proc/self/exe");
	check_proc(pid);
	/* Our own memory is the positive control of the search. */
	self = memory_contains((long)getpid(), secret);
	if (self != -1) {
		assert_int_equal(self, 1);
		assert_int_equal(memory_contains(pid, secret), 0);
	}
	parse_normal(p);	/* still serving after being looked at */
	parser_free(p);
	unsetenv("HP_TEST_SECRET");
	unsetenv("CREDENTIALS_DIRECTORY");
	free(secret);
	free(log);
}

/* A child that cannot be started is the machine's problem, not the
 * message's: PARSER_FAILED (retry later), never PARSER_UNREADABLE. */
static void
test_exec_failure(void **state)
{
	struct parser_limits missing = { .exec_path = "/nonexistent/hanzepost" };
	struct parser_limits other = { .exec_path = "/bin/true" };
	struct parser *p;
	struct msg *m = NULL;
	char err[128], *log;

	(void)state;
	capture_begin();
	p = parser_new(&missing);
	assert_int_equal(parser_parse(p, normal_msg, sizeof(normal_msg) - 1,
	    &m, err, sizeof(err)), PARSER_FAILED);
	assert_string_equal(err, "cannot start the parser child");
	parser_free(p);
	/* A program that does not speak the protocol: no ready answer. */
	p = parser_new(&other);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(parser_parse(p, normal_msg,
		    sizeof(normal_msg) - 1, &m, err, sizeof(err)), PARSER_FAILED);
		assert_null(m);
	}
	parser_free(p);
	log = capture_end();
	assert_int_equal(count(log, "parser cannot open /nonexistent/hanzepost"), 1);
	assert_int_equal(count(log, "reason=start"), 2);
	assert_int_equal(count(log, "parser child started"), 0);
	free(log);
}

/* Typed by hand, the internal option refuses to run (no socketpair on 3). */
static void
test_child_flag_by_hand(void **state)
{
	pid_t pid;
	int st = 0;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);
		close(3);
		execl("/proc/self/exe", "hanzepost", PARSER_CHILD_ARG, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 64);	/* EX_USAGE */
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_child_per_batch),
		cmocka_unit_test(test_crash_costs_one_message),
		cmocka_unit_test(test_not_a_message),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_stack_limit),
		cmocka_unit_test(test_cpu_limit),
		cmocka_unit_test(test_wall_clock_timeout),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_child_holds_no_secret),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_child_flag_by_hand),
	};

	/* The parser child: this binary, exec'd by parser.c. */
	if (argc == 2 && strcmp(argv[1], PARSER_CHILD_ARG) == 0)
		return parser_child_main();

	return cmocka_run_group_tests(tests, NULL, NULL);
}
