/*
 * parser: see parser.h.
 *
 * Starting a child: fork(); in the copy, only async-signal-safe calls
 * (the daemon may have threads): PDEATHSIG, the socket onto fd 3,
 * /dev/null onto stdin and stdout, all else closed but stderr (for
 * sanitizer reports), then fexecve() of the program opened in
 * parser_new(), with an empty environment (no CREDENTIALS_DIRECTORY; the
 * sanitizers' defaults are fine).  An O_PATH descriptor rather than a path
 * looked up at each start: an upgrade that replaces the file cannot give
 * us a child of another version, and execute-only binaries work.  The
 * socket is fd 3, not 0/1, so a library printing to stdout cannot corrupt
 * the protocol.  The new image sets PDEATHSIG again (exec keeps it only
 * for plain binaries) and compares getppid() with the socket's peer
 * credentials (the pid that called socketpair()): that closes the race
 * of a parent that died before PDEATHSIG was set.
 *
 * Wire protocol on the socketpair (integers little-endian):
 *   parent → child   once: "HPP1", u32 cpu seconds, u32 memory KiB, u32
 *                    stack KiB (the limits do not survive the exec)
 *   child → parent   once: "HPP1" when its rlimits and seccomp are in
 *                    place; no answer within STARTUP_MS is PARSER_FAILED
 *   parent → child   u32 n, then n bytes of raw message
 *   child → parent   u32 n, then n bytes: status byte (0 = parsed,
 *                    1 = not a message) + msg_encode() output or reason
 * The child reads a whole request before it answers and the parent sends
 * a whole request before it reads, so neither can deadlock the other; the
 * parent bounds every wait by the per-message wall-clock deadline.
 */
#include "parser.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__aarch64__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#define PARSER_SECCOMP 1
#endif

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define PARSER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARSER_ASAN 1
#endif
#endif

#define CHILD_FD 3
#define CHILD_NOFILE 16
#define MAGIC "HPP1"		/* start frame and the child's ready answer */
#define MAGIC_LEN 4
#define START_LEN (MAGIC_LEN + 3 * 4)
#define STARTUP_MS 10000	/* exec, dynamic linking, sanitizer start */
#define CHILD_NAME "hanzepost-pars"	/* comm, else the exe fd's number */
#define ANSWER_MAX (MSG_ENCODED_MAX + 1)
#define ERR_MAX 200
#define ST_PARSED 0
#define ST_INVALID 1

struct parser {
	struct parser_limits lim;	/* exec_path not kept */
	pid_t pid;		/* -1: no child */
	int fd;			/* our end of the socketpair, -1 */
	int exe_fd;		/* O_PATH, the program the child runs, -1 */
};

static const struct parser_limits defaults = { 5, (size_t)256 << 20,
	(size_t)8 << 20, 10000, NULL };

/* ---- both sides ---- */

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Bytes as KiB, rounded up, saturating at 4 TiB (no limit, in effect). */
static uint32_t
kib(size_t bytes)
{
	uint64_t k = ((uint64_t)bytes + 1023) / 1024;

	return k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
}

/* Close [lo, hi]; async-signal-safe (runs between fork and exec). */
static void
close_fd_range(unsigned lo, unsigned hi)
{
	struct rlimit rl;
	unsigned max = 65536;

	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)max)
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = lo; fd < max && fd <= hi; fd++)
		(void)close((int)fd);
}

/* Close every descriptor above CHILD_FD except keep (-1: none). */
static void
close_fds_above_child(int keep)
{
	if (keep > CHILD_FD) {
		close_fd_range(CHILD_FD + 1, (unsigned)keep - 1);
		close_fd_range((unsigned)keep + 1, ~0U);
	} else
		close_fd_range(CHILD_FD + 1, ~0U);
}

/* ---- child ---- */

/* Exactly n bytes from the parent, or -1 (end of file, error).  The
 * child's end of the socket blocks: it has nothing else to wait for, and
 * its seccomp filter allows read() and write() but no poll() or recv(). */
static int
child_read(void *dst, size_t n)
{
	return hp_read_full(CHILD_FD, dst, n) == (ssize_t)n ? 0 : -1;
}

static void
set_limit(int resource, rlim_t v)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < v)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	(void)setrlimit(resource, &rl);
}

/* RLIMIT_CPU counts the whole life of the process, and one child parses
 * a whole batch: move the soft limit to "used so far + budget" before
 * each message.  Past it the kernel sends SIGXCPU, which kills. */
