"""Crash tests (issue 7): `kill -9` at 20 seeded random moments while the
daemon ingests 500 mixed messages, and while it sends one issue to 2,000
subscribers; restarted after every kill until it is done.

Ingest: the same 500 messages (forms, updates, no-op repeats, malformed
forms, commands, forged updates, new organisations from partners,
subscriptions, bounces, auto-replies, calendar cancellations, re-delivered
copies) are appended to the office INBOX twice: once for an uninterrupted
`poll --once` on a fresh instance (the reference), once for `hanzepost run`
on another fresh instance, killed and restarted.  Then the registry, the
record of every message, the folder of every message, the change log, the
pending confirmations, the subscribers and the queued replies must equal the
reference, field by field (volatile fields left out: see VOLATILE).

Sending: `send --once` delivers one issue to 2,000 subscribers through
Postfix's smtp-sink (tests/mailstack/sink, one dump file per message read
back for per-recipient counts), killed and restarted the same way.  Then
everyone has the issue, duplicates are at most concurrency x kills and carry
the delivery's own Message-ID, and the database says every delivery is sent.

The kill moments come from one seed (HP_CRASH_SEED, default 7007, printed);
the message mix from a fixed one, so the reference does not change with the
seed.  The smtp-sink ports are HP_SINK_PORT and the next one (default: two
free ports, so parallel stacks do not collide)."""

import collections
import email
import email.message
import email.policy
import email.utils
import glob
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import unittest

import hp

SEED = int(os.environ.get("HP_CRASH_SEED", "7007"))
MIX_SEED = 20270104
KILLS = 20
N_MESSAGES = 500
N_SUBSCRIBERS = 2000
N_SUBS_CLI = 40             # added with `subscribers add`; the rest in one insert
CONCURRENCY = 4
# smtp-sink ports: HP_SINK_PORT and the next one, else two free ones.
if os.environ.get("HP_SINK_PORT"):
    SINK_PORTS = (int(os.environ["HP_SINK_PORT"]), int(os.environ["HP_SINK_PORT"]) + 1)
else:
    SINK_PORTS = (hp.free_port(),)
    while len(SINK_PORTS) < 2:
        SINK_PORTS += tuple({hp.free_port()} - set(SINK_PORTS))
SINK = os.path.join(hp.TOP, "tests", "mailstack", "sink")
OFFICE = hp.OFFICE
ADMIN = "admin@example.org"
PARTNERS = ["anna@partner.example", "bob@partner.example", "carla@partner.example"] + \
    ["user%02d@partner.example" % i for i in range(1, 21)]
# Fields of `registry export --format json` that say when, not what: they
# differ between two runs by the clock alone.
VOLATILE = ("created_at", "updated_at", "changed_at", "approved_at", "at")
TOKEN_RE = re.compile(r"\b[0-9a-f]{32}\b")

SECTORS = ["economy", "education", "culture", "civil-society", "government"]
PLACES = [("DE", "Lübeck"), ("Polen", "Gdańsk"), ("EE", "Tartu"), ("Latvia", "Riga"),
          ("SE", "Visby"), ("NO", "Bergen"), ("Litouwen", "Kaunas"), ("BE", "Brugge"),
          ("Duitsland", "Köln"), ("FI", "Turku")]
KINDS = ["trade", "project", "partnership", "exchange", "office", "network",
         "education", "culture"]


# ---- the message mix --------------------------------------------------------

