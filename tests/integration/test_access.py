"""Who may change what (issue 3), end to end against the real stack:
authentication by Authentication-Results, confirmations, moderation,
subscriptions, loop safety and hostile input.

Each class has its own hanzepost instance (database); every test starts
with empty mailboxes.  Tests within a class run in order (numbered) and
may build on each other.  What the daemon sent is read twice: from its
outbox (what it queued, to whom: exact) and back from the recipients'
INBOXes through Postfix and Dovecot (what arrived, parsed by Python's
email package)."""

import base64
import email
import email.policy
import email.utils
import re
import sqlite3
import time
import unittest

import hp

OFFICE = hp.OFFICE
ADMIN = "admin@example.org"
ANNA = "anna@partner.example"
BOB = "bob@partner.example"
CARLA = "carla@partner.example"
DIRK = "dirk@other.example"


def user(i):
    return "user%02d@partner.example" % i


ORG = "Hanze Handel B.V."
FORM = """Dear office,

Organisation: Hanze Handel B.V.
Sector: economy
Website: https://hanzehandel.example
Description: Trade between Deventer and the old Hanseatic towns.
Contact: Anna de Vries <anna@partner.example>
Contact: Bob Jansen <bob@partner.example>
Active-in: DE, Lübeck; trade

Kind regards
"""

UNSUB_RE = re.compile(r"office\+unsubscribe-([0-9a-f]{32})@example\.org")


def flat(msg):
    """The plain text of a message with all white space runs as one space
    (template lines wrap wherever the values make them)."""
    return " ".join(hp.body_text(msg).split())


def bare_id(msgid):
    return (msgid or "").strip().strip("<>")


def raw_message(from_header, subject_header, body, to=OFFICE, headers=(),
                auth_for=None, ctype="text/plain; charset=utf-8", cte="8bit"):
    """A message with header values exactly as given (for what the email
    package would refuse or rewrite).  body: str or bytes, already in the
    given Content-Transfer-Encoding."""
    lines = ["From: " + from_header, "To: " + to]
    if subject_header is not None:
        lines.append("Subject: " + subject_header)
    lines += ["Message-ID: " + email.utils.make_msgid(domain="partner.example"),
              "Date: " + email.utils.formatdate(localtime=True),
              "MIME-Version: 1.0"]
    if auth_for:
        lines.append("Authentication-Results: " + hp.auth_header(auth_for))
    lines += ["%s: %s" % kv for kv in headers]
    lines += ["Content-Type: " + ctype, "Content-Transfer-Encoding: " + cte]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if isinstance(body, str):
        body = body.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return head + body


class Base(unittest.TestCase):
    """One instance per class; the helpers every test uses."""
    instance_args = {}

    @classmethod
    def setUpClass(cls):
        cls.hp = hp.Instance(**cls.instance_args)

    def setUp(self):
        hp.clear_mailboxes()

    def send(self, sender, subject, body="", lang="en", headers=None, **kw):
        h = {"Content-Language": lang} if lang else {}
        h.update(headers or {})
        return hp.submit(sender, subject, body, headers=h, **kw)

    def cycle(self, n_new=1, inst=None, poll_timeout=120):
        """Wait for n_new messages in the office INBOX, poll once, and
        return what the daemon sent meanwhile, as delivered:
        {address: [message, ...]}.  The INBOX must be empty afterwards
        (every message was handled and filed)."""
        inst = inst or self.hp
        hp.wait_inbox(n_new)
        mark = inst.outbox_mark()
        inst.run("poll", "--once", timeout=poll_timeout)
        self.assertEqual(hp.count(OFFICE), 0, "the INBOX was not emptied")
        return inst.deliveries(mark)

    def assertRecipients(self, got, expected):
        """expected: {address: number of messages}."""
        self.assertEqual({a: len(m) for a, m in got.items()},
                         {a.lower(): n for a, n in expected.items()},
                         "who got what: %r" % {a: [str(x["Subject"]) for x in m]
                                               for a, m in got.items()})

    def assertEnglishReply(self, msg):
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertEqual(msg["Content-Language"], "en")

    def outcomes(self, sender):
        return [r[0] for r in self.hp.sql(
            "SELECT outcome FROM messages WHERE sender = ? ORDER BY at, uid", sender)]


