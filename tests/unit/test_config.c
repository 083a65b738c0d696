/*
 * test_config: config_load on the shipped example, on the data-driven
 * cases in tests/cases/config/NAME.conf, and on password files and systemd
 * credentials built in a temporary directory.
 *
 * A case file is loaded from the temporary directory after replacing
 * @IMAP_PASSWORD@, @SMTP_PASSWORD@ (0600 password files) and @TMP@ (the
 * directory).  Its "; expect: TEXT" lines list the problems in the order
 * config_load reports them: each error must start with "FILE:" + TEXT
 * (TEXT starting with a line number) or "FILE: " + TEXT (no line), and
 * there must be no other errors.  A case without expect lines must load.
 *
 * Paths are relative to the repository root (where `make unit` runs),
 * found from __FILE__ so an absolute build path works too.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

#define SELF "tests/unit/test_config.c"

static char tmpdir[PATH_MAX];
static char imap_pw[PATH_MAX + 16];
static char smtp_pw[PATH_MAX + 16];

/* A path under the repository root. */
static char *
repo_path(const char *rel)
{
	const char *f = __FILE__;
	size_t n = strlen(f) - strlen(SELF);

	return xasprintf("%.*s%s", (int)n, f, rel);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	s = xmalloc((size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(text);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* s with every needle replaced; s is freed. */
static char *
replace(char *s, const char *needle, const char *with)
{
	char *p;

	while ((p = strstr(s, needle)) != NULL) {
		char *t = xasprintf("%.*s%s%s", (int)(p - s), s, with,
		    p + strlen(needle));
		free(s);
		s = t;
	}
	return s;
}

static char *
fill_placeholders(char *s)
{
	s = replace(s, "@IMAP_PASSWORD@", imap_pw);
	s = replace(s, "@SMTP_PASSWORD@", smtp_pw);
	return replace(s, "@TMP@", tmpdir);
}

/* Write text as NAME in tmpdir and load it. */
static int
load_text(const char *name, const char *text, struct config **c, char ***errs,
    size_t *n, char **path)
{
	*path = xasprintf("%s/%s", tmpdir, name);
	write_file(*path, text, 0644);
	return config_load(*path, c, errs, n);
}

static void
print_errors(char **errs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_message("  got: %s\n", errs[i]);
}

/* True when some error is exactly "PATH:LINE: REST..." (LINE 0: no line). */
static bool
has_error(char **errs, size_t n, const char *path, int line, const char *rest)
{
	char *want = line > 0 ? xasprintf("%s:%d: %s", path, line, rest) :
	    xasprintf("%s: %s", path, rest);
	bool found = false;

	for (size_t i = 0; i < n && !found; i++)
		found = strncmp(errs[i], want, strlen(want)) == 0;
	if (!found) {
		print_message("missing error: %s\n", want);
		print_errors(errs, n);
	}
	free(want);
	return found;
}

static int
group_setup(void **state)
{
	char tmpl[] = "/tmp/hp-test-config.XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, tmpdir) == NULL)
		return -1;
	snprintf(imap_pw, sizeof(imap_pw), "%s/imap.pw", tmpdir);
	snprintf(smtp_pw, sizeof(smtp_pw), "%s/smtp.pw", tmpdir);
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Fresh 0600 password files before every test. */
static int
test_setup(void **state)
{
	write_file(imap_pw, "imap-secret\n", 0600);
	write_file(smtp_pw, "smtp-secret", 0600);
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

/* ---- data-driven cases ---- */

static void
test_case_file(void **state)
{
	const char *name = *state;
	char *src = repo_path("tests/cases/config/"), *file, *text, *path;
	char **errs = NULL, *line, *save = NULL, **want = NULL;
	size_t n = 0, n_want = 0;
	struct config *c = NULL;
	int rc;

	file = xasprintf("%s%s", src, name);
	text = fill_placeholders(slurp(file));
	rc = load_text(name, text, &c, &errs, &n, &path);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "; expect: ", 10) != 0)
			continue;
		want = xreallocarray(want, n_want + 1, sizeof(*want));
		want[n_want++] = xasprintf("%s:%s%s", path,
		    line[10] >= '0' && line[10] <= '9' ? "" : " ", line + 10);
	}
	for (size_t i = 0; i < n_want || i < n; i++) {
		if (i >= n || i >= n_want ||
		    strncmp(errs[i], want[i], strlen(want[i])) != 0) {
			print_message("%s: error %zu\n  want: %s\n", name, i,
			    i < n_want ? want[i] : "(nothing)");
			print_errors(errs, n);
			fail();
		}
	}
	assert_int_equal(rc, n_want == 0 ? 0 : -1);
	if (n_want > 0)
		assert_null(c);
	else
		assert_non_null(c);
	config_free(c);
	config_errors_free(errs, n);
	for (size_t i = 0; i < n_want; i++)
		free(want[i]);
	free(want);
	free(text);
	free(file);
	free(path);
	free(src);
}

static int
run_case_files(void)
{
	char *dir = repo_path("tests/cases/config");
	struct CMUnitTest *tests = NULL;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc;

	if (d == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		tests = xreallocarray(tests, n + 1, sizeof(*tests));
		names[n] = xstrdup(de->d_name);
		tests[n] = (struct CMUnitTest){ names[n], test_case_file,
		    test_setup, NULL, names[n] };
		n++;
	}
	closedir(d);
	rc = _cmocka_run_group_tests("config cases", tests, n, group_setup,
	    group_teardown);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	free(dir);
	return rc;
}

/* ---- the example config and the key table ---- */

static char *
example_text(void)
{
	char *path = repo_path("config/hanzepost.conf");
	char *s = slurp(path);

	free(path);
	return s;
}

/* The example leaves password_file empty: the installed unit hands the
 * passwords over as systemd credentials. */
static char *
example_credentials(void)
{
	char *dir = xasprintf("%s/example-creds", tmpdir), *f;

	mkdir(dir, 0700);
	f = xasprintf("%s/imap-password", dir);
	write_file(f, "imap-secret\n", 0600);
	free(f);
	f = xasprintf("%s/smtp-password", dir);
	write_file(f, "smtp-secret", 0600);
	free(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	return dir;
}

static void
test_example_loads(void **state)
{
	char *text = example_text(), *path, **errs = NULL;
	char *creds = example_credentials();
	struct config *c = NULL;
	size_t n = 0;

	if (load_text("example.conf", text, &c, &errs, &n, &path) != 0)
		print_errors(errs, n);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
	assert_int_equal(n, 0);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->mailbox.url.scheme, "imaps");
	assert_string_equal(c->mailbox.url.host, "imap.example.org");
	assert_int_equal(c->mailbox.url.port, 993);
	assert_true(c->mailbox.url.implicit_tls);
	assert_string_equal(c->mailbox.mailbox, "INBOX");
	assert_string_equal(c->mailbox.password, "imap-secret");
	assert_null(c->mailbox.password_file);
	assert_null(c->mailbox.ca_file);
	assert_string_equal(c->mailbox.trusted_authserv_id, "mx.example.org");
	assert_int_equal(c->smtp.url.port, 587);
	assert_false(c->smtp.url.implicit_tls);
	assert_null(c->smtp.url.path);
	assert_string_equal(c->smtp.user, "office@example.org");
	assert_string_equal(c->smtp.password, "smtp-secret");
	assert_string_equal(c->office.name, "Deventer Internationaal");
	assert_string_equal(c->office.address, "office@example.org");
	assert_int_equal(c->office.n_admins, 2);
	assert_string_equal(c->office.admins[1], "secretariaat@example.org");
	assert_int_equal(c->office.language, LANG_NL);
	assert_string_equal(c->office.timezone, "Europe/Amsterdam");
	assert_string_equal(c->database.path, "/var/lib/hanzepost/hanzepost.db");
	assert_null(c->templates.dir);
	assert_string_equal(c->newsletter.list_id, "nieuwsbrief.example.org");
	assert_null(c->newsletter.unsubscribe_url);
	config_free(c);
	free(path);
	free(text);
}

/* Every key of the table appears as "key =" under its [section] in the
 * example, so the example cannot fall behind the code. */
static void
test_example_has_every_key(void **state)
{
	char *text = example_text(), *keys = NULL, *line, *save = NULL;
	size_t len = 0, count = 0;
	FILE *fp = open_memstream(&keys, &len);

	config_print_keys(fp);
	fclose(fp);
	for (line = strtok_r(keys, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), count++) {
		char *dot = strchr(line, '.'), *sp = strchr(line, ' ');
		char *hdr, *want, *sec, *end;

		assert_non_null(dot);
		assert_non_null(sp);
		hdr = xasprintf("\n[%.*s]\n", (int)(dot - line), line);
		want = xasprintf("\n%.*s =", (int)(sp - dot - 1), dot + 1);
		sec = strstr(text, hdr);
		if (sec == NULL) {
			fail_msg("no %s in the example", hdr + 1);
			return;
		}
		end = strchr(sec + strlen(hdr), '[');
		while (end != NULL && end[-1] != '\n')
			end = strchr(end + 1, '[');
		if (end != NULL)
			end--;
		if (end != NULL)
			*end = '\0';
		if (strstr(sec, want) == NULL)
			fail_msg("%.*s is not in the example", (int)(sp - line), line);
		if (end != NULL)
			*end = '\n';
		free(hdr);
		free(want);
	}
	assert_int_equal(count, 35);
	free(keys);
	free(text);
}

static void
test_print_keys(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	config_print_keys(fp);
	fclose(fp);
	assert_non_null(strstr(out, "mailbox.url "));
	assert_non_null(strstr(out, "(required)"));
	assert_non_null(strstr(out, "\nsmtp.max_age"));
	assert_non_null(strstr(out, " 3d "));
	assert_non_null(strstr(out, "limits.bounce_window"));
	free(out);
	assert_non_null(strstr(config_default_path(), "/hanzepost/hanzepost.conf"));
}

/* ---- values ---- */

static struct config *
load_case_ok(const char *name)
{
	char *src = repo_path("tests/cases/config/"), *file, *text, *path;
	char **errs = NULL;
	struct config *c = NULL;
	size_t n = 0;

	file = xasprintf("%s%s", src, name);
	text = fill_placeholders(slurp(file));
	if (load_text(name, text, &c, &errs, &n, &path) != 0)
		print_errors(errs, n);
	assert_non_null(c);
	free(src);
	free(file);
	free(text);
	free(path);
	return c;
}

static void
test_defaults(void **state)
{
	struct config *c = load_case_ok("minimal.conf");
	char *db = xasprintf("%s/hanzepost.db", tmpdir);

	assert_string_equal(c->mailbox.url.path, "INBOX");
	assert_string_equal(c->mailbox.mailbox, "INBOX");
	assert_string_equal(c->mailbox.password, "imap-secret");
	assert_int_equal(c->mailbox.tls, CONFIG_TLS_REQUIRED);
	assert_true(c->mailbox.idle);
	assert_int_equal(c->mailbox.poll_interval, 60);
	assert_string_equal(c->mailbox.processed_folder, "Processed");
	assert_string_equal(c->mailbox.rejected_folder, "Rejected");
	assert_string_equal(c->mailbox.held_folder, "Held");
	assert_null(c->mailbox.trusted_authserv_id);
	assert_int_equal(c->mailbox.max_message_size, 10 * 1024 * 1024);
	assert_string_equal(c->smtp.url.scheme, "smtp");
	assert_int_equal(c->smtp.url.port, 587);
	assert_null(c->smtp.user);
	assert_null(c->smtp.password);
	assert_int_equal(c->smtp.tls, CONFIG_TLS_REQUIRED);
	assert_int_equal(c->smtp.concurrency, 4);
	assert_int_equal(c->smtp.rate, 600);
	assert_int_equal(c->smtp.max_age, 3 * 86400);
	assert_int_equal(c->office.n_admins, 0);
	assert_null(c->office.admins);
	assert_string_equal(c->office.bounce_address, "office+bounce@example.org");
	assert_string_equal(c->office.unsubscribe_address,
	    "office+unsubscribe@example.org");
	assert_int_equal(c->office.language, LANG_NL);
	assert_string_equal(c->office.timezone, "Europe/Amsterdam");
	assert_string_equal(c->database.path, db);	/* relative to the file */
	assert_null(c->templates.dir);
	assert_string_equal(c->newsletter.schedule,
	    "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0");
	assert_string_equal(c->newsletter.list_id, "nieuwsbrief.example.org");
	assert_null(c->newsletter.unsubscribe_url);
	assert_int_equal(c->limits.replies_per_hour, 10);
	assert_int_equal(c->limits.token_lifetime, 7 * 86400);
	assert_int_equal(c->limits.bounce_threshold, 3);
	assert_int_equal(c->limits.bounce_window, 30 * 86400);
	config_free(c);
	free(db);
}

static void
test_loopback_urls(void **state)
{
	struct config *c = load_case_ok("tls_off_loopback.conf");

	assert_string_equal(c->mailbox.url.scheme, "imap");
	assert_string_equal(c->mailbox.url.host, "::1");
	assert_int_equal(c->mailbox.url.port, 10143);
	assert_false(c->mailbox.url.implicit_tls);
	assert_string_equal(c->mailbox.mailbox, "Test Box");
	assert_int_equal(c->mailbox.tls, CONFIG_TLS_OFF);
	assert_string_equal(c->smtp.url.host, "localhost");
	assert_int_equal(c->smtp.url.port, 10025);
	assert_int_equal(c->smtp.tls, CONFIG_TLS_OFF);
	assert_null(c->office.name);
	assert_string_equal(c->office.address, "office@example.org");
	config_free(c);
}

static void
test_long_lines(void **state)
{
	struct config *c = load_case_ok("long_line.conf");
	char *text, *admins = xstrdup("admins =");
	char *comment = xmalloc(3501), *path, **errs = NULL;
	size_t n = 0;

	assert_int_equal(c->office.n_admins, 20);
	assert_string_equal(c->office.admins[19], "a20@example.org");
	config_free(c);

	/* 100 addresses on a 2400-byte line, after a 3500-byte comment. */
	for (int i = 0; i < 100; i++) {
		char *t = xasprintf("%s admin-%03d@example.org,", admins, i);
		free(admins);
		admins = t;
	}
	memset(comment, ';', 3500);
	comment[3500] = '\0';
	text = xasprintf("[mailbox]\nurl = imaps://imap.example.org\n"
	    "user = u\npassword_file = %s\n[smtp]\nurl = smtp://s.example.org\n"
	    "[office]\naddress = office@example.org\n%s\n%s\n"
	    "[database]\npath = x.db\n", imap_pw, comment, admins);
	assert_int_equal(load_text("long.conf", text, &c, &errs, &n, &path), 0);
	assert_int_equal(c->office.n_admins, 100);
	assert_string_equal(c->office.admins[99], "admin-099@example.org");
	config_free(c);
	free(path);
	free(text);

	/* Past the 4000-byte limit the line is refused, not cut. */
	comment = xreallocarray(comment, 4002, 1);
	memset(comment, 'x', 4001);
	comment[4001] = '\0';
	text = xasprintf("[mailbox]\nuser = %s\n", comment);
	assert_int_equal(load_text("too-long.conf", text, &c, &errs, &n, &path), -1);
	assert_null(c);
	assert_true(has_error(errs, n, path, 2, "line is longer than 4000 bytes"));
	config_errors_free(errs, n);
	free(path);
	free(text);
	free(comment);
	free(admins);
}

static void
test_bad_bytes(void **state)
{
	const char text[] = "[mailbox]\nuser = a\xff\n;x\x01y\n";
	struct config *c = NULL;
	char *path, **errs = NULL;
	size_t n = 0;

	assert_int_equal(load_text("bytes.conf", text, &c, &errs, &n, &path), -1);
	assert_true(has_error(errs, n, path, 2, "line is not valid UTF-8"));
	assert_true(has_error(errs, n, path, 3, "line is not valid UTF-8"));
	config_errors_free(errs, n);
	free(path);
}

/* Windows line ends and a UTF-8 byte order mark are fine. */
static void
test_crlf_bom(void **state)
{
	char *text = xasprintf("\xef\xbb\xbf[mailbox]\r\nurl = imaps://i.example.org"
	    "\r\nuser = u\r\npassword_file = %s\r\n[smtp]\r\n"
	    "url = smtp://s.example.org\r\n[office]\r\n"
	    "address = J\xc3\xb6rg <office@example.org>\r\n[database]\r\n"
	    "path = x.db", imap_pw);
	char *path, **errs = NULL;
	struct config *c = NULL;
	size_t n = 0;

	if (load_text("crlf.conf", text, &c, &errs, &n, &path) != 0)
		print_errors(errs, n);
	assert_non_null(c);
	assert_string_equal(c->mailbox.user, "u");
	assert_string_equal(c->office.name, "J\xc3\xb6rg");
	assert_string_equal(c->database.path + strlen(tmpdir), "/x.db");
	config_free(c);
	free(path);
	free(text);
}

/* ---- passwords ---- */

static char **
load_minimal_errors(size_t *n, char **path)
{
	char *src = repo_path("tests/cases/config/minimal.conf");
	char *text = fill_placeholders(slurp(src)), **errs = NULL;
	struct config *c = NULL;

	assert_int_equal(load_text("pw.conf", text, &c, &errs, n, path), -1);
	assert_null(c);
	free(text);
	free(src);
	return errs;
}

static void
test_password_file_mode(void **state)
{
	char *path, **errs, *why;
	size_t n;

	assert_int_equal(chmod(imap_pw, 0644), 0);
	errs = load_minimal_errors(&n, &path);
	why = xasprintf("[mailbox] password_file: %s: mode 0644 is readable by "
	    "others; chmod 600 %s", imap_pw, imap_pw);
	assert_int_equal(n, 1);
	assert_true(has_error(errs, n, path, 5, why));
	config_errors_free(errs, n);
	free(path);
	free(why);

	assert_int_equal(chmod(imap_pw, 0640), 0);
	errs = load_minimal_errors(&n, &path);
	assert_non_null(strstr(errs[0], "mode 0640 is readable by others"));
	config_errors_free(errs, n);
	free(path);
}

static void
check_password_content(const char *content, size_t len, const char *problem)
{
	int fd = open(imap_pw, O_WRONLY | O_TRUNC);
	char *path, **errs, *why;
	size_t n;

	assert_true(fd != -1);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	errs = load_minimal_errors(&n, &path);
	why = xasprintf("[mailbox] password_file: %s%s", imap_pw, problem);
	assert_true(has_error(errs, n, path, 5, why));
	config_errors_free(errs, n);
	free(path);
	free(why);
}

static void
test_password_file_content(void **state)
{
	char big[4098];
	struct config *c;

	check_password_content("", 0, ": empty");
	check_password_content("\n", 1, ": empty");
	check_password_content("pw\r\n", 4, ": contains a NUL, CR or LF");
	check_password_content("pw\n\n", 4, ": contains a NUL, CR or LF");
	check_password_content("p\0w", 3, ": contains a NUL, CR or LF");
	memset(big, 'x', sizeof(big));
	check_password_content(big, 4097, ": larger than 4 KiB");

	big[4096] = '\0';
	write_file(imap_pw, big, 0600);	/* exactly 4 KiB is fine */
	c = load_case_ok("minimal.conf");
	assert_int_equal(strlen(c->mailbox.password), 4096);
	config_free(c);

}

static void
test_password_file_missing(void **state)
{
	char *path, **errs, *why;
	size_t n;

	assert_int_equal(unlink(imap_pw), 0);
	errs = load_minimal_errors(&n, &path);
	why = xasprintf("[mailbox] password_file: cannot open %s: %s", imap_pw,
	    strerror(ENOENT));
	assert_int_equal(n, 1);
	assert_true(has_error(errs, n, path, 5, why));
	config_errors_free(errs, n);
	free(path);
	free(why);
}

/* Without password_file, $CREDENTIALS_DIRECTORY/imap-password (systemd
 * LoadCredential=) is used; its mode is not checked. */
static void
test_credentials_directory(void **state)
{
	char *creds = xasprintf("%s/creds", tmpdir);
	char *imap = xasprintf("%s/imap-password", creds);
	char *smtp = xasprintf("%s/smtp-password", creds);
	char *text, *path, **errs = NULL;
	struct config *c = NULL;
	size_t n = 0;

	assert_int_equal(mkdir(creds, 0700), 0);
	write_file(imap, "from-systemd\n", 0440);
	write_file(smtp, "smtp-from-systemd", 0400);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	text = xasprintf("[mailbox]\nurl = imaps://imap.example.org\n"
	    "user = u\npassword_file =\n[smtp]\nurl = smtps://s.example.org\n"
	    "user = s\n[office]\naddress = office@example.org\n"
	    "[database]\npath = x.db\n");
	if (load_text("creds.conf", text, &c, &errs, &n, &path) != 0)
		print_errors(errs, n);
	assert_non_null(c);
	assert_string_equal(c->mailbox.password, "from-systemd");
	assert_null(c->mailbox.password_file);
	assert_string_equal(c->smtp.password, "smtp-from-systemd");
	assert_int_equal(c->smtp.url.port, 465);
	config_free(c);
	free(path);

	/* No credential and no password_file: both passwords are missing. */
	assert_int_equal(unlink(imap), 0);
	assert_int_equal(unlink(smtp), 0);
	assert_int_equal(load_text("creds.conf", text, &c, &errs, &n, &path), -1);
	assert_int_equal(n, 2);
	assert_true(has_error(errs, n, path, 4, "[mailbox] password_file: no "
	    "password: set password_file, or give the service the systemd "
	    "credential imap-password (LoadCredential=imap-password:FILE)"));
	assert_true(has_error(errs, n, path, 0, "[smtp] password_file: no "
	    "password: set password_file, or give the service the systemd "
	    "credential smtp-password"));
	config_errors_free(errs, n);
	free(path);
	free(text);

	/* password_file wins over the credential. */
	write_file(imap, "from-systemd", 0400);
	{
		struct config *m = load_case_ok("minimal.conf");
		assert_string_equal(m->mailbox.password, "imap-secret");
		config_free(m);
	}
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(unlink(imap), 0);
	assert_int_equal(rmdir(creds), 0);
	free(creds);
	free(imap);
	free(smtp);
}

/* ---- failures leave nothing behind ---- */

static void
test_broken_file(void **state)
{
	struct config *good = load_case_ok("minimal.conf"), *c = good;
	char *path, **errs = NULL;
	size_t n = 0;

	/* A reload of a broken file: -1, no config, the old one untouched. */
	assert_int_equal(load_text("broken.conf", "[mailbox]\nurl = \n", &c,
	    &errs, &n, &path), -1);
	assert_null(c);
	assert_true(n > 0);
	assert_true(has_error(errs, n, path, 2, "[mailbox] url: must not be empty"));
	assert_string_equal(good->mailbox.password, "imap-secret");
	config_errors_free(errs, n);
	config_free(good);

	/* The caller may not want the messages. */
	assert_int_equal(config_load(path, &c, NULL, NULL), -1);
	assert_null(c);
	free(path);

	path = xasprintf("%s/no-such.conf", tmpdir);
	assert_int_equal(config_load(path, &c, &errs, &n), -1);
	assert_int_equal(n, 1);
	assert_true(has_error(errs, n, path, 0, "cannot open: No such file"));
	config_errors_free(errs, n);
	free(path);

	assert_int_equal(config_load(tmpdir, &c, &errs, &n), -1);
	assert_true(has_error(errs, n, tmpdir, 0, "not a regular file"));
	config_errors_free(errs, n);
}

static void
test_too_many_errors(void **state)
{
	char *text = xstrdup("[smtp]\n"), *path, **errs = NULL;
	struct config *c = NULL;
	size_t n = 0;

	for (int i = 0; i < 150; i++) {
		char *t = xasprintf("%sbogus%d = 1\n", text, i);
		free(text);
		text = t;
	}
	assert_int_equal(load_text("many.conf", text, &c, &errs, &n, &path), -1);
	assert_int_equal(n, 101);
	assert_true(has_error(errs, n, path, 2, "[smtp] bogus0: unknown key"));
	assert_true(has_error(errs, n, path, 0, "too many problems"));
	config_errors_free(errs, n);
	free(path);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_example_loads, test_setup),
		cmocka_unit_test_setup(test_example_has_every_key, test_setup),
		cmocka_unit_test(test_print_keys),
		cmocka_unit_test_setup(test_defaults, test_setup),
		cmocka_unit_test_setup(test_loopback_urls, test_setup),
		cmocka_unit_test_setup(test_long_lines, test_setup),
		cmocka_unit_test_setup(test_bad_bytes, test_setup),
		cmocka_unit_test_setup(test_crlf_bom, test_setup),
		cmocka_unit_test_setup(test_password_file_mode, test_setup),
		cmocka_unit_test_setup(test_password_file_content, test_setup),
		cmocka_unit_test_setup(test_password_file_missing, test_setup),
		cmocka_unit_test_setup(test_credentials_directory, test_setup),
		cmocka_unit_test_setup(test_broken_file, test_setup),
		cmocka_unit_test_setup(test_too_many_errors, test_setup),
	};
	int rc = cmocka_run_group_tests_name("config", tests, group_setup,
	    group_teardown);

	return rc | run_case_files();
}
