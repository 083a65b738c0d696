/*
 * inbox: the IMAP session through libetpan, with our own certificate
 * verification; see inbox.h for the contract.  inbox.c connects, secures,
 * verifies, logs in, selects, idles and closes; inbox_ops.c has the mail
 * operations.  Together they are the only code that uses mailimap_*.
 *
 * libetpan 1.9.4 (Debian, GnuTLS backend) accepts any certificate, so the
 * TLS session is checked here with GnuTLS (notes/libraries.md §2.3) right
 * after the handshake: for IMAPS before even the greeting is read, for
 * STARTTLS before anything but the plaintext greeting and CAPABILITY.  A
 * refused connection is closed without LOGOUT (nothing more is said to an
 * unverified peer).  The TCP connection and the STARTTLS upgrade are done
 * here rather than by mailimap_socket_connect/_starttls: that gives real
 * errno messages, and libetpan's STARTTLS would run the handshake and all
 * later reads with its 300 s global timeout instead of ours.
 *
 * Must not: log the password, send LOGIN over an unverified connection,
 * fall back to plaintext when STARTTLS is missing.
 */
#include "inbox_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "util.h"

#define INBOX_TIMEOUT_DEFAULT	60
#define INBOX_TIMEOUT_MAX	3600
#define INBOX_MAX_CHAIN		16	/* certificates looked at */

/* ------------------------------------------------------------ errors */

void
inbox_seterr(struct inbox *ib, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ib->err, sizeof(ib->err), fmt, ap);
	va_end(ap);
}

/* The server's text of its last answer, printable ASCII only (it goes to
 * logs and to the caller's messages). */
const char *
inbox_server_text(const struct inbox *ib, char *buf, size_t len)
{
	const char *s = ib->imap != NULL ? ib->imap->imap_response : NULL;
	size_t i;

	if (s == NULL || *s == '\0')
		s = "no reason given";
	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* The response code atom of the last answer ("ALREADYEXISTS"), or "". */
const char *
inbox_resp_code(const struct inbox *ib)
{
	const struct mailimap_response_info *ri = ib->imap->imap_response_info;

	return ri != NULL && ri->rsp_atom != NULL ? ri->rsp_atom : "";
}

/* Record why command `what` failed.  Errors that leave the session dead
 * or out of step mark it broken.  Always returns -1. */
int
inbox_cmd_failed(struct inbox *ib, int r, const char *what)
{
	char text[200];

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		ib->broken = true;
		inbox_seterr(ib, "%s: connection to %s lost", what, ib->host);
		break;
	case MAILIMAP_ERROR_FATAL:
		ib->broken = true;
		inbox_seterr(ib, "%s: server closed the connection: %s", what,
		    inbox_server_text(ib, text, sizeof(text)));
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_MEMORY:
		ib->broken = true;
		inbox_seterr(ib, "%s: protocol error %d: %s", what, r,
		    inbox_server_text(ib, text, sizeof(text)));
		break;
	default:
		inbox_seterr(ib, "%s failed: %s", what,
		    inbox_server_text(ib, text, sizeof(text)));
		break;
	}
	log_warnx("inbox error host=%s broken=%s reason=\"%s\"", ib->host,
	    ib->broken ? "yes" : "no", ib->err);
	return -1;
}