static void
cpu_budget(unsigned seconds)
{
	struct rusage ru;
	struct rlimit rl;

	if (getrusage(RUSAGE_SELF, &ru) == -1 || getrlimit(RLIMIT_CPU, &rl) == -1)
		return;
	rl.rlim_cur = (rlim_t)ru.ru_utime.tv_sec + (rlim_t)ru.ru_stime.tv_sec +
	    1 + seconds;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_CPU, &rl);
}

#ifndef PARSER_ASAN
/* Address space the fresh image maps at start (program, libraries,
 * locale); the memory limit comes on top. */
static size_t
current_vsize(void)
{
	char buf[64];
	unsigned long pages = 0;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu", &pages) != 1)
		return 0;
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

#ifdef PARSER_SECCOMP
#if defined(__x86_64__)
#define SB_ARCH AUDIT_ARCH_X86_64
#else
#define SB_ARCH AUDIT_ARCH_AARCH64
#endif
#ifdef SECCOMP_RET_KILL_PROCESS
#define SB_KILL SECCOMP_RET_KILL_PROCESS
#else
#define SB_KILL SECCOMP_RET_KILL
#endif
#define SB_NR offsetof(struct seccomp_data, nr)
#define SB_ARG(i) offsetof(struct seccomp_data, args[i])
#define SB_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define SB_DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

/* What msg_parse, malloc, iconv (which dlopen()s gconv modules) and
 * _exit need; everything else fails with EPERM.  A child taken over
 * through a libetpan bug can then still read its own memory, but cannot
 * open a socket, run a program, write a file or signal another process. */
static const long allowed_calls[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_close,
	SYS_lseek, SYS_fstat, SYS_newfstatat, SYS_mmap, SYS_munmap,
	SYS_mremap, SYS_mprotect, SYS_madvise, SYS_brk, SYS_rt_sigaction,
	SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack, SYS_getpid,
	SYS_gettid, SYS_getppid, SYS_getrusage, SYS_getrlimit, SYS_setrlimit,
	SYS_prlimit64, SYS_exit, SYS_exit_group, SYS_futex, SYS_getrandom,
	SYS_clock_gettime, SYS_gettimeofday, SYS_nanosleep,
	SYS_clock_nanosleep, SYS_sched_yield, SYS_restart_syscall,
	SYS_readlinkat, SYS_faccessat, SYS_getdents64, SYS_uname,
#ifdef SYS_statx
	SYS_statx,
#endif
#ifdef SYS_access
	SYS_access, SYS_readlink, SYS_stat,
#endif
};

static void
child_sandbox(pid_t self)
{
	struct sock_filter f[24 + 2 * HP_NELEM(allowed_calls)];
	struct sock_fprog prog;
	size_t n = 0;
	const uint32_t wr = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SB_KILL);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SB_NR);
#if defined(__x86_64__)
	/* x32 system calls share the arch value; refuse them all. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	f[n++] = (struct sock_filter)SB_DENY;
#endif
	for (size_t i = 0; i < HP_NELEM(allowed_calls); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (uint32_t)allowed_calls[i], 0, 1);
		f[n++] = (struct sock_filter)SB_ALLOW;
	}
	/* openat(dirfd, path, flags): read-only opens only. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 2);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SB_ARG(2));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, wr, 2, 3);
	/* tgkill(tgid, ...) only on ourselves (abort() uses it). */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_tgkill, 0, 1);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0);
	f[n++] = (struct sock_filter)SB_DENY;
	f[n++] = (struct sock_filter)SB_ALLOW;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SB_ARG(0));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 1, 0);
	f[n++] = (struct sock_filter)SB_DENY;
	f[n++] = (struct sock_filter)SB_ALLOW;
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		(void)prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#endif

/* Is fd CHILD_FD a socketpair made by our parent?  Its peer credentials
 * carry the pid of the process that called socketpair(). */
static int
child_expected_parent(pid_t *parent)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(CHILD_FD, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 ||
	    len != sizeof(uc) || uc.pid <= 0)
		return -1;
	*parent = uc.pid;
	return 0;
}

/* The limits from the parent's start frame; -1 if it is not one. */
static int
child_read_limits(struct parser_limits *lim)
{
	unsigned char f[START_LEN];

	if (child_read(f, sizeof(f)) == -1 || memcmp(f, MAGIC, MAGIC_LEN) != 0)
		return -1;
	memset(lim, 0, sizeof(*lim));
	lim->cpu_seconds = get_le32(f + MAGIC_LEN);
	lim->memory_bytes = (size_t)get_le32(f + MAGIC_LEN + 4) << 10;
	lim->stack_bytes = (size_t)get_le32(f + MAGIC_LEN + 8) << 10;
	return 0;
}

