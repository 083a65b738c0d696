/*
 * Unit tests for util: the UTF-8 decoder and validator, hp_errf and the
 * descriptor and file readers.  Files live in a fresh directory under
 * /tmp, removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* Decode s[0, n) from a heap copy of exactly n bytes, so that AddressSanitizer
 * catches a read past n. */
static uint32_t
decode(const char *s, size_t n, size_t *len)
{
	unsigned char *copy = xmalloc(n);
	uint32_t cp;

	memcpy(copy, s, n);
	cp = hp_utf8_decode(copy, n, len);
	free(copy);
	return cp;
}

static void
test_decode_valid(void **state)
{
	size_t len;

	assert_int_equal(decode("A", 1, &len), 'A');
	assert_int_equal(len, 1);
	assert_int_equal(decode("\0", 1, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(decode("\xc3\xa9x", 3, &len), 0xe9);
	assert_int_equal(len, 2);
	assert_int_equal(decode("\xe2\x82\xac", 3, &len), 0x20ac);
	assert_int_equal(len, 3);
	assert_int_equal(decode("\xef\xbf\xbd", 3, &len), 0xfffd);
	assert_int_equal(len, 3);
	assert_int_equal(decode("\xf0\x9f\x98\x80", 4, &len), 0x1f600);
	assert_int_equal(len, 4);
	assert_int_equal(decode("\xf4\x8f\xbf\xbf", 4, &len), 0x10ffff);
	assert_int_equal(len, 4);
}

static void
test_decode_malformed(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\x80", 1 },			/* stray continuation */
		{ "\xbf\x80", 2 },
		{ "\xc0\x80", 2 },		/* overlong NUL */
		{ "\xc1\xbf", 2 },		/* overlong DEL */
		{ "\xe0\x80\x80", 3 },		/* overlong, 3 bytes */
		{ "\xe0\x9f\xbf", 3 },
		{ "\xf0\x8f\xbf\xbf", 4 },	/* overlong, 4 bytes */
		{ "\xed\xa0\x80", 3 },		/* surrogate D800 */
		{ "\xed\xbf\xbf", 3 },		/* surrogate DFFF */
		{ "\xf4\x90\x80\x80", 4 },	/* beyond U+10FFFF */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xff", 1 },
		{ "\xc3", 1 },			/* cut off by n */
		{ "\xe2\x82", 2 },
		{ "\xf0\x9f\x98", 3 },
		{ "\xc3x", 2 },			/* continuation missing */
		{ "\xe2\x82x", 3 },
	};
	size_t len;

	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		len = 99;
		if (decode(bad[i].s, bad[i].n, &len) != HP_UTF8_BAD)
			fail_msg("case %zu decoded", i);
		assert_int_equal(len, 1);
	}
	/* A real U+FFFD is not the marker. */
	assert_true(HP_UTF8_BAD > 0x10ffff);
}

static void
test_valid(void **state)
{
	assert_true(hp_utf8_valid("", 0));
	assert_true(hp_utf8_valid("caf\xc3\xa9\t\r\n\xe2\x82\xac", 11));
	assert_false(hp_utf8_valid("a\0b", 3));
	assert_false(hp_utf8_valid("a\x1b", 2));
	assert_false(hp_utf8_valid("\x7f", 1));
	assert_false(hp_utf8_valid("\xc3\xa9\xc3", 3));
	assert_false(hp_utf8_valid("\xed\xa0\x80", 3));
	/* C1 controls are code points like any other here. */
	assert_true(hp_utf8_valid("\xc2\x85", 2));
}

static void
test_errf(void **state)
{
	char err[8];

	assert_int_equal(hp_errf(err, sizeof(err), "%s %d", "abc", 12345), -1);
	assert_string_equal(err, "abc 123");	/* cut, terminated */
	assert_int_equal(hp_errf(NULL, 10, "x"), -1);
	err[0] = 'z';
	assert_int_equal(hp_errf(err, 0, "x"), -1);
	assert_int_equal(err[0], 'z');
}

static void
test_read_write_full(void **state)
{
	char big[100000], back[sizeof(big) + 10];
	int p[2], st;
	pid_t pid;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		/* More than a pipe holds: the writer must loop. */
		close(p[0]);
		_exit(hp_write_full(p[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(p[1]);
	/* Asking for more than there is: short count at end of file. */
	assert_int_equal(hp_read_full(p[0], back, sizeof(back)), sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(hp_read_full(p[0], back, sizeof(back)), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(hp_read_full(-1, back, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(hp_write_full(-1, back, 1), -1);
	assert_int_equal(errno, EBADF);
}

static char *
write_temp(const char *dir, const char *name, const char *data, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(hp_write_full(fd, data, n), 0);
	close(fd);
	return path;
}

static void
test_read_file(void **state)
{
	char dir[] = "/tmp/hp-util-XXXXXX", *text = NULL, *path, *big;
	size_t len = 0, sizes[] = { 0, 1, 8191, 8192, 8193, 16384, 40000 };
	int p[2];

	assert_non_null(mkdtemp(dir));
	path = write_temp(dir, "ten", "0123456789", 10);
	assert_int_equal(hp_read_file(path, 10, &text, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
	free(text);
	text = NULL;
	assert_int_equal(hp_read_file(path, 9, &text, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(text);
	assert_int_equal(hp_read_file(path, 100, &text, NULL), 0);
	free(text);
	text = NULL;
	unlink(path);
	assert_int_equal(hp_read_file(path, 10, &text, &len), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(text);
	free(path);

	/* Around the growth steps, at the limit and one byte past it. */
	big = xmalloc(40001);
	memset(big, 'x', 40001);
	for (size_t i = 0; i < HP_NELEM(sizes); i++) {
		path = write_temp(dir, "big", big, sizes[i]);
		assert_int_equal(hp_read_file(path, sizes[i], &text, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_int_equal(strlen(text), sizes[i]);
		free(text);
		text = NULL;
		if (sizes[i] > 0) {
			assert_int_equal(hp_read_file(path, sizes[i] - 1, &text,
			    &len), -1);
			assert_int_equal(errno, EFBIG);
		}
		unlink(path);
		free(path);
	}
	free(big);

	/* A pipe has no size to go by. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	path = xasprintf("/dev/fd/%d", p[0]);
	assert_int_equal(hp_read_file(path, 10, &text, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(text, "abc");
	free(text);
	free(path);
	close(p[0]);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_valid),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errf),
		cmocka_unit_test(test_read_write_full),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
