#!/usr/bin/env bash
# Crash a broker that up.sh started (SIGKILL) and/or start it again, on the
# same ports with the same configuration and state directory.
#
#   scripts/brokers/restart.sh DIR BROKER          SIGKILL, start again, wait for CONNECTED
#   scripts/brokers/restart.sh DIR BROKER --kill   SIGKILL only; wait until the processes are
#                                                  gone and the STOMP port refuses connections
#   scripts/brokers/restart.sh DIR BROKER --start  start again after --kill (a no-op, apart from
#                                                  waiting for CONNECTED, when it runs already)
#
# BROKER is rabbitmq, activemq or rabbitmq-cluster:N (node N=1..3 of the
# cluster); DIR is the state directory (or DIR/env) of up.sh. A cluster node
# counts as started once it is back in the cluster (it and every other node
# that runs see each other running) and answers CONNECT.
# Waits are bounded by $STOMPACTOR_BROKERS_TIMEOUT (default 120 s).
# Progress goes to stderr, nothing to stdout; exit status 0 on success.
# DIR/env stays valid (same ports, same pid file paths); down.sh stops the
# restarted broker like any other.
set -euo pipefail

# up.sh (with lib.sh) defines launch_*/await_* and does not run when sourced.
# shellcheck source=up.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/up.sh"

usage() { die "usage: restart.sh DIR rabbitmq|activemq|rabbitmq-cluster:N [--kill|--start]"; }

MODE=restart
ARGS=()
for a in "$@"; do
	case $a in
	--kill) MODE="kill" ;;
	--start) MODE="start" ;;
	-h | --help) usage ;;
	-*) log "unknown option $a" && usage ;;
	*) ARGS+=("$a") ;;
	esac
done
[ ${#ARGS[@]} -eq 2 ] || usage
DIR=${ARGS[0]} BROKER=${ARGS[1]}
case $DIR in */env) DIR=${DIR%/env} ;; esac
case $BROKER in rabbitmq | activemq | rabbitmq-cluster:[1-3]) ;; *) usage ;; esac
[ -d "$DIR" ] || die "$DIR does not exist"
[ -f "$DIR/$BROKERS_MARKER" ] || die "$DIR was not made by up.sh (no $BROKERS_MARKER)"
DIR=$(cd "$DIR" && pwd)

# ---------------------------------------------------------------- ports

# env_get KEY: the value of KEY in $DIR/env (or in FILE).
env_get() {
	local v
	v=$(sed -n "s|^$1=||p" "${2:-$DIR/env}" | tail -n 1)
	[ -n "$v" ] || die "no $1 in ${2:-$DIR/env}: up.sh did not start $BROKER in $DIR"
	printf '%s\n' "$v"
}