/* Commands need a live, selected, non-idling session. */
int
inbox_ready(struct inbox *ib)
{
	if (ib->broken) {
		inbox_seterr(ib, "connection to %s is broken", ib->host);
		return -1;
	}
	if (ib->idling) {
		inbox_seterr(ib, "IDLE in progress");
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------- TCP and TLS */

/* A connection that waits in IDLE for minutes sends nothing: without
 * keepalive probes a network cut would only show at the next IDLE
 * renewal.  With them the socket fails (and poll wakes the loop) about
 * 90 s after the peer stops answering.  Best effort: a kernel without
 * the TCP_KEEP* options still gets SO_KEEPALIVE's defaults. */
static void
inbox_tcp_keepalive(int fd)
{
	int on = 1, idle = 60, intvl = 10, cnt = 3;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

static int
inbox_tcp_try(const struct addrinfo *ai, unsigned timeout_s, int *saved)
{
	struct pollfd pfd;
	int fd, r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, (int)timeout_s * 1000);
		while (r == -1 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* libetpan wants a blocking descriptor for the TLS handshake. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	inbox_tcp_keepalive(fd);
	return fd;
fail:
	*saved = errno;
	if (fd != -1)
		close(fd);
	return -1;
}

static int
inbox_tcp_connect(struct inbox *ib, unsigned port)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int fd = -1, saved = ECONNREFUSED, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(ib->host, portstr, &hints, &res);
	if (r != 0) {
		inbox_seterr(ib, "cannot resolve %s: %s", ib->host,
		    gai_strerror(r));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = inbox_tcp_try(ai, ib->timeout_s, &saved);
	freeaddrinfo(res);
	if (fd == -1)
		inbox_seterr(ib, "cannot connect to %s:%u: %s", ib->host, port,
		    saved == ETIMEDOUT ? "timed out" : strerror(saved));
	return fd;
}

/* Called by libetpan before its handshake: SNI for names only. */
static void
inbox_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;

	if (!inbox_host_is_ip(host))
		(void)mailstream_ssl_set_server_name(ctx, host);
}

static int
inbox_trust_load(struct inbox *ib, const char *ca_file,
    gnutls_x509_trust_list_t *tl)
{
	int r;

	if (gnutls_x509_trust_list_init(tl, 0) < 0) {
		*tl = NULL;
		inbox_seterr(ib, "out of memory");
		return -1;
	}
	if (ca_file != NULL) {
		if (access(ca_file, R_OK) == -1) {
			inbox_seterr(ib, "cannot read CA file %s: %s", ca_file,
			    strerror(errno));
			return -1;
		}
		r = gnutls_x509_trust_list_add_trust_file(*tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
	} else
		r = gnutls_x509_trust_list_add_system_trust(*tl, 0, 0);
	if (r <= 0) {
		inbox_seterr(ib, "no CA certificates in %s%s%s",
		    ca_file != NULL ? ca_file : "the system trust store",
		    r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		return -1;
	}
	return 0;
}

/* "issuer is unknown (self-signed)", "name does not match (certificate is
 * for wrong.invalid)" ... from a verification status. */
static void
inbox_tls_reason(unsigned status, gnutls_x509_crt_t leaf, char *buf,
    size_t len)
{
	static const struct { unsigned bit; const char *text; } t[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "issuer is unknown" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "issuer is not a CA" },
		{ GNUTLS_CERT_EXPIRED, "certificate has expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "certificate is not yet valid" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER, "name does not match" },
		{ GNUTLS_CERT_REVOKED, "certificate is revoked" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "signature is invalid" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, "not a TLS server certificate" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "issuer constraints violated" },
	};
	char san[128];
	size_t o = 0, sl = sizeof(san);
	unsigned crit;

	buf[0] = '\0';
	for (size_t i = 0; i < HP_NELEM(t); i++) {
		if (!(status & t[i].bit) || o >= len)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
		    t[i].text);
		if (t[i].bit == GNUTLS_CERT_SIGNER_NOT_FOUND && o < len &&
		    gnutls_x509_crt_check_issuer(leaf, leaf) == 1)
			o += (size_t)snprintf(buf + o, len - o, " (self-signed)");
		if (t[i].bit == GNUTLS_CERT_UNEXPECTED_OWNER && o < len &&
		    gnutls_x509_crt_get_subject_alt_name(leaf, 0, san, &sl,
		    &crit) == GNUTLS_SAN_DNSNAME && hp_utf8_valid(san, strlen(san)))
			o += (size_t)snprintf(buf + o, len - o,
			    " (certificate is for %s)", san);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "verification status 0x%x", status);
}

/* The peer's certificates (leaf first) as GnuTLS objects; returns how
 * many (0: none).  The leaf is asked for first: libetpan's chain call
 * reads an uninitialised pointer when the peer sent no X.509 certificate
 * (notes §2.5), the leaf call does not. */
static unsigned
inbox_chain_import(mailstream *stream, gnutls_x509_crt_t *crts, unsigned max)
{
	unsigned char *der = NULL;
	carray *chain;
	unsigned n = 0;

	if (mailstream_ssl_get_certificate(stream, &der) < 0)
		return 0;
	free(der);
	if ((chain = mailstream_get_certificate_chain(stream)) == NULL)
		return 0;
	for (unsigned i = 0; i < carray_count(chain) && n < max; i++) {
		MMAPString *s = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)s->str, (unsigned)s->len };

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			break;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			break;
		}
		n++;
	}
	mailstream_certificate_chain_free(chain);
	return n;
}

