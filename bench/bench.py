"""The newsletter benchmark (make bench; started by bench/run.sh, which owns
the smtp-sink servers and stops them).

Measures, each as the median of --runs runs with min and max:
  - messages/s of `hanzepost send --once` delivering one issue of
    personalised ~20 KB copies to 20,000 recipients at concurrency 8 to
    smtp-sink, and of Postfix's `smtp-source -c -s 8 -l 20480 -m 20000 -d`
    (connections kept for many messages, as ours are) to the same sink in
    the same run, interleaved;
  - peak RSS (/usr/bin/time -v) of `newsletter send` (creating the issue)
    and `send --once` (delivering it) for 10,000 and 100,000 recipients;
  - scale: one issue at 1x, 4x and 16x 20,000 recipients (as far as fits
    in SCALE_BUDGET_S), with the slope.
Prints a table and writes bench/results/latest.json.

Set-up shortcuts, on purpose: subscribers are inserted straight into the
subscribers table (SQLite, the columns of store.c migration 2) because
`hanzepost subscribers add` 100,000 times would take longer than the
benchmark; the editorial intro is inserted into the intros table (what
the office's `newsletter` mail does) and sized so that one copy is ~20 KB.
Only Debian's python3 standard library is used."""

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

TARGET_BYTES = 20480
CONCURRENCY = 8
# [smtp] rate is messages per minute: set far above what the machine can
# do, so the figure is the sender's own speed, not the limiter's.
RATE = 10000000
DELIVERY_N = 20000
RSS_NS = (10000, 100000)
SCALE_FACTORS = (1, 4, 16)
SCALE_BUDGET_S = 600
CMD_TIMEOUT = 900

