#!/bin/sh
# make demo: a private Dovecot + Postfix on loopback, sample forms from a
# few fictional Deventer partners mailed to the shared mailbox, one
# `hanzepost poll --once`, then the registry and one reply.  The servers
# are stopped at the end whatever happened.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d /tmp/hpdemo.XXXXXX)
cleanup() {
	"$top/tests/mailstack/down" "$run" </dev/null >/dev/null 2>&1
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "demo: starting a private mail stack (Dovecot + Postfix on 127.0.0.1)"
if ! "$top/tests/mailstack/up" "$run" </dev/null >"$run/up.log" 2>&1; then
	cat "$run/up.log"
	exit 1
fi
HP_RUNDIR="$run" HP_BIN="$top/hanzepost" HP_TOP="$top" \
    /usr/bin/python3 "$top/tests/demo.py" "$top/demo/forms.txt"
