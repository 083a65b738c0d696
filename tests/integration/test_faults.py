"""Faults (issue 7), against the private Dovecot and Postfix: what the
daemon does when the world around it misbehaves, and that nothing is lost
or done twice afterwards.

- SMTP: an issue to 100 recipients of whom Postfix refuses 30 % with 451
  and 5 % with 550 at RCPT (its regexp access map, tests/mailstack); the
  451s go away after two rounds.  After the retries the states are exact.
- IMAP: Dovecot's imap processes killed (SIGKILL) in the middle of a
  FETCH of a large batch, four times, and while the daemon waits in IDLE.
- The database on a full file system (a tiny tmpfs), and locked by
  another process holding a write transaction for 10 s.

The random choices (which recipients fail, when to kill) come from one
seed, printed, and set by HP_FAULT_SEED to replay a run."""

import email.message
import email.policy
import email.utils
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest

import hp
from test_service import SENDERS, Daemon, DaemonCase, wait_until

SEED = int(os.environ.get("HP_FAULT_SEED", "0") or 0) or 7707
TOOLS = os.path.join(hp.TOP, "tests", "mailstack")
PF_ETC = os.path.join(hp.RUN, "pf", "etc")


def fault_mail(sender, n, tag, size=0):
    """A `help` command (one reply each); size: an attachment that many
    bytes long, so that a FETCH of many of them takes a while."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = hp.OFFICE
    msg["Subject"] = "help"
    msg["Message-ID"] = "<fault-%s-%d-%d@partner.example>" % (tag, n, time.time_ns())
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Authentication-Results"] = hp.auth_header(sender)
    msg.set_content("help\n")
    if size:
        msg.add_attachment(random.Random(n).randbytes(size), maintype="application",
                           subtype="octet-stream", filename="blob%d.bin" % n)
    return msg.as_bytes()


def append(n, tag, start=0, size=0):
    mb = hp.Mailbox(hp.OFFICE)
    try:
        for i in range(start, start + n):
            mb.append("INBOX", fault_mail(SENDERS[i % len(SENDERS)], i, tag, size))
    finally:
        mb.close()


def proc_stat(pid):
    """(comm, state, session) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            line = f.read()
    except OSError:
        return None
    comm = line[line.index("(") + 1:line.rindex(")")]
    rest = line[line.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[3])


def imap_pids():
    """Live `imap` processes of this stack's Dovecot (its session), so a
    second stack on the machine is never touched."""
    with open(os.path.join(hp.RUN, "pids", "dovecot.sid")) as f:
        sid = int(f.read().strip())
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st and st[0] == "imap" and st[1] != "Z" and st[2] == sid:
            out.append(int(d))
    return out


def wchar(pid):
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def kill_imap():
    pids = imap_pids()
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


class Base(DaemonCase):
    def setUp(self):
        super().setUp()
        print("\n  seed %d (HP_FAULT_SEED)" % SEED, end=" ", flush=True)

    def check_exactly_once(self, n):
        """n messages, each recorded, answered and filed once."""
        outcomes = dict(self.inst.sql("SELECT outcome, count(*) FROM messages GROUP BY outcome"))
        self.assertEqual(outcomes, {"command": n}, "not every message handled normally")
        rows = self.inst.sql("SELECT count(*), count(DISTINCT message_id) FROM messages")[0]
        self.assertEqual(tuple(rows), (n, n), "a message recorded twice or not at all")
        self.assertEqual(self.inst.sql("SELECT count(*) FROM outbox")[0][0], n,
                         "a message was answered twice or not at all")
        self.assertEqual(hp.count(hp.OFFICE, "INBOX"), 0)
        self.assertEqual(hp.count(hp.OFFICE, "Processed"), n)


