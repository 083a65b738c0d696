/* Unit tests for signals: stop requests seen while blocked for a signalfd,
 * read from the fd, and remembered after the read. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "signals.h"

static int fd = -1;

static int
open_fd(void **state)
{
	(void)state;
	fd = signals_open_fd();
	return fd == -1 ? -1 : 0;
}

static int
close_fd(void **state)
{
	(void)state;
	close(fd);
	return 0;
}

/* SIGHUP is a reload, never a stop; it is read from the fd. */
static void
test_hup_is_not_a_stop(void **state)
{
	(void)state;
	assert_int_equal(signals_read(fd), 0);
	raise(SIGHUP);
	assert_false(signals_stop_requested());
	assert_int_equal(signals_read(fd), SIGHUP);
	assert_int_equal(signals_read(fd), 0);
}

/* A blocked SIGTERM counts as a stop before the loop reads it (work in a
 * round asks between messages), and after, once the loop noted it. */
static void
test_term_pending_then_noted(void **state)
{
	(void)state;
	assert_false(signals_stop_requested());
	raise(SIGTERM);
	assert_true(signals_stop_requested());
	assert_int_equal(signals_read(fd), SIGTERM);
	signals_note_stop();
	assert_true(signals_stop_requested());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hup_is_not_a_stop),
		cmocka_unit_test(test_term_pending_then_noted),
	};

	return cmocka_run_group_tests(tests, open_fd, close_fd);
}