def make_mail(sender, subject, body, seq, auth=True, html=False, charset="utf-8",
              headers=(), lang=None):
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = OFFICE
    msg["Subject"] = subject
    msg["Message-ID"] = "<crash-%04d.%d@partner.example>" % (seq, MIX_SEED)
    msg["Date"] = "Mon, 04 Jan 2027 09:%02d:%02d +0100" % (seq // 60 % 60, seq % 60)
    msg["X-Crash-Seq"] = str(seq)
    if auth:
        msg["Authentication-Results"] = hp.auth_header(sender)
    if html:
        msg.set_content("<html><body><p>%s</p></body></html>"
                        % body.replace("\n", "<br>\n"), subtype="html", charset=charset)
    else:
        msg.set_content(body, charset=charset)
    if lang:
        msg["Content-Language"] = lang
    for k, v in headers:
        msg[k] = v
    return msg.as_bytes()


def org_form(org, greeting=True):
    lines = ["Dear office,", ""] if greeting else []
    lines += ["Organisation: %s" % org["name"], "Sector: %s" % org["sector"],
              "Website: %s" % org["website"], "Description: %s" % org["description"]]
    lines += ["Contact: %s" % c for c in org["contacts"]]
    lines += ["Active-in: %s, %s; %s" % a for a in org["active"]]
    if org["internships"]:
        lines.append("Internships: %s" % org["internships"])
    lines += ["", "Kind regards"]
    return "\n".join(lines) + "\n"


def calendar_cancel(sender, seq):
    cal = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//crash//test//EN", "METHOD:CANCEL",
        "BEGIN:VEVENT", "UID:crash-cancel-%d@partner.example" % seq,
        "DTSTAMP:20270104T080000Z", "DTSTART:20270301T090000Z",
        "DTEND:20270301T100000Z", "SEQUENCE:1", "STATUS:CANCELLED",
        "SUMMARY:Cancelled meeting %d" % seq,
        "ORGANIZER:mailto:%s" % sender, "ATTENDEE:mailto:%s" % OFFICE,
        "END:VEVENT", "END:VCALENDAR", ""])
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = OFFICE
    msg["Subject"] = "Cancelled: meeting %d" % seq
    msg["Message-ID"] = "<crash-%04d.%d@partner.example>" % (seq, MIX_SEED)
    msg["Date"] = "Mon, 04 Jan 2027 10:00:00 +0100"
    msg["X-Crash-Seq"] = str(seq)
    msg.set_content("The meeting is cancelled.\n")
    msg.add_attachment(cal.encode(), maintype="text", subtype="calendar",
                       params={"method": "CANCEL"}, filename="cancel.ics")
    return msg.as_bytes()