class Imap(Base):
    """The IMAP server's processes die under the daemon."""

    N = 300
    SIZE = 64 * 1024

    def test_01_killed_mid_fetch(self):
        """SIGKILL to Dovecot's imap process while it sends a batch: four
        times, each time as the big FETCH streams (seen from the imap
        process's write counter), after a seeded delay of 0-40 ms."""
        rnd = random.Random(SEED)
        append(self.N, "fetch", size=self.SIZE)
        self.daemon = Daemon(self.inst)
        kills = []
        deadline = time.monotonic() + 120
        while len(kills) < 4 and time.monotonic() < deadline:
            self.assertIsNone(self.daemon.proc.poll(), "the daemon exited")
            pids = imap_pids()
            if len(pids) != 1:
                time.sleep(0.005)
                continue
            before = wchar(pids[0])
            time.sleep(0.005)
            after = wchar(pids[0])
            if before is None or after is None or after - before < 128 * 1024:
                continue
            time.sleep(rnd.uniform(0, 0.04))
            done = self.handled()
            if done >= self.N:
                break
            kill_imap()
            kills.append(done)
            # Wait for the daemon to log in again before the next kill.
            wait_until(lambda: imap_pids() and imap_pids() != pids, 60, "reconnected")
        self.assertEqual(len(kills), 4, "could not kill mid-FETCH 4 times: %r" % kills)
        wait_until(lambda: self.handled() == self.N and hp.count(hp.OFFICE, "INBOX") == 0,
                   240, "every message handled after the kills")
        time.sleep(1)
        self.assertIsNone(self.daemon.proc.poll(), "the daemon exited")
        self.check_exactly_once(self.N)
        log = self.daemon.log_text()
        lost = [ln for ln in log.splitlines() if "imap connection lost" in ln]
        in_fetch = sum("FETCH" in ln for ln in lost)
        self.assertEqual(len(lost), 4, lost)
        self.assertGreaterEqual(in_fetch, 2, lost)
        self.assertGreaterEqual(log.count("imap connected again"), 4)
        self.assertNotIn("filed as unreadable", log)
        self.assertEqual(self.daemon.stop(), 0)
        print("4 kills (%d in a UID FETCH) at handled=%r of %d: each handled once"
              % (in_fetch, kills, self.N), end=" ", flush=True)

    def test_02_killed_mid_idle(self):
        """SIGKILL to the imap process while the daemon waits in IDLE,
        three times, a message arriving right after each kill."""
        rnd = random.Random(SEED + 1)
        self.daemon = Daemon(self.inst)
        t_ready, _ = self.daemon.ready()
        since = t_ready
        for k in range(3):
            self.daemon.notes.wait("STATUS", "idle, waiting for mail (IDLE)", since=since,
                                   timeout=60, proc=self.daemon.proc)
            time.sleep(rnd.uniform(0.2, 2.0))
            self.assertEqual(len(kill_imap()), 1)
            since = time.monotonic()
            append(1, "idle", start=k)
            wait_until(lambda: self.handled() == k + 1, 45, "message %d after the kill" % k)
            self.assertIsNone(self.daemon.proc.poll(), "the daemon exited")
        time.sleep(2)
        self.check_exactly_once(3)
        log = self.daemon.log_text()
        self.assertEqual(log.count("imap connection lost"), 3, log)
        self.assertEqual(self.daemon.stop(), 0)
        print("killed mid-IDLE 3 times: each message handled once", end=" ", flush=True)


