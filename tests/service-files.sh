#!/bin/sh
# Checks of what makes hanzepost an installable service, from the top of
# the tree, with ./hanzepost built:
#
#   service-files.sh man-lint     man/hanzepost.8 and man/hanzepost.conf.5
#                                 render without a single warning (mandoc
#                                 -T lint, man --warnings) and still name
#                                 every command of --help and every key of
#                                 config/hanzepost.conf
#   service-files.sh unit-check   `make install` into a scratch DESTDIR;
#                                 systemd-analyze verify of the installed
#                                 unit says nothing (its ExecStart= pointed
#                                 at the installed binary, MANPATH at the
#                                 installed pages), and its offline security
#                                 exposure stays at or below MAX_EXPOSURE
#   service-files.sh              both, then one line "service files: ok"
#
# Needs mandoc, man-db, groff-base and systemd (for systemd-analyze; systemd
# need not be running).  Exit 0 when everything passed, 1 otherwise.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# Tenths, as systemd-analyze --threshold counts: 1.5.  The unit scores 1.2
# (README "Running as a service"); this catches a sandbox option lost.
MAX_EXPOSURE=${MAX_EXPOSURE:-15}
PAGES="man/hanzepost.8 man/hanzepost.conf.5"
tmp=$(mktemp -d /tmp/hpsf.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "service files: $*"
	failed=1
}

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	fail "$1 is missing (make deps installs it)"
	return 1
}

# Rendered text of a page, for the coverage checks.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$1" 2>/dev/null | col -b
}

# Every "COMMAND [SUB]" that --help lists must be in hanzepost(8).
check_commands() {
	render man/hanzepost.8 >"$tmp/8.txt"
	./hanzepost --help | awk '
		/^Commands:/ { on = 1; next }
		/^$/ { on = 0 }
		on && /^  [a-z]/ {
			# the usage is left of column 30, the description right
			split(substr($0, 1, 29), w, " ")
			c = w[1]
			if (w[2] ~ /^[a-z][a-z-]*$/) c = c " " w[2]
			print c
		}' >"$tmp/commands"
	[ -s "$tmp/commands" ] || { fail "no commands in ./hanzepost --help"; return; }
	while read -r c; do
		grep -qF -- "$c" "$tmp/8.txt" || fail "hanzepost.8 does not describe '$c'"
	done <"$tmp/commands"
	for o in "-c file" "-v" "--help" "--version"; do
		grep -qF -- "$o" "$tmp/8.txt" || fail "hanzepost.8 does not describe $o"
	done
}

# Every [section] and key of the example config must be a heading or a tag
# of hanzepost.conf(5).
check_keys() {
	render man/hanzepost.conf.5 >"$tmp/5.txt"
	awk '/^\[[a-z]+\]/ { print $1 } /^[a-z_]+ *=/ { sub(/ *=.*/, ""); print }' \
		config/hanzepost.conf >"$tmp/keys"
	[ -s "$tmp/keys" ] || { fail "no keys in config/hanzepost.conf"; return; }
	while read -r k; do
		case $k in
		\[*) grep -qxF "   $k" "$tmp/5.txt" ||
			fail "hanzepost.conf.5 has no section $k" ;;
		*) grep -qE "^       $k( |\$)" "$tmp/5.txt" ||
			fail "hanzepost.conf.5 does not describe key $k" ;;
		esac
	done <"$tmp/keys"
}

man_lint() {
	need mandoc && need man && need col || return
	for f in $PAGES; do
		out=$(mandoc -T lint -W warning "$f" 2>&1) || fail "mandoc -T lint $f failed"
		[ -z "$out" ] || fail "mandoc -T lint -W warning $f:
$out"
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) ||
			fail "man -l $f failed"
		[ -z "$out" ] || fail "man --warnings -l $f:
$out"
	done
	[ -x ./hanzepost ] || { fail "./hanzepost is not built (make hanzepost)"; return; }
	check_commands
	check_keys
	[ $failed -eq 0 ] && echo "man-lint: ok ($(echo $PAGES | wc -w) pages, no warnings)"
}

unit_check() {
	need systemd-analyze && need man || return
	[ -x ./hanzepost ] || { fail "./hanzepost is not built (make hanzepost)"; return; }
	root=$tmp/root
	# The default paths whatever the calling make was given (PREFIX=...).
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u PREFIX -u BINDIR -u DATADIR \
	    -u MANDIR -u UNITDIR -u SYSCONFDIR ${MAKE:-make} -s install DESTDIR="$root" \
	    >"$tmp/install.log" 2>&1; then
		fail "make install DESTDIR=$root failed:
$(tail -n 20 "$tmp/install.log")"
		return
	fi
	for f in usr/local/bin/hanzepost usr/local/share/hanzepost/templates/nl/reply.txt \
	    usr/local/share/hanzepost/templates/en/reply.txt \
	    usr/local/share/hanzepost/hanzepost.conf.example \
	    usr/local/lib/systemd/system/hanzepost.service \
	    usr/local/share/man/man8/hanzepost.8 usr/local/share/man/man5/hanzepost.conf.5; do
		[ -f "$root/$f" ] || fail "make install did not install /$f"
	done
	[ "$(stat -c %a "$root/etc/hanzepost/credentials" 2>/dev/null)" = 700 ] ||
		fail "make install did not make /etc/hanzepost/credentials mode 0700"
	unit=$root/usr/local/lib/systemd/system/hanzepost.service
	[ -f "$unit" ] || return
	# verify checks that ExecStart= exists and that the Documentation= man
	# pages are found: point both into the scratch install.
	sed "s|^ExecStart=/usr/local/bin/hanzepost |ExecStart=$root/usr/local/bin/hanzepost |" \
		"$unit" >"$tmp/hanzepost.service"
	grep -q "^ExecStart=$root/" "$tmp/hanzepost.service" ||
		fail "no ExecStart=/usr/local/bin/hanzepost in the installed unit"
	out=$(MANPATH="$root/usr/local/share/man" systemd-analyze verify "$tmp/hanzepost.service" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ] ||
		fail "systemd-analyze verify (rc=$rc):
$out"
	out=$(systemd-analyze security --offline=true --threshold="$MAX_EXPOSURE" \
		"$tmp/hanzepost.service" 2>&1)
	rc=$?
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for hanzepost.service: //p')
	if [ $rc -ne 0 ] || [ -z "$score" ]; then
		fail "systemd-analyze security: exposure ${score:-unknown} is above $MAX_EXPOSURE/10 (rc=$rc):
$(printf '%s\n' "$out" | grep -v '^✓')"
		return
	fi
	[ $failed -eq 0 ] && echo "unit-check: ok (verify clean; systemd-analyze security --offline: $score)"
}

case ${1:-all} in
man-lint) man_lint ;;
unit-check) unit_check ;;
all)
	man_lint
	unit_check
	[ $failed -eq 0 ] && echo "service files: ok"
	;;
*)
	echo "usage: $0 [man-lint|unit-check]" >&2
	exit 2
	;;
esac
exit $failed
