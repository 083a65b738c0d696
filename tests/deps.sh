#!/bin/sh
# Install the Debian packages that the build, the tests and the demo need,
# but only those that are missing (a no-op on a prepared machine).
set -eu
PKGS="build-essential pkg-config clang libetpan-dev libcurl4-gnutls-dev libgnutls28-dev
libsqlite3-dev libical-dev libsystemd-dev libinih-dev libcmocka-dev libcmark-dev
libxml2-dev libjansson-dev iso-codes tzdata sqlite3 dovecot-imapd dovecot-lmtpd
postfix openssl python3 python3-icalendar ca-certificates"
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
apt-get update -q >/dev/null
# The packages try to start their services; without systemd that fails
# harmlessly, and the tests start their own instances anyway.
apt-get install -y -q --no-install-recommends $missing </dev/null >/dev/null