class Confirmations(Base):
    """Updates and removals of an existing organisation (SPEC §4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        hp.clear_mailboxes()
        # An office address, authenticated: applied at once.
        hp.submit(ADMIN, "New entry", FORM, headers={"Content-Language": "en"})
        hp.wait_inbox(1)
        cls.hp.poll()
        hp.wait_reply(ADMIN)
        o = cls.hp.org(ORG)
        assert o is not None, "setup: the office's form was not applied"
        assert [c["email"] for c in o["contacts"]] == [ANNA, BOB], o

    def test_01_forged_from_changes_nothing_contacts_are_asked(self):
        before = self.hp.org(ORG)
        # Dirk's server, Anna's From:, no Authentication-Results at all.
        self.send(ANNA, "Update", "Organisation: %s\nWebsite: https://www.hanzehandel.example\n"
                  % ORG, auth=False, envelope=DIRK)
        got = self.cycle()
        self.assertEqual(self.hp.org(ORG), before, "an unauthenticated form changed the entry")
        # The sender (the From: address) hears that it waits; every
        # registered contact gets the confirmation with the same token.
        self.assertRecipients(got, {ANNA: 2, BOB: 1})
        reply = hp.by_subject(got[ANNA], "Re: Update")
        self.assertIn("need the confirmation of one of its registered contacts; "
                      "we have asked anna@partner.example, bob@partner.example", flat(reply))
        self.assertIn("changed Website: https://hanzehandel.example -> "
                      "https://www.hanzehandel.example", flat(reply))
        confirm_a = hp.by_subject(got[ANNA], "confirm ")
        confirm_b = hp.by_subject(got[BOB], "confirm ")
        for m in (reply, confirm_a, confirm_b):
            self.assertEnglishReply(m)
        token = hp.token_of(confirm_a)
        self.assertEqual(hp.token_of(confirm_b), token)
        text = flat(confirm_a)
        self.assertIn("anna@partner.example asked", text)
        self.assertIn("change the registry entry of Hanze Handel B.V.", text)
        self.assertIn("changed Website: https://hanzehandel.example -> "
                      "https://www.hanzehandel.example", text)
        self.assertIn("confirm " + token, text)
        # Stored hashed, never in clear.
        rows = self.hp.sql("SELECT token_hash, payload, state, kind FROM pending")
        self.assertEqual([(r[2], r[3]) for r in rows], [("pending", "update")])
        self.assertNotIn(token, repr(rows))
        self.assertRegex(rows[0][0], "^[0-9a-f]{64}$")
        self.assertEqual(self.outcomes(ANNA)[-1], "pending")
        type(self).token = token
        type(self).confirm_msgid = confirm_a["Message-ID"]

    def test_02_replying_to_the_confirmation_applies_it(self):
        body = ("Yes, that is our new address.\n\n"
                "On Fri, 27 Nov 2026 at 10:00, Deventer Internationaal wrote:\n"
                "> confirm %s\n> Organisation: %s\n" % (self.token, ORG))
        self.send(ANNA, "Re: confirm " + self.token, body, auth=False,
                  headers={"In-Reply-To": self.confirm_msgid})
        got = self.cycle()
        self.assertEqual(self.hp.org(ORG)["website"], "https://www.hanzehandel.example")
        # The confirmer is thanked; the requester (also Anna) hears the outcome.
        self.assertRecipients(got, {ANNA: 2})
        thanks = hp.by_subject(got[ANNA], "Re: confirm")
        self.assertIn("the changes to Hanze Handel B.V. have been confirmed and applied",
                      flat(thanks))
        outcome = hp.by_subject(got[ANNA], "Re: Update")
        self.assertIn("was confirmed by anna@partner.example and applied", flat(outcome))
        self.assertIn("changed Website: https://hanzehandel.example -> "
                      "https://www.hanzehandel.example", flat(outcome))
        actor = self.hp.sql("SELECT actor FROM changes WHERE field = 'website' "
                            "ORDER BY id DESC LIMIT 1")[0][0]
        self.assertIn("confirmed by anna@partner.example", actor)
        self.assertEqual(self.hp.sql("SELECT state FROM pending"), [("done",)])

    def test_03_reused_token_changes_nothing_again(self):
        before = self.hp.org(ORG)
        n_changes = self.hp.sql("SELECT count(*) FROM changes")
        self.send(BOB, "Re: confirm " + self.token, "confirm %s\n" % self.token)
        got = self.cycle()
        self.assertRecipients(got, {BOB: 1})       # no second outcome to Anna
        self.assertIn("This confirmation code has already been used; nothing has changed "
                      "again.", flat(got[BOB][0]))
        self.assertEqual(self.hp.org(ORG), before)
        self.assertEqual(self.hp.sql("SELECT count(*) FROM changes"), n_changes)

    def test_04_authenticated_contact_applies_at_once(self):
        # dkim and dmarc pass; a subdomain signature (relaxed alignment);
        # dmarc alone.
        self.send(BOB, "Internships", "Organisation: %s\nInternships: 1 per year\n" % ORG)
        self.send(BOB, "Internships", "Organisation: %s\nInternships: 2 per year\n" % ORG,
                  auth=False, headers={"Authentication-Results":
                                       "%s; dkim=pass header.d=mail.partner.example "
                                       "header.s=sel1" % hp.TRUSTED_ID})
        self.send(BOB, "Internships", "Organisation: %s\nWebsite: https://hanze.example\n"
                  % ORG, auth=False, headers={"Authentication-Results":
                                              "%s; dmarc=pass (p=reject) header.from="
                                              "partner.example" % hp.TRUSTED_ID})
        got = self.cycle(3)
        self.assertRecipients(got, {BOB: 3})       # no confirmation to anyone
        text = " ".join(flat(m) for m in got[BOB])
        self.assertIn("The entry of Hanze Handel B.V. has been updated", text)
        self.assertIn("Internships: 2 per year", text)
        self.assertEqual(self.hp.org(ORG)["internships"], "2 per year")
        self.assertEqual(self.hp.org(ORG)["website"], "https://hanze.example")
        self.assertEqual(self.outcomes(BOB)[-3:], ["applied"] * 3)

    def test_05_untrusted_authserv_id_is_ignored(self):
        before = self.hp.org(ORG)
        # dkim and dmarc "pass", but from a server that is not ours.
        self.send(ANNA, "Update", "Organisation: %s\nDescription: Forged.\n" % ORG,
                  auth=False, envelope=DIRK,
                  headers={"Authentication-Results": hp.auth_header(
                      ANNA, authserv="evil.example")})
        got = self.cycle()
        self.assertEqual(self.hp.org(ORG), before)
        self.assertRecipients(got, {ANNA: 2, BOB: 1})
        self.assertIn("need the confirmation", flat(hp.by_subject(got[ANNA], "Re: Update")))
        hp.by_subject(got[BOB], "confirm ")

    def test_06_unaligned_or_contradicted_results_are_ignored(self):
        before = self.hp.org(ORG)
        # Our server, but the signature is Dirk's domain, not Anna's.
        self.send(ANNA, "Update 1", "Organisation: %s\nDescription: Forged 1.\n" % ORG,
                  auth=False, headers={"Authentication-Results":
                                       "%s; dkim=pass header.d=other.example" % hp.TRUSTED_ID})
        # Our server, pass and fail for the same domain.
        self.send(ANNA, "Update 2", "Organisation: %s\nDescription: Forged 2.\n" % ORG,
                  auth=False, headers={"Authentication-Results": [
                      "%s; dkim=pass header.d=partner.example" % hp.TRUSTED_ID,
                      "%s; dkim=fail header.d=partner.example" % hp.TRUSTED_ID]})
        got = self.cycle(2)
        self.assertEqual(self.hp.org(ORG), before)
        self.assertRecipients(got, {ANNA: 4, BOB: 2})

    def test_07_authenticated_stranger_needs_a_contact(self):
        before = self.hp.org(ORG)
        self.send(DIRK, "Suggestion", "Organisation: %s\nNetworks: Hanze\n" % ORG)
        got = self.cycle()
        self.assertEqual(self.hp.org(ORG), before)
        self.assertRecipients(got, {DIRK: 1, ANNA: 1, BOB: 1})
        # A stranger is not told who the contact persons are (SPEC §3).
        self.assertIn("we have asked them.", flat(got[DIRK][0]))
        self.assertNotIn("anna@partner.example", flat(got[DIRK][0]))
        self.assertIn("dirk@other.example asked", flat(got[ANNA][0]))
        # The requester must not be able to confirm his own request.
        self.assertNotIn(hp.token_of(got[ANNA][0]), got[DIRK][0].raw.decode("ascii", "replace"))

    def test_08_unknown_token(self):
        self.send(BOB, "confirm", "confirm 0123456789abcdef0123456789abcdef\n")
        got = self.cycle()
        self.assertRecipients(got, {BOB: 1})
        self.assertIn("We do not know this confirmation code; nothing has changed.",
                      flat(got[BOB][0]))

    def test_09_query_shows_contacts_only_to_partners_and_office(self):
        for who in (DIRK, ANNA, ADMIN):
            self.send(who, "query", "query sector=economy\n")
        got = self.cycle(3)
        self.assertRecipients(got, {DIRK: 1, ANNA: 1, ADMIN: 1})
        stranger = flat(got[DIRK][0])
        self.assertIn("- Hanze Handel B.V. (economy), active in DE, "
                      "https://hanze.example", stranger)
        self.assertNotIn("contacts:", stranger)
        self.assertNotIn("anna@partner.example", stranger)
        for who in (ANNA, ADMIN):
            text = flat(got[who][0])
            self.assertIn("Hanze Handel B.V. (economy)", text, who)
            self.assertIn("contacts: Anna de Vries <anna@partner.example>, "
                          "Bob Jansen <bob@partner.example>", text, who)

    def test_09b_show_shows_contacts_only_to_partners_and_office(self):
        for who in (DIRK, ANNA):
            self.send(who, "show", "show %s\n" % ORG)
        got = self.cycle(2)
        stranger = flat(got[DIRK][0])
        self.assertIn("Organisation: %s" % ORG, stranger)
        self.assertNotIn("Contact:", stranger)
        self.assertNotIn("anna@partner.example", stranger)
        self.assertIn("Contact: Anna de Vries <anna@partner.example>", flat(got[ANNA][0]))
        # A stranger's form for the entry: the answer shows no contacts either.
        self.send(DIRK, "Update", "Organisation: %s\nWebsite: https://dirk.example\n" % ORG)
        got = self.cycle(1)
        self.assertNotIn("anna@partner.example", flat(got[DIRK][0]))

    def test_10_two_confirmations_in_one_cycle_apply_once(self):
        self.send(ANNA, "Networks", "Organisation: %s\nNetworks: Hanze, Eurocities\n" % ORG,
                  auth=False)
        got = self.cycle()
        token = hp.token_of(hp.by_subject(got[BOB], "confirm "))
        # Both contacts answer; Anna's client adds its own prefixes.
        self.send(ANNA, "AW: [EXTERNAL] Re: confirm " + token, "OK\n", auth=False)
        self.send(BOB, "Re: confirm " + token, "Fine\n")
        got = self.cycle(2)
        self.assertEqual(self.hp.org(ORG)["networks"], ["Hanze", "Eurocities"])
        # One confirmation applied: one change row per network, once.
        self.assertEqual(self.hp.sql("SELECT count(*) FROM changes WHERE field = 'network'"),
                         [(2,)])
        self.assertRecipients(got, {ANNA: 2, BOB: 1})   # Anna: thanks + outcome
        hp.by_subject(got[ANNA], "Re: Networks")
        self.assertIn("have been confirmed and applied",
                      flat(hp.by_subject(got[ANNA], "Re: [EXTERNAL]")))
        self.assertIn("already been used", flat(got[BOB][0]))

    def test_11_address_case_does_not_matter(self):
        self.send("Anna@Partner.Example", "Internships",
                  "Organisation: %s\nInternships: 3 per year\n" % ORG)
        got = self.cycle()
        self.assertRecipients(got, {ANNA: 1})            # applied, nobody asked
        self.assertEqual(self.hp.org(ORG)["internships"], "3 per year")

    def test_12_remove_needs_confirmation(self):
        self.send(DIRK, "remove", "remove %s\n" % ORG)
        got = self.cycle()
        self.assertIsNotNone(self.hp.org(ORG))
        self.assertRecipients(got, {DIRK: 1, ANNA: 1, BOB: 1})
        self.assertIn("Removing Hanze Handel B.V. needs the confirmation of its registered "
                      "contacts; we have asked them.", flat(got[DIRK][0]))
        self.assertNotIn("anna@partner.example", flat(got[DIRK][0]))
        confirm = hp.by_subject(got[BOB], "confirm ")
        self.assertIn("dirk@other.example asked Deventer Internationaal to remove "
                      "Hanze Handel B.V. from the registry", flat(confirm))
        token = hp.token_of(confirm)
        self.assertNotIn(token, got[DIRK][0].raw.decode("ascii", "replace"))
        # Meanwhile an unauthenticated full form waits for a contact (test_13).
        self.send(ANNA, "Full form", FORM.replace("old Hanseatic towns", "Hanze towns"),
                  auth=False)
        got = self.cycle()
        type(self).stale_token = hp.token_of(hp.by_subject(got[BOB], "confirm "))
        self.send(BOB, "Re: " + str(confirm["Subject"]), "Yes, we stopped.\n")
        got = self.cycle()
        self.assertIsNone(self.hp.org(ORG))
        self.assertRecipients(got, {BOB: 1, DIRK: 1})
        self.assertIn("the removal of Hanze Handel B.V. has been confirmed", flat(got[BOB][0]))
        self.assertIn("Hanze Handel B.V. has been removed from the registry, confirmed by "
                      "bob@partner.example", flat(got[DIRK][0]))
        self.assertEqual(self.hp.sql("SELECT state FROM pending WHERE kind = 'remove'"),
                         [("done",)])
        self.assertNotIn(token, repr(self.hp.sql("SELECT * FROM pending")))

    def test_13_update_confirmed_after_removal_does_not_recreate(self):
        # A confirmation authorises the change its mail showed: an update
        # of an existing entry.  Applied after the entry was removed, the
        # held form would add a new organisation without moderation.
        self.assertIsNone(self.hp.org(ORG))
        self.send(ANNA, "Re: confirm " + self.stale_token, "OK\n")
        self.cycle()
        self.assertIsNone(self.hp.org(ORG),
                          "BUG (commands.c apply_held_form): an 'update' confirmation "
                          "re-created a removed organisation, bypassing moderation")


JAZZ = """Organisation: Deventer Jazz
Sector: culture
Website: https://jazz.example
Contact: Bob Jansen <bob@partner.example>
Active-in: DE, Lübeck; culture
"""


class Moderation(Base):
    """New organisations: the sector's ambassador (else the office) decides."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hp.run("ambassadors", "add", CARLA, "culture")
        cls.hp.run("office", "add", user(10))

    def test_01_new_org_approved_by_the_ambassador(self):
        self.send(BOB, "New", JAZZ)                # authenticated, but not office
        got = self.cycle()
        self.assertIsNone(self.hp.org("Deventer Jazz"))
        self.assertRecipients(got, {BOB: 1, CARLA: 1})
        self.assertIn("Your request to add Deventer Jazz to the registry now waits for "
                      "approval by the sector's ambassador or the office "
                      "(carla@partner.example)", flat(got[BOB][0]))
        mod = got[CARLA][0]
        self.assertEnglishReply(mod)
        self.assertTrue(str(mod["Subject"]).startswith("approve "), mod["Subject"])
        token = hp.token_of(mod)
        self.assertNotIn(token, got[BOB][0].raw.decode("ascii", "replace"))
        text = flat(mod)
        self.assertIn("bob@partner.example asked to add a new organisation", text)
        self.assertIn("in the sector culture", text)
        self.assertIn("Organisation: Deventer Jazz", text)
        self.assertIn("Active-in: DE, Lübeck; culture", text)
        self.assertIn("reject %s REASON" % token, text)
        self.assertEqual(self.hp.sql("SELECT kind, sector, authorisers FROM pending"),
                         [("new_org", "culture", CARLA)])
        # Carla answers the moderation mail.
        self.send(CARLA, "Re: " + str(mod["Subject"]),
                  "Fine by me.\n\n-----Original Message-----\n" + hp.body_text(mod),
                  headers={"In-Reply-To": mod["Message-ID"]})
        got = self.cycle()
        o = self.hp.org("Deventer Jazz")
        self.assertIsNotNone(o, "approved, but not added")
        self.assertEqual(o["contacts"], [{"name": "Bob Jansen", "email": BOB}])
        self.assertRecipients(got, {CARLA: 1, BOB: 1})
        self.assertIn("Deventer Jazz has been approved and added to the registry",
                      flat(got[CARLA][0]))
        outcome = got[BOB][0]
        self.assertEqual(str(outcome["Subject"]), "Re: New")
        self.assertIn("Your request for Deventer Jazz was confirmed by carla@partner.example "
                      "and applied", flat(outcome))

    def test_02_new_org_rejected_by_the_ambassador(self):
        self.send(BOB, "Opera", JAZZ.replace("Deventer Jazz", "Deventer Opera"))
        got = self.cycle()
        self.assertRecipients(got, {BOB: 1, CARLA: 1})
        token = hp.token_of(got[CARLA][0])
        self.send(CARLA, "decision", "reject %s Not a partner of the Hanze network\n" % token)
        got = self.cycle()
        self.assertIsNone(self.hp.org("Deventer Opera"))
        self.assertRecipients(got, {CARLA: 1, BOB: 1})
        self.assertIn("the request concerning Deventer Opera has been refused",
                      flat(got[CARLA][0]))
        text = flat(got[BOB][0])
        self.assertIn("Your request concerning Deventer Opera was refused by "
                      "carla@partner.example; nothing has changed.", text)
        self.assertIn("The reason given: Not a partner of the Hanze network", text)
        self.assertEqual(self.hp.sql("SELECT state FROM pending WHERE org_name = "
                                     "'Deventer Opera'"), [("rejected",)])
        # A rejected request cannot be approved afterwards.
        self.send(CARLA, "decision", "approve %s\n" % token)
        got = self.cycle()
        self.assertRecipients(got, {CARLA: 1})
        self.assertIn("already been used", flat(got[CARLA][0]))
        self.assertIsNone(self.hp.org("Deventer Opera"))

    def test_03_sector_without_ambassador_goes_to_the_office(self):
        form = JAZZ.replace("Deventer Jazz", "Deventer School").replace(
            "Sector: culture", "Sector: education")
        self.send(BOB, "School", form)
        got = self.cycle()
        self.assertRecipients(got, {BOB: 1, ADMIN: 1, user(10): 1})
        self.assertIn("(admin@example.org, user10@partner.example)", flat(got[BOB][0]))
        token = hp.token_of(got[ADMIN][0])
        self.send(ADMIN, "ok", "approve %s\n" % token)
        got = self.cycle()
        self.assertIsNotNone(self.hp.org("Deventer School"))
        self.assertRecipients(got, {ADMIN: 1, BOB: 1})

    def test_04_authenticated_office_address_adds_at_once(self):
        form = JAZZ.replace("Deventer Jazz", "Deventer Theater")
        self.send(user(10), "Theater", form)     # office address added by the CLI
        got = self.cycle()
        self.assertRecipients(got, {user(10): 1})
        self.assertIn("Deventer Theater has been added to the registry", flat(got[user(10)][0]))
        self.assertIsNotNone(self.hp.org("Deventer Theater"))

    def test_05_unauthenticated_office_address_is_moderated(self):
        form = JAZZ.replace("Deventer Jazz", "Deventer Circus")
        self.send(ADMIN, "Circus", form, auth=False)
        got = self.cycle()
        self.assertIsNone(self.hp.org("Deventer Circus"))
        self.assertRecipients(got, {ADMIN: 1, CARLA: 1})

    def test_06_approval_never_overwrites_an_entry_created_meanwhile(self):
        self.maxDiff = None
        # Bob asks for a new organisation; before the ambassador decides,
        # the office enters the same name with Anna as its contact.
        museum = JAZZ.replace("Deventer Jazz", "Deventer Museum").replace(
            "https://jazz.example", "https://bob.example")
        self.send(BOB, "Museum", museum)
        got = self.cycle()
        token = hp.token_of(got[CARLA][0])
        self.send(user(10), "Museum", museum.replace(
            "Bob Jansen <bob@partner.example>", "Anna de Vries <anna@partner.example>").replace(
            "https://bob.example", "https://museum.example"))
        got = self.cycle()
        before = self.hp.org("Deventer Museum")
        self.assertEqual([c["email"] for c in before["contacts"]], [ANNA])
        # Carla approved a *new* organisation; she is no contact of the
        # existing one, so her approval must not rewrite it.
        self.send(CARLA, "Re: approve " + token, "OK\n")
        self.cycle()
        self.assertEqual(self.hp.org("Deventer Museum"), before,
                         "BUG (commands.c apply_held_form): approving a new-organisation "
                         "request rewrote an organisation that was created meanwhile "
                         "(contacts/website replaced) without its contacts' confirmation")