static void
child_set_limits(const struct parser_limits *lim)
{
#ifndef PARSER_ASAN
	size_t vs = current_vsize();

	set_limit(RLIMIT_AS, lim->memory_bytes > SIZE_MAX / 2 - vs ?
	    RLIM_INFINITY : (rlim_t)(vs + lim->memory_bytes));
#endif
	set_limit(RLIMIT_STACK, (rlim_t)lim->stack_bytes);
	set_limit(RLIMIT_NOFILE, CHILD_NOFILE);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_FSIZE, 0);
}

/* In the new image: everything up to the ready answer.  Leaves with
 * _exit() on failure once it knows a parent started it. */
static void
child_setup(pid_t parent, struct parser_limits *lim)
{
	static const int dfl[] = { SIGPIPE, SIGXCPU, SIGXFSZ, SIGTERM, SIGINT,
		SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2 };
	sigset_t none;

	/* The daemon blocks signals for its signalfd and the mask survives
	 * exec; a child with SIGXCPU blocked would run past its CPU limit.
	 * Ignored signals survive exec too. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t i = 0; i < HP_NELEM(dfl); i++)
		signal(dfl[i], SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(0);
	(void)prctl(PR_SET_NAME, CHILD_NAME, 0, 0, 0);
	close_fds_above_child(-1);	/* whatever start-up code opened */
	if (child_read_limits(lim) == -1)
		_exit(4);
	/* What the daemon's main() sets; msg_parse runs as it would there. */
	setlocale(LC_CTYPE, "C.UTF-8");
	child_set_limits(lim);
#ifdef PARSER_SECCOMP
	child_sandbox(getpid());
#endif
	if (hp_write_full(CHILD_FD, MAGIC, MAGIC_LEN) == -1)
		_exit(0);
}

/* One request: read, parse, answer.  Returns -1 when the parent is gone. */
static int
child_serve(unsigned cpu_seconds)
{
	unsigned char hdr[4];
	struct buf ans;
	struct msg *m = NULL;
	char err[ERR_MAX], *raw;
	uint32_t n;
	int rc = -1;

	if (child_read(hdr, sizeof(hdr)) == -1)
		return -1;
	n = get_le32(hdr);
	if (n > MSG_RAW_MAX || (raw = malloc(n ? n : 1)) == NULL)
		_exit(3);
	if (child_read(raw, n) == -1) {
		free(raw);
		return -1;
	}
	cpu_budget(cpu_seconds);
	buf_init(&ans, ANSWER_MAX + sizeof(hdr));
	(void)buf_append(&ans, hdr, sizeof(hdr));	/* length patched below */
	err[0] = '\0';
	if (msg_parse(raw, n, &m, err, sizeof(err)) == 0) {
		if (buf_putc(&ans, ST_PARSED) == -1 || msg_encode(m, &ans) == -1)
			_exit(5);
	} else if (buf_putc(&ans, ST_INVALID) == -1 || buf_puts(&ans, err) == -1)
		_exit(5);
	put_le32((unsigned char *)ans.data, (uint32_t)(ans.len - sizeof(hdr)));
	if (hp_write_full(CHILD_FD, ans.data, ans.len) == 0)
		rc = 0;
	msg_free(m);
	buf_free(&ans);
	free(raw);
	return rc;
}

int
parser_child_main(void)
{
	struct parser_limits lim;
	pid_t parent;

	if (child_expected_parent(&parent) == -1) {
		fprintf(stderr, "hanzepost: %s is internal: the daemon starts "
		    "its parser child with it\n", PARSER_CHILD_ARG);
		return EX_USAGE;
	}
	child_setup(parent, &lim);
	while (child_serve(lim.cpu_seconds) == 0)
		;
	_exit(0);
}

/* ---- parent ---- */

struct parser *
parser_new(const struct parser_limits *lim)
{
	struct parser *p = xcalloc(1, sizeof(*p));
	const char *exe = "/proc/self/exe";

	p->lim = defaults;
	if (lim != NULL) {
		if (lim->cpu_seconds)
			p->lim.cpu_seconds = lim->cpu_seconds;
		if (lim->memory_bytes)
			p->lim.memory_bytes = lim->memory_bytes;
		if (lim->stack_bytes)
			p->lim.stack_bytes = lim->stack_bytes;
		if (lim->timeout_ms)
			p->lim.timeout_ms = lim->timeout_ms;
		if (lim->exec_path != NULL)
			exe = lim->exec_path;
	}
	p->pid = -1;
	p->fd = -1;
	/* /proc/self/exe names the running file even after an upgrade has
	 * replaced or deleted it on disk; the descriptor pins it. */
	p->exe_fd = open(exe, O_PATH | O_CLOEXEC);
	if (p->exe_fd == -1)
		log_warn("parser cannot open %s", exe);
	return p;
}

