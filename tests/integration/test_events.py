"""Events, invitations, updates, cancellations and RSVP (issue 5), end to
end against the real stack: forms and .ics exports mailed to the office
mailbox, `poll --once` and `send --once` of hanzepost, invitations read
back from the subscribers' Dovecot INBOXes over IMAPS, parsed by Python's
email package and checked with python3-icalendar (and, where installed,
python3-vobject for the VTIMEZONE content and khal, a real calendar
client, for what a user would see).

The replies the attendees' clients send back are built here the way
Outlook/Exchange, Gmail and Thunderbird build theirs (notes/itip.md §2.1,
§3): described in the notes, written in our own words.

Each class has its own hanzepost instance (database).  Tests within a
class run in order (numbered) and build on each other.  Every wait polls
for a condition with a deadline."""

import base64
import datetime
import email
import email.header
import email.utils
import html
import json
import os
import quopri
import re
import shutil
import smtplib
import subprocess
import tempfile
import unittest
import zoneinfo

from icalendar import Calendar

import hp

try:
    import vobject                          # python3-vobject (tests/deps.sh)
except ImportError:                         # pragma: no cover
    vobject = None

OFFICE = hp.OFFICE
ADMIN = "admin@example.org"                 # an office address ([office] admins)
BOB = "bob@partner.example"                 # a partner, contact of a culture organisation
CARLA = "carla@partner.example"             # ambassador for culture
DIRK = "dirk@other.example"                 # nobody: not invited, not the organiser
UTC = datetime.timezone.utc
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
EVENT_ID_RE = re.compile(r"^[0-9a-f]{32}@example\.org$")
KHAL = shutil.which("khal")

# Invitees of the main class: name, language.
INVITEES = {
    "sub41@partner.example": ("Zoë Ødegård", "en"),
    "sub42@partner.example": ("Piotr Wiśniewski", "nl"),
    "sub43@partner.example": ("Tamm, Jüri", "en"),   # CN needs quoting
}
NEWS_ONLY = "sub44@partner.example"         # on the newsletter list only
SUBJECT_PREFIX = {
    "REQUEST": {"en": "Invitation: ", "nl": "Uitnodiging: "},
    "UPDATE": {"en": "Updated: ", "nl": "Gewijzigd: "},
    "CANCEL": {"en": "Cancelled: ", "nl": "Geannuleerd: "},
}



def last_sunday(year, month):
    """The last Sunday of month (when Europe changes to and from summer time)."""
    end = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1))
    return end - datetime.timedelta(days=(end.weekday() + 1) % 7)


def at(day, hour, minute=0):
    """The UTC instant of a wall clock time in Amsterdam."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute,
                             tzinfo=AMS).astimezone(UTC)


def ymd(day, sep="-"):
    return day.strftime("%Y" + sep + "%m" + sep + "%d")


# Next year's two changes of summer time, so the events always lie in the
# future: SPRING 02:00 CET -> 03:00 CEST, AUTUMN 03:00 CEST -> 02:00 CET.
YEAR = datetime.date.today().year + 1
SPRING = last_sunday(YEAR, 3)
AUTUMN = last_sunday(YEAR, 10)

TITLE = "Hanzedag Lübeck"
LOCATION = "Łódź — Café Ø"
DESCRIPTION = "Welkom in Lübeck; koffie, thee & gebak. Zoë spreekt."
# On the day summer time starts, 10:00 local is 08:00 UTC (09:00 would be
# the winter offset of the night before).
START_UTC = at(SPRING, 10)
END_UTC = at(SPRING, 17)
assert (START_UTC.hour, END_UTC.hour) == (8, 15), "tzdata: no summer time?"
EVENT_FORM = """Beste office,

Event: Hanzedag Lübeck
Start: %s 10:00
End: %s 17:00
Location: Łódź — Café Ø
Description: Welkom in Lübeck; koffie, thee & gebak. Zoë spreekt.
Audience: all

Groeten
""" % (ymd(SPRING), ymd(SPRING))
# The update moves it to the day summer time ends: 10:00 local is 09:00 UTC.
NEW_LOCATION = "Tartu — Raekoja plats 1, Tõnis"
NEW_START_UTC = at(AUTUMN, 10)
NEW_END_UTC = at(AUTUMN, 13, 30)
assert NEW_START_UTC.hour == 9, "tzdata: no winter time?"
UPDATE_FORM = """Event-Id: {eid}
Event: Hanzedag Lübeck
Start: %s 10:00
End: %s 13:30
Location: Tartu — Raekoja plats 1, Tõnis
Description: Welkom in Lübeck; koffie, thee & gebak. Zoë spreekt.
Audience: all
""" % (ymd(AUTUMN), ymd(AUTUMN))

ORG_FORM = """Organisation: Deventer Jazz
Sector: culture
Website: https://deventerjazz.example
Description: Jazz in the Hanseatic towns.
Contact: Bob Jansen <bob@partner.example>
Active-in: DE, Lübeck; culture
"""


def addr_of(header):
    return email.utils.parseaddr(str(header or ""))[1].lower()


def flat(msg):
    """All text/plain of a message, white space runs as one space."""
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            try:
                out.append(part.get_content())
            except (LookupError, UnicodeError):
                out.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return " ".join(" ".join(out).split())


def said(msg):
    """Subject and text of a reply, for loose checks of what it names."""
    return str(msg["Subject"] or "") + " " + flat(msg)


def verp(addr):
    local, domain = addr.rsplit("@", 1)
    return "office+bounce-%s=%s@example.org" % (local, domain.lower())


def ical_utc(dt):
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line, width=75, utf8_safe=True):
    """One content line (str) as folded octets without the line end: at
    most width octets a physical line; with utf8_safe False the cut may
    fall inside a UTF-8 sequence (what Google and Exchange do)."""
    raw = line.encode("utf-8")
    out, first = [], True
    while raw:
        n = width if first else width - 1
        if len(raw) <= n:
            cut = len(raw)
        else:
            cut = n
            while utf8_safe and cut > 0 and (raw[cut] & 0xC0) == 0x80:
                cut -= 1
        out.append((b"" if first else b" ") + raw[:cut])
        raw = raw[cut:]
        first = False
    return out


def ics(lines, eol=b"\r\n", utf8_safe=True, width=75):
    phys = []
    for line in lines:
        phys += fold(line, width, utf8_safe)
    return eol.join(phys) + eol


def esc(text):
    """RFC 5545 TEXT escaping."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace(
        "\n", "\\n")


def b64(data):
    """base64 in 76-character lines, CRLF."""
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def mime_message(sender, subject, body_bytes, headers=(), name=None, auth=True):
    """A whole message: headers as given (subject already encoded when it
    must be) and a body already in MIME form (bytes, CRLF)."""
    lines = ["From: " + ("%s <%s>" % (name, sender) if name else sender),
             "To: " + OFFICE,
             "Subject: " + subject,
             "Date: " + email.utils.formatdate(localtime=True),
             "Message-ID: " + email.utils.make_msgid(domain=sender.split("@")[1]),
             "MIME-Version: 1.0"]
    if auth:
        lines.append("Authentication-Results: " + hp.auth_header(sender))
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n").encode("ascii") + body_bytes


def vtimezone_windows():
    """Outlook's VTIMEZONE for "W. Europe Standard Time" (1601 rules)."""
    return ["BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
            "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
            "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:16010101T020000",
            "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
            "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
            "END:VTIMEZONE"]


