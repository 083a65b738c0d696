"""`hanzepost run` as a service (issue 6), against the private Dovecot and
Postfix: IDLE push, the IMAP server going away, SIGHUP with a good and a
broken configuration, SIGTERM in the middle of 200 messages, idle CPU, and
what the daemon tells systemd — read from a NOTIFY_SOCKET this test listens
on, as systemd would (the daemon is not started under systemd here)."""

import email.message
import email.policy
import email.utils
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

import hp

SENDERS = ["user%02d@partner.example" % i for i in range(1, 21)]
TICKS = os.sysconf("SC_CLK_TCK")


def help_mail(sender, n):
    """A `help` command as the receiving server would have filed it."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = hp.OFFICE
    msg["Subject"] = "help"
    msg["Message-ID"] = "<svc-%d-%d@partner.example>" % (n, time.time_ns())
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Authentication-Results"] = hp.auth_header(sender)
    msg.set_content("help\n")
    return msg.as_bytes()


class Notifications:
    """A NOTIFY_SOCKET: every datagram the daemon sends, with its time."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.items = []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.items.append((time.monotonic(), data.decode("utf-8", "replace")))

    def fields(self, since=0.0):
        """[(time, {KEY: value})] of every datagram after since."""
        out = []
        with self.lock:
            items = list(self.items)
        for t, text in items:
            if t >= since:
                out.append((t, dict(line.split("=", 1) for line in text.split("\n") if "=" in line)))
        return out

    def wait(self, key, value=None, since=0.0, timeout=30, proc=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                raise AssertionError("hanzepost run exited %d" % proc.returncode)
            for t, f in self.fields(since):
                if key in f and (value is None or f[key] == value):
                    return t, f
            time.sleep(0.05)
        raise AssertionError("no %s=%s from the daemon in %d s; got %r"
                             % (key, value, timeout, self.fields(since)))

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()


class Daemon:
    """`hanzepost run` as a child process with its own NOTIFY_SOCKET."""

    def __init__(self, inst, watchdog_usec=None):
        self.inst = inst
        self.notes = Notifications(os.path.join(inst.dir, "notify.%d" % time.time_ns()))
        self.log = open(os.path.join(inst.dir, "run.log"), "ab")
        env = dict(os.environ, NOTIFY_SOCKET=self.notes.path)
        env.pop("JOURNAL_STREAM", None)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.started = time.monotonic()
        self.proc = subprocess.Popen([hp.BIN, "-c", inst.conf, "run"], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)

    def ready(self, timeout=60):
        return self.notes.wait("READY", "1", timeout=timeout, proc=self.proc)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("hanzepost run did not stop within %d s" % timeout)
        self.notes.close()
        self.log.close()
        return self.proc.returncode

    def log_text(self):
        with open(os.path.join(self.inst.dir, "run.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")


def clear_senders():
    hp.clear_mailboxes([hp.OFFICE] + SENDERS)


def append(n, start=0):
    mb = hp.Mailbox(hp.OFFICE)
    try:
        for i in range(start, start + n):
            mb.append("INBOX", help_mail(SENDERS[i % len(SENDERS)], i))
    finally:
        mb.close()


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("%s: not within %s s" % (what, timeout))


class DaemonCase(unittest.TestCase):
    """A fresh instance per test with `hanzepost run` in self.daemon,
    stopped whatever happened (also used by test_faults.py)."""

    def setUp(self):
        clear_senders()
        self.inst = hp.Instance(replies_per_hour=10000)
        self.daemon = None

    def tearDown(self):
        if self.daemon is not None:
            try:
                self.daemon.stop()
            except AssertionError:
                pass

    def handled(self):
        return self.inst.sql("SELECT count(*) FROM messages")[0][0]


class Service(DaemonCase):
    def setUp(self):
        super().setUp()
        # IDLE, not the poll interval, must bring the mail in.
        self.write_conf("poll_interval = 5", "poll_interval = 60")

    def tearDown(self):
        super().tearDown()
        # A failed test may leave Dovecot stopped: the next must find it.
        subprocess.run([os.path.join(hp.TOP, "tests", "mailstack", "start-imap"), hp.RUN],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)

    def replies(self):
        return self.inst.sql("SELECT count(*) FROM outbox")[0][0]

    def test_01_ready_status_and_idle_push(self):
        self.daemon = Daemon(self.inst)
        t_ready, _ = self.daemon.ready()
        self.daemon.notes.wait("STATUS", "idle, waiting for mail (IDLE)", since=t_ready)
        time.sleep(0.5)
        t0 = time.monotonic()
        append(1)
        wait_until(lambda: self.handled() == 1, 2.0, "message handled with IDLE")
        latency = time.monotonic() - t0
        # The reply goes out at once, not at the next poll_interval (60 s).
        wait_until(lambda: self.inst.sql(
            "SELECT count(*) FROM outbox WHERE state = 'sent'")[0][0] == 1, 10,
            "reply sent")
        hp.wait_reply(SENDERS[0])
        self.assertEqual(hp.count(hp.OFFICE, "Processed"), 1)
        self.assertEqual(self.daemon.stop(), 0)
        t_stop, _ = self.daemon.notes.wait("STOPPING", "1")
        print("idle push latency %.2f s" % latency)

    def test_01a_mail_arriving_while_busy_is_not_left_waiting(self):
        """A message that arrives while the daemon handles another is
        announced in the answer to one of its commands, not in IDLE: it
        must still be handled at once, not at the next IDLE renewal."""
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        for burst in range(12):
            mb = hp.Mailbox(hp.OFFICE)
            try:
                for i in range(4):
                    mb.append("INBOX", help_mail(SENDERS[i], 10 * burst + i))
                    time.sleep(0.01 * ((burst + i) % 5))
            finally:
                mb.close()
            wait_until(lambda: self.handled() == 4 * (burst + 1), 5,
                       "burst %d handled" % burst)
        self.assertEqual(self.daemon.stop(), 0)

    def test_01b_idle_off_polls_every_poll_interval(self):
        self.write_conf("poll_interval = 60", "poll_interval = 5\nidle = no")
        self.daemon = Daemon(self.inst)
        t_ready, _ = self.daemon.ready()
        self.daemon.notes.wait("STATUS", "idle, looking for mail every 5 s", since=t_ready)
        append(1)
        wait_until(lambda: self.handled() == 1, 8, "message handled by polling")
        self.assertIn("IDLE is off in the configuration", self.daemon.log_text())
        self.assertEqual(self.daemon.stop(), 0)

    def test_02_imap_server_away_for_20_s(self):
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        append(1)
        wait_until(lambda: self.handled() == 1, 10, "first message")
        stopper = os.path.join(hp.TOP, "tests", "mailstack", "stop-imap")
        starter = os.path.join(hp.TOP, "tests", "mailstack", "start-imap")
        subprocess.run([stopper, hp.RUN], check=True, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
        time.sleep(20)
        self.assertIsNone(self.daemon.proc.poll(), "the daemon exited without IMAP")
        subprocess.run([starter, hp.RUN], check=True, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
        append(1, start=1)
        # Backoff is capped and the outage was 20 s: back within 40 s.
        wait_until(lambda: self.handled() == 2, 45, "second message after the restart")
        time.sleep(2)
        self.assertEqual(self.handled(), 2)
        self.assertEqual(self.replies(), 2, "a message was answered twice")
        self.assertEqual(hp.count(hp.OFFICE, "Processed"), 2)
        self.assertEqual(hp.count(hp.OFFICE, "INBOX"), 0)
        log = self.daemon.log_text()
        self.assertIn("imap connection lost", log)
        self.assertIn("imap connected again", log)
        # Logged once, not once per attempt.
        self.assertLessEqual(log.count("Connection refused"), 1, log)
        self.assertEqual(self.daemon.stop(), 0)

    def test_07_smtp_server_away(self):
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        tools = os.path.join(hp.TOP, "tests", "mailstack")
        subprocess.run([os.path.join(tools, "stop-smtp"), hp.RUN], check=True,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        try:
            append(1)
            wait_until(lambda: self.handled() == 1, 10, "message handled")
            time.sleep(8)
            self.assertIsNone(self.daemon.proc.poll(), "the daemon exited without SMTP")
            self.assertEqual(self.inst.sql("SELECT state FROM outbox")[0][0], "queued")
        finally:
            subprocess.run([os.path.join(tools, "start-smtp"), hp.RUN], check=True,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        wait_until(lambda: self.inst.sql("SELECT state FROM outbox")[0][0] == "sent",
                   45, "the reply sent after Postfix came back")
        hp.wait_reply(SENDERS[0])
        self.assertEqual(self.replies(), 1)
        log = self.daemon.log_text()
        self.assertEqual(log.count("session failed at=connect"), 1, log)
        self.assertEqual(self.daemon.stop(), 0)

    def write_conf(self, old, new):
        with open(self.inst.conf) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.inst.conf, "w") as f:
            f.write(text.replace(old, new))

    def reply_from(self, sender):
        return str(hp.wait_reply(sender)["From"])

    def test_03_sighup_good_and_broken_config(self):
        tpl = os.path.join(self.inst.dir, "tpl")
        for lang in ("nl", "en"):
            os.makedirs(os.path.join(tpl, lang))
        with open(self.inst.conf, "a") as f:
            f.write("\n[templates]\ndir = %s\n" % tpl)
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        append(1)
        first = hp.wait_reply(SENDERS[0])
        self.assertIn("Deventer Internationaal", str(first["From"]))
        self.assertNotIn("EDITED HELP", hp.body_text(first))

        # A good new configuration and an edited template: the next reply
        # is signed and worded with them.
        self.write_conf("address = Deventer Internationaal <",
                        "address = Hanze Office Deventer <")
        for lang in ("nl", "en"):
            with open(os.path.join(tpl, lang, "help.txt"), "w") as f:
                f.write("EDITED HELP for {{office_address}}\n")
        t0 = time.monotonic()
        self.daemon.proc.send_signal(signal.SIGHUP)
        t_rel, f = self.daemon.notes.wait("RELOADING", "1", since=t0)
        self.assertIn("MONOTONIC_USEC", f)
        self.daemon.notes.wait("READY", "1", since=t_rel)
        append(1, start=1)
        second = hp.wait_reply(SENDERS[1])
        self.assertIn("Hanze Office Deventer", str(second["From"]))
        self.assertIn("EDITED HELP", hp.body_text(second))

        # A broken one: refused, the running one stays, READY=1 again.
        self.write_conf("[smtp]", "[smtp]\nconcurrency = many")
        t1 = time.monotonic()
        self.daemon.proc.send_signal(signal.SIGHUP)
        t_rel, _ = self.daemon.notes.wait("RELOADING", "1", since=t1)
        self.daemon.notes.wait("READY", "1", since=t_rel)
        append(1, start=2)
        self.assertIn("Hanze Office Deventer", self.reply_from(SENDERS[2]))
        self.assertIsNone(self.daemon.proc.poll())
        log = self.daemon.log_text()
        self.assertIn("reload refused", log)
        self.assertIn("concurrency", log)
        self.assertEqual(self.daemon.stop(), 0)

    def test_04_sigterm_during_200_messages(self):
        append(200)
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        wait_until(lambda: self.handled() >= 20, 60, "20 messages handled")
        t0 = time.monotonic()
        rc = self.daemon.stop(timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0)
        self.assertLess(took, 10)
        first = self.handled()
        self.assertLess(first, 200, "all 200 done before SIGTERM: test proves nothing")
        # The rest on the next start, none twice.
        self.daemon = Daemon(self.inst)
        self.daemon.ready()
        wait_until(lambda: self.handled() == 200 and hp.count(hp.OFFICE, "INBOX") == 0,
                   180, "the other messages handled after the restart")
        rows = self.inst.sql("SELECT count(*), count(DISTINCT message_id) FROM messages")[0]
        self.assertEqual(tuple(rows), (200, 200))
        self.assertEqual(self.replies(), 200, "a message was answered twice or not at all")
        self.assertEqual(hp.count(hp.OFFICE, "Processed"), 200)
        self.assertEqual(self.daemon.stop(), 0)
        print("SIGTERM after %d of 200 messages: exited 0 in %.2f s" % (first, took))

    def test_05_idle_cpu_and_watchdog(self):
        self.daemon = Daemon(self.inst, watchdog_usec=4000000)
        t_ready, _ = self.daemon.ready()
        time.sleep(2)
        c0, t0 = self.daemon.cpu_seconds(), time.monotonic()
        time.sleep(30)
        used = self.daemon.cpu_seconds() - c0
        elapsed = time.monotonic() - t0
        pings = [t for t, f in self.daemon.notes.fields(t0) if f.get("WATCHDOG") == "1"]
        self.assertEqual(self.daemon.stop(), 0)
        print("idle: %.3f s CPU in %.0f s (ASan build); %d watchdog pings"
              % (used, elapsed, len(pings)))
        self.assertLess(used, 0.3)
        # WatchdogSec=4s: a ping at least every 2 s.
        self.assertGreaterEqual(len(pings), 13)
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertLess(max(gaps), 3.0)

    def test_06_syslog_prefixes_only_under_systemd(self):
        env = dict(os.environ, JOURNAL_STREAM="8:12345")
        p = subprocess.run([hp.BIN, "-c", self.inst.conf, "poll", "--once"], env=env,
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [ln for ln in p.stderr.splitlines() if ln]
        self.assertTrue(lines)
        for ln in lines:
            self.assertRegex(ln, r"^<[0-7]>\S", "no priority prefix under systemd")
        self.assertTrue(any(ln.startswith("<6>poll done") for ln in lines), lines)
        env.pop("JOURNAL_STREAM")
        p = subprocess.run([hp.BIN, "-c", self.inst.conf, "poll", "--once"], env=env,
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertFalse([ln for ln in p.stderr.splitlines() if ln.startswith("<")])
        self.assertIn("poll done", p.stderr)


if __name__ == "__main__":
    unittest.main()
