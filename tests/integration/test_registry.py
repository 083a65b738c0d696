"""Registry updates by email, end to end: Postfix delivers to Dovecot,
hanzepost polls over IMAPS, applies the form, files the message and answers
through Postfix.  Tests run in order (numbered) and share one database."""

import os
import subprocess
import time
import unittest

import hp

ANNA = "anna@partner.example"
BOB = "bob@partner.example"

FORM = """Hello office,

here is our entry.

Organisation: Hanze Handel B.V.
Sector: economy
Website: https://hanzehandel.example
Description: Trade between Deventer and the old Hanseatic towns.
Contact: Anna de Vries <anna@partner.example>
Active-in: DE, Lübeck; trade; partner port
Active-in: Polen, Gdańsk; exchange
Active-in: Latvia, Riga; project
Networks: Hanze, Eurocities

Kind regards,
Anna
-- 
Anna de Vries
"""


def clear_all():
    for user in (hp.OFFICE, ANNA, BOB):
        mb = hp.Mailbox(user)
        for folder in ("INBOX", "Processed", "Rejected", "Held"):
            mb.clear(folder)
        mb.close()


class Registry(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Anna and Bob are office addresses here, so their authenticated
        # forms apply at once; who-may-do-what is test_access.py's subject.
        cls.hp = hp.Instance(admins="admin@example.org, %s, %s" % (ANNA, BOB))
        clear_all()

    def submit_and_poll(self, sender, subject, body, **kw):
        hp.submit(sender, subject, body, **kw)
        hp.wait_inbox(1)
        self.hp.poll()
        return hp.wait_reply(sender)

    def folder_count(self, folder):
        mb = hp.Mailbox(hp.OFFICE)
        try:
            return len(mb.uids(folder))
        finally:
            mb.close()

    def test_01_new_org_three_activities(self):
        reply = self.submit_and_poll(ANNA, "Our entry", FORM, name="Anna de Vries")
        text = hp.body_text(reply)
        self.assertIn("Hanze Handel B.V. has been added", text)
        self.assertIn("added    Active-in: DE, Lübeck; trade; partner port", text)
        # RFC 3834 and threading headers on the reply.
        self.assertEqual(reply["Auto-Submitted"], "auto-replied")
        self.assertTrue(reply["In-Reply-To"])
        self.assertTrue(reply["Message-ID"])
        self.assertTrue(reply["Date"])
        o = self.hp.org("Hanze Handel B.V.")
        self.assertEqual(o["sector"], "economy")
        self.assertEqual([(a["country"], a["city"], a["kind"]) for a in o["activities"]],
                         [("DE", "Lübeck", "trade"), ("PL", "Gdańsk", "exchange"),
                          ("LV", "Riga", "project")])
        self.assertEqual(o["networks"], ["Hanze", "Eurocities"])
        self.assertEqual(o["contacts"], [{"name": "Anna de Vries", "email": ANNA}])
        self.assertEqual(self.folder_count("INBOX"), 0)
        self.assertEqual(self.folder_count("Processed"), 1)
        # The reply's form reads back as the same entry (English form).
        self.assertIn("Organisation: Hanze Handel B.V.", text)
        self.assertIn("Active-in: LV, Riga; project", text)

    def test_02_same_form_again_changes_nothing(self):
        before = self.hp.org("Hanze Handel B.V.")
        reply = self.submit_and_poll(ANNA, "Our entry", FORM)
        self.assertIn("nothing has changed", hp.body_text(reply))
        self.assertEqual(self.hp.org("Hanze Handel B.V."), before)

    def test_03_update_removes_one_country(self):
        form = FORM.replace("Active-in: Latvia, Riga; project\n", "")
        reply = self.submit_and_poll(ANNA, "Update", form)
        text = hp.body_text(reply)
        self.assertIn("removed  Active-in: LV, Riga; project", text)
        o = self.hp.org("Hanze Handel B.V.")
        self.assertEqual([a["country"] for a in o["activities"]], ["DE", "PL"])

    def test_04_two_errors_change_nothing(self):
        before = self.hp.org("Hanze Handel B.V.")
        body = ("Organisation: Hanze Handel B.V.\n"
                "Sector: shipping\n"
                "Website: https://hanzehandel.example\n"
                "Active-in: Atlantis; trade\n")
        reply = self.submit_and_poll(ANNA, "Update", body)
        text = hp.body_text(reply)
        self.assertIn("nothing has changed", text)
        self.assertIn("line 2:", text)
        self.assertIn("line 4:", text)
        self.assertEqual(self.hp.org("Hanze Handel B.V."), before)
        self.assertEqual(self.folder_count("Rejected"), 1)

    def test_05_show(self):
        reply = self.submit_and_poll(ANNA, "show Hanze Handel B.V.", "")
        text = hp.body_text(reply)
        self.assertIn("Organisation: Hanze Handel B.V.", text)
        self.assertIn("Active-in: DE, Lübeck; trade; partner port", text)

    def test_06_help_in_dutch(self):
        reply = self.submit_and_poll(BOB, "hulp", "hulp\n")
        text = hp.body_text(reply)
        self.assertIn("ZO WERKT U HET REGISTER BIJ", text)
        self.assertEqual(reply["Content-Language"], "nl")

    def test_07_quoted_reply_of_previous_answer(self):
        previous = self.submit_and_poll(ANNA, "show", "show Hanze Handel B.V.\n")
        quoted = "\n".join("> " + line for line in hp.body_text(previous).splitlines())
        body = ("Website: https://www.hanzehandel.example\n\n"
                "On Fri, 27 Nov 2026 at 10:00, Deventer Internationaal wrote:\n" + quoted)
        reply = self.submit_and_poll(ANNA, "Re: show", body)
        text = hp.body_text(reply)
        self.assertIn("changed  Website: https://hanzehandel.example -> "
                      "https://www.hanzehandel.example", text)
        o = self.hp.org("Hanze Handel B.V.")
        self.assertEqual(o["website"], "https://www.hanzehandel.example")
        self.assertEqual(len(o["activities"]), 2)

    def test_08_html_only_message(self):
        html = ("<html><body><p>Dear office,</p><p>Organisation: Deventer Kunst<br>"
                "Sector: culture<br>Active-in: Estonia, Tallinn; culture</p>"
                "<p>Greetings</p></body></html>")
        reply = self.submit_and_poll(BOB, "Nieuw", None, html=html)
        self.assertIn("Deventer Kunst", hp.body_text(reply))
        o = self.hp.org("Deventer Kunst")
        self.assertEqual(o["activities"][0]["country"], "EE")
        self.assertEqual(o["contacts"][0]["email"], BOB)

    def test_09_windows_1252_message(self):
        body = ("Organisation: Köln Café Collectief\nSector: culture\n"
                "Description: Café in Köln – “Hanze” evenings\n"
                "Active-in: Duitsland, Köln; culture\n")
        reply = self.submit_and_poll(BOB, "Nieuw", body, charset="windows-1252")
        self.assertIn("Köln Café Collectief", hp.body_text(reply))
        o = self.hp.org("Köln Café Collectief")
        self.assertEqual(o["description"], "Café in Köln – “Hanze” evenings")
        self.assertEqual(o["activities"][0]["city"], "Köln")

    def test_10_untrusted_certificate_is_refused(self):
        bad = hp.Instance(ca_file="")      # system store: the test CA is unknown
        hp.submit(ANNA, "show", "show\n")
        hp.wait_inbox(1)
        p = bad.poll(check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, "(?i)certificate")
        self.assertEqual(self.folder_count("INBOX"), 1)   # nothing processed
        self.hp.poll()                                     # the real one takes it
        hp.wait_reply(ANNA)

    def test_11_bad_certificates_refused(self):
        for kind in ("selfsigned", "wronghost", "expired"):
            port = hp.free_port()
            subprocess.run([os.path.join(hp.TOP, "tests/mailstack/badtls"), hp.RUN, kind,
                            str(port)], check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            bad = hp.Instance(imap_url="imaps://127.0.0.1:%d/INBOX" % port)
            p = bad.poll(check=False)
            self.assertNotEqual(p.returncode, 0, kind)
            self.assertRegex(p.stderr, "(?i)certificate|tls", kind)

    def test_12_postfix_down_while_replying(self):
        hp.submit(ANNA, "show", "show\n")
        hp.wait_inbox(1)
        subprocess.run([os.path.join(hp.TOP, "tests/mailstack/stop-smtp"), hp.RUN],
                       check=True, stdin=subprocess.DEVNULL)
        try:
            p = self.hp.poll(check=False)
            self.assertEqual(p.returncode, 75, p.stderr)   # EX_TEMPFAIL: reply waits
            self.assertEqual(self.folder_count("INBOX"), 0)
            self.assertEqual(self.hp.sql("SELECT count(*) FROM outbox WHERE state='queued'"),
                             [(1,)])
        finally:
            subprocess.run([os.path.join(hp.TOP, "tests/mailstack/start-smtp"), hp.RUN],
                           check=True, stdin=subprocess.DEVNULL)
        self.hp.run("send", "--once")
        reply = hp.wait_reply(ANNA)
        self.assertIn("Hanze Handel B.V.", hp.body_text(reply))

    def test_13_processed_twice_applied_once(self):
        body = "Organisation: Hanze Handel B.V.\nInternships: 2 per year\n"
        self.submit_and_poll(ANNA, "Stages", body)
        changes = self.hp.sql("SELECT count(*) FROM changes WHERE field='internships'")
        # The move "failed": the message is back in the INBOX (same Message-ID).
        mb = hp.Mailbox(hp.OFFICE)
        raw = mb.fetch(mb.uids("Processed")[-1], "Processed")
        mb.append("INBOX", raw)
        mb.close()
        self.hp.poll()
        self.assertEqual(self.folder_count("INBOX"), 0)
        self.assertEqual(self.hp.sql("SELECT count(*) FROM changes WHERE field='internships'"),
                         changes)
        self.assertEqual(self.hp.org("Hanze Handel B.V.")["internships"], "2 per year")

    def test_14_crashing_message_is_unreadable_next_is_processed(self):
        crash = ("From: " + BOB + "\r\nTo: office@example.org\r\nSubject: x\r\n"
                 "Message-ID: <crash@partner.example>\r\n"
                 'Content-Type: multipart/mixed; boundary="\\""\r\n\r\n'
                 '--"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--"--\r\n')
        hp.submit(BOB, None, None, raw=crash)
        hp.submit(ANNA, "show", "show\n")
        hp.wait_inbox(2)
        self.hp.poll()
        hp.wait_reply(ANNA)
        self.assertEqual(self.folder_count("INBOX"), 0)
        self.assertEqual(self.hp.sql("SELECT count(*) FROM messages WHERE outcome='unreadable'"),
                         [(1,)])

    def test_15_exports(self):
        csv = self.hp.run("registry", "export", "--format", "csv").stdout
        self.assertTrue(csv.startswith("name,sector,"))
        self.assertIn("Hanze Handel B.V.,economy", csv)
        lst = self.hp.run("registry", "list").stdout
        self.assertIn("Deventer Kunst", lst)
        show = self.hp.run("registry", "show", "hanze handel b.v.").stdout
        self.assertIn("Active-in: PL, Gdańsk; exchange", show)

    def test_16_run_polls_until_sigterm(self):
        proc = subprocess.Popen([hp.BIN, "-c", self.hp.conf, "run"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1)
            hp.submit(BOB, "toon", "toon Deventer Kunst\n")
            reply = hp.wait_reply(BOB, timeout=30)   # poll_interval is 5 s
            self.assertIn("Organisatie: Deventer Kunst", hp.body_text(reply))
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("stopping", err)


if __name__ == "__main__":
    unittest.main()