/* Verify the peer's chain against ca_file (or the system store) and its
 * name against ib->host (IP literals match IP SANs).  Nothing has been
 * sent to the server yet but, for STARTTLS, CAPABILITY and STARTTLS. */
static int
inbox_verify_peer(struct inbox *ib, mailstream *stream, const char *ca_file)
{
	gnutls_x509_crt_t crts[INBOX_MAX_CHAIN];
	gnutls_x509_trust_list_t tl = NULL;
	unsigned n, status = 0;
	char reason[300];
	int r, rc = -1;
	gnutls_typed_vdata_st vd[2] = {
		{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)ib->host, 0 },
		{ GNUTLS_DT_KEY_PURPOSE_OID,
		    (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
	};

	if ((n = inbox_chain_import(stream, crts, INBOX_MAX_CHAIN)) == 0) {
		inbox_seterr(ib, "TLS certificate of %s not trusted: the server "
		    "sent no certificate", ib->host);
		goto fail;
	}
	if (inbox_trust_load(ib, ca_file, &tl) == -1)
		goto fail;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vd, 2, 0, &status,
	    NULL);
	if (r < 0)
		snprintf(reason, sizeof(reason), "%s", gnutls_strerror(r));
	else if (status != 0)
		inbox_tls_reason(status, crts[0], reason, sizeof(reason));
	else
		rc = 0;
	if (rc == -1)
		inbox_seterr(ib, "TLS certificate of %s not trusted: %s",
		    ib->host, reason);
fail:
	if (rc == -1)
		log_debug("inbox tls refused host=%s reason=\"%s\"", ib->host,
		    ib->err);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}

/* ------------------------------------------------------------- opening */

static int
inbox_open_fail(struct inbox *ib, bool tmpfail, const char *event)
{
	ib->tmpfail = tmpfail;
	/* The reason goes back in err: the caller logs it, once per
	 * outage rather than once per attempt. */
	if (event != NULL)
		log_debug("inbox %s host=%s reason=\"%s\"", event, ib->host,
		    ib->err);
	return -1;
}

/* Ask for STARTTLS: only when offered, never after PREAUTH. */
static int
inbox_starttls_cmd(struct inbox *ib)
{
	mailimap *imap = ib->imap;
	struct mailimap_capability_data *cap = NULL;
	char text[200];
	int r;

	if (ib->preauth) {
		inbox_seterr(ib, "%s sent PREAUTH before STARTTLS; refusing an "
		    "unencrypted session", ib->host);
		return inbox_open_fail(ib, false, "tls refused");
	}
	if (imap->imap_connection_info == NULL ||
	    imap->imap_connection_info->imap_capability == NULL) {
		if ((r = mailimap_capability(imap, &cap)) != MAILIMAP_NO_ERROR) {
			inbox_cmd_failed(ib, r, "CAPABILITY");
			return inbox_open_fail(ib, true, NULL);
		}
		mailimap_capability_data_free(cap);
	}
	if (!mailimap_has_extension(imap, "STARTTLS")) {
		inbox_seterr(ib, "%s does not offer STARTTLS; refusing to log in "
		    "without TLS", ib->host);
		return inbox_open_fail(ib, false, "tls refused");
	}
	/* libetpan also answers MAILIMAP_ERROR_STARTTLS to an OK followed by
	 * injected data (its CVE-2020-15953 fix): never go on after that. */
	if ((r = mailimap_starttls(imap)) == MAILIMAP_NO_ERROR)
		return 0;
	if (r != MAILIMAP_ERROR_STARTTLS) {
		inbox_cmd_failed(ib, r, "STARTTLS");
		return inbox_open_fail(ib, true, NULL);
	}
	ib->broken = true;
	inbox_seterr(ib, "STARTTLS with %s failed (server answer: %s)",
	    ib->host, inbox_server_text(ib, text, sizeof(text)));
	return inbox_open_fail(ib, false, "tls refused");
}

/* STARTTLS, the handshake on the same socket (what libetpan's
 * mailimap_socket_starttls does, but with our timeout), verification, and
 * a fresh CAPABILITY: the plaintext one may be forged (finding 10). */