# port_of ADDR-OR-URL: 127.0.0.1:P, ws://127.0.0.1:P/ws -> P
port_of() {
	local p=${1%/*}
	p=${p##*:}
	case $p in '' | *[!0-9]*) die "no port in '$1'" ;; esac
	echo "$p"
}

# Sets the variables up.sh's launch_/await_ functions use, and
#   PORTS  every port the broker listens on (the STOMP port first)
#   NAMES  the pid-file names of its processes (pids/NAME.pid), main one first
#   LOGS   its log files
#   LEADER_NAME  the pid-file name of the process that leads its process group
#   LAUNCH, AWAIT  the commands that start it and wait until it is ready
load_broker() {
	LEADER_NAME=$BROKER LAUNCH=("launch_$BROKER") AWAIT=("await_$BROKER")
	case $BROKER in
	rabbitmq)
		local envf=$DIR/rabbitmq/rabbitmq.env
		RMQ_STOMP=$(port_of "$(env_get STOMPACTOR_RABBITMQ_ADDR)")
		RMQ_STOMPS=$(port_of "$(env_get STOMPACTOR_RABBITMQ_TLS_ADDR)")
		RMQ_WS=$(port_of "$(env_get STOMPACTOR_RABBITMQ_WS_URL)")
		RMQ_WSS=$(port_of "$(env_get STOMPACTOR_RABBITMQ_WSS_URL)")
		RMQ_AMQP=$(port_of "$(env_get STOMPACTOR_RABBITMQ_AMQP_ADDR)")
		RMQ_NODE=$(env_get STOMPACTOR_RABBITMQ_NODE)
		RMQ_EPMD=$(port_of ":$(env_get ERL_EPMD_PORT "$envf")")
		RMQ_DIST=$(port_of ":$(env_get RABBITMQ_DIST_PORT "$envf")")
		PORTS=("$RMQ_STOMP" "$RMQ_STOMPS" "$RMQ_WS" "$RMQ_WSS" "$RMQ_AMQP" "$RMQ_DIST")
		NAMES=(rabbitmq-beam rabbitmq)
		LOGS=("$DIR/rabbitmq/log/console.log" "$DIR/rabbitmq/log/$RMQ_NODE.log")
		;;
	activemq)
		AMQ_STOMP=$(port_of "$(env_get STOMPACTOR_ACTIVEMQ_ADDR)")
		AMQ_STOMPS=$(port_of "$(env_get STOMPACTOR_ACTIVEMQ_TLS_ADDR)")
		PORTS=("$AMQ_STOMP" "$AMQ_STOMPS")
		NAMES=(activemq)
		LOGS=("$DIR/activemq/log")
		;;
	rabbitmq-cluster:*)
		local n=${BROKER#*:}
		load_rabbitmq_cluster
		PORTS=("${RMQC_STOMP[n]}" "${RMQC_DIST[n]}")
		LEADER_NAME=rabbitmq-cluster-$n
		NAMES=("rabbitmq-cluster-$n-beam" "rabbitmq-cluster-$n")
		LOGS=("$DIR/rabbitmq-cluster/n$n/log/console.log" "$DIR/rabbitmq-cluster/n$n/log/${RMQC_NODE[n]}.log")
		LAUNCH=(launch_rabbitmq_cluster_node "$n")
		AWAIT=(await_rabbitmq_cluster_node "$n")
		;;
	esac
}

# ports_free PORT...: can each port be bound on 127.0.0.1 again (with
# SO_REUSEADDR, as both brokers bind their listeners)? Names the busy ones.
ports_free() {
	"$PYTHON" - "$@" <<-'PY'
		import socket, sys
		busy = []
		for p in sys.argv[1:]:
		    s = socket.socket()
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    try:
		        s.bind(("127.0.0.1", int(p)))
		    except OSError as e:
		        busy.append("%s (%s)" % (p, e.strerror))
		    s.close()
		if busy:
		    print("ports in use: " + ", ".join(busy), file=sys.stderr)
		    sys.exit(1)
	PY
}

# ---------------------------------------------------------------- processes

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
secs_since() { # secs_since MS: "1.2s"
	local ms=$(($(now_ms) - $1))
	printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# mark LINE: a line in the console log (ours, not the broker's), to find the crash there.
mark() {
	[ ! -f "${LOGS[0]}" ] || printf '[restart.sh %s] %s\n' "$(date +%T.%3N)" "$*" >>"${LOGS[0]}"
}

# The processes of the broker: PID:STARTTIME, so that a reused pid is never
# taken for one of them.
WATCH=()

# collect_tree PID...: those processes and all their descendants into WATCH.
collect_tree() {
	local p st
	for p in $(ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
		{ parent[$1] = $2 }
		END {
			do {
				more = 0
				for (p in parent) if (!(p in want) && (parent[p] in want)) { want[p] = 1; more = 1 }
			} while (more)
			for (p in want) print p
		}'); do
		st=$(proc_stat "$p") || continue
		[ "${st%% *}" != Z ] || continue
		WATCH+=("$p:${st#* }")
	done
}

# alive PID:STARTTIME: that very process still runs (a zombie does not).
alive() {
	local st
	st=$(proc_stat "${1%%:*}") || return 1
	[ "${st%% *}" != Z ] && [ "${st#* }" = "${1#*:}" ]
}

# leftovers: print the WATCH entries still alive; false when there are none.
leftovers() {
	local w found=1
	for w in ${WATCH[@]+"${WATCH[@]}"}; do
		if alive "$w"; then
			echo "$w"
			found=0
		fi
	done
	return $found
}

# running: print the pids of the broker's recorded processes that still run.
running() {
	local n pid found=1
	for n in "${NAMES[@]}"; do
		if pid=$(recorded_pid "$n"); then
			echo "$pid"
			found=0
		fi
	done
	return $found
}

# wait_for SECONDS WHAT CMD...: until CMD succeeds; false after SECONDS.
wait_for() {
	local secs=$1 what=$2 deadline
	deadline=$(($(now_ms) + secs * 1000))
	shift 2
	until "$@"; do
		if [ "$(now_ms)" -ge $deadline ]; then
			log "$BROKER: not $what after ${secs}s"
			return 1
		fi
		sleep 0.05
	done
}

# LEADER: the recorded pid of the broker's first process, which leads its
# process group ("" when none is recorded, e.g. after down.sh --keep).
# leader_alive: does a process of that group still run? (Not when the pid
# now belongs to a process started later.)
leader_alive() {
	local st start
	[ -n "$LEADER" ] || return 1
	if st=$(proc_stat "$LEADER") && [ "${st%% *}" != Z ]; then
		start=$(cat "$DIR/pids/$LEADER_NAME.start" 2>/dev/null || true)
		[ -z "$start" ] || [ "$start" = "${st#* }" ] || return 1
	fi
	group_alive "$LEADER"
}
all_gone() { ! leftovers >/dev/null && ! leader_alive; }
# refused PORT: a connection to 127.0.0.1:PORT fails at once (a hang is no refusal).
refused() {
	local rc=0
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null || rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ]
}

# kill_broker: SIGKILL the broker (RabbitMQ: the Erlang VM first, then the
# rabbitmq-server script's process group), wait until every process of it is
# gone and its STOMP port refuses connections. The private epmd of RabbitMQ
# stays: like a system epmd it outlives a node crash (and forgets the node).
kill_broker() {
	local roots pid w t0 killed=
	t0=$(now_ms)
	LEADER=$(cat "$DIR/pids/$LEADER_NAME.pid" 2>/dev/null || true)
	mapfile -t roots < <(running || true)
	WATCH=()
	[ ${#roots[@]} -eq 0 ] || collect_tree "${roots[@]}"
	if [ ${#WATCH[@]} -eq 0 ] && ! leader_alive; then
		killed="was not running"
	else
		log "$BROKER: SIGKILL pid ${roots[*]:-} (process group ${LEADER:-none}; all of: ${WATCH[*]%%:*})"
		mark "SIGKILL pid ${roots[*]:-}"
		for pid in ${roots[@]+"${roots[@]}"}; do
			kill -KILL "$pid" 2>/dev/null || true
		done
		! leader_alive || kill -KILL -- "-$LEADER" 2>/dev/null || true
		# RabbitMQ's helpers (erl_child_setup, inet_gethost, the disk monitor's
		# sh) run in sessions of their own and exit by themselves once the VM
		# is gone; SIGKILL whatever is left after 5 s.
		if ! wait_for 5 "gone" all_gone; then
			for w in $(leftovers); do
				log "$BROKER: SIGKILL leftover pid ${w%%:*}: $(tr '\0' ' ' <"/proc/${w%%:*}/cmdline" 2>/dev/null || true)"
				kill -KILL "${w%%:*}" 2>/dev/null || true
			done
			! leader_alive || kill -KILL -- "-$LEADER" 2>/dev/null || true
			wait_for 30 "gone" all_gone || die "$BROKER: still running after SIGKILL: $(leftovers | tr '\n' ' ')"
		fi
	fi
	local p
	for p in "${PORTS[@]}"; do
		wait_for 10 "refusing connections on 127.0.0.1:$p" refused "$p" ||
			die "$BROKER is gone, yet 127.0.0.1:$p still accepts connections (another process listens there)"
	done
	log "$BROKER ${killed:-killed in $(secs_since "$t0")}; 127.0.0.1:${PORTS[0]} (STOMP) refuses connections"
}

# start_broker: start the broker from its files in DIR, wait for CONNECTED.
start_broker() {
	local t0 pids
	t0=$(now_ms)
	if pids=$(running); then
		log "$BROKER runs already (pid $(echo "$pids" | paste -sd ' ')): waiting for CONNECTED"
		"${AWAIT[@]}" || die "$BROKER runs but does not answer"
		return 0
	fi
	LEADER=$(cat "$DIR/pids/$LEADER_NAME.pid" 2>/dev/null || true)
	! leader_alive || die "$BROKER: processes of group $LEADER still run; restart.sh DIR $BROKER --kill first"
	local err
	err=$(ports_free "${PORTS[@]}" 2>&1) || die "cannot start $BROKER on the same ports: $err"
	mark "starting again"
	if ! "${LAUNCH[@]}" || ! "${AWAIT[@]}"; then
		show_log "$BROKER" "${LOGS[@]}"
		log "$BROKER did not come back: stopping what was started"
		kill_broker || true
		die "$BROKER failed to start again (logs above)"
	fi
	log "$BROKER started again in $(secs_since "$t0") (pid $(running | paste -sd ' ')), STOMP on 127.0.0.1:${PORTS[0]}"
}

load_broker
T0=$(now_ms)
case $MODE in
kill) kill_broker ;;
start) start_broker ;;
restart)
	kill_broker
	start_broker
	log "$BROKER restarted in $(secs_since "$T0")"
	;;
esac