class Subscriptions(Base):
    """Double opt-in, per-recipient unsubscribe addresses, forged subscribes."""

    def test_01_subscribe_confirm_unsubscribe_by_address(self):
        sub_msgid = self.send(user(1), "subscribe newsletter en", "")
        got = self.cycle()
        self.assertRecipients(got, {user(1): 1})
        ask = got[user(1)][0]
        self.assertEnglishReply(ask)
        token = hp.token_of(ask)
        self.assertEqual(str(ask["Subject"]), "confirm " + token)
        self.assertIn("Please confirm that you want to receive our newsletter:", flat(ask))
        self.assertIsNone(self.hp.subscriber(user(1)), "subscribed before confirming")
        # The reply to the confirmation request confirms.
        conf_msgid = self.send(user(1), "Re: confirm " + token, "Yes please.\n",
                               headers={"In-Reply-To": ask["Message-ID"]})
        got = self.cycle()
        self.assertRecipients(got, {user(1): 1})
        text = flat(got[user(1)][0])
        self.assertIn("Your subscription is confirmed.", text)
        self.assertIn("Welcome! From now on you receive our newsletter.", text)
        m = UNSUB_RE.search(text)
        self.assertIsNotNone(m, "no per-recipient unsubscribe address in: " + text)
        self.assertNotEqual(m.group(1), token)
        s = self.hp.subscriber(user(1))
        self.assertEqual((s["status"], s["lists"], s["lang"]), ("active", ["newsletter"], "en"))
        self.assertRegex(s["consent_at"] or "", r"^\d{4}-\d\d-\d\dT")
        e = self.hp.subscriber(user(1), export=True)
        self.assertEqual(bare_id(e["consent_source_msgid"]), bare_id(sub_msgid))
        self.assertEqual(bare_id(e["consent_confirm_msgid"]), bare_id(conf_msgid))
        # An empty message to that address is enough.  Postfix delivers
        # office+...@ to the office's INBOX; Delivered-To carries it.
        hp.submit(user(1), "", "", to=m.group(0), auth=False)
        got = self.cycle()
        self.assertEqual(self.hp.subscriber(user(1))["status"], "unsubscribed")
        self.assertEqual(self.outcomes(user(1))[-1], "unsubscribe")
        self.assertRecipients(got, {user(1): 1})
        self.assertIn("You have been unsubscribed", flat(got[user(1)][0]))
        self.assertEqual(hp.count(OFFICE, "Processed"), 3)
        # The old confirmation cannot subscribe again.
        self.send(user(1), "Re: confirm " + token, "")
        got = self.cycle()
        self.assertIn("already been used", flat(got[user(1)][0]))
        self.assertEqual(self.hp.subscriber(user(1))["status"], "unsubscribed")

    def test_02_confirm_line_and_unsubscribe_command(self):
        self.send(user(2), "Hello", "subscribe\n")
        got = self.cycle()
        token = hp.token_of(got[user(2)][0])
        self.assertIn("our newsletter and invitations to our events", flat(got[user(2)][0]))
        self.send(user(2), "ok", "confirm %s\n" % token, auth=False)
        got = self.cycle()
        self.assertIn("Welcome!", flat(got[user(2)][0]))
        s = self.hp.subscriber(user(2))
        self.assertEqual((s["status"], s["lists"]), ("active", ["newsletter", "events"]))
        self.send(user(2), "unsubscribe", "")
        got = self.cycle()
        self.assertIn("You have been unsubscribed", flat(got[user(2)][0]))
        self.assertEqual(self.hp.subscriber(user(2))["status"], "unsubscribed")

    def test_03_subscribing_someone_else(self):
        # Dirk forges user03's address (and asks for answers to himself).
        self.send(user(3), "subscribe", "subscribe newsletter\n", auth=False,
                  envelope=DIRK, headers={"Reply-To": DIRK})
        got = self.cycle()
        self.assertRecipients(got, {user(3): 1})
        ask = got[user(3)][0]
        self.assertTrue(str(ask["Subject"]).startswith("confirm "), ask["Subject"])
        self.assertIn("If you did not ask for this, please ignore this message.", flat(ask))
        self.assertIsNone(self.hp.subscriber(user(3)))
        # Nothing more arrives for anyone, and a later cycle sends nothing.
        mark = self.hp.outbox_mark()
        self.hp.poll()
        self.assertEqual(self.hp.outbox_since(mark), [])
        hp.assert_no_mail([user(3), DIRK])
        self.assertIsNone(self.hp.subscriber(user(3)))

    def test_04_unknown_unsubscribe_address_unsubscribes_nobody(self):
        self.hp.run("subscribers", "add", user(4), "--lang", "en")
        hp.submit(DIRK, "", "", to="office+unsubscribe-%s@example.org" % ("ab" * 16))
        got = self.cycle()
        self.assertEqual(self.hp.subscriber(user(4))["status"], "active")
        self.assertRecipients(got, {})

    def test_05_unsubscribe_address_from_a_robot(self):
        self.hp.run("subscribers", "add", user(5), "--lang", "en")
        token = self.hp.sql("SELECT unsub_token FROM subscribers WHERE email = ?", user(5))[0][0]
        addr = "office+unsubscribe-%s@example.org" % token
        # Unsubscribes (the address is the proof), but automatic mail is
        # never answered (SPEC section 2, step 4; RFC 3834).
        hp.submit(user(5), "", "", to=addr, headers={"Auto-Submitted": "auto-generated"})
        got = self.cycle()
        self.assertEqual(self.hp.subscriber(user(5))["status"], "unsubscribed")
        self.assertEqual(got, {}, "BUG (commands.c commands_unsubscribe_address): mail "
                         "with Auto-Submitted to an unsubscribe address was answered "
                         "(SPEC section 2 step 4: automatic mail is never answered)")

    def test_06_unsubscribe_address_used_again(self):
        token = self.hp.sql("SELECT unsub_token FROM subscribers WHERE email = ?", user(1))[0][0]
        self.assertEqual(self.hp.subscriber(user(1))["status"], "unsubscribed")
        # Already unsubscribed (and by someone else): nothing changes;
        # at most the subscriber hears it, the sender never.
        hp.submit(DIRK, "", "", to="office+unsubscribe-%s@example.org" % token)
        got = self.cycle()
        self.assertEqual(self.hp.subscriber(user(1))["status"], "unsubscribed")
        self.assertNotIn(DIRK, got)
        self.assertLessEqual(len(got.get(user(1), [])), 1)