static int
inbox_starttls(struct inbox *ib, const char *ca_file)
{
	mailimap *imap = ib->imap;
	struct mailimap_capability_data *cap = NULL;
	mailstream_low *low, *tls;
	int r;

	if (inbox_starttls_cmd(ib) == -1)
		return -1;
	/* Bytes sent before the handshake would be taken as if encrypted. */
	if (imap->imap_stream->read_buffer_len != 0) {
		ib->broken = true;
		inbox_seterr(ib, "%s sent data after accepting STARTTLS; refusing",
		    ib->host);
		return inbox_open_fail(ib, false, "tls refused");
	}
	low = mailstream_get_low(imap->imap_stream);
	tls = mailstream_low_tls_open_with_callback_timeout(
	    mailstream_low_get_fd(low), (time_t)ib->timeout_s, inbox_tls_setup,
	    ib->host);
	if (tls == NULL) {
		ib->broken = true;
		inbox_seterr(ib, "TLS handshake with %s failed after STARTTLS "
		    "(or no answer within %u s)", ib->host, ib->timeout_s);
		return inbox_open_fail(ib, true, "tls failed");
	}
	mailstream_low_free(low);
	mailstream_set_low(imap->imap_stream, tls);
	if (inbox_verify_peer(ib, imap->imap_stream, ca_file) == -1) {
		ib->broken = true;
		return inbox_open_fail(ib, false, NULL);
	}
	if ((r = mailimap_capability(imap, &cap)) != MAILIMAP_NO_ERROR) {
		inbox_cmd_failed(ib, r, "CAPABILITY");
		return inbox_open_fail(ib, true, NULL);
	}
	mailimap_capability_data_free(cap);
	return 0;
}

/* TCP, TLS for IMAPS (verified before the greeting is read), greeting,
 * and STARTTLS when asked for. */
static int
inbox_connect(struct inbox *ib, const struct inbox_config *cfg)
{
	mailstream *stream;
	char text[200];
	int fd, r;

	if ((fd = inbox_tcp_connect(ib, cfg->port)) == -1)
		return inbox_open_fail(ib, true, "connect failed");
	if (cfg->implicit_tls) {
		stream = mailstream_ssl_open_with_callback_timeout(fd,
		    (time_t)ib->timeout_s, inbox_tls_setup, ib->host);
		if (stream == NULL) {
			close(fd);
			inbox_seterr(ib, "TLS handshake with %s:%u failed (no TLS "
			    "there, or no answer within %u s)", ib->host,
			    cfg->port, ib->timeout_s);
			return inbox_open_fail(ib, true, "tls failed");
		}
		if (inbox_verify_peer(ib, stream, cfg->ca_file) == -1) {
			mailstream_close(stream);
			return inbox_open_fail(ib, false, NULL);
		}
	} else if ((stream = mailstream_socket_open_timeout(fd,
	    (time_t)ib->timeout_s)) == NULL) {
		close(fd);
		inbox_seterr(ib, "out of memory");
		return inbox_open_fail(ib, true, NULL);
	}
	r = mailimap_connect(ib->imap, stream);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		ib->broken = true; /* the stream is closed without LOGOUT */
		if (r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION)
			inbox_seterr(ib, "%s:%u refused the session: %s",
			    ib->host, cfg->port,
			    inbox_server_text(ib, text, sizeof(text)));
		else if (r == MAILIMAP_ERROR_STREAM)
			inbox_seterr(ib, "%s:%u sent no IMAP greeting within "
			    "%u s", ib->host, cfg->port, ib->timeout_s);
		else
			inbox_seterr(ib, "%s:%u sent no valid IMAP greeting",
			    ib->host, cfg->port);
		return inbox_open_fail(ib, true, "connect failed");
	}
	ib->preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (!cfg->implicit_tls && cfg->tls)
		return inbox_starttls(ib, cfg->ca_file);
	return 0;
}

static int
inbox_login(struct inbox *ib, const struct inbox_config *cfg)
{
	struct mailimap_capability_data *cap = NULL;
	char text[200];
	int r;

	if (!ib->preauth) {
		r = mailimap_login(ib->imap, cfg->user, cfg->password);
		if (r == MAILIMAP_ERROR_LOGIN) {
			/* RFC 5530: UNAVAILABLE is the server's trouble. */
			bool tmp = strcmp(inbox_resp_code(ib), "UNAVAILABLE") == 0;

			inbox_seterr(ib, "login failed for %s: %s", cfg->user,
			    inbox_server_text(ib, text, sizeof(text)));
			return inbox_open_fail(ib, tmp, "login failed");
		}
		if (r != MAILIMAP_NO_ERROR) {
			inbox_cmd_failed(ib, r, "LOGIN");
			return inbox_open_fail(ib, true, NULL);
		}
	}
	/* Capabilities may change with authentication (MOVE, UIDPLUS). */
	if ((r = mailimap_capability(ib->imap, &cap)) != MAILIMAP_NO_ERROR) {
		inbox_cmd_failed(ib, r, "CAPABILITY");
		return inbox_open_fail(ib, true, NULL);
	}
	mailimap_capability_data_free(cap);
	return 0;
}

