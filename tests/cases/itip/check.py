#!/usr/bin/python3
"""Check .ics files written by hanzepost's calendar builder with an
independent parser (Debian's python3-icalendar, run with /usr/bin/python3).

    /usr/bin/python3 tests/cases/itip/check.py [FILE.ics ...]

Without arguments it checks every *.ics next to this script.  For each
file it prints one line: name, METHOD, UID, SEQUENCE, DTSTART (an aware
datetime, or a date for all-day events), TZID and the ATTENDEE count.
It fails (exit 1) on what clients trip over: bare LF or a line over 75
octets, a missing VERSION/PRODID/METHOD, a TZID without its VTIMEZONE,
a REQUEST without exactly one ATTENDEE, a PUBLISH with one, a CANCEL
without SEQUENCE or STATUS:CANCELLED.
"""
import glob
import os
import sys

from icalendar import Calendar


def problems(raw, cal):
    errs = []
    if b"\n" in raw.replace(b"\r\n", b"") or b"\r" in raw.replace(b"\r\n", b""):
        errs.append("bare LF or CR")
    for i, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 75:
            errs.append(f"line {i} has {len(line)} octets")
    for p in ("VERSION", "PRODID", "METHOD"):
        if p not in cal:
            errs.append(f"no {p}")
    method = str(cal.get("METHOD", ""))
    tzids = {str(c["TZID"]) for c in cal.walk("VTIMEZONE")}
    for ev in cal.walk("VEVENT"):
        att = ev.get("ATTENDEE")
        n_att = 0 if att is None else len(att) if isinstance(att, list) else 1
        if method == "REQUEST" and n_att != 1:
            errs.append(f"REQUEST with {n_att} ATTENDEE")
        if method == "PUBLISH" and n_att:
            errs.append("PUBLISH with ATTENDEE")
        if method == "CANCEL" and ("SEQUENCE" not in ev or
                                   str(ev.get("STATUS")) != "CANCELLED"):
            errs.append("CANCEL without SEQUENCE or STATUS:CANCELLED")
        for p in ("DTSTAMP", "DTSTART", "UID", "ORGANIZER", "SUMMARY"):
            if p not in ev:
                errs.append(f"VEVENT without {p}")
        for p in ("DTSTART", "DTEND"):
            tzid = ev[p].params.get("TZID") if p in ev else None
            if tzid is not None and tzid not in tzids:
                errs.append(f"{p} TZID={tzid} has no VTIMEZONE")
    return errs


def main(paths):
    bad = 0
    for path in paths:
        raw = open(path, "rb").read()
        try:
            cal = Calendar.from_ical(raw)
        except Exception as e:  # the parser's verdict is the result
            print(f"{os.path.basename(path)}: FAIL: {type(e).__name__}: {e}")
            bad += 1
            continue
        errs = problems(raw, cal)
        for ev in cal.walk("VEVENT"):
            start = ev.decoded("DTSTART")
            att = ev.get("ATTENDEE")
            n_att = 0 if att is None else len(att) if isinstance(att, list) else 1
            print(f"{os.path.basename(path)}: METHOD={cal.get('METHOD')} "
                  f"UID={ev.get('UID')} SEQUENCE={ev.get('SEQUENCE')} "
                  f"DTSTART={start.isoformat()} "
                  f"TZID={ev['DTSTART'].params.get('TZID', '-')} "
                  f"ATTENDEE={n_att}")
        for e in errs:
            print(f"{os.path.basename(path)}: FAIL: {e}")
        bad += bool(errs)
    print("OK" if not bad else f"{bad} file(s) with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(main(sys.argv[1:] or sorted(glob.glob(os.path.join(here, "*.ics")))))
