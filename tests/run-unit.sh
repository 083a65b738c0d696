#!/bin/sh
# Run each cmocka unit test binary; print one summary line per suite.
set -u
failed=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export HP_SHARED_DIR="${HP_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared}"
for t in "$@"; do
	name=$(basename "$t")
	if "$t" >"$t.log" 2>&1; then
		echo "unit $name: ok ($(grep -c '^\[       OK \]' "$t.log") tests)"
	else
		echo "unit $name: FAILED"
		cat "$t.log"
		failed=1
	fi
done
exit $failed
