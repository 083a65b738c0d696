#!/bin/sh
# Run the installed unit for real under systemd, where the machine has no
# systemd as PID 1: boot this machine's own /usr (Debian 12, systemd 252)
# in a systemd-nspawn container, start hanzepost.service with its whole
# sandbox against the test mail stack, and check that mail sent before the
# start is fetched, parsed (in the sandboxed child), filed and answered,
# and that `systemctl stop` ends it with status 0.
#
# Root only; needs systemd-container (not in tests/deps.sh: optional check).
# The unit gets one test drop-in: SystemCallErrorNumber= reset, so a system
# call outside the filter kills the daemon instead of failing quietly, and
# Type=$HP_SANDBOX_TYPE (default notify, as installed: the start must reach
# "active" through READY=1, `systemctl reload` must come back to "active"
# through RELOADING=1/READY=1, and the Status: line must say it is idle).
# Prints "service sandbox: ok" or what failed with the journal.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
type=${HP_SANDBOX_TYPE:-notify}
[ "$(id -u)" = 0 ] || { echo "service sandbox: must run as root"; exit 1; }
command -v systemd-nspawn >/dev/null ||
	{ echo "service sandbox: apt-get install systemd-container"; exit 1; }
[ -x "$top/hanzepost" ] || { echo "service sandbox: build ./hanzepost first"; exit 1; }
run=$(mktemp -d /tmp/hpsb.XXXXXX) || exit 1
cleanup() {
	"$top/tests/mailstack/down" "$run" </dev/null >/dev/null 2>&1
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$run"
"$top/tests/mailstack/up" "$run" </dev/null >"$run/up.log" 2>&1 ||
	{ echo "service sandbox: mail stack did not start"; cat "$run/up.log"; exit 1; }
. "$run/env"

# The image: this machine's /usr, a copy of /etc, everything else empty.
t=$run/tree
mkdir -p "$t/usr" "$t/var/lib" "$t/tmp" "$t/run" "$t/root" "$run/out" \
	"$run/etc/credentials" "$run/units/hanzepost.service.d"
for d in bin lib lib64 sbin; do ln -s "usr/$d" "$t/$d"; done
cp -a /etc "$t/etc"
rm -rf "$t/etc/os-release" "$t/etc/hanzepost" "$t/etc/systemd/system/multi-user.target.wants"
cp /usr/lib/os-release "$t/etc/os-release"
: >"$t/etc/machine-id"
make -s -C "$top" install DESTDIR="$run/root" >"$run/install.log" 2>&1 ||
	{ echo "service sandbox: make install failed"; cat "$run/install.log"; exit 1; }

# /etc/hanzepost as an admin would set it up (PrivateTmp hides /tmp: the
# CA goes beside the configuration).
cp "$HP_CA" "$run/etc/ca.crt"
printf '%s\n' "$HP_PASSWORD" >"$run/etc/credentials/imap-password"
printf 'unused\n' >"$run/etc/credentials/smtp-password"
chmod 700 "$run/etc/credentials"
chmod 600 "$run/etc/credentials/"*
cat >"$run/etc/hanzepost.conf" <<EOF
[mailbox]
url = imaps://127.0.0.1:$HP_IMAPS_PORT/INBOX
user = office@example.org
ca_file = /etc/hanzepost/ca.crt
poll_interval = 5
[smtp]
url = smtp://127.0.0.1:$HP_SMTP_PORT
ca_file = /etc/hanzepost/ca.crt
[office]
address = Deventer Internationaal <office@example.org>
[database]
path = /var/lib/hanzepost/hanzepost.db
EOF
cp "$run/root/usr/local/lib/systemd/system/hanzepost.service" "$run/units/"
printf '[Service]\nType=%s\nSystemCallErrorNumber=\n' "$type" \
	>"$run/units/hanzepost.service.d/test.conf"
mkdir -p "$run/units/multi-user.target.wants"
ln -s ../hp-runner.service "$run/units/multi-user.target.wants/hp-runner.service"
printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/bin/sh /hp-runner.sh\n' \
	>"$run/units/hp-runner.service"
cat >"$run/runner.sh" <<'EOF'
#!/bin/sh
o=/hp-out
systemctl start --no-block hanzepost.service
sleep 15
systemctl show -p ActiveState --value hanzepost.service >$o/state
pid=$(systemctl show -p MainPID --value hanzepost.service)
grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' /proc/$pid/status >$o/proc 2>&1
systemctl status --no-pager -l hanzepost.service >$o/status 2>&1
timeout 60 systemctl reload hanzepost.service
systemctl show -p ActiveState --value hanzepost.service >$o/state-reloaded
systemctl stop hanzepost.service
systemctl show -p Result -p ExecMainStatus hanzepost.service >$o/result
journalctl -u hanzepost.service --no-pager -o cat >$o/journal
systemctl poweroff --no-block
EOF

/usr/bin/python3 - "$HP_SMTP_PORT" <<'EOF'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "anna@partner.example"
m["To"] = "office@example.org"
m["Subject"] = "help"
m.set_content("help\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.send_message(m)
EOF
sleep 2
timeout 240 systemd-nspawn -q -D "$t" --register=no --keep-unit \
	--bind-ro=/usr --bind-ro="$run/root/usr/local:/usr/local" \
	--bind-ro="$run/etc:/etc/hanzepost" \
	--bind-ro="$run/units:/etc/systemd/system.control" \
	--bind-ro="$run/runner.sh:/hp-runner.sh" --bind="$run/out:/hp-out" \
	-b </dev/null >"$run/boot.log" 2>&1

bad=""
[ -s "$run/out/journal" ] || bad="no journal (did the container boot? $(tail -n 5 "$run/boot.log"))"
grep -q 'ingest uid=.*outcome=' "$run/out/journal" || bad="$bad; no message handled"
grep -q 'sent code=250' "$run/out/journal" || bad="$bad; no reply sent"
grep -q 'parser child died' "$run/out/journal" && bad="$bad; the parser child died"
grep -q '^CapEff:[[:space:]]*0*$' "$run/out/proc" || bad="$bad; capabilities left"
grep -q '^Seccomp:[[:space:]]*2$' "$run/out/proc" || bad="$bad; no seccomp filter"
grep -q '^Result=success$' "$run/out/result" || bad="$bad; stop: $(tr '\n' ' ' <"$run/out/result")"
grep -q '^ExecMainStatus=0$' "$run/out/result" || bad="$bad; exit status not 0"
if [ "$type" = notify ]; then
	grep -qx active "$run/out/state" ||
		bad="$bad; not active after 15 s (state $(cat "$run/out/state"))"
	grep -q 'Status: "idle, waiting for mail (IDLE)"' "$run/out/status" ||
		bad="$bad; no idle Status: line"
	grep -qx active "$run/out/state-reloaded" ||
		bad="$bad; not active after reload ($(cat "$run/out/state-reloaded"))"
	grep -q 'reload: .* read again' "$run/out/journal" || bad="$bad; no reload logged"
fi
if [ -n "$bad" ]; then
	echo "service sandbox: FAILED:${bad#;}"
	cat "$run/out/status" "$run/out/journal" 2>/dev/null | tail -n 40
	exit 1
fi
echo "service sandbox: ok (Type=$type, $(tr '\n' ' ' <"$run/out/proc"))"