/* The one log line of a child's end, from its wait status. */
static void
log_death(pid_t pid, int st, const char *reason)
{
	if (WIFSIGNALED(st))
		log_warnx("parser child died pid=%ld signal=%d reason=%s",
		    (long)pid, WTERMSIG(st), reason);
	else
		log_warnx("parser child died pid=%ld status=%d reason=%s",
		    (long)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1, reason);
}

/* Kill (when asked), reap and log the child's end. */
static void
reap(struct parser *p, bool kill_it, const char *reason)
{
	int st = 0;
	pid_t r;

	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	if (p->pid == -1)
		return;
	if (kill_it)
		(void)kill(p->pid, SIGKILL);
	while ((r = waitpid(p->pid, &st, 0)) == -1 && errno == EINTR)
		;
	if (r == -1)
		log_warn("parser child died pid=%ld reason=%s waitpid", (long)p->pid, reason);
	else
		log_death(p->pid, st, reason);
	p->pid = -1;
}

/* Wait for events on the child's socket until the deadline: 0 ready,
 * -1 timed out or failed. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };

	for (;;) {
		int64_t left = deadline - (hp_monotonic_us() / 1000);
		int r;

		if (left <= 0)
			return -1;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r == 0 || errno != EINTR)
			return -1;
	}
}

/* Move all n bytes over the child's socket: send them when events is
 * POLLOUT, receive them when POLLIN.  Each call is non-blocking after
 * poll(), so a child that stops reading or answering cannot hold us past
 * the deadline; MSG_NOSIGNAL, so a dead child is an error, not SIGPIPE.
 * 0, or -1 when timed out or the child is gone. */
