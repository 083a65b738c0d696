#!/bin/sh
# Run each libFuzzer binary for a bounded time on a scratch copy of its
# seed corpus; a crash leaves its input in build/fuzz/ and fails the run.
set -u
secs=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
failed=0
for bin in "$@"; do
	case $bin in /*) ;; *) bin="$top/$bin" ;; esac
	name=$(basename "$bin")
	seeds="$top/tests/fuzz/corpus/${name#fuzz_}"
	work="$top/build/fuzz/corpus-${name#fuzz_}"
	mkdir -p "$work"
	log="$top/build/fuzz/$name.log"
	if (cd "$top/build/fuzz" && ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$seeds") >"$log" 2>&1; then
		echo "fuzz $name: ok ($(sed -n 's/^stat::number_of_executed_units: *//p' "$log") execs in ${secs}s)"
	else
		echo "fuzz $name: FAILED (see $log)"
		tail -n 40 "$log"
		failed=1
	fi
done
exit $failed
