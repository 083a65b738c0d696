/*
 * parser: runs msg_parse() on untrusted mail in a resource-limited child
 * process and hands the result back to the caller.  Process plumbing
 * (L3-level): forks, logs one line per child death.
 *
 * libetpan's MIME parser can be crashed by any sender (heap overflow on
 * boundary="\"", unbounded recursion; notes/libraries.md findings 2, 3),
 * so the daemon never runs it itself.  The child is forked lazily on the
 * first parse and kept for the whole batch (one fork per batch, not per
 * message); when it dies, times out or answers garbage, that one message
 * is PARSER_UNREADABLE and the next call forks a fresh child.
 *
 * The child keeps only its end of a socketpair (the daemon's database and
 * IMAP descriptors are closed), runs under rlimits (CPU per message,
 * address space, stack, no files, no core dumps) and, on x86_64 and
 * aarch64, a seccomp filter that refuses every system call a parser does
 * not need (sockets, exec, fork, opening files for writing, ...).  It dies
 * with the daemon (PR_SET_PDEATHSIG) and never returns into the daemon's
 * code: it leaves with _exit().
 *
 * Callers must not set SIGCHLD to SIG_IGN (the child is reaped here) and
 * should call parser_parse() from the thread that created the parser.
 */
#ifndef HP_PARSER_H
#define HP_PARSER_H

#include <stddef.h>

#include "msg.h"

#define PARSER_INVALID (-1)	/* the bytes are not a message: err says why */
#define PARSER_UNREADABLE (-2)	/* the child died, timed out or sent garbage */
#define PARSER_FAILED (-3)	/* no child could be started (fork, socketpair):
				 * a local problem, retry the message later */

struct parser_limits {
	unsigned cpu_seconds;	/* CPU time per message (RLIMIT_CPU, SIGXCPU) */
	size_t memory_bytes;	/* address space beyond what the child inherits
				 * (RLIMIT_AS; not applied under AddressSanitizer,
				 * which reserves terabytes of address space) */
	size_t stack_bytes;	/* RLIMIT_STACK */
	unsigned timeout_ms;	/* wall clock per message, sending included */
};

struct parser;

/* A parser with the given limits; NULL, or a field left 0, means the
 * default (5 s CPU, 256 MiB, 8 MiB stack, 10 s wall clock).  No child is
 * started until the first parser_parse().  Free with parser_free(). */
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

#endif
