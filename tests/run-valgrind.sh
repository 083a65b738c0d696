#!/bin/sh
# Run a short integration scenario with every hanzepost process under
# valgrind's memcheck (the release build, ./hanzepost): `make valgrind`,
# and bounded (HP_VG_TESTS, default below: a few minutes) in `make check`.
#
# HP_BIN points at a wrapper that runs the program under
#   valgrind --error-exitcode=1 --leak-check=full
#            --errors-for-leak-kinds=definite --trace-children=no
# so any memory error or definite leak makes that hanzepost exit 1 (the
# tests check exit codes), and each process writes its own log; the logs
# are checked as well, so an error in a daemon whose exit code a test
# does not look at still fails the run.
#
# --trace-children=no: the MIME parser child is fexecve()d from the daemon
# and locks itself down with RLIMIT_AS/RLIMIT_CPU and a seccomp filter
# that allows little more than read/write/exit; valgrind inside it would
# be killed by both (its own mmaps and syscalls).  The child is covered by
# ASan+UBSan in the unit and integration tests and by the fuzzers; here it
# runs natively.
#
# Suppressions: tests/valgrind.supp (library false positives only, each
# one explained there).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HP_VG_BIN:-$top/hanzepost}
tests=${HP_VG_TESTS:-test_registry.Registry test_service.Service.test_01_ready_status_and_idle_push test_service.Service.test_03_sighup_good_and_broken_config}
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: FAILED (valgrind is not installed: make deps)"; exit 1; }
[ -x "$bin" ] || { echo "valgrind: FAILED ($bin missing: make hanzepost)"; exit 1; }
work=$(mktemp -d /tmp/hpvg.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/logs"
chmod 0755 "$work" "$work/logs"
cat >"$work/hanzepost" <<EOF
#!/bin/sh
exec valgrind --quiet --error-exitcode=1 --leak-check=full \\
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
    --trace-children=no --num-callers=30 \\
    --suppressions="$top/tests/valgrind.supp" \\
    --log-file="$work/logs/vg.%p.log" "$bin" "\$@"
EOF
chmod 0755 "$work/hanzepost"
start=$(date +%s)
HP_BIN="$work/hanzepost" HP_TESTS="$tests" sh "$top/tests/run-integration.sh" >"$work/integration.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
runs=$(find "$work/logs" -name 'vg.*.log' | wc -l)
# valgrind --quiet writes nothing for a clean process: any non-empty log
# is a report (memory error, definite leak, or valgrind trouble).
bad=$(find "$work/logs" -name 'vg.*.log' -size +0 | sort)
if [ $rc -eq 0 ] && [ -z "$bad" ]; then
	echo "valgrind: ok ($runs hanzepost processes under memcheck, 0 errors, 0 definite leaks, ${secs}s)"
	exit 0
fi
echo "valgrind: FAILED (integration rc=$rc, $(echo "$bad" | grep -c .) of $runs processes reported, ${secs}s)"
[ $rc -ne 0 ] && tail -n 60 "$work/integration.log"
for f in $bad; do
	echo "----- $f"
	head -n 80 "$f"
done
exit 1