def with_seq(raw, seq):
    """A stored message (a DSN) with our sequence header in front."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return b"X-Crash-Seq: %d\r\n" % seq + raw


def message_mix(n=N_MESSAGES):
    """n messages (bytes), always the same ones: what a busy office
    mailbox holds.  The first few create organisations so that updates,
    repeats and shows have something to work on."""
    rng = random.Random(MIX_SEED)
    dsns = sorted(glob.glob(os.path.join(hp.TOP, "tests", "cases", "dsn", "*.eml")))
    orgs, sent_forms, out = [], [], []
    kinds = (["update"] * 30 + ["create"] * 12 + ["repeat"] * 10 + ["malformed"] * 8 +
             ["show"] * 6 + ["help"] * 5 + ["forged"] * 6 + ["partner_new"] * 4 +
             ["subscribe"] * 3 + ["auto"] * 4 + ["chat"] * 5 + ["bounce"] * 2 +
             ["cancel"] * 2 + ["redeliver"] * 3)
    for seq in range(n):
        kind = "create" if seq < 8 else rng.choice(kinds)
        if kind == "bounce" and not dsns:
            kind = "chat"
        if kind in ("update", "repeat", "show", "forged", "malformed") and not orgs:
            kind = "create"
        if kind == "repeat" and not sent_forms:
            kind = "update"
        if kind == "redeliver" and not out:
            kind = "help"
        if kind == "create":
            i = len(orgs)
            contacts = rng.sample(PARTNERS, rng.randint(1, 2))
            org = {"name": "Crash Org %03d" % i, "sector": rng.choice(SECTORS),
                   "website": "https://org%03d.example" % i,
                   "description": "Organisation %d of the crash test." % i,
                   "contacts": ["Contact %d <%s>" % (k, c) for k, c in enumerate(contacts)],
                   "emails": contacts,
                   "active": [p + (rng.choice(KINDS),) for p in rng.sample(PLACES, 2)],
                   "internships": rng.choice(["", "2 per year"])}
            orgs.append(org)
            body = org_form(org)
            out.append(make_mail(ADMIN, "New entry", body, seq, lang="en"))
            sent_forms.append((ADMIN, "New entry", body))
        elif kind == "update":
            org = rng.choice(orgs)
            what = rng.randrange(4)
            if what == 0:
                org["website"] = "https://www.org%s-%d.example" % (org["name"][-3:], seq)
                body = "Organisation: %s\nWebsite: %s\n" % (org["name"], org["website"])
            elif what == 1:
                org["description"] = "Now with seq %d, caf\u00e9 and \u201cHanze\u201d." % seq
                body = "Organisation: %s\nDescription: %s\n" % (org["name"], org["description"])
            elif what == 2:
                org["internships"] = "%d per year" % rng.randint(1, 9)
                body = "Organisation: %s\nInternships: %s\n" % (org["name"], org["internships"])
            else:
                org["active"] = [p + (rng.choice(KINDS),)
                                 for p in rng.sample(PLACES, rng.randint(1, 3))]
                body = org_form(org, greeting=False)
            sender = rng.choice(org["emails"])
            charset = rng.choice(["utf-8", "utf-8", "windows-1252"])
            if charset == "windows-1252":
                body = body.replace("\u0144", "n").replace("\u2013", "-")
                try:
                    body.encode("windows-1252")
                except UnicodeEncodeError:
                    charset = "utf-8"
            out.append(make_mail(sender, "Update", body, seq, charset=charset,
                                 html=rng.random() < 0.15))
            sent_forms.append((sender, "Update", body))
        elif kind == "repeat":
            sender, subject, body = rng.choice(sent_forms)
            out.append(make_mail(sender, subject, body, seq, lang="en"))
        elif kind == "malformed":
            org = rng.choice(orgs)
            body = ("Organisation: %s\nSector: shipping\nWebsite: ftp://nope\n"
                    "Active-in: Atlantis; trade\nWebsiet: https://typo.example\n" % org["name"])
            out.append(make_mail(rng.choice(org["emails"]), "Update", body, seq))
        elif kind == "show":
            org = rng.choice(orgs)
            out.append(make_mail(rng.choice(PARTNERS), "show %s" % org["name"], "", seq))
        elif kind == "help":
            word = rng.choice(["help", "hulp"])
            out.append(make_mail(rng.choice(PARTNERS), word, word + "\n", seq))
        elif kind == "forged":
            org = rng.choice(orgs)
            body = "Organisation: %s\nDescription: Forged at %d.\n" % (org["name"], seq)
            out.append(make_mail(rng.choice(org["emails"]), "Update", body, seq, auth=False))
        elif kind == "partner_new":
            body = ("Organisation: Partner Proposal %d\nSector: culture\n"
                    "Active-in: EE, Tallinn; culture\n" % seq)
            out.append(make_mail(rng.choice(PARTNERS), "Nieuw", body, seq, lang="nl"))
        elif kind == "subscribe":
            out.append(make_mail(rng.choice(PARTNERS), "subscribe newsletter en", "", seq))
        elif kind == "auto":
            out.append(make_mail(rng.choice(PARTNERS), "Out of office", "I am away.\n", seq,
                                 headers=[("Auto-Submitted", "auto-replied")]))
        elif kind == "chat":
            out.append(make_mail(rng.choice(PARTNERS), "Question",
                                 "Hello, could you call me tomorrow?\n", seq))
        elif kind == "bounce":
            with open(rng.choice(dsns), "rb") as f:
                out.append(with_seq(f.read(), seq))
        elif kind == "cancel":
            out.append(calendar_cancel(rng.choice(PARTNERS), seq))
        else:                           # the same message delivered again
            raw = rng.choice(out)
            out.append(re.sub(rb"X-Crash-Seq: \d+", b"X-Crash-Seq: %d" % seq, raw, count=1))
    return out


# ---- helpers ----------------------------------------------------------------

def reset_office():
    hp.clear_mailboxes([OFFICE])


def append_all(msgs):
    mb = hp.Mailbox(OFFICE)
    try:
        for raw in msgs:
            mb.append("INBOX", raw)
    finally:
        mb.close()


def folders_by_seq():
    """{seq: [folder, ...]} of every office folder, read over IMAPS."""
    mb = hp.Mailbox(OFFICE)
    out = collections.defaultdict(list)
    try:
        for folder in hp.FOLDERS:
            typ, _ = mb.c.select('"%s"' % folder, readonly=True)
            if typ != "OK":
                continue
            typ, data = mb.c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (X-CRASH-SEQ)])")
            for part in data:
                if isinstance(part, tuple):
                    m = re.search(rb"X-Crash-Seq:\s*(\d+)", part[1], re.I)
                    out[int(m.group(1)) if m else -1].append(folder)
    finally:
        mb.close()
    return out


def strip_volatile(v):
    if isinstance(v, dict):
        return {k: strip_volatile(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [strip_volatile(x) for x in v]
    return v


def read_dump(dump):
    """Every complete mail transaction smtp-sink dumped (one file each), as
    {Message-ID: [(recipient, Subject, In-Reply-To), ...]}, and the number
    of files cut off by a kill (no end of the message)."""
    out = collections.defaultdict(list)
    partial = 0
    for path in glob.glob(os.path.join(dump, "*")):
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        msgid = str(msg["Message-ID"] or "").strip()
        b = msg.get_boundary()
        if not msgid or not raw.endswith(b"\n") or (b and b"--%s--" % b.encode() not in raw):
            partial += 1
            continue
        subject = TOKEN_RE.sub("TOKEN", str(msg["Subject"] or ""))
        for r in msg.get_all("X-Rcpt-Args", []):
            rcpt = str(r).strip().strip("<>").lower()
            out[msgid].append((rcpt, subject, str(msg["In-Reply-To"] or "").strip()))
    return out, partial


def outbox_keys(inst, dump):
    """What was queued, without what differs by chance (tokens, ids, dates):
    Counter of (recipient, Subject, In-Reply-To), read from what smtp-sink
    received for each outbox row (the row's text is dropped once sent)."""
    keys = collections.Counter()
    for rcpt, msgid in inst.sql("SELECT recipient, message_id FROM outbox"):
        got = dump.get("<%s>" % msgid.strip("<>"))
        keys[got[0] if got else (rcpt.lower(), "NOT RECEIVED", msgid)] += 1
    return keys


def snapshot(inst, dump):
    """Everything the two runs must agree on."""
    return {
        "registry": strip_volatile(inst.registry()),
        "messages": collections.Counter(inst.sql(
            "SELECT message_id, folder, outcome FROM messages")),
        "changes": inst.sql("SELECT org_name, field, old_value, new_value, actor, message_id "
                            "FROM changes ORDER BY id"),
        "pending": collections.Counter(inst.sql("SELECT kind, state FROM pending")),
        "subscribers": sorted(inst.sql("SELECT email, status, lang FROM subscribers")),
        "outbox": outbox_keys(inst, dump),
    }


def wait_for(pred, timeout, what, proc=None, log=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError("%s: the daemon exited %d\n%s"
                                 % (what, proc.returncode, tail(log)))
        time.sleep(0.005)
    raise AssertionError("%s: not within %s s\n%s" % (what, timeout, tail(log)))


def tail(path, n=30):
    if not path or not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])