static int
inbox_select(struct inbox *ib, const char *name)
{
	struct mailimap_selection_info *si;
	bool perm_all = false;
	int r;

	if ((r = mailimap_select(ib->imap, ib->mailbox)) != MAILIMAP_NO_ERROR) {
		char why[sizeof(ib->err)];

		inbox_cmd_failed(ib, r, "SELECT");
		if (ib->broken)
			hp_strlcpy(why, ib->err, sizeof(why));
		else
			inbox_server_text(ib, why, sizeof(why));
		inbox_seterr(ib, "cannot select mailbox %s: %.300s", name, why);
		return inbox_open_fail(ib, ib->broken, NULL);
	}
	si = ib->imap->imap_selection_info;
	if (si == NULL || si->sel_uidvalidity == 0) {
		inbox_seterr(ib, "%s reported no UIDVALIDITY for %s", ib->host,
		    name);
		return inbox_open_fail(ib, false, "select failed");
	}
	if (si->sel_perm == MAILIMAP_MAILBOX_READONLY) {
		inbox_seterr(ib, "mailbox %s is read-only", name);
		return inbox_open_fail(ib, false, "select failed");
	}
	ib->uidvalidity = si->sel_uidvalidity;
	for (clistiter *it = si->sel_perm_flags != NULL ?
	    clist_begin(si->sel_perm_flags) : NULL; it; it = clist_next(it)) {
		struct mailimap_flag_perm *fp = clist_content(it);
		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			perm_all = true;
	}
	if (!perm_all)
		log_warnx("inbox warning host=%s mailbox=%s reason=\"server does "
		    "not keep new keywords (no \\* in PERMANENTFLAGS)\"",
		    ib->host, name);
	return 0;
}

static int
inbox_config_check(const struct inbox_config *cfg, char *err, size_t errlen)
{
	const char *what = NULL;

	if (cfg->host == NULL || cfg->host[0] == '\0' ||
	    strlen(cfg->host) > 253 || strpbrk(cfg->host, " \t\r\n/") != NULL)
		what = "host name is missing or invalid";
	else if (cfg->port == 0 || cfg->port > 65535)
		what = "port is invalid";
	else if (cfg->user == NULL || cfg->user[0] == '\0' ||
	    strlen(cfg->user) > 256 || strpbrk(cfg->user, "\r\n") != NULL)
		what = "user is missing or invalid";
	else if (cfg->password == NULL || strlen(cfg->password) > 1024 ||
	    strpbrk(cfg->password, "\r\n") != NULL)
		what = "password is missing or invalid";
	else if (cfg->mailbox == NULL || cfg->mailbox[0] == '\0')
		what = "mailbox is missing";
	if (what != NULL) {
		snprintf(err, errlen, "IMAP configuration: %s", what);
		return -1;
	}
	if (!cfg->implicit_tls && !cfg->tls && !inbox_host_is_loopback(cfg->host)) {
		snprintf(err, errlen, "IMAP configuration: tls = off is only "
		    "allowed for a loopback host, not %s", cfg->host);
		return -1;
	}
	return 0;
}

