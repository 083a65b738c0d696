/* signals: see signals.h. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void
signals_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void
daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

int
signals_open_fd(void)
{
	sigset_t set;

	daemon_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
signals_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof(si));

	if (n == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return n == -1 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

bool
signals_stop_requested(void)
{
	sigset_t pending;

	if (stop_flag)
		return true;
	if (sigpending(&pending) == -1)
		return false;
	return sigismember(&pending, SIGTERM) == 1 ||
	    sigismember(&pending, SIGINT) == 1;
}

void
signals_note_stop(void)
{
	stop_flag = 1;
}
