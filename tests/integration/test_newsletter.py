"""Newsletters, the parallel outbox and bounces (issue 4), end to end
against the real stack: hanzepost sends through Postfix, Postfix delivers
to Dovecot (or refuses, by the fault-injection addresses of
tests/mailstack/README.md, or bounces for bounce.example), and what
arrived is read back over IMAPS and parsed by Python's email package.

Each class has its own hanzepost instance (database).  Tests within a
class run in order (numbered) and may build on each other.  Every wait
polls for a condition with a deadline; nothing sleeps for long blindly."""

import calendar
import datetime
import email.utils
import os
import re
import signal
import subprocess
import time
import unittest
import zoneinfo

import hp

OFFICE = hp.OFFICE
ADMIN = "admin@example.org"
SUBS = hp.SUBS
UNSUB_RE = re.compile(r"<mailto:(office\+unsubscribe-([0-9a-f]{32})@example\.org)(\?[^>]*)?>")
TOKEN_ANY_RE = re.compile(r"office\+unsubscribe-([0-9a-f]{32})@example\.org")

ORG_FORM = """Dear office,

Organisation: Hanze Handel B.V.
Sector: economy
Website: https://hanzehandel.example
Description: Trade between Deventer and the old Hanseatic towns.
Contact: Anna de Vries <anna@partner.example>
Active-in: DE, Lübeck; trade
Active-in: EE, Tartu; exchange
Internships: 2 per year

Kind regards
"""

INTRO = """# Hanzedagen 2027

Welcome to the **Hanze days** in *Deventer*: see
[the programme](https://www.deventer.nl/hanze).

- trade mission to Lübeck
- student exchange with Tartu

<script>alert("intro")</script>
"""

# Country names from iso-codes: how a copy shows its language.
WORDS = {"nl": ("Duitsland", "Estland"), "en": ("Germany", "Estonia")}


def verp(addr):
    local, domain = addr.rsplit("@", 1)
    return "office+bounce-%s=%s@example.org" % (local, domain.lower())


def addr_of(header):
    return email.utils.parseaddr(str(header or ""))[1].lower()


def iso_to_ts(s):
    """'2027-01-04T09:00:00Z' -> UTC seconds."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def qid(entry):
    """A `queue list --json` id as `queue retry` takes it ("d456")."""
    i = entry["id"]
    return i if isinstance(i, str) else ("d%d" % i if entry["kind"] == "newsletter" else "r%d" % i)


def parts(msg):
    """(text, html) of a newsletter copy (html None when absent)."""
    t = msg.get_body(preferencelist=("plain",))
    h = msg.get_body(preferencelist=("html",))
    return (t.get_content() if t else ""), (h.get_content() if h else None)


def clear_all(extra=()):
    hp.clear_mailboxes(hp.USERS + SUBS + list(extra))


class Base(unittest.TestCase):
    instance_args = {}

    @classmethod
    def setUpClass(cls):
        hp.wait_postfix_idle()
        clear_all()
        cls.hp = hp.Instance(**cls.instance_args)

    def add_subs(self, addrs_langs, names=None):
        for i, (a, lang) in enumerate(addrs_langs):
            args = ["subscribers", "add", a, "--lang", lang]
            if names:
                args += ["--name", names[i]]
            self.hp.run(*args)

    def newsletter_send(self):
        """`newsletter send`; returns the new mailing (dict)."""
        before = [m["id"] for m in self.hp.mailings()]
        self.hp.run("newsletter", "send")
        new = [m for m in self.hp.mailings() if m["id"] not in before]
        self.assertEqual(len(new), 1, "newsletter send created %d mailings" % len(new))
        return new[0]

    def by_state(self, mailing_id):
        out = {}
        for d in self.hp.mailing_deliveries(mailing_id):
            out.setdefault(d["state"], []).append(d["email"])
        return out

    def check_copy(self, msg, addr, lang, token, name=None):
        """Everything one subscriber's copy must have (SPEC §5)."""
        where = "copy for %s" % addr
        self.assertEqual(addr_of(msg["To"]), addr.lower(), where)
        self.assertEqual(addr_of(msg["From"]), OFFICE, where)
        self.assertEqual(str(msg["Content-Language"] or "").strip(), lang, where)
        self.assertEqual(str(msg["Precedence"] or "").strip().lower(), "bulk", where)
        self.assertIn("<nieuwsbrief.example.org>", str(msg["List-Id"] or ""), where)
        m = UNSUB_RE.search(str(msg["List-Unsubscribe"] or ""))
        self.assertIsNotNone(m, "%s: List-Unsubscribe %r" % (where, msg["List-Unsubscribe"]))
        self.assertEqual(m.group(2), token, "%s: not the subscriber's own token" % where)
        self.assertEqual(str(msg["Return-Path"] or "").strip(), "<%s>" % verp(addr),
                         "%s: Return-Path is not the VERP address" % where)
        self.assertRegex(str(msg["Message-ID"] or ""), r"^<[^<>@\s]+@example\.org>$", where)
        self.assertEqual(msg.get_content_type(), "multipart/alternative", where)
        self.assertEqual([p.get_content_type() for p in msg.iter_parts()],
                         ["text/plain", "text/html"], where)
        text, html = parts(msg)
        for body, kind in ((text, "text"), (html, "html")):
            self.assertIn(m.group(1), body, "%s: no personal unsubscribe address in the %s part"
                          % (where, kind))
            others = set(TOKEN_ANY_RE.findall(body)) - {token}
            self.assertEqual(others, set(), "%s: another subscriber's token in %s" % (where, kind))
            for w in WORDS[lang]:
                self.assertIn(w, body, "%s: %s part lacks %r (language %s)" % (where, kind, w, lang))
            for w in WORDS["en" if lang == "nl" else "nl"]:
                self.assertNotIn(w, body, "%s: %s part has %r (wrong language)" % (where, kind, w))
        if name:
            self.assertIn(name, text, "%s: the name is not in the text" % where)
        self.assertNotRegex(html, r"(?i)<img[^>]+src=[\"']?https?:",
                            "%s: remote images in the HTML" % where)
        return text, html