ap = argparse.ArgumentParser()
for a in ("--top", "--run", "--bin"):
    ap.add_argument(a, required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dump-port", type=int, required=True)
ap.add_argument("--runs", type=int, default=3)
opt = ap.parse_args()
RUN = opt.run


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def write_config(name, port):
    d = os.path.join(RUN, name)
    os.makedirs(d, exist_ok=True)
    pw = os.path.join(d, "pw")
    with open(os.open(pw, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("unused\n")
    conf = os.path.join(d, "hanzepost.conf")
    with open(conf, "w") as f:
        f.write(f"""[mailbox]
url = imaps://127.0.0.1:1/INBOX
user = office@example.org
password_file = {pw}

[smtp]
url = smtp://127.0.0.1:{port}
tls = off
concurrency = {CONCURRENCY}
rate = {RATE}

[office]
address = Deventer Internationaal <office@example.org>
bounce_address = office+bounce@example.org
unsubscribe_address = office+unsubscribe@example.org

[database]
path = {os.path.join(d, "hanzepost.db")}
""")
    return conf, os.path.join(d, "hanzepost.db")


def hp(conf, *args, rss=False):
    """Run hanzepost; returns (seconds, peak RSS in KiB or None)."""
    cmd = [opt.bin, "-c", conf] + list(args)
    tfile = os.path.join(RUN, "time.out")
    if rss:
        cmd = ["/usr/bin/time", "-v", "-o", tfile] + cmd
    t = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=CMD_TIMEOUT)
    dt = time.monotonic() - t
    if p.returncode != 0:
        die("%s exited %d:\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    kib = None
    if rss:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tfile).read())
        kib = int(m.group(1)) if m else None
    return dt, kib


def intro_markdown(nbytes):
    """A plausible editorial intro of about nbytes of Markdown."""
    para = ("The **Hanze days** bring partners from *Deventer* and the old "
            "Hanseatic towns together: trade missions, student exchanges and "
            "[a programme](https://www.deventer.example/hanze) for everyone. ")
    out, i = ["# Hanzedagen\n\n"], 0
    while sum(map(len, out)) < nbytes:
        i += 1
        out.append("## Part %d\n\n%s\n\n- item one of %d\n- item two of %d\n\n"
                   % (i, para * 3, i, i))
    return "".join(out)[:nbytes]


def make_db(conf, db, n, intro_bytes):
    """A fresh database with n active newsletter subscribers (nl and en
    alternating) and one unused intro."""
    if os.path.exists(db):
        os.unlink(db)
    hp(conf, "subscribers", "list")               # creates the schema
    now = int(time.time())
    con = sqlite3.connect(db)
    with con:
        con.execute("""
            WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
            INSERT INTO subscribers (email, name, lang, newsletter, events, status,
                consent_at, unsub_token, created_at, updated_at)
            SELECT printf('sub%06d@bench.example', i), printf('Subscriber %d', i),
                   CASE i % 2 WHEN 0 THEN 'nl' ELSE 'en' END, 1, 0, 'active',
                   ?, lower(hex(randomblob(16))), ?, ? FROM c""", (n, now, now, now))
        con.execute("INSERT INTO intros (markdown, author, message_id, at) VALUES (?, ?, ?, ?)",
                    (intro_markdown(intro_bytes), "office@example.org", None, now))
    con.close()


def dumped_size():
    """Size of the one message in the calibration sink's dump (without the
    X- lines smtp-sink writes before it)."""
    files = glob.glob(os.path.join(RUN, "dump", "*"))
    if len(files) != 1:
        die("calibration: expected one dumped message, found %d" % len(files))
    data = open(files[0], "rb").read()
    os.unlink(files[0])
    lines = data.split(b"\n")
    while lines and re.match(rb"X-(Client|Helo|Mail|Rcpt)-", lines[0]):
        lines.pop(0)
    return len(b"\n".join(lines))


def calibrate():
    """Intro size that makes one copy ~TARGET_BYTES (two sizes, linear)."""
    conf, db = write_config("calib", opt.dump_port)
    sizes = []
    for L in (6000, 12000):
        make_db(conf, db, 1, L)
        hp(conf, "newsletter", "send")
        hp(conf, "send", "--once")
        end = time.time() + 10
        while not glob.glob(os.path.join(RUN, "dump", "*")) and time.time() < end:
            time.sleep(0.1)
        sizes.append((L, dumped_size()))
    (l1, s1), (l2, s2) = sizes
    if s2 <= s1:
        die("calibration: the intro does not change the size (%r)" % sizes)
    L = int(l1 + (TARGET_BYTES - s1) * (l2 - l1) / (s2 - s1))
    make_db(conf, db, 1, L)
    hp(conf, "newsletter", "send")
    hp(conf, "send", "--once")
    time.sleep(0.3)
    return L, dumped_size()


def template(name, n, intro_bytes):
    conf, db = write_config(name, opt.port)
    make_db(conf, db, n, intro_bytes)
    shutil.copy(db, db + ".template")
    return conf, db


def fresh(db):
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(db + ext):
            os.unlink(db + ext)
    shutil.copy(db + ".template", db)


def deliver(conf, db, n):
    """newsletter send, then send --once until every copy is sent.
    Returns (create s, create KiB, send s, send KiB, rounds)."""
    fresh(db)
    c_s, c_kib = hp(conf, "newsletter", "send", rss=True)
    total, peak, rounds = 0.0, 0, 0
    while True:
        rounds += 1
        s, kib = hp(conf, "send", "--once", rss=True)
        total += s
        peak = max(peak, kib or 0)
        con = sqlite3.connect(db)
        try:
            sent, queued = con.execute(
                "SELECT count(*) FILTER (WHERE state = 'sent'),"
                " count(*) FILTER (WHERE state = 'queued') FROM deliveries").fetchone()
        finally:
            con.close()
        if queued == 0:
            break
        if rounds >= 5:
            die("%d copies still queued after %d rounds of send --once" % (queued, rounds))
    if sent != n:
        die("only %d of %d copies were accepted by smtp-sink" % (sent, n))
    return c_s, c_kib, total, peak, rounds


def smtp_source(n):
    cmd = ["/usr/sbin/smtp-source", "-c", "-s", str(CONCURRENCY), "-l", str(TARGET_BYTES),
           "-m", str(n), "-d", "-f", "office@example.org", "-t", "sub@bench.example",
           "127.0.0.1:%d" % opt.port]
    t = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=CMD_TIMEOUT)
    dt = time.monotonic() - t
    if p.returncode != 0:
        die("smtp-source exited %d: %s" % (p.returncode, p.stderr))
    return dt


