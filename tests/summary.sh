#!/bin/sh
# The closing summary of `make check`: one line per suite.
#
#   summary.sh run SUITE CMD...   run CMD (its output still shown, and kept
#                                 in build/check-SUITE.log), then note one
#                                 line "SUITE: ok|FAILED (counts, T s)";
#                                 always exits 0 so that every suite runs
#   summary.sh report             print the noted lines; exit 1 if any
#                                 suite failed (or none ran)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
notes=$top/build/summary.txt
mkdir -p "$top/build"

# Counts from a suite's own output (the runners print one line per part).
counts() {
	log=$1
	case $2 in
	unit)
		n=$(grep -c '^unit .*: ok' "$log")
		t=$(sed -n 's/^unit .*: ok (\([0-9]*\) tests)$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		echo "$n binaries, $t tests" ;;
	lint)
		grep -c ': ok' "$log" | sed 's/$/ checks/' ;;
	fuzz)
		n=$(grep -c '^fuzz .*: ok' "$log")
		e=$(sed -n 's/^fuzz .*: ok (\([0-9]*\) execs.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		echo "$n targets, $e execs" ;;
	integration)
		sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in.*/\1/p' "$log" | tail -n 1 | sed 's/$/ tests/' ;;
	valgrind)
		sed -n 's/^valgrind: [a-zA-Z]* (\([0-9]*\) hanzepost processes.*/\1 processes/p' "$log" ;;
	esac
}

case ${1:-} in
run)
	[ $# -ge 3 ] || { echo "usage: summary.sh run SUITE CMD..." >&2; exit 64; }
	suite=$2
	shift 2
	log=$top/build/check-$suite.log
	rcf=$top/build/check-$suite.rc
	start=$(date +%s)
	{ "$@" 2>&1; echo $? >"$rcf"; } | tee "$log"
	rc=$(cat "$rcf" 2>/dev/null || echo 1)
	secs=$(($(date +%s) - start))
	what=$(counts "$log" "$suite")
	[ -n "$what" ] && what="$what, "
	if [ "$rc" = 0 ]; then
		echo "$suite: ok (${what}${secs} s)" >>"$notes"
	else
		echo "$suite: FAILED (rc=$rc, ${what}${secs} s; see build/check-$suite.log)" >>"$notes"
	fi
	rm -f "$rcf"
	exit 0
	;;
report)
	echo "==== make check summary"
	if [ ! -s "$notes" ]; then
		echo "no suite ran"
		exit 1
	fi
	cat "$notes"
	! grep -q ': FAILED' "$notes"
	;;
*)
	echo "usage: summary.sh run SUITE CMD... | report" >&2
	exit 64
	;;
esac
