#!/bin/sh
# Install the Debian packages that the build, the tests and the demo need,
# but only those that are missing (a no-op on a prepared machine).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev libetpan-dev libcurl4-gnutls-dev libgnutls28-dev
libsqlite3-dev libical-dev libsystemd-dev libinih-dev libcmocka-dev libcmark-dev
libxml2-dev libjansson-dev libpsl-dev publicsuffix iso-codes tzdata sqlite3 dovecot-imapd dovecot-lmtpd
postfix openssl valgrind python3 python3-icalendar python3-vobject khal ca-certificates isync
mandoc man-db groff-base bsdextrautils systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Dovecot's and Postfix's packages start their services on install.  The
# tests start private instances instead, and a daemon started here would
# hold this script's stdout (a CI pipe) for ever, so deny service starts
# while installing (policy-rc.d, the Debian mechanism for exactly this).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && made_policy=1
	trap '[ -n "$made_policy" ] && rm -f $policy' EXIT
fi
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing </dev/null >/dev/null 2>&1 ||
	apt-get install -y -q --no-install-recommends $missing </dev/null