class Expiry(Base):
    instance_args = {"extra": "token_lifetime = 3s"}

    def test_01_expired_tokens(self):
        self.send(user(4), "subscribe", "subscribe\n")
        self.send(BOB, "New", JAZZ, auth=False)    # to the office for moderation
        got = self.cycle(2)
        self.assertRecipients(got, {user(4): 1, BOB: 1, ADMIN: 1})
        sub_token = hp.token_of(got[user(4)][0])
        mod_token = hp.token_of(got[ADMIN][0])
        time.sleep(4)
        self.send(user(4), "Re: confirm " + sub_token, "")
        self.send(ADMIN, "Re: approve " + mod_token, "")
        got = self.cycle(2)
        self.assertRecipients(got, {user(4): 1, ADMIN: 1})   # no outcome to Bob
        for who in (user(4), ADMIN):
            self.assertIn("This confirmation code has expired; nothing has changed.",
                          flat(got[who][0]), who)
        self.assertIsNone(self.hp.subscriber(user(4)))
        self.assertIsNone(self.hp.org("Deventer Jazz"))


class LoopSafety(Base):
    instance_args = {"replies_per_hour": 10}

    def test_01_automatic_mail_is_never_answered(self):
        self.send(user(4), "help", "help\n")
        got = self.cycle()
        ours = got[user(4)][0]
        # Her out-of-office answers our reply ...
        self.send(user(4), "Automatic reply: " + str(ours["Subject"]),
                  "I am out of the office until Monday.\nhelp\n",
                  headers={"Auto-Submitted": "auto-replied",
                           "In-Reply-To": ours["Message-ID"]})
        # ... and other robots write too.
        self.send(user(5), "help", "help\n", headers={"Precedence": "bulk"})
        self.send(user(6), "help", "help\n", headers={"List-Id": "<partners.lists.example>"})
        self.send(user(7), "help", "help\n", envelope="")          # Return-Path: <>
        self.send(OFFICE, "help", "help\n")                        # ourselves
        got = self.cycle(5)
        self.assertRecipients(got, {})
        self.assertEqual(hp.count(OFFICE, "Rejected"), 5)
        self.assertEqual(self.hp.sql("SELECT count(*) FROM messages WHERE outcome = "
                                     "'automated'"), [(5,)])
        hp.assert_no_mail([OFFICE, user(4), user(5), user(6), user(7)])

    def test_02_thirty_messages_ten_answers(self):
        sender = user(8)
        t0 = time.time()
        for i in range(30):
            self.send(sender, "help %d" % i, "help\n")
        self.assertLess(time.time() - t0, 60)
        got = self.cycle(30)
        self.assertRecipients(got, {sender: 10})
        self.assertEqual(hp.count(OFFICE, "Processed"), 30)
        self.assertEqual(self.hp.sql("SELECT count(*) FROM messages WHERE sender = ?",
                                     sender), [(30,)])
        hp.assert_no_mail([sender])

    def test_03_two_hundred_commands_one_reply(self):
        self.send(ADMIN, "new", "Organisation: Port Partners\nSector: economy\n"
                  "Contact: User Fourteen <%s>\n" % user(14))
        self.cycle()
        body = "".join(("help\n", "show Nothing Here\n", "query text=port\n",
                        "subscribe\n", "confirm %032x\n" % i,
                        "remove Port Partners\n", "verwijder PORT PARTNERS\n",
                        "unsubscribe\n")[i % 8] for i in range(200))
        self.send(user(9), "many", body)
        t0 = time.time()
        got = self.cycle(poll_timeout=60)
        self.assertLess(time.time() - t0, 60)
        # One answer to the sender; the same removal asked for in many
        # spellings is one request, with one confirmation to the contact.
        self.assertRecipients(got, {user(9): 1, user(14): 1})
        self.assertEqual(self.hp.sql("SELECT kind, count(*) FROM pending GROUP BY kind "
                                     "ORDER BY kind"), [("remove", 1), ("subscribe", 1)])


