#!/bin/sh
# make bench: newsletter delivery speed and memory of hanzepost against
# Postfix's smtp-sink, beside Postfix's own smtp-source in the same run
# (bench.py); then, against a private Dovecot + Postfix, ingest beside
# mbsync, reply latency, idle CPU, binary size and scale (mailbench.py).
# Starts its own smtp-sink (tests/mailstack/sink) and mail stack
# (tests/mailstack/up), stops them whatever happens (trap), and bounds each
# part in time.  Results: tables on stdout and bench/results/latest.json.
# Environment: BENCH_PORT (sink port, default 10525; the next port is used
# for the size calibration), BENCH_IMAP_PORT/BENCH_IMAPS_PORT/
# BENCH_SMTP_PORT (the stack, default 10643/11493/10625), BENCH_RUNS
# (default 3), BENCH_N (forms to ingest, default 10000), BENCH_ONLY
# (delivery or mail: only that part), BENCH_BIN
# (default ./hanzepost), BENCH_TIMEOUT (seconds per part, default 1800).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d /tmp/hpbench.XXXXXX)
chmod 0755 "$run" # smtp-sink runs as nobody and writes the calibration dump below it
port=${BENCH_PORT:-10525}
ms=$(mktemp -d /tmp/hpbm.XXXXXX)
cleanup() {
	"$top/tests/mailstack/down" "$run" </dev/null >/dev/null 2>&1
	"$top/tests/mailstack/down" "$ms" </dev/null >/dev/null 2>&1
	rm -rf "$run" "$ms"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! "$top/tests/mailstack/sink" "$run" start "$port" </dev/null >"$run/sink.log" 2>&1 ||
	! "$top/tests/mailstack/sink" "$run" start "$((port + 1))" "$run/dump" </dev/null >>"$run/sink.log" 2>&1; then
	echo "bench: smtp-sink did not start:"
	cat "$run/sink.log"
	exit 1
fi
if [ "${BENCH_ONLY:-}" != mail ]; then
	timeout "${BENCH_TIMEOUT:-1800}" /usr/bin/python3 "$top/bench/bench.py" \
		--top "$top" --run "$run" --port "$port" --dump-port "$((port + 1))" \
		--bin "${BENCH_BIN:-$top/hanzepost}" --runs "${BENCH_RUNS:-3}" </dev/null || exit 1
fi
[ "${BENCH_ONLY:-}" = delivery ] && exit 0
if ! HP_IMAP_PORT=${BENCH_IMAP_PORT:-10643} HP_IMAPS_PORT=${BENCH_IMAPS_PORT:-11493} \
	HP_SMTP_PORT=${BENCH_SMTP_PORT:-10625} \
	"$top/tests/mailstack/up" "$ms" </dev/null >"$ms/up.log" 2>&1; then
	echo "bench: the mail stack did not start:"
	cat "$ms/up.log"
	exit 1
fi
timeout "${BENCH_TIMEOUT:-1800}" /usr/bin/python3 "$top/bench/mailbench.py" \
	--top "$top" --run "$ms" --bin "${BENCH_BIN:-$top/hanzepost}" \
	--runs "${BENCH_RUNS:-3}" --n "${BENCH_N:-10000}" </dev/null