static int
sock_io(int fd, char *p, size_t n, short events, int64_t deadline)
{
	while (n > 0) {
		ssize_t r;

		if (wait_fd(fd, events, deadline) == -1)
			return -1;
		if (events == POLLOUT)
			r = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			r = recv(fd, p, n, MSG_DONTWAIT);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
send_all(int fd, const void *src, size_t n, int64_t deadline)
{
	/* sock_io only reads the bytes it sends. */
	return sock_io(fd, (char *)src, n, POLLOUT, deadline);
}

static int
recv_all(int fd, void *dst, size_t n, int64_t deadline)
{
	return sock_io(fd, dst, n, POLLIN, deadline);
}

/* In the forked copy of the caller, which may have had threads: only
 * async-signal-safe calls until the exec.  Nothing of the caller's memory
 * survives the exec; the environment is empty. */
static void __attribute__((noreturn))
child_exec(int sock, int exe_fd, pid_t parent)
{
	static char *const argv[] = { "hanzepost", PARSER_CHILD_ARG, NULL };
	static char *const envp[] = { NULL };
	int exe, null;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(0);
	/* Above CHILD_FD, so that the dup2 below cannot overwrite it; close
	 * on exec, which execveat(AT_EMPTY_PATH) allows for an ELF file. */
	if ((exe = fcntl(exe_fd, F_DUPFD_CLOEXEC, CHILD_FD + 1)) == -1)
		_exit(127);
	if (sock == CHILD_FD ? fcntl(sock, F_SETFD, 0) == -1 :
	    dup2(sock, CHILD_FD) == -1)
		_exit(127);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
	}
	close_fds_above_child(exe);	/* null, sock, the daemon's descriptors */
	fexecve(exe, argv, envp);
	_exit(127);
}

/* Send the limits, wait for the child's ready answer. */
static int
handshake(struct parser *p)
{
	unsigned char f[START_LEN];
	int64_t deadline = (hp_monotonic_us() / 1000) + STARTUP_MS;

	memcpy(f, MAGIC, MAGIC_LEN);
	put_le32(f + MAGIC_LEN, p->lim.cpu_seconds);
	put_le32(f + MAGIC_LEN + 4, kib(p->lim.memory_bytes));
	put_le32(f + MAGIC_LEN + 8, kib(p->lim.stack_bytes));
	if (send_all(p->fd, f, sizeof(f), deadline) == -1 ||
	    recv_all(p->fd, f, MAGIC_LEN, deadline) == -1 ||
	    memcmp(f, MAGIC, MAGIC_LEN) != 0)
		return -1;
	return 0;
}

/* Start a child; on failure (logged) no child is left behind. */
static int
spawn(struct parser *p)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (p->exe_fd == -1) {
		log_warnx("parser child cannot start: no program to run");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("parser socketpair");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("parser fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(sv[1], p->exe_fd, parent);
	close(sv[1]);
	p->pid = pid;
	p->fd = sv[0];
	if (handshake(p) == -1) {
		reap(p, true, "start");
		return -1;
	}
	log_debug("parser child started pid=%ld", (long)pid);
	return 0;
}

static void
set_err(char *err, size_t errlen, const char *s, size_t n)
{
	size_t w = 0;

	if (err == NULL || errlen == 0)
		return;
	/* The reason comes from the child: printable ASCII only. */
	for (size_t i = 0; i < n && w + 1 < errlen && w < ERR_MAX; i++)
		err[w++] = (s[i] >= ' ' && s[i] < 0x7f) ? s[i] : '?';
	err[w] = '\0';
}

/* A child that died while idle (killed from outside, say) is not this
 * message's fault: notice it before sending. */
static void
check_idle_child(struct parser *p)
{
	int st;

	if (p->pid != -1 && waitpid(p->pid, &st, WNOHANG) == p->pid) {
		log_death(p->pid, st, "idle");
		close(p->fd);
		p->fd = -1;
		p->pid = -1;
	}
}

/* Exchange one request and answer; on failure *why says what went wrong. */
static int
exchange(struct parser *p, const char *raw, size_t len, char **ans,
    size_t *anslen, const char **why)
{
	unsigned char hdr[4];
	int64_t deadline = (hp_monotonic_us() / 1000) + p->lim.timeout_ms;
	uint32_t n;

	*ans = NULL;
	put_le32(hdr, (uint32_t)len);
	*why = "died";
	if (send_all(p->fd, hdr, sizeof(hdr), deadline) == -1 ||
	    send_all(p->fd, raw, len, deadline) == -1 ||
	    recv_all(p->fd, hdr, sizeof(hdr), deadline) == -1)
		goto fail;
	n = get_le32(hdr);
	*why = "garbage";
	if (n == 0 || n > ANSWER_MAX)
		goto fail;
	*ans = xmalloc(n);
	*why = "died";
	if (recv_all(p->fd, *ans, n, deadline) == -1)
		goto fail;
	*anslen = n;
	return 0;
fail:
	if ((hp_monotonic_us() / 1000) >= deadline)
		*why = "timeout";
	free(*ans);
	*ans = NULL;
	return -1;
}

int
parser_parse(struct parser *p, const char *raw, size_t len,
    struct msg **out, char *err, size_t errlen)
{
	const char *why = NULL;
	char *ans = NULL;
	size_t anslen = 0;
	int rc = PARSER_UNREADABLE;

	*out = NULL;
	set_err(err, errlen, "", 0);
	if (len > MSG_RAW_MAX || (raw == NULL && len > 0)) {
		set_err(err, errlen, "message too large", 17);
		return PARSER_INVALID;
	}
	check_idle_child(p);
	if (p->pid == -1 && spawn(p) == -1) {
		set_err(err, errlen, "cannot start the parser child", 29);
		return PARSER_FAILED;
	}
	if (exchange(p, raw ? raw : "", len, &ans, &anslen, &why) == -1)
		goto fail;
	why = "garbage";
	if (ans[0] == ST_PARSED && msg_decode(ans + 1, anslen - 1, out) == 0)
		rc = 0;
	else if (ans[0] == ST_INVALID && anslen - 1 <= ERR_MAX) {
		set_err(err, errlen, ans + 1, anslen - 1);
		rc = PARSER_INVALID;
	} else
		goto fail;
	free(ans);
	return rc;
fail:
	reap(p, true, why);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "parser child %s", why);
	free(ans);
	return PARSER_UNREADABLE;
}

void
parser_free(struct parser *p)
{
	int st;

	if (p == NULL)
		return;
	if (p->pid != -1) {
		/* EOF on its socket makes an idle child _exit(0). */
		close(p->fd);
		p->fd = -1;
		for (int i = 0; i < 50; i++) {
			if (waitpid(p->pid, &st, WNOHANG) != 0) {
				p->pid = -1;
				break;
			}
			usleep(10000);
		}
		if (p->pid != -1)
			reap(p, true, "stop");
		else
			log_debug("parser child stopped");
	}
	if (p->exe_fd != -1)
		close(p->exe_fd);
	free(p);
}