def nested_multipart(depth, sender):
    parts = []
    for i in range(depth):
        parts.append('--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n'
                     % (i, i + 1))
    parts.append("--b%d\r\nContent-Type: text/plain\r\n\r\nhelp\r\n--b%d--\r\n"
                 % (depth, depth))
    for i in reversed(range(depth)):
        parts.append("--b%d--\r\n" % i)
    return raw_message(sender, "nested", "".join(parts),
                       ctype='multipart/mixed; boundary="b0"', cte="7bit")


def many_parts(n, sender):
    first = b"--b\r\nContent-Type: text/plain\r\n\r\nhelp\r\n"
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    body = first + part * (n - 1) + b"--b--\r\n"
    return raw_message(sender, "many parts", body,
                       ctype='multipart/mixed; boundary="b"', cte="7bit")


class HostileMime(Base):
    """Oversize, deeply nested and many-part messages: bounded time, and
    the message ends in a folder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small = hp.Instance(mailbox_extra="max_message_size = 64K")

    def test_01_oversize_is_rejected_unread(self):
        # "help" in the Subject and the body: neither may be acted on.
        body = "help\n" + ("x" * 76 + "\n") * 2600          # ~200 KB
        self.send(user(6), "help", body)
        self.send(user(7), "help", "help\n")                # the next one still works
        got = self.cycle(2, inst=self.small)
        self.assertRecipients(got, {user(6): 1, user(7): 1})
        # Answered from its header alone: why nothing happened, no help text.
        text = flat(got[user(6)][0])
        self.assertRegex(text, r"Your message is \d+ KB, more than the 64 KB we accept, "
                         "so we did not read it and nothing has changed.")
        self.assertNotIn("HOW TO UPDATE THE REGISTRY", text)
        self.assertIn("HOW TO UPDATE THE REGISTRY", flat(got[user(7)][0]))
        self.assertEqual(hp.count(OFFICE, "Rejected"), 1)
        self.assertEqual(self.small.sql("SELECT outcome, folder FROM messages WHERE "
                                        "sender IS NULL OR sender = ?", user(6)),
                         [("too-large", "Rejected")])

    def check_bounded(self, raw, label):
        hp.submit(user(6), None, None, raw=raw)
        self.send(user(7), "help", "help\n")
        hp.wait_inbox(2)
        mark = self.hp.outbox_mark()
        try:
            last_uid = self.hp.sql("SELECT coalesce(max(uid), 0) FROM messages")[0][0]
        except sqlite3.OperationalError:
            last_uid = 0                            # no database before the first poll
        t0 = time.time()
        p = self.hp.run("poll", "--once", timeout=60, check=False)
        took = time.time() - t0
        self.assertEqual(p.returncode, 0, "%s: poll exited %d\n%s" % (label, p.returncode,
                                                                       p.stderr[-3000:]))
        self.assertLess(took, 60, label)
        self.assertEqual(hp.count(OFFICE), 0, label + ": left in the INBOX")
        got = self.hp.deliveries(mark)
        self.assertEqual(len(got.get(user(7), [])), 1, label + ": the next message")
        self.assertLessEqual(len(got.get(user(6), [])), 1, label)
        folders = self.hp.sql("SELECT folder, outcome FROM messages WHERE uid > ? AND "
                              "(sender IS NULL OR sender != ?)", last_uid, user(7))
        self.assertEqual(len(folders), 1, label)
        return took, folders[0]

    def test_02_thousand_levels_of_nesting(self):
        raw = nested_multipart(1000, user(6))
        took, where = self.check_bounded(raw, "1000 nested multiparts")
        print("\n  nested: %d bytes, poll %.1f s, %s" % (len(raw), took, where), end=" ")

    def test_03_hundred_thousand_parts(self):
        raw = many_parts(100000, user(6))
        self.assertGreater(len(raw), 3_000_000)
        took, where = self.check_bounded(raw, "100,000 parts")
        print("\n  many parts: %d bytes, poll %.1f s, %s" % (len(raw), took, where), end=" ")


VICTIM = DIRK
# In an unstructured field (Subject) or as literal text.
INJECT = "=?UTF-8?Q?x=0D=0ABcc:_dirk@other.example?="
# As a display name: ":" and "@" encoded too, or Postfix's header
# rewriting would take part of it for an address and qualify it.
INJECT_NAME = "=?UTF-8?Q?x=0D=0ABcc=3A_dirk=40other.example=0D=0ATo=3A_dirk=40other.example?="


class HeaderInjection(Base):
    """CR LF smuggled through names and subjects never becomes a header."""

    # Header fields the daemon writes, plus those Postfix and Dovecot add.
    ALLOWED = {"from", "to", "subject", "date", "message-id", "in-reply-to", "references",
               "auto-submitted", "content-language", "mime-version", "content-type",
               "content-transfer-encoding", "return-path", "delivered-to", "received"}

    def assertClean(self, got):
        """Every delivered message: known header fields only, exactly one To
        (its recipient), no CR/LF/NUL in any decoded value; the same on
        the bytes as they arrived (the outbox drops them once sent)."""
        for rcpt, msgs in got.items():
            for m in msgs:
                names = {k.lower() for k in m.keys()}
                self.assertLessEqual(names, self.ALLOWED, "%s: %r" % (rcpt, names))
                self.assertEqual(len(m.get_all("To")), 1)
                addrs = email.utils.getaddresses([str(m["To"])])
                self.assertEqual([a.lower() for _, a in addrs], [rcpt], str(m["To"]))
                for k, v in m.items():
                    self.assertNotRegex(str(v), "[\r\n\0]", "%s: %s" % (rcpt, k))
                # The bytes too: no header line the daemon did not mean.
                head = re.sub(rb"\r\n[ \t]", b" ", m.raw.split(b"\r\n\r\n", 1)[0])
                lines = head.split(b"\r\n")
                fields = [ln.split(b":", 1)[0].decode().lower() for ln in lines]
                self.assertLessEqual(set(fields), self.ALLOWED, rcpt)
                self.assertEqual(fields.count("to"), 1, rcpt)
                self.assertTrue(all(b":" in ln for ln in lines), rcpt)

    def test_01_display_name_and_subject(self):
        hp.submit(user(8), None, None, raw=raw_message(
            '%s <%s>' % (INJECT_NAME, user(8)), "help", "help\n", auth_for=user(8)))
        hp.submit(user(9), None, None, raw=raw_message(
            user(9), "=?UTF-8?Q?Hello=0D=0ABcc:_dirk@other.example?=", "help\n",
            auth_for=user(9)))
        got = self.cycle(2)
        self.assertRecipients(got, {user(8): 1, user(9): 1})
        self.assertClean(got)
        hp.assert_no_mail([VICTIM])

    def test_02_organisation_and_contact_names(self):
        # Encoded words as literal text in the form ...
        form_a = ("Organisation: Evil %s Org\nSector: economy\n"
                  "Contact: %s <%s>\n" % (INJECT, INJECT, user(11)))
        hp.submit(user(11), None, None, raw=raw_message(
            '%s <%s>' % (INJECT_NAME, user(11)), "=?UTF-8?Q?Entry=0D=0ABcc:_dirk@other.example?=",
            form_a))
        # ... and raw CR (and NUL) inside form lines, base64 so they survive SMTP.
        form_b = ("Organisation: Evil Two\rBcc: dirk@other.example\n"
                  "Sector: economy\n"
                  "Contact: Eve\r\nTo: dirk@other.example <%s>\n"
                  "Description: one\x00Bcc: dirk@other.example\n" % user(12)).encode()
        hp.submit(user(12), None, None, raw=raw_message(
            user(12), "Entry two", base64.encodebytes(form_b), cte="base64"))
        got = self.cycle(2)
        self.assertClean(got)
        # Neither is authenticated: both wait for the office (moderation).
        self.assertIn(user(11), got)
        self.assertIn(user(12), got)
        n = 0
        for m in got.get(ADMIN, []):
            if str(m["Subject"]).startswith("approve "):
                self.send(ADMIN, "ok", "approve %s\n" % hp.token_of(m))
                n += 1
        if n:
            got = self.cycle(n)
            self.assertClean(got)
        hp.assert_no_mail([VICTIM])
        # Whatever was stored holds no line breaks or NULs.
        for table, col in (("orgs", "name"), ("orgs", "description"),
                           ("org_contacts", "name"), ("org_contacts", "email"),
                           ("pending", "org_name"), ("subscribers", "name")):
            bad = self.hp.sql("SELECT %s FROM %s WHERE %s GLOB '*[\r\n]*' OR instr(%s, char(0))"
                              % (col, table, col, col))
            self.assertEqual(bad, [], "%s.%s" % (table, col))

    def test_03_subscriber_name_reaches_to_header(self):
        hp.submit(user(13), None, None, raw=raw_message(
            '%s <%s>' % (INJECT_NAME, user(13)), "subscribe", "subscribe\n", auth_for=user(13)))
        got = self.cycle()
        self.assertClean(got)
        token = hp.token_of(got[user(13)][0])
        hp.submit(user(13), None, None, raw=raw_message(
            '%s <%s>' % (INJECT_NAME, user(13)), "Re: confirm " + token, "", auth_for=user(13)))
        got = self.cycle()
        self.assertClean(got)
        addr = UNSUB_RE.search(hp.body_text(got[user(13)][0])).group(0)
        name = self.hp.subscriber(user(13))["name"] or ""
        self.assertNotRegex(name, "[\r\n\0]")
        hp.submit(user(13), "", "", to=addr, auth=False)   # answered to the stored name
        got = self.cycle()
        self.assertRecipients(got, {user(13): 1})
        self.assertClean(got)
        hp.assert_no_mail([VICTIM])


if __name__ == "__main__":
    unittest.main()