class Issue(Base):
    """(a) An issue to 50 subscribers in nl and en, unsubscribing by the
    personal address, and a second issue that skips those who left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.langs = {a: ("nl" if i % 2 == 0 else "en") for i, a in enumerate(SUBS)}
        cls.names = {a: ("Abonnee %s" if cls.langs[a] == "nl" else "Subscriber %s")
                     % a[3:5] for a in SUBS}

    def test_01_issue_reaches_every_subscriber_in_its_language(self):
        self.add_subs([(a, self.langs[a]) for a in SUBS], [self.names[a] for a in SUBS])
        subs = {s["email"]: s for s in self.hp.subscribers()}
        self.assertEqual(len(subs), 50)
        # The office registers an organisation (new since the last issue,
        # active in two countries) and mails the intro, authenticated.
        hp.submit(ADMIN, "New entry", ORG_FORM, headers={"Content-Language": "en"})
        hp.submit(ADMIN, "newsletter", INTRO, headers={"Content-Language": "en"})
        hp.wait_inbox(2)
        self.hp.poll()
        self.assertEqual(hp.count(OFFICE), 0, "the INBOX was not emptied")
        self.assertIsNotNone(self.hp.org("Hanze Handel B.V."))
        intros = self.hp.sql("SELECT markdown, author, mailing_id FROM intros")
        self.assertEqual(len(intros), 1, intros)
        self.assertIn("**Hanze days**", intros[0][0])
        self.assertIsNone(intros[0][2])
        hp.wait_postfix_idle()
        hp.clear_mailboxes([ADMIN])             # the office's two confirmations

        m = self.newsletter_send()
        self.assertEqual((m["kind"], m["list"], m["state"]), ("newsletter", "newsletter", "sending"))
        self.assertIsNone(m["slot"], "a manual issue is not a schedule slot")
        self.hp.send_all()
        dl = self.hp.mailing_deliveries(m["id"])
        self.assertEqual(sorted(d["email"] for d in dl), sorted(SUBS))
        self.assertEqual({(d["state"], d["attempts"], d["smtp_code"]) for d in dl},
                         {("sent", 1, 250)})
        self.assertEqual(self.hp.mailings()[-1]["state"], "done")
        self.assertEqual(self.hp.sql("SELECT mailing_id FROM intros"), [(m["id"],)])
        self.assertEqual([e for e in self.hp.queue() if e["kind"] == "newsletter"], [])

        hp.wait_total(SUBS, 50, timeout=90)
        got = hp.inbox_all(SUBS)
        self.assertEqual({a: len(v) for a, v in got.items() if len(v) != 1}, {},
                         "every subscriber must hold exactly one copy")
        ids = set()
        type(self).unsub = {}
        for a in SUBS:
            msg = got[a][0]
            token = self.hp.sql("SELECT unsub_token FROM subscribers WHERE email = ?", a)[0][0]
            text, html = self.check_copy(msg, a, self.langs[a], token, self.names[a])
            ids.add(str(msg["Message-ID"]))
            self.unsub[a] = UNSUB_RE.search(str(msg["List-Unsubscribe"])).group(1)
            # The intro, Markdown rendered by a real Markdown library, safe mode.
            self.assertIn("<strong>Hanze days</strong>", html)
            self.assertIn("<em>Deventer</em>", html)
            self.assertRegex(html, r'<a href="https://www\.deventer\.nl/hanze"[^>]*>the programme</a>')
            self.assertIn("<li>trade mission to Lübeck</li>", html)
            self.assertRegex(html, r"<h[1-6][^>]*>Hanzedagen 2027</h[1-6]>")
            self.assertNotIn("<script", html.lower())
            self.assertIn("Hanze days", text)
            self.assertIn("trade mission to Lübeck", text)
            self.assertNotIn("<script", text.lower())
            self.assertIn("Hanze Handel B.V.", text)
        self.assertEqual(len(ids), 50, "Message-IDs must differ per recipient")
        hp.assert_no_mail([OFFICE], settle=0)

    def test_02_unsubscribe_addresses_and_the_next_issue(self):
        leavers = [SUBS[2], SUBS[3], SUBS[4]]       # nl, en, nl
        for a in leavers:
            hp.submit(a, "", "", to=self.unsub[a], auth=False)
        hp.wait_inbox(3)
        self.hp.poll()
        self.assertEqual(hp.count(OFFICE), 0)
        status = {s["email"]: s["status"] for s in self.hp.subscribers()}
        for a in SUBS:
            self.assertEqual(status[a], "unsubscribed" if a in leavers else "active", a)
        hp.wait_postfix_idle()
        clear_all()                                 # the "you have been unsubscribed" replies

        m = self.newsletter_send()
        dl = self.hp.mailing_deliveries(m["id"])
        self.assertEqual(sorted(d["email"] for d in dl), sorted(set(SUBS) - set(leavers)))
        self.hp.send_all()
        self.assertEqual(self.by_state(m["id"]).keys(), {"sent"})
        hp.wait_total(SUBS, 47, timeout=90)
        hp.wait_postfix_idle()
        got = hp.inbox_all(SUBS)
        for a in SUBS:
            # (the leavers may hold the "you have been unsubscribed" reply)
            issues = [x for x in got[a] if x["List-Id"] is not None]
            self.assertEqual(len(issues), 0 if a in leavers else 1, a)


class Scheduled(Base):
    """(b) The schedule: an installation does not send for slots before it
    existed; after downtime the latest slot is sent once, never twice."""
    zone = "Europe/Amsterdam"
    instance_args = {"extra": "\n[newsletter]\nschedule = FREQ=DAILY;BYHOUR=0;BYMINUTE=0\n"}

    def test_01_catch_up_once_across_restarts(self):
        subs = SUBS[5:9]
        self.add_subs([(a, "en") for a in subs])
        t0 = int(time.time())
        self.hp.run("send", "--once")
        self.assertEqual(self.hp.mailings(), [], "sent for a slot before the installation")
        inst = self.hp.sql("SELECT value FROM settings WHERE key = 'newsletter.installed_at'")
        self.assertEqual(len(inst), 1, "newsletter.installed_at not stored")
        self.assertTrue(t0 - 2 <= inst[0][0] <= time.time() + 1, inst)
        self.hp.run("send", "--once")
        self.assertEqual(self.hp.mailings(), [])
        # Simulate an installation three days ago and a daemon that was
        # down since: the slots of three midnights passed unsent.
        self.hp.sql_write("UPDATE settings SET value = ? WHERE key = 'newsletter.installed_at'",
                          t0 - 3 * 86400)
        now = datetime.datetime.now(zoneinfo.ZoneInfo(self.zone))
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(3):                          # three "restarts"
            self.hp.run("send", "--once")
        ms = self.hp.mailings()
        self.assertEqual(len(ms), 1, "issues: %r" % ms)
        self.assertEqual(ms[0]["slot"], int(midnight.timestamp()), "not the latest slot")
        self.assertEqual(ms[0]["label"], midnight.strftime("%Y-%m-%d"))
        self.assertEqual(ms[0]["state"], "done")
        hp.wait_total(subs, 4)
        got = hp.inbox_all(subs)
        self.assertEqual({a: len(v) for a, v in got.items()}, {a: 1 for a in subs})
        self.hp.run("newsletter", "send")           # manual: does not move the slot
        self.hp.send_all()
        self.hp.run("send", "--once")
        self.assertEqual([m["slot"] for m in self.hp.mailings()], [ms[0]["slot"], None])


class ScheduledMinutely(Base):
    """(b) The same in real time, without touching the database: an issue
    every minute; the first run installs, the next minute's slot is sent
    by the first run after it, once."""
    instance_args = {"extra": "\n[newsletter]\nschedule = FREQ=MINUTELY;INTERVAL=1\n"}

    def test_01_next_slot_once(self):
        subs = SUBS[9:11]
        self.add_subs([(a, "nl") for a in subs])
        # Start well inside a minute, so "now" and the installation are not
        # on a slot.
        while not 2 <= time.time() % 60 <= 45:
            time.sleep(0.5)
        self.hp.run("send", "--once")
        self.assertEqual(self.hp.mailings(), [])
        slot = (int(time.time()) // 60 + 1) * 60
        while time.time() < slot + 1:                       # bounded: < 60 s
            time.sleep(0.5)
        self.hp.run("send", "--once")
        self.hp.run("send", "--once")
        self.assertLess(time.time(), slot + 60, "too slow to test within one minute")
        ms = self.hp.mailings()
        self.assertEqual([(m["slot"], m["state"]) for m in ms], [(slot, "done")])
        hp.wait_total(subs, 2)
        self.assertEqual({a: len(v) for a, v in hp.inbox_all(subs).items()}, {a: 1 for a in subs})


FAULTS = {
    # address: (state after one attempt, code, reply text)
    "user01+rcpt4xx@partner.example": ("queued", 451, "temporary failure injected at RCPT"),
    "user02+rcpt5xx@partner.example": ("failed", 550, "mailbox unavailable (injected at RCPT)"),
    "user03+eod4xx@partner.example": ("queued", 451, "temporary failure injected at end of data"),
    "user04+eod5xx@partner.example": ("failed", 554, "message refused at end of data (injected)"),
    "user05+data4xx@partner.example": ("queued", 451, "temporary failure injected at DATA"),
    "user06+data5xx@partner.example": ("failed", 554, "refused at DATA (injected)"),
}
GOOD = SUBS[10:17]


class Faults(Base):
    """(c) A 4xx/5xx mix from Postfix's access maps ends in exact states.
    One connection, so every copy after a refused one reuses the
    connection (the 503 "nested MAIL command" trap of libcurl)."""
    instance_args = {"smtp_extra": "concurrency = 1\nrate = 100000\n"}

    def entries(self):
        q = [e for e in self.hp.queue() if e["kind"] == "newsletter"]
        return {e["recipient"].lower(): e for e in q}

    def test_01_one_round_exact_states(self):
        order = []
        for g, f in zip(GOOD, list(FAULTS) + [None]):
            order.append(g)
            if f:
                order.append(f)
        self.add_subs([(a, "en") for a in order])
        m = self.newsletter_send()
        type(self).mid = m["id"]
        t1 = time.time()
        self.hp.run("send", "--once")
        t2 = time.time()
        st = self.by_state(m["id"])
        self.assertEqual(sorted(st.get("sent", [])), sorted(GOOD), "sent: %r" % st)
        q = self.entries()
        self.assertEqual(set(q), set(FAULTS), "queue list --json: %r" % q)
        for a, (state, code, text) in FAULTS.items():
            e = q[a]
            self.assertEqual((e["state"], e["attempts"], e["smtp_code"], e["mailing_id"]),
                             (state, 1, code, m["id"]), "%s: %r" % (a, e))
            self.assertIn(text, e["reply"] or "", "%s: server reply not kept: %r" % (a, e))
            if state == "queued":
                nxt = iso_to_ts(e["next_attempt"])
                self.assertTrue(t1 + 60 - 2 <= nxt <= t2 + 75 + 2,
                                "%s: next_attempt %s not 60..75 s after the attempt"
                                % (a, e["next_attempt"]))
            else:
                self.assertIsNone(e["next_attempt"], a)
        self.assertEqual(self.hp.mailings()[-1]["state"], "sending")
        self.assertEqual(self.hp.run("queue", "list").returncode, 0)
        # A 5xx is a bounce: the mailbox one counts, the policy one (5.7.1,
        # blames us) does not.
        b = dict(self.hp.sql("SELECT email, score FROM bounces WHERE source = 'smtp'"))
        self.assertEqual(b.get("user02+rcpt5xx@partner.example"), 1.0, b)
        self.assertEqual(b.get("user04+eod5xx@partner.example", 0.0), 0.0, b)
        hp.wait_total(GOOD, len(GOOD))
        got = hp.inbox_all(GOOD)
        self.assertEqual({a: len(v) for a, v in got.items()}, {a: 1 for a in GOOD})

    def test_02_not_retried_before_due(self):
        before = self.entries()
        self.hp.run("send", "--once")
        self.assertEqual(self.entries(), before)
        self.assertEqual(sorted(self.by_state(self.mid)["sent"]), sorted(GOOD))

    def test_03_backoff_grows(self):
        # Pretend the first delay passed.
        self.hp.sql_write("UPDATE deliveries SET next_attempt = ? WHERE state = 'queued'",
                          int(time.time()) - 1)
        t1 = time.time()
        self.hp.run("send", "--once")
        t2 = time.time()
        q = self.entries()
        for a, (state, code, _) in FAULTS.items():
            if state != "queued":
                continue
            self.assertEqual((q[a]["state"], q[a]["attempts"], q[a]["smtp_code"]),
                             ("queued", 2, code), a)
            nxt = iso_to_ts(q[a]["next_attempt"])
            self.assertTrue(t1 + 120 - 2 <= nxt <= t2 + 150 + 2,
                            "%s: second delay not 120..150 s: %s" % (a, q[a]["next_attempt"]))

    def test_04_queue_retry(self):
        dl = {d["email"]: d for d in self.hp.mailing_deliveries(self.mid)}
        one = "user02+rcpt5xx@partner.example"
        self.hp.run("queue", "retry", "d%d" % dl[one]["id"])
        q = self.entries()
        self.assertEqual((q[one]["state"], q[one]["attempts"]), ("queued", 0))
        self.assertEqual(q["user04+eod5xx@partner.example"]["state"], "failed")
        self.hp.run("queue", "retry", "--all")
        q = self.entries()
        for a, (state, _, _) in FAULTS.items():
            self.assertEqual(q[a]["state"], "queued", a)
        self.hp.run("send", "--once")
        q = self.entries()
        for a, (state, code, text) in FAULTS.items():
            if state == "failed":
                self.assertEqual((q[a]["state"], q[a]["attempts"], q[a]["smtp_code"]),
                                 ("failed", 1, code), a)
        hp.wait_postfix_idle()
        got = hp.inbox_all(GOOD)
        self.assertEqual({a: len(v) for a, v in got.items()}, {a: 1 for a in GOOD},
                         "a retry re-sent copies that were already delivered")


class MaxAge(Base):
    """(c) A 4xx fails for good once the mailing is older than max_age."""
    instance_args = {"smtp_extra": "max_age = 2s\n"}

    def test_01_gives_up(self):
        a = "user07+rcpt4xx@partner.example"
        self.add_subs([(a, "nl"), (SUBS[17], "nl")])
        m = self.newsletter_send()
        self.hp.run("send", "--once")
        while time.time() < m["created_at"] + 3:
            time.sleep(0.2)
        self.hp.sql_write("UPDATE deliveries SET next_attempt = ? WHERE state = 'queued'",
                          int(time.time()) - 1)
        self.hp.run("send", "--once")
        d = {x["email"]: x for x in self.hp.mailing_deliveries(m["id"])}
        self.assertEqual((d[a]["state"], d[a]["smtp_code"]), ("failed", 451), d[a])
        self.assertIn("temporary failure injected at RCPT", d[a]["reply"] or "")
        self.assertEqual(d[SUBS[17]]["state"], "sent")
        self.assertEqual(self.hp.mailings()[-1]["state"], "done")


CRASH_N = 200
CRASH_CONC = 4


class Crash(Base):
    """(d) kill -9 during delivery, several times, then restart until done:
    everyone gets the issue, duplicates are at most the copies in flight
    (the concurrency) per kill, and a duplicate has the same Message-ID."""
    # 50/s: the delivery of 200 copies lasts seconds, so the kills land in it.
    instance_args = {"smtp_extra": "concurrency = %d\nrate = 3000\n" % CRASH_CONC}
    kill_after = (0.3, 0.6, 1.0, 1.5, 0.8)

    def test_01_kill_9_and_restart(self):
        addrs = ["%s+k%d@partner.example" % (s.split("@")[0], k)
                 for k in range(1, 5) for s in SUBS]
        self.assertEqual(len(addrs), CRASH_N)
        self.add_subs([(a, "nl" if i % 2 else "en") for i, a in enumerate(addrs)])
        m = self.newsletter_send()

        def sent():
            return self.hp.sql("SELECT count(*) FROM deliveries WHERE mailing_id = ? "
                               "AND state = 'sent'", m["id"])[0][0]

        hits = 0
        history = []
        for t in self.kill_after:
            before = sent()
            if before == CRASH_N:
                break
            p = subprocess.Popen([hp.BIN, "-c", self.hp.conf, "send", "--once"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(t)
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=30)
            after = sent()
            history.append((t, p.returncode, before, after))
            if p.returncode == -signal.SIGKILL and 0 < after < CRASH_N:
                hits += 1
        self.assertGreaterEqual(hits, 2, "the kills did not land during delivery: "
                                "(delay, rc, sent before, sent after) %r" % history)
        self.hp.send_all(rounds=20)
        self.assertEqual(self.by_state(m["id"]).keys(), {"sent"})
        self.assertEqual(self.hp.mailings()[-1]["state"], "done")

        hp.wait_total(SUBS, CRASH_N, timeout=120)
        time.sleep(1)
        hp.wait_postfix_idle()
        copies = {}
        for box, msgs in hp.inbox_all(SUBS).items():
            for msg in msgs:
                copies.setdefault(addr_of(msg["To"]), []).append(str(msg["Message-ID"]))
        missing = sorted(set(addrs) - set(copies))
        self.assertEqual(missing, [], "skipped after a crash")
        self.assertEqual(sorted(set(copies) - set(addrs)), [])
        dups = {a: ids for a, ids in copies.items() if len(ids) > 1}
        n_dup = sum(len(ids) - 1 for ids in dups.values())
        self.assertLessEqual(n_dup, CRASH_CONC * len(history),
                             "duplicates %d > %d in flight x %d kills: %r"
                             % (n_dup, CRASH_CONC, len(history), dups))
        for a, ids in dups.items():
            self.assertEqual(len(set(ids)), 1, "%s: duplicates with different Message-IDs" % a)
        firsts = [ids[0] for ids in copies.values()]
        self.assertEqual(len(set(firsts)), CRASH_N, "Message-IDs shared between recipients")
        # The Message-ID is fixed per delivery row, so whatever is sent
        # again after a crash carries the same one.
        dl = {d["email"]: d["id"] for d in self.hp.mailing_deliveries(m["id"])}
        for a, ids in copies.items():
            self.assertEqual(ids[0], "<nl-%d-%d@example.org>" % (m["id"], dl[a]), a)
        print("\n  crash: (delay, rc, sent before, sent after) %r, duplicates %d"
              % (history, n_dup))
        type(self).mid = m["id"]

    def test_02_accepted_but_not_recorded(self):
        # The worst moment of a crash: the server said 250, the row was
        # not yet written.  Simulate it: three sent rows back to queued.
        hp.clear_mailboxes(SUBS)
        again = [d for d in self.hp.mailing_deliveries(self.mid)][:3]
        for d in again:
            self.hp.sql_write("UPDATE deliveries SET state = 'queued', attempts = 0, "
                              "smtp_code = 0, reply = NULL WHERE id = ?", d["id"])
        self.hp.sql_write("UPDATE mailings SET state = 'sending', done_at = NULL WHERE id = ?",
                          self.mid)
        self.hp.send_all()
        hp.wait_total(SUBS, 3)
        got = [msg for msgs in hp.inbox_all(SUBS).values() for msg in msgs]
        self.assertEqual(sorted((addr_of(x["To"]), str(x["Message-ID"])) for x in got),
                         sorted((d["email"], "<nl-%d-%d@example.org>" % (self.mid, d["id"]))
                                for d in again))
        self.assertEqual(self.hp.mailings()[-1]["state"], "done")


class Bounces(Base):
    """(e) A real DSN (Postfix bounces for bounce.example, back to the
    VERP Return-Path) is filed as a bounce and disables at the threshold."""
    instance_args = {"extra": "bounce_threshold = 1\n"}
    gone = ["gone1@bounce.example", "gone2@bounce.example"]
    stay = SUBS[19:21]

    def test_01_dsn_disables_at_threshold(self):
        self.add_subs([(self.gone[0], "en"), (self.stay[0], "nl"), (self.gone[1], "nl"),
                       (self.stay[1], "en")])
        m = self.newsletter_send()
        self.hp.send_all()
        self.assertEqual(self.by_state(m["id"]).keys(), {"sent"})
        hp.wait_inbox(2, timeout=60)                  # the two DSNs
        hp.wait_postfix_idle()
        mb = hp.Mailbox(OFFICE)
        try:
            dsns = mb.messages()
        finally:
            mb.close()
        self.assertEqual(sorted(addr_of(d["Delivered-To"]) for d in dsns),
                         sorted(verp(a) for a in self.gone))
        mark = self.hp.outbox_mark()
        self.hp.poll()
        self.assertEqual(hp.count(OFFICE), 0)
        self.assertEqual(hp.count(OFFICE, "Processed"), 2)
        self.assertEqual(self.hp.outbox_since(mark), [], "a bounce was answered")
        out = self.hp.sql("SELECT outcome FROM messages ORDER BY at")
        self.assertEqual([o for (o,) in out[-2:]], ["bounce", "bounce"], out)
        rows = self.hp.sql("SELECT email, score, status, source FROM bounces ORDER BY email")
        self.assertEqual([(r[0], r[1], r[3]) for r in rows],
                         [(a, 1.0, "dsn") for a in self.gone])
        for r in rows:
            self.assertTrue((r[2] or "").startswith("5.1."), r)
        status = {s["email"]: s["status"] for s in self.hp.subscribers()}
        self.assertEqual([status[a] for a in self.gone], ["disabled", "disabled"])
        self.assertEqual([status[a] for a in self.stay], ["active", "active"])

    def test_02_next_issue_skips_disabled(self):
        hp.clear_mailboxes([OFFICE] + list(self.stay))
        m = self.newsletter_send()
        self.assertEqual(sorted(d["email"] for d in self.hp.mailing_deliveries(m["id"])),
                         sorted(self.stay))
        self.hp.send_all()
        hp.wait_total(self.stay, 2)
        mb = hp.Mailbox(OFFICE)
        try:
            late = [d for d in mb.messages() if d.get_content_type() == "multipart/report"]
        finally:
            mb.close()
        self.assertEqual(late, [], "a disabled subscriber was mailed again")


class BounceScore(Base):
    """(e) With threshold 2 the score rises by 1 per hard bounce; the
    subscriber stays active at 1 and is disabled at 2."""
    instance_args = {"extra": "bounce_threshold = 2\n"}
    gone = "gone3@bounce.example"

    def issue_and_dsn(self):
        hp.clear_mailboxes([OFFICE, SUBS[21]])
        self.newsletter_send()
        self.hp.send_all()
        hp.wait_inbox(1, timeout=60)
        hp.wait_postfix_idle()
        self.hp.poll()
        self.assertEqual(hp.count(OFFICE), 0)

    def score(self):
        return self.hp.sql("SELECT coalesce(sum(score), 0) FROM bounces WHERE email = ?",
                           self.gone)[0][0]

    def test_01_score_rises_then_disabled(self):
        self.add_subs([(self.gone, "en"), (SUBS[21], "en")])
        self.issue_and_dsn()
        self.assertEqual(self.score(), 1.0)
        self.assertEqual(self.hp.subscriber(self.gone)["status"], "active")
        self.issue_and_dsn()
        self.assertEqual(self.score(), 2.0)
        self.assertEqual(self.hp.subscriber(self.gone)["status"], "disabled")
        m = self.newsletter_send()
        self.assertEqual([d["email"] for d in self.hp.mailing_deliveries(m["id"])], [SUBS[21]])


if __name__ == "__main__":
    unittest.main()
