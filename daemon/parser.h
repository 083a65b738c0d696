/*
 * parser: runs msg_parse() on untrusted mail in a resource-limited child
 * process and hands the result back to the caller.  Process plumbing
 * (L3-level): forks, execs, logs one line per child death.
 *
 * libetpan's MIME parser can be crashed by any sender (heap overflow on
 * boundary="\"", unbounded recursion; notes/libraries.md findings 2, 3),
 * so the daemon never runs it itself.  The child is started lazily on the
 * first parse and kept for the whole batch (one child per batch, not per
 * message); when it dies, times out or answers garbage, that one message
 * is PARSER_UNREADABLE and the next call starts a fresh child.
 *
 * The child is not a copy of the daemon: after fork() it execs a fresh
 * image of the running program (PARSER_CHILD_ARG, empty environment), so
 * code that takes it over through a libetpan bug finds no password,
 * configuration or database page in its memory to smuggle into a parsed
 * field.  It keeps only its end of a socketpair, runs under rlimits (CPU
 * per message, address space, stack, no files, no core dumps) and, on
 * x86_64 and aarch64, a seccomp filter that refuses every system call a
 * parser does not need (sockets, exec, fork, opening files for writing,
 * ...).  It dies with the daemon (PR_SET_PDEATHSIG).
 *
 * Every program that creates a parser must call parser_child_main() when
 * started with the single argument PARSER_CHILD_ARG, before it does
 * anything else (main.c; the unit test's main()).  Callers must not set
 * SIGCHLD to SIG_IGN (the child is reaped here) and should call
 * parser_parse() from the thread that created the parser.
 */
#ifndef HP_PARSER_H
#define HP_PARSER_H

#include <stddef.h>

#include "msg.h"

#define PARSER_INVALID (-1)	/* the bytes are not a message: err says why */
#define PARSER_UNREADABLE (-2)	/* the child died, timed out or sent garbage */
#define PARSER_FAILED (-3)	/* no child could be started (fork, exec, ...):
				 * a local problem, retry the message later */

/* argv[1] of the child; internal, never listed in --help. */
#define PARSER_CHILD_ARG "--parser-child"

struct parser_limits {
	unsigned cpu_seconds;	/* CPU time per message (RLIMIT_CPU, SIGXCPU) */
	size_t memory_bytes;	/* address space beyond what the fresh child
				 * image maps at start (RLIMIT_AS; not applied
				 * under AddressSanitizer, which reserves
				 * terabytes of address space) */
	size_t stack_bytes;	/* RLIMIT_STACK */
	unsigned timeout_ms;	/* wall clock per message, sending included */
	const char *exec_path;	/* the program the child runs, which must
				 * dispatch PARSER_CHILD_ARG to
				 * parser_child_main(); NULL: this very program
				 * (/proc/self/exe).  Only read by parser_new. */
};

struct parser;

/* A parser with the given limits; NULL, or a field left 0, means the
 * default (5 s CPU, 256 MiB, 8 MiB stack, 10 s wall clock, this program).
 * The program is opened here and every child execs that very file, even
 * when a package upgrade replaces it on disk later (the child then still
 * speaks the parent's wire format).  No child is started until the first
 * parser_parse(); if the program cannot be opened (logged), every
 * parser_parse() returns PARSER_FAILED.  Free with parser_free(). */
struct parser *parser_new(const struct parser_limits *lim);

/* Parse raw (len bytes) in the child.
 *   0                  *out is set (free with msg_free).
 *   PARSER_INVALID     the child answered that the bytes are not a message,
 *                      or len > MSG_RAW_MAX; err says why.
 *   PARSER_UNREADABLE  the child died, timed out or sent something
 *                      malformed; file the message as unreadable.  The
 *                      death is logged; the next call starts a new child.
 *   PARSER_FAILED      no child could be started; err says why.
 * err (may be NULL) gets a one-line reason for every non-zero return. */
int parser_parse(struct parser *p, const char *raw, size_t len,
    struct msg **out, char *err, size_t errlen);

/* Stop the child (if any), reap it, free p.  NULL is fine. */
void parser_free(struct parser *p);

/* The child's side, for main() when argv is exactly { any,
 * PARSER_CHILD_ARG }: call it before setlocale, configuration, logging or
 * anything else.  Fd 3 must be the socketpair end a parser's fork left
 * there; the parent's limits arrive over it.  Once serving, it never
 * returns: it leaves with _exit() (0 when the parent closes the socket,
 * a signal or non-zero status when a limit or a libetpan bug kills it),
 * so no atexit handler or sanitizer leak check runs under the sandbox.
 * It returns only when it refuses to start, with 64 (EX_USAGE), the exit
 * status for main: fd 3 is not a socketpair made by the parent process
 * (someone typed the option). */
int parser_child_main(void);

#endif
