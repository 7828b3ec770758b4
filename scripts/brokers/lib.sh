# shellcheck shell=bash
# Shared helpers for up.sh / down.sh. Source it; it does not set shell options.
#
# Conventions:
#   $DIR           the state directory of one up.sh run (set by the caller)
#   $DIR/pids/N.pid    pid of a process we started (its own session/process group)
#   $DIR/pids/N.start  its start time (field 22 of /proc/PID/stat), to detect pid reuse
#   $DIR/N/log         its stdout+stderr
#   $DIR/env           KEY=VALUE lines for the tests

BROKERS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by up.sh and down.sh
BROKERS_MARKER=.stompactor-brokers
PROBE="$BROKERS_LIB_DIR/stomp-probe.py"
# Debian's python3 (the package is a dependency of ours): it starts in ~15 ms,
# ten times faster than a pyenv shim found first on PATH.
PYTHON=python3
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; fi

log() { printf '[brokers %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- packages

# apt-get update at most once per boot of the machine (stamp holds the boot id).
APT_STAMP=${STOMPACTOR_APT_STAMP:-/tmp/stompactor-apt-update.stamp}
apt_update_once() {
	local boot
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	if [ -f "$APT_STAMP" ] && [ "$(cat "$APT_STAMP")" = "$boot" ]; then
		return 0
	fi
	log "apt-get update"
	apt-get update -qq >/dev/null 2>&1 || apt-get update >&2 || die "apt-get update failed"
	echo "$boot" >"$APT_STAMP"
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# ensure_packages PKG...: install the missing ones in a single apt-get call.
# Package post-install scripts are kept from starting system services
# (policy-rc.d answers 101 while we install, only if none exists).
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	is_root || die "missing packages (${missing[*]}) and not root: install them first"
	apt_update_once
	log "apt-get install ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
	fi
	local rc=0 out
	out=$(mktemp /tmp/stompactor-apt.XXXXXX)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >"$out" 2>&1 || rc=$?
	[ -z "$own_policy" ] || rm -f "$policy"
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$out" >&2
		rm -f "$out"
		die "apt-get install ${missing[*]} failed (exit $rc)"
	fi
	rm -f "$out"
}

# ensure_optional_packages WHAT PKG...: install the missing PKGs, which only
# the tests of WHAT need, in one apt-get call (root only). Without them those
# tests skip, so a missing package only warns; under CI=true, where every
# test must run, it is an error.
ensure_optional_packages() {
	local what=$1 missing=() p
	shift
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! is_root; then
		[ "${CI:-}" != true ] || die "missing packages (${missing[*]}) for $what and not root; CI=true requires them"
		log "missing packages (${missing[*]}) and not root: $what will be skipped (install them first)"
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		ensure_packages "${missing[@]}"
		return
	fi
	# In a subshell: ensure_packages dies on failure, which here only warns.
	(ensure_packages "${missing[@]}") ||
		log "could not install ${missing[*]}: $what will be skipped"
}

# ---------------------------------------------------------------- ports

# A pool of free loopback ports, all bound at once by the kernel so they differ.
PORT_POOL=()
fill_port_pool() {
	local n=$1
	# shellcheck disable=SC2207
	PORT_POOL=($("$PYTHON" - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
	)) || die "cannot pick free ports"
	[ ${#PORT_POOL[@]} -eq "$n" ] || die "cannot pick $n free ports"
}

# take_port VAR: assign the next free port of the pool to VAR.
take_port() {
	[ ${#PORT_POOL[@]} -gt 0 ] || die "port pool exhausted"
	printf -v "$1" '%s' "${PORT_POOL[0]}"
	PORT_POOL=("${PORT_POOL[@]:1}")
}

# ---------------------------------------------------------------- env file

# env_set KEY VALUE: append KEY=VALUE to $DIR/env (values never hold spaces).
env_set() {
	case $2 in *[[:space:]]*) die "env value for $1 holds whitespace: $2" ;; esac
	printf '%s=%s\n' "$1" "$2" >>"$DIR/env"
}

# ---------------------------------------------------------------- processes

# proc_stat PID: print "STATE STARTTIME" (fields 3 and 22 of /proc/PID/stat).
proc_stat() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # drop "pid (comm) "; what is left starts at field 3
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $stat
	echo "$1 ${20}"
}

proc_starttime() {
	local st
	st=$(proc_stat "$1") || return 1
	echo "${st#* }"
}

# start_bg NAME LOGFILE CMD...: start CMD in the background in a session (and
# process group) of its own, detached from our stdin/stdout/stderr (and fd 8,
# up.sh's saved stderr), and record its pid.
start_bg() {
	local name=$1 logfile=$2
	shift 2
	mkdir -p "$DIR/pids"
	setsid "$@" </dev/null >>"$logfile" 2>&1 8>&- &
	local pid=$!
	echo "$pid" >"$DIR/pids/$name.pid"
	echo "$logfile" >"$DIR/pids/$name.log"
	# setsid execs CMD in place (we are not a group leader), so $! is CMD's pid.
	proc_starttime "$pid" >"$DIR/pids/$name.start" || true
	log "$name started, pid $pid, log $logfile"
}

# recorded_pid NAME: print the pid of NAME if that process is still ours and alive.
recorded_pid() {
	local name=$1 pid start now
	pid=$(cat "$DIR/pids/$name.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] || return 1
	now=$(proc_stat "$pid") || return 1
	# A zombie has exited already (pid 1 may be slow to reap it).
	[ "${now%% *}" != Z ] || return 1
	start=$(cat "$DIR/pids/$name.start" 2>/dev/null || true)
	[ -z "$start" ] || [ "$start" = "${now#* }" ] || return 1
	echo "$pid"
}

# group_alive PGID: is any process of that process group still running
# (zombies waiting for pid 1 to reap them do not count)?
group_alive() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# still_running PID: the process PID, or any process of group PID, still runs.
still_running() {
	local st
	st=$(proc_stat "$1") && [ "${st%% *}" != Z ] && return 0
	group_alive "$1"
}

# stop_recorded NAME [TIMEOUT]: TERM the process group NAME leads, wait, then KILL.
# Never touches a pid that was reused by another process.
stop_recorded() {
	local name=$1 timeout=${2:-20} pid deadline
	[ -f "$DIR/pids/$name.pid" ] || return 0
	pid=$(cat "$DIR/pids/$name.pid")
	if ! recorded_pid "$name" >/dev/null; then
		# The leader is gone; its group may survive it (the pgid cannot be
		# reused while the group exists), e.g. Erlang helper processes.
		if [ -n "$pid" ] && group_alive "$pid"; then
			log "stopping leftovers of $name (process group $pid)"
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
		rm -f "$DIR/pids/$name.pid"
		return 0
	fi
	log "stopping $name (pid $pid)"
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + timeout))
	while still_running "$pid" && [ $SECONDS -lt $deadline ]; do
		sleep 0.1
	done
	if still_running "$pid"; then
		log "$name did not exit within ${timeout}s: KILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$DIR/pids/$name.pid"
}

# show_log NAME [FILE...]: print the tail of a log file to stderr.
show_log() {
	local name=$1 f
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		log "---- last lines of $f ($name) ----"
		tail -n 40 "$f" >&2 || true
	done
}

# ---------------------------------------------------------------- readiness

# stomp_probe ARGS...: one STOMP CONNECT; true when CONNECTED came back.
stomp_probe() { "$PYTHON" "$PROBE" "$@"; }

# wait_stomp NAME TIMEOUT PROBE-ARGS...: wait until NAME answers CONNECT with
# CONNECTED; fail early when its process died.
wait_stomp() {
	local name=$1 timeout=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	while :; do
		if stomp_probe -q --timeout 3 "$@" 2>/dev/null; then
			log "$name ready ($* answered CONNECTED)"
			return 0
		fi
		if ! recorded_pid "$name" >/dev/null; then
			log "$name exited while starting"
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			log "$name not ready after ${timeout}s"
			stomp_probe --timeout 3 "$@" || true
			return 1
		fi
		sleep 0.3
	done
}

# wait_until NAME TIMEOUT WHAT CMD...: run CMD until it succeeds; fail when
# the process NAME died or after TIMEOUT seconds.
wait_until() {
	local name=$1 timeout=$2 what=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		recorded_pid "$name" >/dev/null || {
			log "$name exited while starting"
			return 1
		}
		[ $SECONDS -lt $deadline ] || {
			log "$name not $what after ${timeout}s"
			return 1
		}
		sleep 0.1
	done
	log "$name $what"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1"); }

# wait_tcp NAME TIMEOUT PORT: wait until 127.0.0.1:PORT accepts a connection.
wait_tcp() { wait_until "$1" "$2" "listening on 127.0.0.1:$3" tcp_open "$3"; }

# ---------------------------------------------------------------- TLS

# make_tls DIR: a throw-away CA, a server certificate for localhost/127.0.0.1
# and a client certificate, all signed by that CA (EC P-256, 7 days).
make_tls() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d"
		local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
		openssl req -x509 "${key[@]}" -days 7 -subj /CN=stompactor-test-ca \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign \
			-keyout ca.key -out ca.pem
		openssl req "${key[@]}" -subj /CN=localhost -keyout server.key -out server.csr
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 7 -extfile server.ext -out server.pem
		openssl req "${key[@]}" -subj /CN=stompactor-client -keyout client.key -out client.csr
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 7 -extfile client.ext -out client.pem
		rm -f ./*.csr ./*.ext
		chmod 644 ./*.pem ./*.key
		# (set -e is off in this subshell: check the results instead)
		[ -s ca.pem ] && [ -s server.pem ] && [ -s client.pem ]
	) >/dev/null 2>"$d/openssl.log" || {
		cat "$d/openssl.log" >&2
		die "openssl failed"
	}
}