int
inbox_open(const struct inbox_config *cfg, struct inbox **out,
    bool *tmpfail, char *err, size_t errlen)
{
	struct inbox *ib;

	*out = NULL;
	*tmpfail = false;
	if (inbox_config_check(cfg, err, errlen) == -1)
		return -1;
	ib = xcalloc(1, sizeof(*ib));
	ib->host = xstrdup(cfg->host);
	ib->timeout_s = cfg->timeout_s == 0 ? INBOX_TIMEOUT_DEFAULT :
	    cfg->timeout_s > INBOX_TIMEOUT_MAX ? INBOX_TIMEOUT_MAX :
	    cfg->timeout_s;
	if ((ib->mailbox = inbox_mutf7(cfg->mailbox)) == NULL) {
		inbox_seterr(ib, "IMAP configuration: mailbox name %s is invalid",
		    cfg->mailbox);
		goto fail;
	}
	if ((ib->imap = mailimap_new(0, NULL)) == NULL) {
		inbox_seterr(ib, "out of memory");
		goto fail;
	}
	mailimap_set_timeout(ib->imap, (time_t)ib->timeout_s);
	if (inbox_connect(ib, cfg) == -1 || inbox_login(ib, cfg) == -1 ||
	    inbox_select(ib, cfg->mailbox) == -1)
		goto fail;
	ib->opened = true;
	log_info("inbox connected host=%s port=%u tls=%s user=%s mailbox=%s "
	    "uidvalidity=%u exists=%u move=%s", ib->host, cfg->port,
	    cfg->implicit_tls ? "imaps" : cfg->tls ? "starttls" : "off",
	    cfg->user, cfg->mailbox, ib->uidvalidity,
	    ib->imap->imap_selection_info->sel_exists,
	    mailimap_has_extension(ib->imap, "MOVE") ? "yes" : "no");
	*out = ib;
	return 0;
fail:
	*tmpfail = ib->tmpfail;
	hp_strlcpy(err, ib->err, errlen);
	inbox_close(ib);
	return -1;
}

void
inbox_close(struct inbox *ib)
{
	if (ib == NULL)
		return;
	if (ib->imap != NULL) {
		if (ib->idling && !ib->broken &&
		    mailimap_idle_done(ib->imap) != MAILIMAP_NO_ERROR)
			ib->broken = true;
		/* mailimap_logout closes the stream; a broken or unverified
		 * one is closed without a word (mailimap_free would LOGOUT). */
		if (!ib->broken && ib->imap->imap_stream != NULL)
			(void)mailimap_logout(ib->imap);
		if (ib->imap->imap_stream != NULL) {
			mailstream_close(ib->imap->imap_stream);
			ib->imap->imap_stream = NULL;
		}
		mailimap_free(ib->imap);
	}
	if (ib->opened)
		log_info("inbox closed host=%s", ib->host);
	free(ib->host);
	free(ib->mailbox);
	free(ib);
}

uint32_t
inbox_exists(const struct inbox *ib)
{
	/* libetpan keeps this up to date from every untagged EXISTS, also
	 * the ones that come with the answer to another command. */
	if (ib->imap == NULL || ib->imap->imap_selection_info == NULL)
		return 0;
	return ib->imap->imap_selection_info->sel_exists;
}

uint32_t
inbox_uidvalidity(const struct inbox *ib)
{
	return ib->uidvalidity;
}

bool
inbox_is_broken(const struct inbox *ib)
{
	return ib->broken;
}

const char *
inbox_last_error(const struct inbox *ib)
{
	return ib->err;
}

/* ---------------------------------------------------------------- IDLE */

bool
inbox_has_idle(const struct inbox *ib)
{
	return !ib->broken && mailimap_has_idle(ib->imap);
}

int
inbox_idle_start(struct inbox *ib)
{
	int r;

	if (inbox_ready(ib) == -1)
		return -1;
	if ((r = mailimap_idle(ib->imap)) != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "IDLE");
	ib->idling = true;
	return 0;
}

int
inbox_fd(const struct inbox *ib)
{
	if (ib->broken || ib->imap->imap_stream == NULL)
		return -1;
	return mailimap_idle_get_fd(ib->imap);
}

bool
inbox_idle_pending(const struct inbox *ib)
{
	return ib->imap->imap_stream != NULL &&
	    ib->imap->imap_stream->read_buffer_len > 0;
}

int
inbox_idle_done(struct inbox *ib)
{
	int r;

	if (!ib->idling)
		return 0;
	ib->idling = false;
	if (ib->broken) {
		inbox_seterr(ib, "connection to %s is broken", ib->host);
		return -1;
	}
	if ((r = mailimap_idle_done(ib->imap)) != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "IDLE DONE");
	return 0;
}

int
inbox_noop(struct inbox *ib)
{
	int r;

	if (inbox_ready(ib) == -1)
		return -1;
	if ((r = mailimap_noop(ib->imap)) != MAILIMAP_NO_ERROR)
		return inbox_cmd_failed(ib, r, "NOOP");
	return 0;
}