class Database(Base):
    """The database cannot be written for a while."""

    def test_01_full_file_system(self):
        mnt = os.path.join(self.inst.dir, "fs")
        os.mkdir(mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", mnt],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        filler = os.path.join(mnt, "filler")
        try:
            db = os.path.join(mnt, "hanzepost.db")
            with open(self.inst.conf) as f:
                text = f.read()
            with open(self.inst.conf, "w") as f:
                f.write(text.replace("path = %s" % self.inst.db, "path = %s" % db))
            self.inst.db = db
            self.daemon = Daemon(self.inst)
            self.daemon.ready()
            append(1, "disk")
            wait_until(lambda: self.handled() == 1, 20, "first message (space left)")
            # Fill the file system to the last byte.
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for chunk in (65536, 4096, 1):
                    try:
                        while os.write(fd, b"\0" * chunk) > 0:
                            pass
                    except OSError:
                        pass
            finally:
                os.close(fd)
            t0 = time.monotonic()
            append(1, "disk", start=1)
            # Give it at least two retries (every 5 s) on the full disk.
            time.sleep(12)
            self.assertIsNone(self.daemon.proc.poll(), "the daemon exited on a full disk")
            self.assertEqual(self.handled(), 1, "handled although nothing can be written?")
            self.assertEqual(hp.count(hp.OFFICE, "INBOX"), 1, "not left in the INBOX")
            log = self.daemon.log_text()
            self.assertIn("database or disk is full", log)
            full_lines = log.count("database or disk is full")
            os.unlink(filler)
            wait_until(lambda: self.handled() == 2, 30, "handled once space was freed")
            took = time.monotonic() - t0
            wait_until(lambda: hp.count(hp.OFFICE, "INBOX") == 0, 10, "moved")
            wait_until(lambda: self.inst.sql(
                "SELECT count(*) FROM outbox WHERE state = 'sent'")[0][0] == 2, 30,
                "both replies sent")
            self.check_exactly_once(2)
            self.assertEqual(self.daemon.stop(), 0)
            print("disk full: %d log lines say why, handled %.1f s after arrival"
                  % (full_lines, took), end=" ", flush=True)
        finally:
            if self.daemon is not None:
                try:
                    self.daemon.stop()
                except AssertionError:
                    pass
                self.daemon = None
            if subprocess.run(["umount", mnt], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30).returncode != 0:
                subprocess.run(["umount", "-l", mnt], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=30)

    def test_02_locked_for_10_s(self):
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        append(1, "lock")
        wait_until(lambda: self.handled() == 1, 20, "first message")
        locker = subprocess.Popen(
            ["/usr/bin/python3", "-c", """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("BEGIN IMMEDIATE")
con.execute("CREATE TABLE IF NOT EXISTS fault_lock (x)")
print("locked", flush=True)
time.sleep(10)
con.execute("ROLLBACK")
print("released", flush=True)
""", self.inst.db], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(locker.stdout.readline().strip(), "locked")
            t0 = time.monotonic()
            append(5, "lock", start=1)
            time.sleep(8)
            self.assertEqual(self.handled(), 1, "written through another's write lock?")
            self.assertIsNone(self.daemon.proc.poll(), "the daemon exited")
            self.assertEqual(locker.stdout.readline().strip(), "released")
        finally:
            if locker.poll() is None:
                locker.kill()
            locker.wait(15)
            locker.stdout.close()
        wait_until(lambda: self.handled() == 6 and hp.count(hp.OFFICE, "INBOX") == 0, 30,
                   "handled after the lock was released")
        took = time.monotonic() - t0
        wait_until(lambda: self.inst.sql(
            "SELECT count(*) FROM outbox WHERE state = 'sent'")[0][0] == 6, 30,
            "replies sent")
        time.sleep(1)
        self.check_exactly_once(6)
        log = self.daemon.log_text()
        self.assertIn("database is locked", log)
        self.assertEqual(self.daemon.stop(), 0)
        print("locked 10 s: all handled %.1f s after arrival" % took, end=" ", flush=True)


FLAKY_RULE = "/\\+flaky[0-9]+@/\t451 4.3.0 test stack: flaky recipient (injected)\n"


def postfix_reload():
    subprocess.run(["/usr/sbin/postfix", "-c", PF_ETC, "reload"], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    time.sleep(1.5)


class Smtp(Base):
    """An issue to 100 recipients: 30 get 451 at RCPT for the first two
    rounds (then Postfix takes them), 5 get 550.  Four connections, so
    refusals land on reused connections in parallel."""

    N, N4, N5 = 100, 30, 5

    def setUp(self):
        hp.wait_postfix_idle()
        hp.clear_mailboxes(hp.SUBS)
        self.inst = hp.Instance(smtp_extra="concurrency = 4\nrate = 100000\n")
        self.daemon = None
        print("\n  seed %d (HP_FAULT_SEED)" % SEED, end=" ", flush=True)

    def recipients(self):
        rnd = random.Random(SEED + 2)
        kinds = ["4xx"] * self.N4 + ["5xx"] * self.N5 + ["ok"] * (self.N - self.N4 - self.N5)
        rnd.shuffle(kinds)
        # 5xx: the stack's +rcpt5xx@ rule, one per mailbox.
        boxes5 = rnd.sample(hp.SUBS, self.N5)
        out = {}
        for i, kind in enumerate(kinds):
            box = hp.SUBS[i % len(hp.SUBS)].split("@")[0]
            if kind == "5xx":
                a = boxes5.pop().replace("@", "+rcpt5xx@")
            elif kind == "4xx":
                a = "%s+flaky%d@partner.example" % (box, i)
            else:
                a = "%s+ok%d@partner.example" % (box, i)
            out[a] = kind
        return out

    def states(self, mid):
        return {d["email"]: d for d in self.inst.mailing_deliveries(mid)}

    def due_now(self):
        self.inst.sql_write("UPDATE deliveries SET next_attempt = ? WHERE state = 'queued'",
                            int(time.time()) - 1)

    def test_01_4xx_and_5xx_mix(self):
        want = self.recipients()
        for a in want:
            self.inst.run("subscribers", "add", a, "--lang", "en")
        access = os.path.join(PF_ETC, "access-rcpt")
        with open(access) as f:
            original = f.read()
        try:
            with open(access, "w") as f:
                f.write(original + FLAKY_RULE)
            postfix_reload()
            self.inst.run("newsletter", "send")
            mid = self.inst.mailings()[-1]["id"]
            for rnd_no in (1, 2):
                if rnd_no > 1:
                    self.due_now()
                self.inst.run("send", "--once", timeout=300)
                st = self.states(mid)
                for a, kind in want.items():
                    d = st[a]
                    if kind == "4xx":
                        self.assertEqual((d["state"], d["attempts"], d["smtp_code"]),
                                         ("queued", rnd_no, 451), "%s: %r" % (a, d))
                        self.assertIn("flaky recipient", d["reply"] or "", a)
                    elif kind == "5xx":
                        self.assertEqual((d["state"], d["attempts"], d["smtp_code"]),
                                         ("failed", 1, 550), "%s: %r" % (a, d))
                    else:
                        self.assertEqual((d["state"], d["attempts"]), ("sent", 1), a)
        finally:
            with open(access, "w") as f:
                f.write(original)
            postfix_reload()
        # The 451s are gone: the third round delivers them.
        self.due_now()
        self.inst.run("send", "--once", timeout=300)
        st = self.states(mid)
        counts = {}
        for a, kind in want.items():
            d = st[a]
            counts[d["state"]] = counts.get(d["state"], 0) + 1
            if kind == "5xx":
                self.assertEqual((d["state"], d["smtp_code"]), ("failed", 550), a)
                self.assertIn("mailbox unavailable (injected at RCPT)", d["reply"] or "",
                              "%s: the server's reply not kept: %r" % (a, d))
            elif kind == "4xx":
                self.assertEqual((d["state"], d["attempts"], d["smtp_code"]),
                                 ("sent", 3, 250), "%s: %r" % (a, d))
            else:
                self.assertEqual((d["state"], d["attempts"], d["smtp_code"]),
                                 ("sent", 1, 250), "%s: %r" % (a, d))
        self.assertEqual(counts, {"sent": self.N - self.N5, "failed": self.N5})
        self.assertEqual(self.inst.mailings()[-1]["state"], "done")
        # What arrived: every sent copy exactly once, nothing for the 5xx.
        sent = [a for a, k in want.items() if k != "5xx"]
        hp.wait_total(hp.SUBS, len(sent), timeout=120)
        hp.wait_postfix_idle()
        got = {}
        for msgs in hp.inbox_all(hp.SUBS).values():
            for m in msgs:
                to = email.utils.parseaddr(str(m["To"]))[1].lower()
                got[to] = got.get(to, 0) + 1
        self.assertEqual(got, {a.lower(): 1 for a in sent}, "skipped or duplicated")
        print("100 recipients: 30x451 (x2 rounds) then sent, 5x550 failed with the "
              "reply kept, 65 sent at once; skipped 0, duplicates 0", end=" ", flush=True)


if __name__ == "__main__":
    unittest.main()