def vtimezone_mozilla(tzid="Europe/Amsterdam"):
    """Thunderbird's VTIMEZONE (1970 rules, X-LIC-LOCATION)."""
    return ["BEGIN:VTIMEZONE", "TZID:" + tzid, "X-LIC-LOCATION:" + tzid,
            "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
            "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "END:DAYLIGHT", "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
            "TZNAME:CET", "DTSTART:19701025T030000",
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE"]


def local_windows(dt_utc):
    """The Berlin/Amsterdam wall clock of a UTC instant, as Outlook writes
    it after TZID=W. Europe Standard Time."""
    return dt_utc.astimezone(AMS).strftime("%Y%m%dT%H%M%S")


# ---- the three RSVP dialects ------------------------------------------------

def reply_outlook(uid, attendee, cn, partstat, seq, start, end, comment=None,
                  dtstamp=None, sender=None):
    """An Exchange/Outlook REPLY: no ORGANIZER, METHOD before PRODID, Windows
    TZID with its VTIMEZONE, COMMENT;LANGUAGE, the localised "Accepted:"
    SUMMARY, X-MICROSOFT-CDO-* lines, MAILTO: in capitals; the mail a
    multipart/alternative with iso-8859-1 quoted-printable text and HTML
    and the calendar as base64 with method=REPLY in the Content-Type."""
    dtstamp = dtstamp or datetime.datetime.now(UTC)
    word = {"ACCEPTED": "Geaccepteerd", "DECLINED": "Geweigerd",
            "TENTATIVE": "Voorlopig"}[partstat]
    ev = ["BEGIN:VCALENDAR", "METHOD:REPLY", "PRODID:Microsoft Exchange Server 2010",
          "VERSION:2.0"] + vtimezone_windows() + [
        "BEGIN:VEVENT",
        "ATTENDEE;PARTSTAT=%s;CN=%s:MAILTO:%s" % (partstat, cn, attendee)]
    ev.append("COMMENT;LANGUAGE=nl-NL:" + (esc(comment) if comment else "\\n"))
    ev += ["SUMMARY;LANGUAGE=nl-NL:%s: %s" % (word, esc(TITLE)),
           "DTSTART;TZID=W. Europe Standard Time:" + local_windows(start),
           "DTEND;TZID=W. Europe Standard Time:" + local_windows(end),
           "UID:" + uid, "CLASS:PUBLIC", "PRIORITY:5", "DTSTAMP:" + ical_utc(dtstamp),
           "TRANSP:OPAQUE", "STATUS:CONFIRMED", "SEQUENCE:%d" % seq,
           "LOCATION;LANGUAGE=nl-NL:" + esc(LOCATION),
           "X-MICROSOFT-CDO-APPT-SEQUENCE:%d" % seq,
           "X-MICROSOFT-CDO-OWNERAPPTID:2117652345",
           "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
           "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE", "X-MICROSOFT-CDO-IMPORTANCE:1",
           "X-MICROSOFT-CDO-INSTTYPE:0", "X-MICROSOFT-DONOTFORWARDMEETING:FALSE",
           "X-MICROSOFT-DISALLOW-COUNTER:FALSE", "END:VEVENT", "END:VCALENDAR"]
    # Exchange folds wherever the 75 octets end, also inside a CN.
    cal = ics(ev, utf8_safe=False)
    note = "Tot dan - groet uit Z\u00fcrich" if partstat == "ACCEPTED" else "Helaas, Z\u00fcrich"
    text = quopri.encodestring(note.encode("iso-8859-1") + b"\r\n")
    page = quopri.encodestring(("<html><body><p>%s</p></body></html>" % note).encode(
        "iso-8859-1") + b"\r\n")
    bnd = "_000_AM0PR07MB6178B2E3A1C9EXAMPLE_"
    body = ("Content-Type: multipart/alternative;\r\n\tboundary=\"%s\"\r\n\r\n" % bnd +
            "--%s\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n" % bnd).encode() + \
        text + ("\r\n--%s\r\nContent-Type: text/html; charset=\"iso-8859-1\"\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n" % bnd).encode() + \
        page + ("\r\n--%s\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
                % (bnd, b64(cal), bnd)).encode()
    subject = "=?iso-8859-1?Q?%s:_Hanzedag_L=FCbeck?=" % word
    return mime_message(sender or attendee, subject, body, name=None, headers=[
        "Thread-Topic: %s: Hanzedag Luebeck" % word,
        "Thread-Index: AQHZxyz0m4bTq1example==", "Content-Language: nl-NL",
        "X-MS-Has-Attach:", "X-MS-TNEF-Correlator:"])


def reply_gmail(uid, attendee, partstat, seq, start, end, comment=None,
                dtstamp=None, sender=None):
    """A Gmail/Google Calendar REPLY: UTC times, CALSCALE, ORGANIZER with
    CN, the note as an X-RESPONSE-COMMENT ATTENDEE parameter full of HTML
    entities (and a stray \\; in the quoted value), lines folded at 75
    octets wherever that falls (inside mailto: or a UTF-8 sequence); the
    mail multipart/mixed -> multipart/alternative (text, html, the inline
    text/calendar; method=REPLY) + application/ics invite.ics."""
    dtstamp = dtstamp or datetime.datetime.now(UTC)
    att = ("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;CN=%s;"
           "X-NUM-GUESTS=0" % (partstat, attendee))
    if comment is not None:
        att += ';X-RESPONSE-COMMENT="%s"' % comment
    ev = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
          "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:REPLY", "BEGIN:VEVENT",
          "DTSTART:" + ical_utc(start), "DTEND:" + ical_utc(end),
          "DTSTAMP:" + ical_utc(dtstamp),
          "ORGANIZER;CN=Deventer Internationaal:mailto:" + OFFICE,
          "UID:" + uid, att + ":mailto:" + attendee,
          "CREATED:20261127T080000Z", "DESCRIPTION:", "LAST-MODIFIED:" + ical_utc(dtstamp),
          "LOCATION:" + esc(LOCATION), "SEQUENCE:%d" % seq, "STATUS:CONFIRMED",
          "SUMMARY:" + esc(TITLE), "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    cal = ics(ev, utf8_safe=False)
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined",
            "TENTATIVE": "Tentatively Accepted"}[partstat]
    mixed, alt = "000000000000a1b2c3d4e5f60001", "000000000000a1b2c3d4e5f60000"
    text = "%s has %s this invitation.\r\n" % (attendee, word.lower())
    page = "<html><body><p>%s</p></body></html>\r\n" % html.escape(text.strip())
    body = ("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
            "--%s\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n"
            "--%s\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n\r\n"
            "--%s\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n"
            "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
            % (mixed, mixed, alt, alt, b64(text.encode()), alt,
               quopri.encodestring(page.encode()).decode(), alt, b64(cal), alt,
               mixed, b64(cal), mixed)).encode()
    subject = "%s: %s @ %s 10am - 5pm (CEST) (%s)" % (
        word, TITLE, start.astimezone(AMS).strftime("%a %d %b %Y"), attendee)
    subject = email.header.Header(subject, "utf-8").encode()
    return mime_message(sender or attendee, subject, body)


def reply_thunderbird(uid, attendee, cn, partstat, seq, start, end, dtstamp=None,
                      sender=None, comment=None):
    """A Thunderbird REPLY: the whole event echoed (VTIMEZONE, ORGANIZER,
    DESCRIPTION, LOCATION, SEQUENCE) with only the answering ATTENDEE, all
    parts 8bit raw UTF-8; multipart/mixed -> multipart/alternative
    (text/plain, text/calendar; method=REPLY) + application/ics invite.ics."""
    dtstamp = dtstamp or datetime.datetime.now(UTC)
    ev = ["BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
          "VERSION:2.0", "METHOD:REPLY"] + vtimezone_mozilla() + [
        "BEGIN:VEVENT", "CREATED:20261127T080500Z", "LAST-MODIFIED:" + ical_utc(dtstamp),
        "DTSTAMP:" + ical_utc(dtstamp), "UID:" + uid, "SUMMARY:" + esc(TITLE),
        "ORGANIZER;CN=Deventer Internationaal:mailto:" + OFFICE,
        'ATTENDEE;RSVP=TRUE;PARTSTAT=%s;ROLE=REQ-PARTICIPANT;CN="%s":mailto:%s'
        % (partstat, cn, attendee),
        "DTSTART;TZID=Europe/Amsterdam:" + start.astimezone(AMS).strftime("%Y%m%dT%H%M%S"),
        "DTEND;TZID=Europe/Amsterdam:" + end.astimezone(AMS).strftime("%Y%m%dT%H%M%S"),
        "LOCATION:" + esc(LOCATION), "DESCRIPTION:" + esc(DESCRIPTION),
        "SEQUENCE:%d" % seq, "TRANSP:OPAQUE", "X-MOZ-RECEIVED-SEQUENCE:%d" % seq,
        "X-MOZ-RECEIVED-DTSTAMP:20261127T080000Z", "X-MOZ-GENERATION:2"]
    if comment:
        ev.append("COMMENT:" + esc(comment))
    ev += ["END:VEVENT", "END:VCALENDAR"]
    cal = ics(ev)
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined",
            "TENTATIVE": "Tentative"}[partstat]
    mixed, alt = "------------mX7ZkQp2cVnL0aB9dE1fG3hJ", "------------aY8ZkQp2cVnL0aB9dE1fG3hJ"
    text = "%s heeft uw uitnodiging voor %s beantwoord: %s.\r\n" % (cn, TITLE, word)
    body = ("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "This is a multi-part message in MIME format.\r\n"
            "--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            % (mixed, mixed, alt, alt)).encode() + text.encode() + \
        ("--%s\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n\r\n" % alt).encode() + cal + \
        ("\r\n--%s--\r\n\r\n--%s\r\nContent-Type: application/ics; name=invite.ics\r\n"
         "Content-Disposition: attachment; filename=invite.ics\r\n"
         "Content-Transfer-Encoding: 8bit\r\n\r\n" % (alt, mixed)).encode() + cal + \
        ("\r\n--%s--\r\n" % mixed).encode()
    subject = email.header.Header("%s: %s" % (word, TITLE), "utf-8").encode()
    return mime_message(sender or attendee, subject, body, name=cn_header(cn),
                        headers=["User-Agent: Mozilla/5.0 Thunderbird/115.16.0"])


