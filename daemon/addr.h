/*
 * addr: e-mail address syntax.  Pure (L1).
 *
 * Every address that reaches an SMTP envelope or a header passes
 * addr_valid() first: libcurl 7.88 sends CR/LF inside MAIL_RCPT verbatim
 * (notes/libraries.md #6), so this is the line that stops SMTP command
 * injection.  Deliberately stricter than RFC 5321: a dot-atom local part
 * (no quoted strings), a host name with at least one dot, ASCII only,
 * at most 254 octets.
 */
#ifndef HP_ADDR_H
#define HP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is a plain addr-spec we are willing to send to. */
bool addr_valid(const char *s);

/* True when s[0, len) is a host name as the domain of an address must
 * be: LDH labels of 1..63 bytes, no hyphen at either end of a label, at
 * least two labels, the last not all digits, at most 253 bytes.  ASCII
 * letters of either case. */
bool addr_domain_valid(const char *s, size_t len);

/* Parse "Name <local@domain>", "<local@domain>" or "local@domain"
 * (surrounding white space ignored, the name may be "quoted").  On success
 * returns 0 and sets *name (NULL when absent) and *email (domain part
 * lower-cased), both owned by the caller.  Returns -1 when no valid address
 * is found; nothing is allocated then. */
int addr_parse_mailbox(const char *s, char **name, char **email);

/* Case-insensitive comparison of two addresses (local part included:
 * mail systems treat it case-insensitively in practice). */
bool addr_equal(const char *a, const char *b);

#endif