class Counter:
    """SELECT count(*) on a live database, read-only (WAL: no lock taken
    that could slow the daemon down)."""

    def __init__(self, db, query):
        self.db, self.query, self.con = db, query, None

    def __call__(self):
        if self.con is None:
            if not os.path.exists(self.db):
                return 0
            self.con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=5)
        try:
            return self.con.execute(self.query).fetchone()[0]
        except sqlite3.OperationalError:
            return 0                    # no schema yet

    def close(self):
        if self.con is not None:
            self.con.close()
            self.con = None


class Proc:
    """One hanzepost process, killed whatever happens."""

    def __init__(self, inst, args, log):
        self.log = log
        self.f = open(log, "ab")
        self.p = subprocess.Popen([hp.BIN, "-c", inst.conf] + list(args),
                                  stdin=subprocess.DEVNULL, stdout=self.f, stderr=self.f)

    def kill9(self):
        if self.p.poll() is not None:
            raise AssertionError("the daemon had exited %d before the kill\n%s"
                                 % (self.p.returncode, tail(self.log)))
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(30)
        self.f.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)
        self.f.close()
        return self.p.returncode


class Sink:
    def __init__(self, port, dump=None):
        self.port = port
        args = [SINK, hp.RUN, "start", str(port)] + ([dump] if dump else [])
        p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30)
        if p.returncode != 0:
            raise AssertionError("smtp-sink on port %d did not start:\n%s%s"
                                 % (port, p.stdout, p.stderr))

    def stop(self):
        subprocess.run([SINK, hp.RUN, "stop", str(self.port)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)


def to_sink(inst, port):
    """Point an instance's [smtp] at smtp-sink (plain SMTP on loopback)."""
    with open(inst.conf) as f:
        text = f.read()
    old = "url = smtp://127.0.0.1:%d" % hp.SMTP_PORT
    assert old in text
    with open(inst.conf, "w") as f:
        f.write(text.replace(old, "url = smtp://127.0.0.1:%d\ntls = off" % port))


def crash_loop(inst, args, progress, total, rng, log):
    """Run `hanzepost ARGS` KILLS times, each run ended by SIGKILL.  One
    kill in four comes at a random time (0..0.5 s) after the start, or at
    the first progress if that is sooner: start-up, connecting, recovery of
    what the last kill left, the first fetch; the others once progress() has
    risen by a random step (up to twice the fair share of what is left)
    plus up to 10 ms: in the middle of the work.  Returns the history
    [(kind, progress at start, progress at the kill)] and the number of
    runs that were killed (a `--once` run may finish first)."""
    history, killed = [], 0
    for i in range(KILLS):
        start = progress()
        left = total - start
        d = Proc(inst, args, log)
        try:
            if left <= 0 or rng.random() < 0.25:
                kind = "t"
                end = time.monotonic() + rng.uniform(0, 0.5)
                while (time.monotonic() < end and d.p.poll() is None and
                       (left <= 0 or progress() == start)):
                    time.sleep(0.002)
            else:
                kind = "n"
                target = start + rng.randint(1, max(1, 2 * left // (KILLS - i + 1)))
                wait_for(lambda: progress() >= target or d.p.poll() is not None, 120,
                         "waiting for progress %d" % target, None, log)
                time.sleep(rng.uniform(0, 0.01))
        finally:
            if d.p.poll() is None:
                d.kill9()
                killed += 1
            else:
                rc = d.stop()
                if rc != 0 or "--once" not in args:
                    raise AssertionError("hanzepost %s exited %d by itself\n%s"
                                         % (" ".join(args), rc, tail(log)))
                kind += "(done)"
        history.append((kind, start, progress()))
    return history, killed


def mid_work(history, total):
    """How many kills came while work was done and more was left."""
    return sum(1 for k, a, b in history if "done" not in k and a < b < total)


# ---- 1. ingest ----------------------------------------------------------------

class CrashIngest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dump = os.path.join(hp.RUN, "crash-replies")
        shutil.rmtree(cls.dump, ignore_errors=True)
        cls.sink = Sink(SINK_PORTS[0], cls.dump)

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        shutil.rmtree(cls.dump, ignore_errors=True)
        reset_office()

    def take_dump(self):
        """What smtp-sink received so far; the dump is emptied."""
        time.sleep(0.3)                 # the sink closes its last file
        got = read_dump(self.dump)
        for f in glob.glob(os.path.join(self.dump, "*")):
            os.unlink(f)
        return got

    def instance(self):
        inst = hp.Instance(replies_per_hour=10000,
                           smtp_extra="rate = 10000000\nconcurrency = %d\n" % CONCURRENCY)
        to_sink(inst, SINK_PORTS[0])
        return inst

    def check_folders(self, msgs, where):
        got = folders_by_seq()
        wrong = {s: f for s, f in got.items() if len(f) != 1 or f[0] == "INBOX"}
        self.assertEqual(wrong, {}, "%s: messages not in exactly one folder" % where)
        self.assertEqual(sorted(got), list(range(len(msgs))), "%s: messages lost" % where)
        return {s: f[0] for s, f in got.items()}

    def test_01_kill_9_while_ingesting_500(self):
        t_start = time.monotonic()
        msgs = message_mix()
        self.assertEqual(len(msgs), N_MESSAGES)

        # The reference: one uninterrupted poll.
        reset_office()
        append_all(msgs)
        ref = self.instance()
        t0 = time.monotonic()
        ref.run("poll", "--once", timeout=600)
        t_ref = time.monotonic() - t0
        ref_folders = self.check_folders(msgs, "reference")
        ref_dump, _ = self.take_dump()
        want = snapshot(ref, ref_dump)
        outcomes = collections.Counter(o for (_, _, o) in want["messages"].elements())
        self.assertGreater(len(want["registry"]), 20, "the mix created too few entries")
        self.assertGreater(len(want["changes"]), 50)
        for f in ("Processed", "Rejected", "Held"):
            self.assertIn(f, ref_folders.values(), "the mix files nothing in %s" % f)

        # The crash run: the same messages, a fresh instance, kill -9.
        reset_office()
        append_all(msgs)
        inst = self.instance()
        handled = Counter(inst.db, "SELECT count(*) FROM messages")
        log = os.path.join(inst.dir, "run.log")
        try:
            history, survived = crash_loop(inst, ["run"], handled, N_MESSAGES,
                                           random.Random(SEED), log)
            d = Proc(inst, ["run"], log)
            try:
                moved = Counter(inst.db, "SELECT count(*) FROM messages WHERE state = 2")
                queued = Counter(inst.db, "SELECT count(*) FROM outbox WHERE state = 'queued'")
                wait_for(lambda: moved() == N_MESSAGES and queued() == 0, 180,
                         "the rest after the last restart", d.p, log)
                moved.close()
                queued.close()
                time.sleep(0.3)
            finally:
                rc = d.stop()
            self.assertEqual(rc, 0, tail(log))
        finally:
            handled.close()
        self.assertEqual(hp.count(OFFICE, "INBOX"), 0, "messages left in the INBOX")
        got_folders = self.check_folders(msgs, "after the crashes")
        moved = {s: (ref_folders[s], f) for s, f in got_folders.items() if ref_folders[s] != f}
        if moved:
            self.fail("%d messages filed elsewhere than in the reference, {seq: (reference, "
                      "now)}: %r ...; outcomes now: %r" % (
                          len(moved), dict(sorted(moved.items())[:8]), inst.sql(
                              "SELECT outcome, count(*) FROM messages GROUP BY outcome")))
        dump, partial = self.take_dump()
        got = snapshot(inst, dump)
        rows = inst.sql("SELECT count(*), count(DISTINCT uid), sum(state = 2) FROM messages")[0]
        self.assertEqual(tuple(rows), (N_MESSAGES, N_MESSAGES, N_MESSAGES))
        for key in ("registry", "changes", "messages", "pending", "subscribers"):
            self.assertEqual(got[key], want[key], "%s differs from the reference" % key)
        # Effects and reply are one transaction before the move: no reply
        # may be queued twice, none may be missing.
        twice = {k: n for k, n in got["outbox"].items() if n > want["outbox"].get(k, 0)}
        self.assertEqual(twice, {}, "replies queued more often than in the reference")
        self.assertEqual(got["outbox"], want["outbox"], "queued replies differ")
        self.assertEqual(inst.sql("SELECT count(*) FROM outbox WHERE state != 'sent'"), [(0,)])
        # Sent twice (in flight at a kill): same Message-ID, bounded.
        resent = sum(len(v) - 1 for v in dump.values())
        self.assertLessEqual(resent, CONCURRENCY * survived)
        inmid = mid_work(history, N_MESSAGES)
        self.assertGreaterEqual(inmid, KILLS // 2, "kills did not land during the work: %r"
                                % (history,))
        print("\n  crash ingest: seed %d, %d messages (%s), reference poll %.1f s; "
              "kill points survived %d/%d (%d of them mid-work), (kind, handled at start, "
              "at kill) %r; replies queued %d, queued twice 0; replies sent twice (in "
              "flight) %d, cut-off transactions %d; data lost: 0; scenario %.0f s"
              % (SEED, N_MESSAGES, ", ".join("%s %d" % kv for kv in sorted(outcomes.items())),
                 t_ref, survived, KILLS, inmid, history, sum(want["outbox"].values()),
                 resent, partial, time.monotonic() - t_start))


# ---- 2. sending ---------------------------------------------------------------

def sink_copies(dump):
    """{recipient: [Message-ID, ...]} of every complete copy smtp-sink
    received, and the number of transactions a kill cut off."""
    got, partial = read_dump(dump)
    out = collections.defaultdict(list)
    for msgid, entries in got.items():
        for rcpt, _, _ in entries:
            out[rcpt].append(msgid)
    return out, partial


class CrashSend(unittest.TestCase):
    def setUp(self):
        self.dump = os.path.join(hp.RUN, "crash-dump")
        shutil.rmtree(self.dump, ignore_errors=True)
        self.sink = Sink(SINK_PORTS[1], self.dump)

    def tearDown(self):
        self.sink.stop()
        shutil.rmtree(self.dump, ignore_errors=True)

    def add_subscribers(self, inst, addrs):
        """The first N_SUBS_CLI by `subscribers add`; the rest straight
        into the subscribers table, as bench/bench.py does (2,000 CLI runs
        of the ASan build would take over a minute)."""
        for i, a in enumerate(addrs[:N_SUBS_CLI]):
            inst.run("subscribers", "add", a, "--lang", "nl" if i % 2 else "en")
        now = int(time.time())
        con = sqlite3.connect(inst.db, timeout=10)
        try:
            with con:
                con.executemany(
                    "INSERT INTO subscribers (email, name, lang, newsletter, events, status,"
                    " consent_at, unsub_token, created_at, updated_at) VALUES"
                    " (?, ?, ?, 1, 0, 'active', ?, lower(hex(randomblob(16))), ?, ?)",
                    [(a, "Subscriber %d" % i, "nl" if i % 2 else "en", now, now, now)
                     for i, a in enumerate(addrs) if i >= N_SUBS_CLI])
        finally:
            con.close()
        self.assertEqual(len(inst.subscribers()), len(addrs))

    def test_01_kill_9_while_sending_2000(self):
        t_start = time.monotonic()
        inst = hp.Instance(smtp_extra="rate = 10000000\nconcurrency = %d\n" % CONCURRENCY)
        to_sink(inst, SINK_PORTS[1])
        addrs = ["s%04d@crash.example" % i for i in range(N_SUBSCRIBERS)]
        self.add_subscribers(inst, addrs)
        inst.run("newsletter", "send")
        mailing = inst.mailings()[-1]
        self.assertEqual(len(inst.mailing_deliveries(mailing["id"])), N_SUBSCRIBERS)

        sent = Counter(inst.db, "SELECT count(*) FROM deliveries WHERE state = 'sent'")
        log = os.path.join(inst.dir, "send.log")
        try:
            history, survived = crash_loop(inst, ["send", "--once"], sent, N_SUBSCRIBERS,
                                           random.Random(SEED + 1), log)
        finally:
            sent.close()
        rounds = inst.send_all(rounds=20, timeout=300)
        inmid = mid_work(history, N_SUBSCRIBERS)
        self.assertGreaterEqual(inmid, KILLS // 2, "kills did not land during delivery: %r"
                                % (history,))

        dl = inst.mailing_deliveries(mailing["id"])
        self.assertEqual(collections.Counter(d["state"] for d in dl), {"sent": N_SUBSCRIBERS})
        self.assertEqual(inst.mailings()[-1]["state"], "done")
        time.sleep(0.5)                 # smtp-sink closes its last files
        copies, partial = sink_copies(self.dump)
        missing = sorted(set(addrs) - set(copies))
        self.assertEqual(missing, [], "recipients skipped after a crash")
        self.assertEqual(sorted(set(copies) - set(addrs)), [])
        ids = {d["email"]: "<nl-%d-%d@example.org>" % (mailing["id"], d["id"]) for d in dl}
        wrong = {a: v for a, v in copies.items() if set(v) != {ids[a]}}
        self.assertEqual(wrong, {}, "a copy (or its duplicate) with another Message-ID")
        dups = sum(len(v) - 1 for v in copies.values())
        bound = CONCURRENCY * survived
        self.assertLessEqual(dups, bound, "duplicates %d > in-flight bound %d x %d kills"
                             % (dups, CONCURRENCY, survived))
        print("\n  crash send: seed %d, %d recipients, concurrency %d; kill points survived "
              "%d/%d (%d of them mid-delivery), (kind, sent at start, at kill) %r; %d more "
              "send --once rounds; duplicates seen %d (bound %d), cut-off transactions %d; "
              "skipped 0; data lost: 0; scenario %.0f s"
              % (SEED + 1, N_SUBSCRIBERS, CONCURRENCY, survived, KILLS, inmid, history,
                 rounds, dups, bound, partial, time.monotonic() - t_start))


if __name__ == "__main__":
    unittest.main()
