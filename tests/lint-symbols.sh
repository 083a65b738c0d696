#!/bin/sh
# Fail when a global symbol we define is also exported by a library we link:
# the dynamic linker would bind the library's internal calls to ours (a
# global charconv() of ours silently breaks libetpan, ARCHITECTURE.md).
set -u
bin=${1:-hanzepost}
ours=$(mktemp) theirs=$(mktemp)
trap 'rm -f "$ours" "$theirs"' EXIT
# Our globals come from our object files (the linked binary also holds
# copy-relocated data of libraries, such as libinih's ini_* settings).
objs=${2:-build/rel}
nm --defined-only "$objs"/*.o | awk '$2 ~ /^[TDBRC]$/ {print $3}' | sort -u >"$ours"
for lib in $(ldd "$bin" | awk '/=>/ {print $3}'); do
	nm -D --defined-only "$lib" 2>/dev/null | awk '{print $NF}'
done | sed 's/@.*//' | sort -u >"$theirs"
clash=$(comm -12 "$ours" "$theirs" | grep -vE '^(_init|_fini|_start|main|_edata|_end|__bss_start|__data_start|data_start|_IO_stdin_used|__dso_handle|_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$')
if [ -n "$clash" ]; then
	echo "lint: these globals of ours are also exported by a linked library:"
	echo "$clash"
	exit 1
fi
echo "lint symbols: ok ($(wc -l <"$ours") globals, none shared with linked libraries)"
