"""Shared harness for the integration tests: a hanzepost config pointing at
the private mail stack that tests/run-integration.sh started, and helpers to
submit mail through Postfix (smtplib) and read mailboxes (imaplib).

Only Debian's /usr/bin/python3 standard library is used, so what we check is
checked by an independent implementation of SMTP, IMAP and MIME."""

import email
import email.policy
import imaplib
import json
import os
import re
import smtplib
import socket
import ssl
import sqlite3
import subprocess
import tempfile
import time

RUN = os.environ["HP_RUNDIR"]
BIN = os.environ["HP_BIN"]
TOP = os.environ.get("HP_TOP", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


def _read_env():
    env = {}
    with open(os.path.join(RUN, "env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k.replace("export ", "")] = v.strip("'\"")
    return env


ENV = _read_env()
IMAP_PORT = int(ENV["HP_IMAP_PORT"])
IMAPS_PORT = int(ENV["HP_IMAPS_PORT"])
SMTP_PORT = int(ENV["HP_SMTP_PORT"])
CA = ENV["HP_CA"]
PASSWORD = ENV.get("HP_PASSWORD", "secret")
OFFICE = "office@example.org"
# The authserv-id of "our receiving server": the tests add the
# Authentication-Results header such a server would (RFC 8601).
TRUSTED_ID = "mx.example.org"


class Instance:
    """A hanzepost configuration with its own database and work dir."""

    def __init__(self, ca_file=CA, imap_url=None, extra="",
                 admins="admin@example.org", trusted=TRUSTED_ID,
                 replies_per_hour=100, mailbox_extra="", smtp_extra=""):
        self.dir = tempfile.mkdtemp(prefix="hpi.", dir=RUN)
        pw = os.path.join(self.dir, "imap.password")
        with open(os.open(pw, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(PASSWORD + "\n")
        self.db = os.path.join(self.dir, "hanzepost.db")
        self.conf = os.path.join(self.dir, "hanzepost.conf")
        url = imap_url or "imaps://127.0.0.1:%d/INBOX" % IMAPS_PORT
        with open(self.conf, "w") as f:
            f.write(f"""[mailbox]
url = {url}
user = {OFFICE}
password_file = {pw}
ca_file = {ca_file or ""}
poll_interval = 5
trusted_authserv_id = {trusted}
{mailbox_extra}

[smtp]
url = smtp://127.0.0.1:{SMTP_PORT}
ca_file = {CA}
{smtp_extra}

[office]
address = Deventer Internationaal <{OFFICE}>
admins = {admins}
bounce_address = office+bounce@example.org
unsubscribe_address = office+unsubscribe@example.org
language = nl

[database]
path = {self.db}

[limits]
replies_per_hour = {replies_per_hour}
{extra}
""")

    def run(self, *args, timeout=120, check=True):
        p = subprocess.run([BIN, "-c", self.conf] + list(args), capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError("hanzepost %s exited %d\nstdout:\n%s\nstderr:\n%s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def poll(self, check=True):
        return self.run("poll", "--once", check=check)

    def registry(self):
        return json.loads(self.run("registry", "export", "--format", "json").stdout)

    def org(self, name):
        for o in self.registry():
            if o["name"] == name:
                return o
        return None

    def sql(self, query, *args):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def subscribers(self, export=False):
        """`subscribers list --json` (or `export`, with the consent record)."""
        args = ("subscribers", "export") if export else ("subscribers", "list", "--json")
        return json.loads(self.run(*args).stdout)

    def subscriber(self, addr, export=False):
        for s in self.subscribers(export):
            if s["email"].lower() == addr.lower():
                return s
        return None

    def outbox_mark(self):
        """The newest outbox row now; pass it to deliveries() later."""
        try:
            return self.sql("SELECT coalesce(max(id), 0) FROM outbox")[0][0]
        except sqlite3.OperationalError:
            return 0                    # no database yet

    def outbox_since(self, mark):
        """(recipient, state, data) of every outbox row after mark."""
        return self.sql("SELECT recipient, state, data FROM outbox WHERE id > ? ORDER BY id",
                        mark)

    def deliveries(self, mark, timeout=30):
        """Everything the daemon queued since mark, read back from the
        recipients' INBOXes once Postfix delivered it (then cleared):
        {address: [message, ...]}.  What the daemon did not queue is not
        waited for; check the INBOXes of people who must get nothing with
        assert_no_mail()."""
        rows = self.outbox_since(mark)
        unsent = [(r, st) for r, st, _ in rows if st != "sent"]
        if unsent:
            raise AssertionError("outbox rows not sent: %r" % unsent)
        want = {}
        for r, _, _ in rows:
            want[r.lower()] = want.get(r.lower(), 0) + 1
        out = {}
        for addr, n in want.items():
            mb = Mailbox(addr)
            try:
                mb.wait_count(n, timeout=timeout)
                out[addr] = mb.messages()
                mb.clear()
            finally:
                mb.close()
        return out

    # ---- newsletters and the outbox (issue 4)

    def queue(self):
        """`queue list --json` as a list of dicts."""
        return json.loads(self.run("queue", "list", "--json").stdout)

    def mailings(self):
        """Rows of the mailings table as dicts, oldest first."""
        cols = ("id", "kind", "label", "slot", "list", "state", "created_at", "done_at")
        return [dict(zip(cols, r)) for r in self.sql(
            "SELECT %s FROM mailings ORDER BY id" % ", ".join(cols))]

    def mailing_deliveries(self, mailing_id=None):
        """Rows of the deliveries table as dicts (of one mailing), by id."""
        cols = ("id", "mailing_id", "email", "name", "lang", "unsub_token", "state",
                "attempts", "smtp_code", "reply", "next_attempt", "updated_at")
        q = "SELECT %s FROM deliveries" % ", ".join(cols)
        args = ()
        if mailing_id is not None:
            q += " WHERE mailing_id = ?"
            args = (mailing_id,)
        return [dict(zip(cols, r)) for r in self.sql(q + " ORDER BY id", *args)]

    def send_all(self, rounds=10, timeout=300):
        """Run `send --once` until no delivery and no outbox row is queued and
        due, at most rounds times.  Returns the number of rounds run."""
        for n in range(1, rounds + 1):
            self.run("send", "--once", timeout=timeout)
            now = int(time.time())
            left = self.sql("SELECT count(*) FROM deliveries WHERE state = 'queued' "
                            "AND next_attempt <= ?", now)[0][0]
            left += self.sql("SELECT count(*) FROM outbox WHERE state = 'queued' "
                             "AND next_attempt <= ?", now)[0][0]
            if left == 0:
                return n
        raise AssertionError("deliveries still due after %d rounds of send --once" % rounds)

    def sql_write(self, query, *args):
        """One write to the database while hanzepost does not run (tests that
        simulate time passing: an older installation, a retry that is due)."""
        con = sqlite3.connect(self.db, timeout=10)
        try:
            with con:
                con.execute(query, args)
        finally:
            con.close()


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    ctx = ssl.create_default_context(cafile=CA)
    return ctx


def auth_header(sender, authserv=TRUSTED_ID, result="pass"):
    domain = sender.rsplit("@", 1)[1]
    return "%s; dkim=%s header.d=%s; dmarc=%s header.from=%s" % (
        authserv, result, domain, result, domain)


def submit(sender, subject, body, to=OFFICE, charset="utf-8", html=None,
           headers=None, raw=None, name=None, auth=True, envelope=None):
    """Send one message through Postfix; returns its Message-ID.  With auth,
    it carries the Authentication-Results our receiving server would add.
    envelope: the SMTP MAIL FROM when it differs from sender ("" for <>)."""
    if raw is None:
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"] = "%s <%s>" % (name, sender) if name else sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = email.utils.make_msgid(domain="partner.example")
        msg["Date"] = email.utils.formatdate(localtime=True)
        if auth:
            msg["Authentication-Results"] = auth_header(sender)
        if html is not None:
            msg.set_content(html, subtype="html", charset=charset)
        else:
            msg.set_content(body, charset=charset)
        # After set_content, which drops every Content-* header (Content-Language).
        for k, v in (headers or {}).items():
            for one in (v if isinstance(v, (list, tuple)) else [v]):
                msg[k] = one            # a list: that header several times
        data = msg.as_bytes()
        msgid = msg["Message-ID"]
    else:
        data = raw if isinstance(raw, bytes) else raw.encode()
        msgid = None
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30) as s:
        s.starttls(context=tls_context())
        s.sendmail(sender if envelope is None else envelope, [to], data)
    return msgid


class Mailbox:
    def __init__(self, user):
        self.user = user
        self.c = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=tls_context())
        self.c.login(user, PASSWORD)

    def close(self):
        try:
            self.c.logout()
        except Exception:
            pass

    def uids(self, folder="INBOX"):
        typ, _ = self.c.select('"%s"' % folder)
        if typ != "OK":
            return []
        typ, data = self.c.uid("SEARCH", None, "ALL")
        return [int(x) for x in data[0].split()]

    def fetch(self, uid, folder="INBOX"):
        self.c.select('"%s"' % folder)
        typ, data = self.c.uid("FETCH", str(uid), "(BODY.PEEK[])")
        for part in data:
            if isinstance(part, tuple):
                return part[1]
        raise AssertionError("uid %d not in %s" % (uid, folder))

    def messages(self, folder="INBOX"):
        """Parsed messages; each keeps its bytes as it came in .raw."""
        out = []
        for u in self.uids(folder):
            raw = self.fetch(u, folder)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            msg.raw = raw
            out.append(msg)
        return out

    def clear(self, folder="INBOX"):
        if self.uids(folder):
            self.c.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            self.c.expunge()

    def append(self, folder, data):
        self.c.append('"%s"' % folder, None, None, data)

    def wait_count(self, n, folder="INBOX", timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if len(self.uids(folder)) >= n:
                return self.uids(folder)
            time.sleep(0.2)
        raise AssertionError("%s/%s: expected %d messages, have %d"
                             % (self.user, folder, n, len(self.uids(folder))))


def body_text(msg):
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def wait_reply(user, timeout=30):
    """Wait for exactly one new message in user's INBOX, return it and clear."""
    mb = Mailbox(user)
    try:
        mb.wait_count(1, timeout=timeout)
        msgs = mb.messages()
        mb.clear()
        assert len(msgs) == 1, "expected one reply, got %d" % len(msgs)
        return msgs[0]
    finally:
        mb.close()


def wait_inbox(n, timeout=30):
    mb = Mailbox(OFFICE)
    try:
        return mb.wait_count(n, timeout=timeout)
    finally:
        mb.close()


# Every account of the test stack (tests/mailstack/up).
USERS = ["office@example.org", "admin@example.org", "anna@partner.example",
         "bob@partner.example", "carla@partner.example", "dirk@other.example"] + \
    ["user%02d@partner.example" % i for i in range(1, 21)]
FOLDERS = ("INBOX", "Processed", "Rejected", "Held")


def clear_mailboxes(users=USERS):
    """Empty every user's INBOX, and all of the office's folders."""
    for user in users:
        mb = Mailbox(user)
        try:
            for folder in (FOLDERS if user == OFFICE else ("INBOX",)):
                mb.clear(folder)
        finally:
            mb.close()


def count(user, folder="INBOX"):
    mb = Mailbox(user)
    try:
        return len(mb.uids(folder))
    finally:
        mb.close()


def assert_no_mail(users, settle=1.5):
    """After settle seconds (Postfix hands mail to Dovecot well within
    that on this stack), none of users has anything in the INBOX."""
    time.sleep(settle)
    got = {u: count(u) for u in users}
    bad = {u: n for u, n in got.items() if n}
    if bad:
        raise AssertionError("unexpected mail: %r" % bad)


TOKEN_RE = re.compile(r"\b[0-9a-f]{32}\b")


def token_of(msg):
    """The 32-hex token in a message's Subject (confirm/approve mails)."""
    m = TOKEN_RE.search(str(msg["Subject"] or ""))
    if not m:
        raise AssertionError("no token in Subject %r" % msg["Subject"])
    return m.group(0)


def by_subject(msgs, prefix):
    """The one message whose Subject starts with prefix."""
    found = [m for m in msgs if str(m["Subject"] or "").lower().startswith(prefix.lower())]
    if len(found) != 1:
        raise AssertionError("expected one message with Subject %r..., got %r"
                             % (prefix, [str(m["Subject"]) for m in msgs]))
    return found[0]


# ---- newsletters and the outbox (issue 4) ----------------------------------

# Mailboxes of newsletter subscribers (tests/mailstack/up); not in USERS, so
# the tests of other issues do not clear 50 more mailboxes per test.
SUBS = ["sub%02d@partner.example" % i for i in range(1, 51)]


def postfix_queue_empty():
    """True when Postfix of the stack holds no message (all delivered to
    Dovecot, or bounced)."""
    p = subprocess.run(["/usr/sbin/postqueue", "-c", os.path.join(RUN, "pf", "etc"), "-p"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    return p.returncode == 0 and "Mail queue is empty" in p.stdout


def wait_postfix_idle(timeout=60):
    """Wait until Postfix has handed everything on (bounded)."""
    end = time.time() + timeout
    while time.time() < end:
        if postfix_queue_empty():
            return
        time.sleep(0.2)
    raise AssertionError("Postfix queue not empty after %d s" % timeout)


def inbox_all(users, folder="INBOX"):
    """{user: [parsed message, ...]} for every user (read over IMAPS)."""
    out = {}
    for u in users:
        mb = Mailbox(u)
        try:
            out[u] = mb.messages(folder)
        finally:
            mb.close()
    return out


def wait_total(users, n, timeout=60, folder="INBOX"):
    """Wait until users' INBOXes together hold at least n messages and
    Postfix is idle; returns the total (may exceed n: duplicates)."""
    end = time.time() + timeout
    total = 0
    while time.time() < end:
        total = 0
        for u in users:
            total += count(u, folder)
        if total >= n and postfix_queue_empty():
            return total
        time.sleep(0.3)
    raise AssertionError("expected at least %d messages in %d mailboxes, have %d"
                         % (n, len(users), total))
