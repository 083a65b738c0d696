#!/usr/bin/python3
"""Check invitation copies written by hanzepost (compose_invite_message)
with an independent MIME parser: Python's `email` package, run with
Debian's /usr/bin/python3.

    /usr/bin/python3 tests/cases/invite/check.py [MSG.eml[=CAL.ics] ...]

Without arguments it checks request.eml against request.ics and
cancel.eml against cancel.ics next to this script.  With CAL.ics given
(or found as the .eml's name with .ics), the decoded calendar parts must
equal it byte for byte.  For each message it prints one line (name,
METHOD, subject) and fails (exit 1) when:

- the top part is not multipart/mixed with exactly two children, the
  first multipart/alternative of text/plain, text/html (optional) and
  text/calendar in that order, the second application/ics with
  Content-Disposition attachment and filename invite.ics;
- a calendar part is not base64, lacks charset=UTF-8 (text/calendar),
  or its method= differs from the VCALENDAR's METHOD;
- the decoded calendar is not the input (CRLF kept), has a bare LF or
  a line over 75 octets;
- the header lacks From, To, Date, Message-ID, Subject,
  Auto-Submitted: auto-generated or List-Unsubscribe: <mailto:...>, has
  a List-Id or Precedence, or has a raw 8-bit byte;
- with --expect FIELD=TEXT (repeatable; FIELD subject, name, text or
  calendar), TEXT is not in the decoded Subject, To display name, text
  part or (unfolded) calendar.  The default run expects é ü ł Ø in each.
"""
import email
import email.policy
import os
import re
import sys


def calendar_method(cal):
    m = re.search(rb"\r\nMETHOD:([^\r\n]*)\r\n", cal)
    return m.group(1).decode("ascii") if m else None


def check(path, ics, expect):
    errs = []
    raw = open(path, "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    if any(b > 127 for b in head):
        errs.append("raw 8-bit byte in the header")
    if b"\n" in raw.replace(b"\r\n", b""):
        errs.append("bare LF in the message")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for h in ("From", "To", "Date", "Message-ID", "Subject"):
        if msg[h] is None:
            errs.append(f"no {h}")
    if str(msg["Auto-Submitted"]) != "auto-generated":
        errs.append("Auto-Submitted is not auto-generated")
    if not re.fullmatch(r"<mailto:[^>\s]+>", " ".join(str(msg["List-Unsubscribe"] or "").split())):
        errs.append("List-Unsubscribe is not <mailto:...>")
    for h in ("List-Id", "Precedence", "Return-Path"):
        if msg[h] is not None:
            errs.append(f"has {h}")
    if msg.get_content_type() != "multipart/mixed":
        errs.append(f"top is {msg.get_content_type()}")
        return errs, None, ""
    kids = msg.get_payload()
    if len(kids) != 2:
        errs.append(f"multipart/mixed has {len(kids)} children")
        return errs, None, ""
    alt, att = kids
    types = [p.get_content_type() for p in alt.get_payload()] \
        if alt.is_multipart() else []
    if alt.get_content_type() != "multipart/alternative" or \
            types not in (["text/plain", "text/html", "text/calendar"],
                          ["text/plain", "text/calendar"]):
        errs.append(f"first child {alt.get_content_type()} {types}")
        return errs, None, ""
    calpart = alt.get_payload()[-1]
    texts = [str(msg["Subject"]), msg["To"].addresses[0].display_name,
             alt.get_payload()[0].get_content()]
    if att.get_content_type() != "application/ics":
        errs.append(f"attachment is {att.get_content_type()}")
    if att.get_content_disposition() != "attachment" or \
            att.get_filename() != "invite.ics" or \
            att.get_param("name") != "invite.ics":
        errs.append("attachment is not invite.ics")
    if calpart.get_param("charset") != "UTF-8":
        errs.append("text/calendar without charset=UTF-8")
    method = None
    for part in (calpart, att):
        if part["Content-Transfer-Encoding"] != "base64":
            errs.append(f"{part.get_content_type()} is not base64")
        cal = part.get_payload(decode=True)
        method = calendar_method(cal)
        if ics is not None and cal != ics:
            errs.append(f"{part.get_content_type()} differs from the input")
        if b"\n" in cal.replace(b"\r\n", b""):
            errs.append("bare LF in the calendar")
        if any(len(line) > 75 for line in cal.split(b"\r\n")):
            errs.append("calendar line over 75 octets")
        texts.append(cal.decode("utf-8"))
    if calpart.get_param("method") != method:
        errs.append(f"method={calpart.get_param('method')} but METHOD:{method}")
    fields = dict(zip(("subject", "name", "text"), texts[:3]))
    fields["calendar"] = texts[-1].replace("\r\n ", "")
    for e in expect:
        field, _, want = e.partition("=")
        if want not in fields.get(field, ""):
            errs.append(f"{want!r} missing from the {field}")
    return errs, method, str(msg["Subject"])


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    expect, files = [], []
    i = 0
    while i < len(argv):
        if argv[i] == "--expect":
            expect.append(argv[i + 1])
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if not files:
        files = [os.path.join(here, n) for n in ("request.eml", "cancel.eml")]
        expect = expect or [
            "subject=Café Überleg – Łódź meets Østfold",
            "name=Ånna Łukasiewicz-Dupré",
            "text=Café Überleg in Łódź en Østfold",
            "calendar=SUMMARY:Café Überleg – Łódź meets Østfold",
            "calendar=CN=Ånna Łukasiewicz-Dupré:mailto:anna@partner.example",
            "calendar=Zürich en Ørsta"]
    bad = 0
    for f in files:
        path, _, ics_path = f.partition("=")
        if not ics_path and os.path.exists(path[:-4] + ".ics"):
            ics_path = path[:-4] + ".ics"
        ics = open(ics_path, "rb").read() if ics_path else None
        errs, method, subject = check(path, ics, expect)
        print(f"{os.path.basename(path)}: {method} {subject!r}"
              + ("" if not errs else " FAIL"))
        for e in errs:
            print(f"  FAIL: {e}")
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
