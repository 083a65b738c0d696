# Shared functions of the test mail stack scripts (sourced, not run).
#
# The stack keeps every file under one run directory RUN:
#   RUN/env          KEY=value lines (shell-sourceable), written by `up`
#   RUN/certs/       test CA, server certificate, three bad certificates
#   RUN/dc/          Dovecot: dovecot.conf, users, run/ (base_dir), state/, log
#   RUN/pf/          Postfix: etc/ (main.cf, master.cf, maps), queue/, data/, maillog
#   RUN/mail/        Maildirs (owned by the `mail` user)
#   RUN/pids/        pid / process-group files of what the scripts started
#
# Daemons are started with stdin/stdout/stderr on files or /dev/null and with
# every other descriptor closed: a daemon that inherits a CI pipe keeps the
# pipe open and the CI job waits for ever.  Processes are stopped by their
# recorded ids only, never by name.

# shellcheck disable=SC2034 # used by the scripts that source this file
MS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck disable=SC2034
MS_PASSWORD=secret

ms_die() {
	echo "mailstack: $*" >&2
	exit 1
}

# ms_rundir DIR: set RUN to the absolute path of DIR (which must exist).
# Unix socket paths must stay under ~100 bytes and the path is pasted into
# config files, so it must be short and plain.
ms_rundir() {
	[ $# -ge 1 ] && [ -n "$1" ] || ms_die "usage: $(basename "$0") RUNDIR ..."
	[ -d "$1" ] || ms_die "run directory $1 does not exist"
	RUN=$(cd "$1" && pwd -P)
	case $RUN in
	*[!A-Za-z0-9._/-]*) ms_die "run directory $RUN: use only [A-Za-z0-9._/-]" ;;
	esac
	[ ${#RUN} -le 48 ] || ms_die "run directory $RUN is too long (max 48 bytes; unix socket paths)"
	MS_DC_CONF=$RUN/dc/dovecot.conf
	MS_DC_PID=$RUN/dc/run/master.pid
	MS_PF_ETC=$RUN/pf/etc
	MS_PF_PID=$RUN/pf/queue/pid/master.pid
}

# ms_port_busy PORT: true when something listens on TCP PORT (IPv4 or IPv6).
# Only LISTEN (state 0A) matters: our servers set SO_REUSEADDR, so sockets
# left in TIME_WAIT by an earlier stack do not block them.
ms_port_busy() {
	local want f loc st
	want=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r _ loc _ st _; do
			[ "$st" = 0A ] || continue
			[ "${loc##*:}" = "$want" ] && return 0
		done <"$f"
	done
	return 1
}

ms_check_ports() {
	local p
	for p in "$@"; do
		case $p in
		'' | *[!0-9]*) ms_die "bad port number '$p'" ;;
		esac
		[ "$p" -ge 1 ] && [ "$p" -le 65535 ] || ms_die "bad port number $p"
		if ms_port_busy "$p"; then
			ms_die "TCP port $p is already in use (see /proc/net/tcp); choose other ports via HP_IMAP_PORT, HP_IMAPS_PORT, HP_SMTP_PORT"
		fi
	done
}

# ms_session_pids SID: pids of live (non-zombie) processes in session SID.
# Both Dovecot and Postfix masters call setsid(), and their children stay in
# that session, so "session gone" means "the whole server is gone".  This
# machine's PID 1 reaps orphans late: a zombie counts as gone.
ms_session_pids() {
	local f line rest st sid pid
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		rest=${line##*) }
		read -r st _ _ sid _ <<<"$rest" || true
		[ "$sid" = "$1" ] || continue
		[ "$st" = Z ] && continue
		pid=${f#/proc/}
		echo "${pid%/stat}"
	done
}

# ms_group_pids PGID: like ms_session_pids, for a process group.
ms_group_pids() {
	local f line rest st pgrp pid
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		rest=${line##*) }
		read -r st _ pgrp _ <<<"$rest" || true
		[ "$pgrp" = "$1" ] || continue
		[ "$st" = Z ] && continue
		pid=${f#/proc/}
		echo "${pid%/stat}"
	done
}

# ms_pid_alive PID: true when PID exists and is not a zombie.
ms_pid_alive() {
	local line rest st
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${line##*) }
	st=${rest%% *}
	[ "$st" != Z ]
}

# ms_pid_is PID TEXT: true when PID is alive and its command line or its
# working directory contains TEXT.  Guards every kill against a pid that
# was reused since it was recorded (a leftover run directory after a reboot).
ms_pid_is() {
	local cmd cwd
	ms_pid_alive "$1" || return 1
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || cwd=
	case "$cmd $cwd" in *"$2"*) return 0 ;; esac
	return 1
}

# ms_read_pid FILE: print the pid stored in FILE (Postfix pads it with spaces).
ms_read_pid() {
	local p
	[ -f "$1" ] || return 1
	read -r p <"$1" || [ -n "${p:-}" ] || return 1
	p=${p//[[:space:]]/}
	case $p in '' | *[!0-9]*) return 1 ;; esac
	echo "$p"
}

# ms_wait_gone KIND ID SECONDS: wait until session/group ID has no live
# process; after SECONDS send SIGKILL to what is left (by pid) and wait 5 s
# more.  KIND is "session" or "group".  Returns 1 if something survived.
ms_wait_gone() {
	local kind=$1 id=$2 secs=$3 i pids
	for ((i = 0; i < secs * 10; i++)); do
		pids=$(ms_"$kind"_pids "$id")
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	echo "mailstack: $kind $id still alive after ${secs}s, sending SIGKILL to: $pids" >&2
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pids=$(ms_"$kind"_pids "$id")
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	echo "mailstack: $kind $id: could not stop $pids" >&2
	return 1
}

# ms_run LOG CMD...: run CMD in the foreground with stdin from /dev/null,
# stdout+stderr appended to LOG and every other descriptor closed, so the
# daemon CMD leaves behind inherits nothing from our caller.
ms_run() {
	local log=$1
	shift
	(
		ms_close_fds
		exec "$@" </dev/null >>"$log" 2>&1
	)
}

# Close every descriptor above 2 in the current (sub)shell.
ms_close_fds() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
	done
	return 0
}

# ms_greeting PORT EXPECT SEND: connect to 127.0.0.1:PORT, read one line,
# succeed if it starts with EXPECT; then send SEND (a polite goodbye).
ms_greeting() {
	local fd line ok=1
	# (a bare `exec ... 2>/dev/null` would silence the whole script)
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	if read -r -t 2 line <&"$fd" && [ "${line#"$2"}" != "$line" ]; then
		ok=0
		{ printf '%s\r\n' "$3" 1>&"$fd"; } 2>/dev/null || true
		read -r -t 1 line <&"$fd" || true
	fi
	exec {fd}>&-
	return $ok
}

# Start Postfix from RUN/pf/etc; fail with its log if it does not answer.
ms_postfix_start() {
	local port=$1 i pid
	if ms_port_busy "$port"; then
		echo "mailstack: TCP port $port is already in use (see /proc/net/tcp)" >&2
		return 1
	fi
	if ! ms_run "$RUN/pf/start.log" /usr/sbin/postfix -c "$MS_PF_ETC" start; then
		echo "mailstack: postfix start failed; postfix check says:" >&2
		# postfix reports start-up problems only to syslog or a tty.
		(ms_close_fds; script -qec "/usr/sbin/postfix -c $MS_PF_ETC check" /dev/null </dev/null) >&2 || true
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		if ms_greeting "$port" 220 QUIT; then
			pid=$(ms_read_pid "$MS_PF_PID") || return 1
			echo "$pid" >"$RUN/pids/postfix.sid"
			return 0
		fi
		sleep 0.1
	done
	echo "mailstack: Postfix does not answer on 127.0.0.1:$port" >&2
	return 1
}

# Stop Postfix if it runs; safe to call when it does not.
ms_postfix_stop() {
	local pid sid
	pid=$(ms_read_pid "$MS_PF_PID" 2>/dev/null) || pid=
	sid=$(ms_read_pid "$RUN/pids/postfix.sid" 2>/dev/null) || sid=$pid
	# The master runs in its queue directory: that tells ours from a pid
	# reused since.
	if [ -n "$pid" ] && ms_pid_is "$pid" "$RUN/pf/queue"; then
		ms_run "$RUN/pf/start.log" /usr/sbin/postfix -c "$MS_PF_ETC" stop ||
			kill -TERM "$pid" 2>/dev/null || true
	elif [ -n "$sid" ] && ! ms_pid_is "$sid" "$RUN/pf/queue"; then
		sid= # recorded master gone; its session id means nothing now
	fi
	if [ -n "$sid" ]; then
		ms_wait_gone session "$sid" 10 || return 1
	fi
	rm -f "$RUN/pids/postfix.sid"
	return 0
}

# Start Dovecot and wait until IMAP, IMAPS, LMTP and auth answer.
ms_dovecot_start() {
	local imap=$1 imaps=$2 i pid
	ms_run "$RUN/dc/start.log" /usr/sbin/dovecot -c "$MS_DC_CONF" || return 1
	for ((i = 0; i < 100; i++)); do
		if pid=$(ms_read_pid "$MS_DC_PID" 2>/dev/null); then
			echo "$pid" >"$RUN/pids/dovecot.sid"
			break
		fi
		sleep 0.1
	done
	if [ ! -f "$RUN/pids/dovecot.sid" ]; then
		echo "mailstack: dovecot wrote no pid file $MS_DC_PID" >&2
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		if ms_greeting "$imap" '* OK' 'a LOGOUT' && ms_port_busy "$imaps" &&
			[ -S "$RUN/dc/run/lmtp" ] && [ -S "$RUN/dc/run/auth-postfix" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "mailstack: Dovecot does not answer on 127.0.0.1:$imap/$imaps" >&2
	return 1
}

ms_dovecot_stop() {
	local pid sid
	pid=$(ms_read_pid "$MS_DC_PID" 2>/dev/null) || pid=
	sid=$(ms_read_pid "$RUN/pids/dovecot.sid" 2>/dev/null) || sid=$pid
	if [ -n "$pid" ] && ms_pid_is "$pid" "$MS_DC_CONF"; then
		kill -TERM "$pid" 2>/dev/null || true
	elif [ -n "$sid" ] && ! ms_pid_is "$sid" "$MS_DC_CONF"; then
		sid=
	fi
	if [ -n "$sid" ]; then
		ms_wait_gone session "$sid" 10 || return 1
	fi
	rm -f "$RUN/pids/dovecot.sid"
	return 0
}

ms_badtls_stop_all() {
	local f pg rc=0
	for f in "$RUN"/pids/badtls-*.pgid; do
		[ -f "$f" ] || continue
		pg=$(ms_read_pid "$f") || { rm -f "$f"; continue; }
		if ms_pid_is "$pg" "$f"; then
			kill -TERM -- "-$pg" 2>/dev/null || true
			ms_wait_gone group "$pg" 5 || rc=1
		fi
		rm -f "$f" "${f%.pgid}.spid" "${f%.pgid}.ready"
	done
	return $rc
}

# ms_load_env: read RUN/env (KEY=value lines) without executing it.
ms_load_env() {
	local k v
	[ -f "$RUN/env" ] || return 1
	while IFS='=' read -r k v; do
		case $k in
		HP_*) printf -v "$k" '%s' "$v" ;;
		esac
	done <"$RUN/env"
}

# ms_sink_stop PIDFILE: stop the smtp-sink recorded in PIDFILE (see sink).
ms_sink_stop() {
	local p i
	p=$(ms_read_pid "$1" 2>/dev/null) || { rm -f "$1"; return 0; }
	if ms_pid_is "$p" smtp-sink; then
		kill -TERM "$p" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			ms_pid_alive "$p" || break
			sleep 0.1
		done
		if ms_pid_alive "$p"; then
			kill -KILL "$p" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				ms_pid_alive "$p" || break
				sleep 0.1
			done
		fi
		if ms_pid_alive "$p"; then
			echo "mailstack: smtp-sink $p did not stop" >&2
			return 1
		fi
	fi
	rm -f "$1"
	return 0
}

ms_sink_stop_all() {
	local f rc=0
	for f in "$RUN"/pids/sink-*.pid; do
		[ -f "$f" ] || continue
		ms_sink_stop "$f" || rc=1
	done
	return $rc
}
