#!/bin/sh
# make bench: newsletter delivery speed and memory of hanzepost against
# Postfix's smtp-sink, beside Postfix's own smtp-source in the same run.
# Starts its own smtp-sink (tests/mailstack/sink), stops it whatever
# happens (trap), and bounds the whole run in time.  Results: a table on
# stdout and bench/results/latest.json.  Environment: BENCH_PORT (sink port,
# default 10525; the next port is used for the size calibration),
# BENCH_RUNS (default 3), BENCH_BIN (default ./hanzepost),
# BENCH_TIMEOUT (seconds for everything, default 1800).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d /tmp/hpbench.XXXXXX)
chmod 0755 "$run" # smtp-sink runs as nobody and writes the calibration dump below it
port=${BENCH_PORT:-10525}
cleanup() {
	"$top/tests/mailstack/down" "$run" </dev/null >/dev/null 2>&1
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! "$top/tests/mailstack/sink" "$run" start "$port" </dev/null >"$run/sink.log" 2>&1 ||
	! "$top/tests/mailstack/sink" "$run" start "$((port + 1))" "$run/dump" </dev/null >>"$run/sink.log" 2>&1; then
	echo "bench: smtp-sink did not start:"
	cat "$run/sink.log"
	exit 1
fi
timeout "${BENCH_TIMEOUT:-1800}" /usr/bin/python3 "$top/bench/bench.py" \
	--top "$top" --run "$run" --port "$port" --dump-port "$((port + 1))" \
	--bin "${BENCH_BIN:-$top/hanzepost}" --runs "${BENCH_RUNS:-3}" </dev/null