def cn_header(cn):
    return email.header.Header(cn, "utf-8").encode()


def send_raw(sender, data):
    with smtplib.SMTP("127.0.0.1", hp.SMTP_PORT, timeout=30) as s:
        s.starttls(context=hp.tls_context())
        s.sendmail(sender, [OFFICE], data)


# ---- .ics exports for submissions ------------------------------------------

OUTLOOK_UID = ("040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5A60100000000000000"
               "00100000009D3F1B2E7A4C5D6E8F90112233445566")


def export_outlook():
    """Outlook's "Save as iCalendar": METHOD:PUBLISH, Windows TZID with the
    1601 VTIMEZONE, a GlobalObjectId UID (folded), X-MICROSOFT-CDO-*, CRLF.
    14:00 W. Europe on SPRING = 12:00 UTC (summer time since 02:00)."""
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
             "VERSION:2.0", "METHOD:PUBLISH", "X-MS-OLK-FORCEINSPECTOROPEN:TRUE"] + \
        vtimezone_windows() + [
        "BEGIN:VEVENT", "CLASS:PUBLIC", "CREATED:20261120T091500Z",
        "DESCRIPTION:Overleg over de Hanzedagen in Zwolle\\, Kampen en Deventer.\\n",
        "DTEND;TZID=\"W. Europe Standard Time\":%sT160000" % ymd(SPRING, ""),
        "DTSTAMP:20261120T091500Z",
        "DTSTART;TZID=\"W. Europe Standard Time\":%sT140000" % ymd(SPRING, ""),
        "LAST-MODIFIED:20261120T091500Z", "LOCATION:Stadhuis Zwolle\\, Grote Kerkplein",
        "PRIORITY:5", "SEQUENCE:0", "SUMMARY;LANGUAGE=nl:Hanzeoverleg Zwolle",
        "TRANSP:OPAQUE", "UID:" + OUTLOOK_UID,
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-IMPORTANCE:1",
        "X-MICROSOFT-DISALLOW-COUNTER:FALSE", "X-MS-OLK-AUTOFILLLOCATION:FALSE",
        "X-MS-OLK-CONFTYPE:0", "BEGIN:VALARM", "TRIGGER:-PT15M", "ACTION:DISPLAY",
        "DESCRIPTION:Reminder", "END:VALARM", "END:VEVENT", "END:VCALENDAR"]
    return ics(lines, utf8_safe=False)


def export_google():
    """A Google Calendar export: PUBLISH, X-WR-* headers, UTC times, no
    VTIMEZONE.  09:00Z on AUTUMN = 10:00 in Amsterdam (winter time again
    since 03:00 that night)."""
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
             "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "X-WR-CALNAME:Hanze Deventer", "X-WR-TIMEZONE:Europe/Amsterdam",
             "BEGIN:VEVENT", "DTSTART:" + ical_utc(at(AUTUMN, 10)), "DTEND:" + ical_utc(at(AUTUMN, 12)),
             "DTSTAMP:20261127T081000Z", "UID:5q8b0t3v1c2d3e4f5g6h7i8j9k@google.com",
             "CREATED:20261126T101010Z",
             "DESCRIPTION:Rondleiding door de Hanzestad Kampen – met gids.",
             "LAST-MODIFIED:20261126T101010Z", "LOCATION:Kampen\\, Nieuwe Toren",
             "SEQUENCE:0", "STATUS:CONFIRMED", "SUMMARY:Stadswandeling Kampen",
             "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return ics(lines, utf8_safe=False)


