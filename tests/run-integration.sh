#!/bin/sh
# Start a private Dovecot + Postfix on loopback, run the integration tests
# against the ASan build of hanzepost, and stop the servers whatever
# happened (trap).  The servers never inherit our stdout/stderr.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d /tmp/hpit.XXXXXX)
cleanup() {
	"$top/tests/mailstack/down" "$run" </dev/null >/dev/null 2>&1
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! "$top/tests/mailstack/up" "$run" </dev/null >"$run/up.log" 2>&1; then
	echo "integration: the test mail stack did not start:"
	cat "$run/up.log"
	exit 1
fi
export HP_RUNDIR="$run"
export HP_BIN="${HP_BIN:-$top/build/asan/hanzepost}"
export HP_TOP="$top"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$top/tests/integration" || exit 1
timeout 1800 /usr/bin/python3 -m unittest -v ${HP_TESTS:-test_registry test_access test_newsletter test_events test_service test_crash test_faults} 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	echo "integration: ok"
else
	echo "integration: FAILED (rc=$rc); mail stack logs follow"
	tail -n 30 "$run"/*.log "$run"/*/*.log 2>/dev/null
fi
exit $rc