def stats(xs):
    return {"median": round(statistics.median(xs), 2), "min": round(min(xs), 2),
            "max": round(max(xs), 2), "runs": [round(x, 2) for x in xs]}


def delivery_scale(intro_bytes):
    """One issue at 1x, 4x and 16x DELIVERY_N recipients (a size is
    skipped when the last one predicts it would pass SCALE_BUDGET_S);
    the slope is seconds per extra copy between the smallest and the
    largest size, in ms."""
    points = []
    for factor in SCALE_FACTORS:
        n = DELIVERY_N * factor
        if points and n / points[-1]["msgs_per_s"] * 1.5 > SCALE_BUDGET_S:
            print("bench: scale %d recipients skipped (over %d s)" % (n, SCALE_BUDGET_S),
                  flush=True)
            break
        conf, db = template("s%d" % n, n, intro_bytes)
        c_s, _, s, _, _ = deliver(conf, db, n)
        points.append({"recipients": n, "create_s": round(c_s, 2), "send_s": round(s, 2),
                       "msgs_per_s": round(n / s, 1)})
        print("bench: scale %d recipients: issue created in %.1f s, delivered in %.1f s "
              "(%.0f msg/s)" % (n, c_s, s, n / s), flush=True)
        for ext in ("", ".template", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.unlink(db + ext)
    lo, hi = points[0], points[-1]
    slope = ((hi["send_s"] - lo["send_s"]) / (hi["recipients"] - lo["recipients"]) * 1000
             if hi is not lo else lo["send_s"] / lo["recipients"] * 1000)
    return {"points": points, "slope": round(slope, 4)}


def main():
    print("bench: calibrating the copy size to ~%d bytes ..." % TARGET_BYTES, flush=True)
    intro_bytes, copy_bytes = calibrate()
    print("bench: intro %d bytes of Markdown -> copies of %d bytes" % (intro_bytes, copy_bytes),
          flush=True)
    dconf, ddb = template("d20k", DELIVERY_N, intro_bytes)
    ours, theirs, create_s = [], [], []
    for r in range(opt.runs):
        c_s, _, s, _, _ = deliver(dconf, ddb, DELIVERY_N)
        ours.append(DELIVERY_N / s)
        create_s.append(c_s)
        theirs.append(DELIVERY_N / smtp_source(DELIVERY_N))
        print("bench: delivery run %d: hanzepost %.0f msg/s, smtp-source %.0f msg/s"
              % (r + 1, ours[-1], theirs[-1]), flush=True)
    os.unlink(ddb + ".template")
    rss = {}
    for n in RSS_NS:
        conf, db = template("r%d" % n, n, intro_bytes)
        create, send, both = [], [], []
        for r in range(opt.runs):
            _, c_kib, s, s_kib, _ = deliver(conf, db, n)
            create.append(c_kib / 1024)
            send.append(s_kib / 1024)
            both.append(max(c_kib, s_kib) / 1024)
            print("bench: %d recipients run %d: peak RSS newsletter send %.1f MB, "
                  "send --once %.1f MB (%.0f msg/s)" % (n, r + 1, create[-1], send[-1], n / s),
                  flush=True)
        rss[n] = (stats(both), stats(create), stats(send))
        for ext in ("", ".template", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.unlink(db + ext)

    scale = delivery_scale(intro_bytes)
    ratio = [o / t for o, t in zip(ours, theirs)]
    r10, r100 = rss[10000][0]["median"], rss[100000][0]["median"]
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recipients": DELIVERY_N, "concurrency": CONCURRENCY, "rate_per_minute": RATE,
        "copy_bytes": copy_bytes, "intro_markdown_bytes": intro_bytes,
        "smtp_source_bytes": TARGET_BYTES, "runs": opt.runs, "cpus": os.cpu_count(),
        "delivery_msgs_per_s": stats(ours)["median"],
        "delivery_msgs_per_s_min": stats(ours)["min"],
        "delivery_msgs_per_s_max": stats(ours)["max"],
        "delivery_smtp_source_msgs_per_s": stats(theirs)["median"],
        "delivery_smtp_source_msgs_per_s_min": stats(theirs)["min"],
        "delivery_smtp_source_msgs_per_s_max": stats(theirs)["max"],
        "delivery_ratio": round(statistics.median(ratio), 3),
        "delivery_ratio_min": round(min(ratio), 3),
        "delivery_ratio_max": round(max(ratio), 3),
        "issue_create_s_20k": stats(create_s)["median"],
        "peak_rss_mb_10k": r10, "peak_rss_mb_10k_min": rss[10000][0]["min"],
        "peak_rss_mb_10k_max": rss[10000][0]["max"],
        "peak_rss_mb_100k": r100, "peak_rss_mb_100k_min": rss[100000][0]["min"],
        "peak_rss_mb_100k_max": rss[100000][0]["max"],
        "peak_rss_mb_create_10k": rss[10000][1]["median"],
        "peak_rss_mb_create_100k": rss[100000][1]["median"],
        "peak_rss_mb_send_10k": rss[10000][2]["median"],
        "peak_rss_mb_send_100k": rss[100000][2]["median"],
        "scale": {"delivery": scale["points"],
                  "delivery_slope_ms_per_msg": scale["slope"]},
        "detail": {"hanzepost_msgs_per_s": stats(ours), "smtp_source_msgs_per_s": stats(theirs),
                   "rss_mb": {str(n): {"max": v[0], "newsletter_send": v[1], "send_once": v[2]}
                              for n, v in rss.items()}},
    }
    res["targets"] = {
        "ratio_at_least_0.5": res["delivery_ratio"] >= 0.5,
        "peak_rss_under_32mb": max(r10, r100) < 32,
        "rss_100k_within_10pct_of_10k": abs(r100 - r10) <= 0.1 * r10,
    }
    os.makedirs(os.path.join(opt.top, "bench", "results"), exist_ok=True)
    out = os.path.join(opt.top, "bench", "results", "latest.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")

    def row(label, s, unit):
        print("%-44s %10.1f %10.1f %10.1f  %s" % (label, s["median"], s["min"], s["max"], unit))
    print()
    print("%-44s %10s %10s %10s" % ("hanzepost benchmark (%d runs)" % opt.runs,
                                    "median", "min", "max"))
    row("delivery, hanzepost send --once", stats(ours), "msg/s")
    row("delivery, smtp-source -s 8 -d (same sink)", stats(theirs), "msg/s")
    print("%-44s %10.3f %10.3f %10.3f  (target >= 0.5)" % ("ratio hanzepost / smtp-source",
          res["delivery_ratio"], res["delivery_ratio_min"], res["delivery_ratio_max"]))
    row("peak RSS, 10,000 recipients", rss[10000][0], "MB")
    row("peak RSS, 100,000 recipients", rss[100000][0], "MB (target < 32, within 10%)")
    for pt in scale["points"]:
        print("%-44s %10.1f  s (%.0f msg/s)" % ("scale: deliver %d copies" % pt["recipients"],
                                               pt["send_s"], pt["msgs_per_s"]))
    print("%-44s %10.4f  ms per copy" % ("scale: slope", scale["slope"]))
    print("%d recipients, copies of %d bytes, concurrency %d, rate %d/min (limit "
          "%.0f msg/s)" % (DELIVERY_N, copy_bytes, CONCURRENCY, RATE, RATE / 60))
    print("targets: %s" % ", ".join("%s=%s" % kv for kv in res["targets"].items()))
    print("written: %s" % out)


main()