def export_thunderbird():
    """A Thunderbird export: no METHOD, VTIMEZONE Europe/Amsterdam with
    X-LIC-LOCATION, long lines folded, LF line ends.  From 01:30 CET
    (00:30Z) to 04:00 CEST (02:00Z) across the spring-forward gap."""
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
             "VERSION:2.0"] + vtimezone_mozilla() + [
        "BEGIN:VEVENT", "CREATED:20261125T120000Z", "LAST-MODIFIED:20261125T120000Z",
        "DTSTAMP:20261125T120000Z", "UID:4f1e2d3c-b5a6-4789-9abc-def012345678",
        "SUMMARY:Nachtwacht Tallinn – Hanzenacht", "DTSTART;TZID=Europe/Amsterdam:%sT013000" % ymd(SPRING, ""),
        "DTEND;TZID=Europe/Amsterdam:%sT040000" % ymd(SPRING, ""),
        "LOCATION:Tallinn\\, Raekoja plats – Tõnismägi",
        "DESCRIPTION:" + esc("Een nacht lang Hanzeverhalen in de oude stad: Lübeck, "
                             "Tallinn, Riga, Gdańsk en Deventer vertellen om beurten; "
                             "wie wakker blijft ziet de klok verspringen."),
        "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return ics(lines, eol=b"\n")


def ics_mail(sender, subject, text, ics_bytes, ctype, filename, cte="base64"):
    bnd = "=_hanzepost_test_ics_boundary"
    if cte == "base64":
        payload = b64(ics_bytes).encode()
    else:
        payload = ics_bytes
    body = ("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" % (bnd, bnd)).encode() + \
        text.encode() + ("\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                         "Content-Disposition: attachment; filename=\"%s\"\r\n"
                         "Content-Transfer-Encoding: %s\r\n\r\n"
                         % (bnd, ctype, filename, filename, cte)).encode() + \
        payload + ("\r\n--%s--\r\n" % bnd).encode()
    return mime_message(sender, subject, body, headers=["Content-Language: en"])


# ---- khal, a real calendar client ------------------------------------------

class Khal:
    """A throwaway khal configuration and calendar (notes/itip.md §6)."""

    FMT = "{start} | {end} | {title} | {location} | {uid} | {status}"

    def __init__(self, zone="Europe/Amsterdam"):
        self.dir = tempfile.mkdtemp(prefix="khal.", dir=hp.RUN)
        self.cal = os.path.join(self.dir, "cal")
        os.mkdir(self.cal)
        self.conf = os.path.join(self.dir, "config")
        with open(self.conf, "w") as f:
            f.write("""[calendars]
[[hanze]]
path = {cal}
type = calendar
[sqlite]
path = {dir}/khal.db
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = {zone}
default_timezone = {zone}
[default]
default_calendar = hanze
""".format(cal=self.cal, dir=self.dir, zone=zone))
        self.n = 0

    def run(self, *args):
        env = dict(os.environ, HOME=self.dir, XDG_DATA_HOME=self.dir,
                   XDG_CONFIG_HOME=self.dir, XDG_CACHE_HOME=self.dir, LC_ALL="C.UTF-8")
        p = subprocess.run([KHAL, "-c", self.conf] + list(args), capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)
        if p.returncode != 0 or "Traceback" in p.stderr:
            raise AssertionError("khal %s: rc %d\n%s\n%s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def import_ics(self, data):
        self.n += 1
        path = os.path.join(self.dir, "in%d.ics" % self.n)
        with open(path, "wb") as f:
            f.write(data)
        return self.run("import", "--batch", path)

    def events(self, start="%d-01-01" % YEAR, end="%d-12-31" % YEAR):
        """[[start, end, title, location, uid, status], ...]"""
        out = self.run("list", "--format", self.FMT, start, end)
        rows = []
        for line in out.splitlines():
            if " | " in line:
                rows.append([x.strip() for x in line.split(" | ")])
        return rows

    def files(self):
        return sorted(os.listdir(self.cal))


def needs(*attrs):
    """Decorator: the class attributes an earlier test must have set."""
    def mark(f):
        f.needs = attrs
        return f
    return mark


# ---- the checks -------------------------------------------------------------

class Base(unittest.TestCase):
    instance_args = {}
    mailboxes = ()

    @classmethod
    def setUpClass(cls):
        hp.wait_postfix_idle()
        hp.clear_mailboxes(hp.USERS + list(cls.mailboxes))
        cls.hp = hp.Instance(**cls.instance_args)

    def setUp(self):
        hp.wait_postfix_idle()
        # What an earlier failing test left behind must not fail this one.
        hp.clear_mailboxes([OFFICE, ADMIN, BOB, CARLA, DIRK])
        # Tests of a class build on each other: when an earlier one did not
        # get as far as making what this one needs, skip instead of piling
        # up AttributeErrors.
        for attr in getattr(getattr(self, self._testMethodName), "needs", ()):
            if not hasattr(type(self), attr):
                self.skipTest("an earlier test did not get as far as %r" % attr)

    # -- the daemon

    def events(self):
        return json.loads(self.hp.run("events", "list", "--json").stdout)

    def event(self, eid):
        return json.loads(self.hp.run("events", "show", eid, "--json").stdout)

    def export(self, eid):
        """`events export EVENT-ID` as octets (Instance.run reads text,
        which would turn CRLF into LF)."""
        p = subprocess.run([hp.BIN, "-c", self.hp.conf, "events", "export", eid],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise AssertionError("events export %s exited %d: %s"
                                 % (eid, p.returncode, p.stderr.decode("utf-8", "replace")))
        return p.stdout

    def event_by_summary(self, summary):
        found = [e for e in self.events() if e["summary"] == summary]
        self.assertEqual(len(found), 1, "events named %r: %r" % (summary, self.events()))
        return found[0]

    def answers(self, eid):
        """{email: (partstat, comment)} of events show --json."""
        return {a["email"].lower(): (a["partstat"], a["comment"])
                for a in self.event(eid)["attendees"]}

    def cycle(self, n_new=1, timeout=30):
        """Wait for n_new messages in the office INBOX, poll once; the INBOX
        must be empty afterwards; returns the replies as delivered."""
        hp.wait_inbox(n_new, timeout=timeout)
        mark = self.hp.outbox_mark()
        self.hp.poll()
        self.assertEqual(hp.count(OFFICE), 0, "the INBOX was not emptied")
        return self.hp.deliveries(mark)

    def submit(self, sender, subject, body, auth=True, lang="en"):
        return hp.submit(sender, subject, body, auth=auth,
                         headers={"Content-Language": lang})

    def new_mailings(self, before, kind=None):
        return [m for m in self.hp.mailings() if m["id"] not in before
                and (kind is None or m["kind"] == kind)]

    def deliver(self, addrs, per_addr=1, timeout=60):
        """send --once until done, then the messages in addrs' INBOXes
        (exactly per_addr each), cleared afterwards."""
        self.hp.send_all()
        hp.wait_total(addrs, per_addr * len(addrs), timeout=timeout)
        hp.wait_postfix_idle()
        got = hp.inbox_all(addrs)
        self.assertEqual({a: len(m) for a, m in got.items()},
                         {a: per_addr for a in addrs},
                         "who got what: %r" % {a: [str(x["Subject"]) for x in m]
                                               for a, m in got.items()})
        hp.clear_mailboxes(addrs)
        return got

    # -- an invitation, as a client sees it

    def calendar_parts(self, msg, method, where):
        """The two calendars of an invitation copy (SPEC §7 shape), as
        (inline bytes, attachment bytes)."""
        self.assertEqual(msg.get_content_type(), "multipart/mixed", where)
        kids = list(msg.iter_parts())
        self.assertEqual([k.get_content_type() for k in kids],
                         ["multipart/alternative", "application/ics"], where)
        alt, att = kids
        self.assertEqual([p.get_content_type() for p in alt.iter_parts()],
                         ["text/plain", "text/html", "text/calendar"], where)
        cal = list(alt.iter_parts())[2]
        self.assertEqual((cal.get_param("method") or "").upper(), method,
                         "%s: Content-Type %r" % (where, cal["Content-Type"]))
        self.assertEqual((cal.get_content_charset() or "").lower(), "utf-8", where)
        self.assertEqual(str(cal["Content-Transfer-Encoding"]).strip().lower(), "base64", where)
        self.assertEqual(att.get_content_disposition(), "attachment", where)
        self.assertEqual(att.get_filename(), "invite.ics", where)
        self.assertEqual(att.get_param("name"), "invite.ics", where)
        self.assertEqual(str(att["Content-Transfer-Encoding"]).strip().lower(), "base64", where)
        for p in alt.iter_parts():
            if p.get_content_type() != "text/calendar":
                self.assertEqual((p.get_content_charset() or "").lower(), "utf-8", where)
        return cal.get_payload(decode=True), att.get_payload(decode=True)

    def check_wire(self, raw, where):
        """CRLF only, every physical line at most 75 octets and valid
        UTF-8 on its own (folds at character boundaries)."""
        self.assertTrue(raw.startswith(b"BEGIN:VCALENDAR\r\n"), where)
        self.assertTrue(raw.endswith(b"END:VCALENDAR\r\n"), where)
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""), "%s: a bare LF" % where)
        self.assertNotIn(b"\r", raw.replace(b"\r\n", b""), "%s: a bare CR" % where)
        for i, line in enumerate(raw.split(b"\r\n"), 1):
            self.assertLessEqual(len(line), 75, "%s: line %d is %d octets: %r"
                                 % (where, i, len(line), line))
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                self.fail("%s: line %d folded inside a UTF-8 sequence: %r" % (where, i, line))

    def check_vtimezone(self, raw, where):
        """Every TZID used has exactly one VTIMEZONE, with a plain IANA
        name; with vobject, its rules give tzdata's offsets around the DST
        changes of five years (python3-icalendar resolves TZIDs by name and
        so does not look at the VTIMEZONE content)."""
        cal = Calendar.from_ical(raw)
        tzids = [str(c["TZID"]) for c in cal.walk("VTIMEZONE")]
        self.assertEqual(len(tzids), len(set(tzids)), "%s: VTIMEZONE twice: %r" % (where, tzids))
        used = set()
        for ev in cal.walk("VEVENT"):
            for p in ("DTSTART", "DTEND"):
                if p in ev and "TZID" in ev[p].params:
                    used.add(str(ev[p].params["TZID"]))
        self.assertEqual(used - set(tzids), set(), "%s: TZID without VTIMEZONE" % where)
        for t in tzids:
            self.assertFalse(t.startswith("/"), "%s: prefixed TZID %r" % (where, t))
            zoneinfo.ZoneInfo(t)            # an IANA name
        if vobject is None:
            return
        vc = vobject.readOne(raw.decode("utf-8"))
        for vtz in vc.contents.get("vtimezone", []):
            tzid = vtz.tzid.value
            ref, mine = zoneinfo.ZoneInfo(tzid), vtz.gettzinfo()
            for y in range(YEAR - 1, YEAR + 4):
                for m, d, h in ((1, 15, 12), (3, 1, 12), (6, 12, 14), (10, 1, 12),
                                (12, 1, 12)):
                    t = datetime.datetime(y, m, d, h)
                    self.assertEqual(t.replace(tzinfo=mine).utcoffset(),
                                     t.replace(tzinfo=ref).utcoffset(),
                                     "%s: VTIMEZONE %s wrong at %s" % (where, tzid, t))
            # Either side of the changes of the events' year.
            for t in [datetime.datetime(d.year, d.month, d.day, h, 30)
                      for d in (SPRING, AUTUMN) for h in (1, 3)]:
                self.assertEqual(t.replace(tzinfo=mine).utcoffset(),
                                 t.replace(tzinfo=ref).utcoffset(),
                                 "%s: VTIMEZONE %s wrong at %s" % (where, tzid, t))

    def check_calendar(self, raw, method, uid, seq, attendee, start_utc, end_utc,
                       location, where, name=None, tzid="Europe/Amsterdam"):
        """The iCalendar object of a copy, read with python3-icalendar."""
        self.check_wire(raw, where)
        self.check_vtimezone(raw, where)
        cal = Calendar.from_ical(raw)
        self.assertEqual(str(cal.get("METHOD")), method, where)
        self.assertEqual(str(cal.get("VERSION")), "2.0", where)
        self.assertTrue(str(cal.get("PRODID", "")), "%s: no PRODID" % where)
        evs = cal.walk("VEVENT")
        self.assertEqual(len(evs), 1, where)
        ev = evs[0]
        self.assertEqual(str(ev["UID"]), uid, where)
        self.assertEqual(int(ev.get("SEQUENCE", -1)), seq, "%s: SEQUENCE" % where)
        stamp = ev.decoded("DTSTAMP")
        self.assertIsNotNone(stamp.tzinfo, "%s: DTSTAMP not UTC" % where)
        self.assertLess(abs((datetime.datetime.now(UTC) - stamp).total_seconds()), 900,
                        "%s: DTSTAMP %s is not fresh" % (where, stamp))
        for prop, want in (("DTSTART", start_utc), ("DTEND", end_utc)):
            if method == "CANCEL" and prop not in ev:
                continue                # optional in a CANCEL (RFC 5546 §3.2.5)
            self.assertIn(prop, ev, where)
            self.assertEqual(str(ev[prop].params.get("TZID")), tzid,
                             "%s: %s TZID" % (where, prop))
            got = ev.decoded(prop)
            self.assertIsInstance(got, datetime.datetime, where)
            self.assertEqual(got.astimezone(UTC), want,
                             "%s: %s is %s, not %s" % (where, prop, got, want))
        org = ev["ORGANIZER"]
        self.assertEqual(str(org).lower(), "mailto:" + OFFICE, where)
        self.assertEqual(str(org.params.get("CN")), "Deventer Internationaal", where)
        att = ev.get("ATTENDEE")
        self.assertFalse(isinstance(att, list), "%s: more than one ATTENDEE: %r" % (where, att))
        self.assertIsNotNone(att, "%s: no ATTENDEE" % where)
        self.assertEqual(str(att).lower(), "mailto:" + attendee.lower(), where)
        if method == "REQUEST":
            self.assertEqual(str(att.params.get("RSVP")).upper(), "TRUE", where)
            self.assertEqual(str(att.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                             "NEEDS-ACTION", where)
        if name:
            self.assertEqual(str(att.params.get("CN")), name, "%s: CN" % where)
        self.assertEqual(str(ev["SUMMARY"]), TITLE, where)
        if method != "CANCEL" or "LOCATION" in ev:
            self.assertEqual(str(ev.get("LOCATION")), location, where)
        if method != "CANCEL" or "DESCRIPTION" in ev:
            self.assertIn(DESCRIPTION, str(ev.get("DESCRIPTION", "")), where)
        if method == "CANCEL":
            self.assertEqual(str(ev.get("STATUS")), "CANCELLED", where)
        else:
            self.assertIn(str(ev.get("STATUS", "CONFIRMED")), ("CONFIRMED", "TENTATIVE"), where)
        self.assertEqual(cal.walk("VALARM"), [], "%s: an alarm in an invitation" % where)
        return cal

    def check_copy(self, msg, addr, kind, uid, seq, start_utc, end_utc, location,
                   mailing=None):
        """One invitation/update/cancellation copy: headers, MIME shape,
        both calendars.  Returns the invite.ics bytes."""
        name, lang = self.invitees[addr]
        method = "CANCEL" if kind == "CANCEL" else "REQUEST"
        where = "%s copy for %s" % (kind.lower(), addr)
        self.assertEqual(addr_of(msg["To"]), addr, where)
        self.assertEqual(addr_of(msg["From"]), OFFICE, where)
        subject = str(msg["Subject"])
        self.assertTrue(subject.startswith(SUBJECT_PREFIX[kind][lang]),
                        "%s: Subject %r (language %s)" % (where, subject, lang))
        self.assertIn(TITLE, subject, where)
        self.assertEqual(str(msg["Auto-Submitted"] or "").strip().lower(), "auto-generated",
                         where)
        self.assertIsNone(msg["List-Id"], "%s: an invitation is personal mail" % where)
        token = self.hp.sql("SELECT unsub_token FROM subscribers WHERE email = ?", addr)[0][0]
        self.assertIn("office+unsubscribe-%s@example.org" % token,
                      str(msg["List-Unsubscribe"] or ""), where)
        self.assertEqual(str(msg["Return-Path"] or "").strip(), "<%s>" % verp(addr), where)
        if mailing is not None:
            dl = {d["email"]: d["id"] for d in self.hp.mailing_deliveries(mailing)}
            self.assertEqual(str(msg["Message-ID"]).strip(),
                             "<ev-%d-%d@example.org>" % (mailing, dl[addr]), where)
        inline, attached = self.calendar_parts(msg, method, where)
        for raw, which in ((inline, "inline"), (attached, "invite.ics")):
            self.check_calendar(raw, method, uid, seq, addr, start_utc, end_utc, location,
                                "%s (%s)" % (where, which), name=name)
        # The human-readable parts say what and where, non-ASCII intact.
        text = msg.get_body(preferencelist=("plain",)).get_content()
        page = html.unescape(msg.get_body(preferencelist=("html",)).get_content())
        for body, part in ((text, "text"), (page, "html")):
            self.assertIn(TITLE, body, "%s: %s part" % (where, part))
            if kind != "CANCEL":
                self.assertIn(location, " ".join(body.split()), "%s: %s part" % (where, part))
        return attached


class Lifecycle(Base):
    """(a) an office event form -> invitations to three subscribers;
    (c) RSVP in three dialects; (d) update; (e) cancellation; (g) export."""
    invitees = INVITEES
    mailboxes = list(INVITEES) + [NEWS_ONLY]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for addr, (name, lang) in INVITEES.items():
            cls.hp.run("subscribers", "add", addr, "--name", name, "--lang", lang,
                       "--list", "events")
        cls.hp.run("subscribers", "add", NEWS_ONLY, "--lang", "en", "--list", "newsletter")
        cls.first = {}                      # invite.ics of the first invitation, per address

    def test_01_office_form_invites_every_events_subscriber(self):
        self.submit(ADMIN, "Hanzedag", EVENT_FORM)
        before = [m["id"] for m in self.hp.mailings()]
        got = self.cycle()
        evs = self.events()
        self.assertEqual(len(evs), 1, evs)
        ev = evs[0]
        eid = ev["event_id"]
        type(self).eid = eid
        self.assertRegex(eid, EVENT_ID_RE)
        self.assertEqual((ev["state"], ev["sequence"], ev["summary"], ev["location"]),
                         ("approved", 0, TITLE, LOCATION))
        self.assertEqual(ev["counts"]["invited"], 3, ev)
        self.assertEqual(sorted(a["email"].lower() for a in ev["attendees"]), sorted(INVITEES))
        for a in ev["attendees"]:
            self.assertEqual(a["partstat"], "NEEDS-ACTION", a)
        # The submitter hears the Event-Id.
        self.assertIn(ADMIN, got, "no answer to the submitter: %r" % list(got))
        self.assertIn(eid, " ".join(said(m) for m in got[ADMIN]))
        ms = self.new_mailings(before)
        self.assertEqual([(m["kind"], m["list"]) for m in ms], [("invitation", "events")])
        type(self).mailing = ms[0]["id"]

        got = self.deliver(list(INVITEES))
        for addr in INVITEES:
            ics_ = self.check_copy(got[addr][0], addr, "REQUEST", eid, 0, START_UTC, END_UTC,
                                   LOCATION, mailing=self.mailing)
            self.first[addr] = ics_
        type(self).first_done = True
        ids = {str(got[a][0]["Message-ID"]) for a in INVITEES}
        self.assertEqual(len(ids), 3)
        hp.assert_no_mail([NEWS_ONLY, OFFICE], settle=0.5)
        self.assertEqual({d["state"] for d in self.hp.mailing_deliveries(self.mailing)},
                         {"sent"})

    @unittest.skipIf(KHAL is None, "khal is not installed")
    @needs('eid', 'first_done')
    def test_02_khal_imports_the_invitation_at_the_right_local_time(self):
        day = ymd(SPRING)
        for zone, want in (("Europe/Amsterdam", (day + " 10:00", day + " 17:00")),
                           ("UTC", (day + " 08:00", day + " 15:00"))):
            k = Khal(zone)
            k.import_ics(self.first["sub41@partner.example"])
            rows = k.events()
            self.assertEqual(len(rows), 1, rows)
            start, end, title, location, uid, status = rows[0]
            self.assertEqual((start, end), want, "khal in %s: %r" % (zone, rows))
            self.assertEqual((title, location, uid), (TITLE, LOCATION, self.eid))

    def send_replies(self, messages):
        for sender, data in messages:
            send_raw(sender, data)
        return self.cycle(len(messages))

    @needs('eid')
    def test_03_rsvp_outlook_gmail_thunderbird(self):
        a41, a42, a43 = INVITEES
        self.send_replies([
            (a41, reply_outlook(self.eid, a41, INVITEES[a41][0], "ACCEPTED", 0, START_UTC,
                                END_UTC, comment="Tot dan — ik neem een collega mee, "
                                                 "groet uit Zürich")),
            (a42, reply_gmail(self.eid, a42, "TENTATIVE", 0, START_UTC, END_UTC,
                              comment="Ik probeer het\\; de &quot;IC 140&quot; uit "
                                      "Gdańsk &amp; mijn visum")),
            (a43, reply_thunderbird(self.eid, a43, INVITEES[a43][0], "DECLINED", 0,
                                    START_UTC, END_UTC)),
        ])
        ans = self.answers(self.eid)
        self.assertEqual({a: p for a, (p, _) in ans.items()},
                         {a41: "ACCEPTED", a42: "TENTATIVE", a43: "DECLINED"})
        self.assertIn("Tot dan — ik neem een collega mee, groet uit Zürich", ans[a41][1] or "")
        c42 = ans[a42][1] or ""
        self.assertIn('de "IC 140" uit Gdańsk & mijn visum', c42)
        self.assertNotIn("&quot;", c42)
        self.assertNotIn("&amp;", c42)
        ev = self.event(self.eid)
        for a in ev["attendees"]:
            self.assertIsNotNone(a["updated_at"], a)
        c = ev["counts"]
        self.assertEqual((c["invited"], c["accepted"], c["declined"], c["tentative"]),
                         (3, 1, 1, 1), c)

    @needs('eid')
    def test_03b_newsletter_shows_the_counts(self):
        """The newsletter's upcoming events carry the answer counts."""
        ctx = json.loads(self.hp.run("newsletter", "preview", "--lang", "en", "--json").stdout)

        def find(o):
            if isinstance(o, dict):
                if o.get("event_id") == self.eid:
                    return o
                o = list(o.values())
            if isinstance(o, list):
                for x in o:
                    hit = find(x)
                    if hit is not None:
                        return hit
            return None
        ev = find(ctx)
        self.assertIsNotNone(ev, "the event is not in the newsletter: %r" % ctx.get("events"))
        self.assertEqual((ev["invited"], ev["accepted"], ev["declined"], ev["tentative"]),
                         (3, 1, 1, 1), ev)
        text = self.hp.run("newsletter", "preview", "--lang", "en").stdout
        self.assertIn(TITLE, text)

    @needs('eid')
    def test_04_non_invitee_and_unknown_uid_change_nothing(self):
        before = self.event(self.eid)
        self.send_replies([
            (DIRK, reply_thunderbird(self.eid, DIRK, "Dirk", "ACCEPTED", 0, START_UTC,
                                     END_UTC)),
            (DIRK, reply_gmail("0123456789abcdef0123456789abcdef@example.org", DIRK,
                               "ACCEPTED", 0, START_UTC, END_UTC)),
            ("sub41@partner.example",
             reply_gmail("fedcba9876543210fedcba9876543210@example.org",
                         "sub41@partner.example", "DECLINED", 0, START_UTC, END_UTC)),
        ])
        after = self.event(self.eid)
        self.assertEqual(after["attendees"], before["attendees"])
        self.assertEqual(after["counts"], before["counts"])

    @needs('eid')
    def test_05_nobody_answers_for_someone_else(self):
        """ISSUE5 "never let one address answer for another" (RFC 6047
        §2.2.1, notes/itip.md §4 item 11): a mail that authenticates as
        Dirk (DMARC pass for other.example) and carries a REPLY whose
        ATTENDEE is sub41 must not change sub41's answer."""
        a41 = "sub41@partner.example"
        before = self.answers(self.eid)
        self.send_replies([(DIRK, reply_outlook(self.eid, a41, "Zoë", "DECLINED", 0,
                                                START_UTC, END_UTC, sender=DIRK))])
        self.assertEqual(self.answers(self.eid), before)

    @needs('eid')
    def test_06_tnef_only_reply_is_not_guessed(self):
        a41 = "sub41@partner.example"
        before = self.answers(self.eid)
        bnd = "_002_tnef_example_"
        body = ("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                "--%s\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\nGeaccepteerd\r\n"
                "--%s\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
                "Content-Disposition: attachment; filename=\"winmail.dat\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
                % (bnd, bnd, bnd, b64(b"\x78\x9f\x3e\x22" + os.urandom(200)), bnd)).encode()
        send_raw(a41, mime_message(a41, "=?iso-8859-1?Q?Geaccepteerd:_Hanzedag_L=FCbeck?=",
                                   body))
        hp.wait_inbox(1)
        mark = self.hp.outbox_mark()
        self.hp.poll()
        self.assertEqual(self.answers(self.eid), before)
        # Held for a person, and the office told (its admins; a notice to
        # the office mailbox itself lands in the INBOX we poll).
        hp.wait_postfix_idle()
        mb = hp.Mailbox(OFFICE)
        try:
            held = [str(m["Subject"]) for m in mb.messages("Held")]
            left = [m for m in mb.messages("INBOX") if addr_of(m["From"]) != OFFICE]
        finally:
            mb.close()
        self.assertEqual(left, [], "the INBOX was not emptied")
        self.assertEqual(held, ["Geaccepteerd: Hanzedag Lübeck"])
        got = self.hp.deliveries(mark)
        self.assertIn(ADMIN, got, "the office is not told: %r" % list(got))
        self.assertIn(a41, said(got[ADMIN][0]))
        self.assertNotIn(a41, got, "a TNEF answer was answered")

    @needs('eid')
    def test_07_attendees_by_mail(self):
        self.submit(ADMIN, "attendees", "attendees %s\n" % self.eid)
        got = self.cycle()
        self.assertEqual(list(got), [ADMIN], got)
        text = flat(got[ADMIN][0])
        for a in INVITEES:
            self.assertIn(a, text)

    @needs('eid')
    def test_08_update_by_someone_else_is_refused(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(DIRK, "Wijziging", UPDATE_FORM.format(eid=self.eid))
        got = self.cycle()
        self.assertEqual(list(got), [DIRK], "only Dirk hears of it: %r" % list(got))
        ev = self.event(self.eid)
        self.assertEqual((ev["sequence"], ev["location"]), (0, LOCATION))
        self.assertEqual(self.new_mailings(before), [])

    @needs('eid')
    def test_09_update_re_invites_with_sequence_1(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(ADMIN, "Wijziging", UPDATE_FORM.format(eid=self.eid))
        got = self.cycle()
        self.assertIn(ADMIN, got)
        self.assertIn(self.eid, " ".join(said(m) for m in got[ADMIN]))
        ev = self.event(self.eid)
        self.assertEqual((ev["event_id"], ev["state"], ev["sequence"], ev["location"]),
                         (self.eid, "approved", 1, NEW_LOCATION))
        self.assertEqual(len(self.events()), 1, "the update made a second event")
        ms = self.new_mailings(before)
        self.assertEqual([m["kind"] for m in ms], ["invitation"])
        got = self.deliver(list(INVITEES))
        second = {}
        for addr in INVITEES:
            second[addr] = self.check_copy(got[addr][0], addr, "UPDATE", self.eid, 1,
                                                NEW_START_UTC, NEW_END_UTC, NEW_LOCATION,
                                                mailing=ms[0]["id"])
        type(self).second = second

    @unittest.skipIf(KHAL is None, "khal is not installed")
    @needs('eid', 'first_done', 'second')
    def test_10_khal_keeps_one_event_after_the_update(self):
        k = Khal()
        a = "sub42@partner.example"
        k.import_ics(self.first[a])
        k.import_ics(self.second[a])
        rows = k.events()
        self.assertEqual(len(rows), 1, "khal holds %r" % rows)
        self.assertEqual(rows[0][:2], [ymd(AUTUMN) + " 10:00", ymd(AUTUMN) + " 13:30"], rows)
        self.assertEqual(rows[0][3:5], [NEW_LOCATION, self.eid])
        self.assertEqual(len(k.files()), 1, k.files())

    @needs('eid')
    def test_11_old_sequence_reply_is_ignored(self):
        a41, a42, a43 = INVITEES
        before = self.answers(self.eid)
        # sub41 answers the first invitation (SEQUENCE 0) after the update,
        # with a newer DTSTAMP: outdated all the same.
        old = "TENTATIVE" if before[a41][0] != "TENTATIVE" else "DECLINED"
        self.send_replies([(a41, reply_outlook(self.eid, a41, "Zoë", old, 0, START_UTC,
                                               END_UTC, comment="te laat"))])
        self.assertEqual(self.answers(self.eid)[a41], before[a41])
        # The answer to the update counts ...
        t1 = datetime.datetime.now(UTC).replace(microsecond=0)
        self.send_replies([(a43, reply_thunderbird(self.eid, a43, "Jüri Tamm", "ACCEPTED", 1,
                                                   NEW_START_UTC, NEW_END_UTC, dtstamp=t1))])
        self.assertEqual(self.answers(self.eid)[a43][0], "ACCEPTED")
        # ... and one of the same SEQUENCE with an older DTSTAMP does not.
        self.send_replies([(a43, reply_thunderbird(self.eid, a43, "Jüri Tamm", "DECLINED", 1,
                                                   NEW_START_UTC, NEW_END_UTC,
                                                   dtstamp=t1 - datetime.timedelta(hours=1)))])
        self.assertEqual(self.answers(self.eid)[a43][0], "ACCEPTED")
        self.send_replies([(a42, reply_gmail(self.eid, a42, "ACCEPTED", 1, NEW_START_UTC,
                                             NEW_END_UTC, comment="Tot in Tartu"))])
        self.assertEqual(self.answers(self.eid)[a42], ("ACCEPTED", "Tot in Tartu"))

    @needs('eid')
    def test_12_export_is_a_publish_calendar(self):
        raw = self.export(self.eid)
        self.check_wire(raw, "export")
        self.check_vtimezone(raw, "export")
        cal = Calendar.from_ical(raw)
        self.assertEqual(str(cal["METHOD"]), "PUBLISH")
        ev = cal.walk("VEVENT")
        self.assertEqual(len(ev), 1)
        ev = ev[0]
        self.assertEqual((str(ev["UID"]), int(ev["SEQUENCE"]), str(ev["SUMMARY"]),
                          str(ev["LOCATION"])), (self.eid, 1, TITLE, NEW_LOCATION))
        self.assertEqual(ev.decoded("DTSTART").astimezone(UTC), NEW_START_UTC)
        self.assertNotIn("ATTENDEE", ev, "PUBLISH must not name attendees (RFC 5546 §3.2.1)")
        self.assertEqual(str(ev["ORGANIZER"]).lower(), "mailto:" + OFFICE)

    @needs('eid')
    def test_13_cancel_reaches_everyone_invited(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(ADMIN, "Afgelast", "cancel %s\n" % self.eid)
        got = self.cycle()
        self.assertIn(ADMIN, got)
        ev = self.event(self.eid)
        self.assertEqual((ev["state"], ev["sequence"]), ("cancelled", 2))
        ms = self.new_mailings(before)
        self.assertEqual([m["kind"] for m in ms], ["cancellation"])
        got = self.deliver(list(INVITEES))
        third = {}
        for addr in INVITEES:
            third[addr] = self.check_copy(got[addr][0], addr, "CANCEL", self.eid, 2,
                                               NEW_START_UTC, NEW_END_UTC, NEW_LOCATION,
                                               mailing=ms[0]["id"])
        hp.assert_no_mail([NEWS_ONLY], settle=0)
        type(self).third = third

    @unittest.skipIf(KHAL is None, "khal is not installed")
    @needs('eid', 'first_done', 'second', 'third')
    def test_14_khal_shows_the_event_cancelled(self):
        k = Khal()
        a = "sub43@partner.example"
        for data in (self.first[a], self.second[a], self.third[a]):
            k.import_ics(data)
        rows = k.events()
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][4:], [self.eid, "CANCELLED"], rows)


class Moderation(Base):
    """(b) A partner's event waits for the sector's ambassador; approve by
    mail sends the invitations; a rejected one sends nothing."""
    invitees = {"sub45@partner.example": ("", "en"), "sub46@partner.example": ("", "nl")}
    mailboxes = list(invitees)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for addr, (_, lang) in cls.invitees.items():
            cls.hp.run("subscribers", "add", addr, "--lang", lang, "--list", "events")
        cls.hp.run("ambassadors", "add", CARLA, "culture")
        hp.submit(ADMIN, "Jazz", ORG_FORM, headers={"Content-Language": "en"})
        hp.wait_inbox(1)
        cls.hp.poll()
        hp.wait_postfix_idle()
        hp.clear_mailboxes([ADMIN])
        assert cls.hp.org("Deventer Jazz") is not None, "setup: organisation not added"

    def test_01_partner_event_waits_for_the_ambassador(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(BOB, "Hanzedag", EVENT_FORM)
        got = self.cycle()
        evs = self.events()
        self.assertEqual(len(evs), 1, evs)
        eid = evs[0]["event_id"]
        type(self).eid = eid
        self.assertRegex(eid, EVENT_ID_RE)
        self.assertEqual(evs[0]["state"], "pending")
        self.assertEqual(self.new_mailings(before), [], "invitations before approval")
        self.assertEqual(sorted(got), sorted([BOB, CARLA]), "who got what: %r" % list(got))
        self.assertIn(eid, said(got[BOB][0]))
        mod = got[CARLA][0]
        self.assertTrue(str(mod["Subject"]).lower().startswith("approve "), mod["Subject"])
        token = hp.token_of(mod)
        self.assertNotIn(token, got[BOB][0].raw.decode("ascii", "replace"))
        self.assertIn(TITLE, flat(mod))
        type(self).token = token
        hp.assert_no_mail(list(self.invitees), settle=0)

    @needs('eid', 'token')
    def test_02_approve_by_mail_sends_the_invitations(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(CARLA, "ok", "approve %s\n" % self.token)
        got = self.cycle()
        self.assertIn(BOB, got, "the submitter does not hear the outcome: %r" % list(got))
        self.assertTrue(TITLE in said(got[BOB][-1]) or self.eid in said(got[BOB][-1]),
                        said(got[BOB][-1]))
        ev = self.event(self.eid)
        self.assertEqual((ev["state"], ev["sequence"]), ("approved", 0))
        ms = self.new_mailings(before)
        self.assertEqual([m["kind"] for m in ms], ["invitation"])
        got = self.deliver(list(self.invitees))
        for addr in self.invitees:
            self.check_copy(got[addr][0], addr, "REQUEST", self.eid, 0, START_UTC, END_UTC,
                            LOCATION, mailing=ms[0]["id"])

    def test_03_rejected_event_sends_nothing(self):
        before = [m["id"] for m in self.hp.mailings()]
        self.submit(BOB, "Nog een", EVENT_FORM.replace("Hanzedag Lübeck", "Hanzenacht"))
        got = self.cycle()
        self.assertIn(CARLA, got, "no approve mail to the ambassador: %r" % list(got))
        token = hp.token_of(got[CARLA][0])
        ev = self.event_by_summary("Hanzenacht")
        self.assertEqual(ev["state"], "pending")
        self.submit(CARLA, "nee", "reject %s Te laat aangemeld\n" % token)
        got = self.cycle()
        self.assertIn(BOB, got, "the submitter does not hear the outcome: %r" % list(got))
        self.assertEqual(self.event(ev["event_id"])["state"], "rejected")
        self.assertEqual(self.new_mailings(before), [])
        self.hp.send_all()
        hp.assert_no_mail(list(self.invitees))


class Supersede(Base):
    """An update before the first invitations went out: the queued
    copies of the first mailing are skipped (ISSUE5), so each invitee gets
    the current version once."""
    invitees = {"sub47@partner.example": ("", "en"), "sub48@partner.example": ("", "en")}
    mailboxes = list(invitees)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for addr in cls.invitees:
            cls.hp.run("subscribers", "add", addr, "--lang", "en", "--list", "events")

    def test_01_only_the_latest_version_is_sent(self):
        self.submit(ADMIN, "Hanzedag", EVENT_FORM)
        self.cycle()
        evs = self.events()
        self.assertEqual(len(evs), 1, evs)
        eid = evs[0]["event_id"]
        self.submit(ADMIN, "Wijziging", UPDATE_FORM.format(eid=eid))
        self.cycle()
        got = self.deliver(list(self.invitees))
        for addr in self.invitees:
            self.check_copy(got[addr][0], addr, "UPDATE", eid, 1, NEW_START_UTC,
                            NEW_END_UTC, NEW_LOCATION)
        hp.assert_no_mail(list(self.invitees))


class IcsSubmissions(Base):
    """(f) .ics exports in Outlook, Google and Thunderbird style attached
    to an office mail: one event each at the right local time; (g) the
    export; and the invitation built from each."""
    invitees = {"sub49@partner.example": ("", "en")}
    mailboxes = list(invitees)
    CASES = {
        # summary: (mail builder args, start UTC, end UTC, local start in the event's zone)
        "Hanzeoverleg Zwolle": (
            (export_outlook, "text/calendar; charset=\"utf-8\"; method=PUBLISH",
             "Hanzeoverleg.ics", "base64"),
            at(SPRING, 14), at(SPRING, 16), ymd(SPRING) + "T14:00"),
        "Stadswandeling Kampen": (
            (export_google, "application/ics", "invite.ics", "8bit"),
            at(AUTUMN, 10), at(AUTUMN, 12), ymd(AUTUMN) + "T10:00"),
        "Nachtwacht Tallinn – Hanzenacht": (
            # base64 keeps the LF line ends (SMTP makes every 8bit line CRLF).
            (export_thunderbird, "text/calendar; charset=UTF-8", "Nachtwacht.ics", "base64"),
            at(SPRING, 1, 30), at(SPRING, 4), ymd(SPRING) + "T01:30"),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hp.run("subscribers", "add", "sub49@partner.example", "--lang", "en",
                   "--list", "events")

    def test_01_three_exporters(self):
        for summary, ((build, ctype, fname, cte), _, _, _) in self.CASES.items():
            send_raw(ADMIN, ics_mail(ADMIN, "Evenement", "Hierbij ons evenement.\r\n",
                                     build(), ctype, fname, cte))
        got = self.cycle(3)
        self.assertIn(ADMIN, got)
        replies = " ".join(flat(m) for m in got[ADMIN])
        by_summary = {e["summary"]: e for e in self.events()}
        self.assertEqual(sorted(by_summary), sorted(self.CASES), by_summary)
        type(self).ids = {}
        for summary, (_, start, end, local) in self.CASES.items():
            ev = by_summary[summary]
            self.ids[summary] = ev["event_id"]
            self.assertIn(ev["event_id"], replies, "%s: no Event-Id in the answers" % summary)
            self.assertEqual(ev["state"], "approved", summary)
            self.assertFalse(ev["all_day"], summary)
            tz = ev["timezone"]
            self.assertFalse(str(tz).startswith("/"), "%s: zone %r" % (summary, tz))
            zone = zoneinfo.ZoneInfo(tz)         # an IANA name
            for key, want in (("start", start), ("end", end)):
                wall = datetime.datetime.fromisoformat(ev[key]).replace(tzinfo=zone)
                self.assertEqual(wall.astimezone(UTC), want,
                                 "%s: %s %s in %s" % (summary, key, ev[key], tz))
            self.assertTrue(ev["start"].startswith(local), "%s: local start %s (%s)"
                            % (summary, ev["start"], tz))
            utc = self.hp.sql("SELECT start_utc, end_utc FROM events WHERE uid = ?",
                              ev["event_id"])[0]
            self.assertEqual(utc, (int(start.timestamp()), int(end.timestamp())), summary)
        self.assertIn("Tõnismägi", by_summary["Nachtwacht Tallinn – Hanzenacht"]["location"])
        self.assertEqual(by_summary["Hanzeoverleg Zwolle"]["location"],
                         "Stadhuis Zwolle, Grote Kerkplein")

    @needs('ids')
    def test_02_invitations_at_the_same_instants(self):
        got = self.deliver(["sub49@partner.example"], per_addr=3)
        seen = set()
        for msg in got["sub49@partner.example"]:
            inline, attached = self.calendar_parts(msg, "REQUEST", str(msg["Subject"]))
            self.check_wire(attached, str(msg["Subject"]))
            self.check_vtimezone(attached, str(msg["Subject"]))
            ev = Calendar.from_ical(attached).walk("VEVENT")[0]
            summary = str(ev["SUMMARY"])
            _, start, end, _ = self.CASES[summary]
            self.assertEqual(str(ev["UID"]), self.ids[summary])
            self.assertEqual(ev.decoded("DTSTART").astimezone(UTC), start, summary)
            self.assertEqual(ev.decoded("DTEND").astimezone(UTC), end, summary)
            self.assertIn("TZID", ev["DTSTART"].params, summary)
            seen.add(summary)
        self.assertEqual(seen, set(self.CASES))

    @needs('ids')
    def test_03_export_of_each(self):
        for summary, (_, start, end, _) in self.CASES.items():
            raw = self.export(self.ids[summary])
            self.check_wire(raw, summary)
            cal = Calendar.from_ical(raw)
            self.assertEqual(str(cal["METHOD"]), "PUBLISH", summary)
            ev = cal.walk("VEVENT")[0]
            self.assertEqual(ev.decoded("DTSTART").astimezone(UTC), start, summary)

    def test_05_all_day_events(self):
        """A form with a date alone and an all-day .ics: VALUE=DATE, no
        TZID, and the END exclusive (RFC 5545) in the invitation."""
        form = ("Event: Hanzedag Harderwijk\nStart: 12-06-%d\nEnd: 12-06-%d\n" % (YEAR, YEAR) +
                "Location: Harderwijk, Vischpoort\nAudience: all\n")
        self.submit(ADMIN, "Hele dag", form)
        allday = ics(["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
                      "VERSION:2.0", "METHOD:PUBLISH", "BEGIN:VEVENT",
                      "DTSTART;VALUE=DATE:%d0619" % YEAR, "DTEND;VALUE=DATE:%d0621" % YEAR,
                      "DTSTAMP:20261127T081000Z", "UID:allday-kampen-%d@google.com" % YEAR,
                      "SUMMARY:Hanzefeesten Kampen", "END:VEVENT", "END:VCALENDAR"])
        send_raw(ADMIN, ics_mail(ADMIN, "Evenement", "Twee dagen.\r\n", allday,
                                 "application/ics", "invite.ics"))
        self.cycle(2)
        want = {"Hanzedag Harderwijk": (datetime.date(YEAR, 6, 12), datetime.date(YEAR, 6, 13)),
                "Hanzefeesten Kampen": (datetime.date(YEAR, 6, 19), datetime.date(YEAR, 6, 21))}
        for summary, (start, _) in want.items():
            ev = self.event_by_summary(summary)
            self.assertTrue(ev["all_day"], ev)
            self.assertTrue(ev["start"].startswith(start.isoformat()), ev)
        got = self.deliver(["sub49@partner.example"], per_addr=2)
        for msg in got["sub49@partner.example"]:
            _, attached = self.calendar_parts(msg, "REQUEST", str(msg["Subject"]))
            self.check_wire(attached, str(msg["Subject"]))
            ev = Calendar.from_ical(attached).walk("VEVENT")[0]
            summary = str(ev["SUMMARY"])
            self.assertIn(summary, want)
            for prop, day in zip(("DTSTART", "DTEND"), want[summary]):
                self.assertEqual(str(ev[prop].params.get("VALUE", "DATE")), "DATE", summary)
                self.assertNotIn("TZID", ev[prop].params, summary)
                self.assertEqual(ev.decoded(prop), day, "%s: %s" % (summary, prop))

    @unittest.skipIf(KHAL is None, "khal is not installed")
    @needs('ids')
    def test_04_khal_reads_the_exports(self):
        k = Khal()
        for summary in self.CASES:
            k.import_ics(self.export(self.ids[summary]))
        rows = {r[2]: r for r in k.events()}
        self.assertEqual(rows["Hanzeoverleg Zwolle"][0], ymd(SPRING) + " 14:00")
        self.assertEqual(rows["Stadswandeling Kampen"][0], ymd(AUTUMN) + " 10:00")
        self.assertEqual(rows["Nachtwacht Tallinn – Hanzenacht"][:2],
                         [ymd(SPRING) + " 01:30", ymd(SPRING) + " 04:00"])


if __name__ == "__main__":
    unittest.main()
