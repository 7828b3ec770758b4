#!/usr/bin/env bash
# Start private STOMP brokers and proxies on free loopback ports for the tests.
#
#   scripts/brokers/up.sh [rabbitmq] [rabbitmq-cluster] [activemq] [dante] [tinyproxy]
#       (default: rabbitmq activemq)
#
# Everything lives in one state directory ($STOMPACTOR_BROKERS_DIR, or a new
# /tmp/stompactor-brokers.XXXXXX). Progress goes to stderr; the last line on
# stdout is the path of "$DIR/env", KEY=VALUE lines to `source` (see README.md).
# Stop everything with: scripts/brokers/down.sh "$DIR"
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT=${STOMPACTOR_BROKERS_TIMEOUT:-120}
LOGIN=guest PASSCODE=guest              # on every broker
EXTRA_USER=stompactor EXTRA_PASS=s3cret # second user (RabbitMQ: also on /other)
EXTRA_VHOST=/other                      # RabbitMQ only; guest has no access to it

# ================================================================ RabbitMQ

RMQ_BIN=/usr/lib/rabbitmq/bin
RUN_AS_RMQ=()
if is_root; then RUN_AS_RMQ=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups); fi

# rabbitmq_password_hash PASSWORD: the rabbit_password_hashing_sha256 hash.
rabbitmq_password_hash() {
	"$PYTHON" -c 'import base64,hashlib,os,sys
s=os.urandom(4); print(base64.b64encode(s+hashlib.sha256(s+sys.argv[1].encode()).digest()).decode())' "$1"
}

# rabbitmq_node_env DIR NODE DIST_PORT ERL_ARGS: the environment lines that
# place one node's files under DIR (a single node's and each cluster node's).
rabbitmq_node_env() {
	local d=$1
	cat <<-EOF
		RABBITMQ_NODENAME=$2
		RABBITMQ_DIST_PORT=$3
		RABBITMQ_CONFIG_FILE=$d/rabbitmq
		RABBITMQ_ADVANCED_CONFIG_FILE=$d/advanced.config
		RABBITMQ_MNESIA_BASE=$d/mnesia
		RABBITMQ_LOG_BASE=$d/log
		RABBITMQ_PID_FILE=$d/beam.pid
		RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
		RABBITMQ_FEATURE_FLAGS_FILE=$d/feature_flags
		RABBITMQ_PLUGINS_EXPAND_DIR=$d/plugins-expand
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=$4
	EOF
}

# config_rabbitmq: pick the ports and write the node's files under $DIR/rabbitmq.
config_rabbitmq() {
	local d=$DIR/rabbitmq tls=$DIR/tls
	take_port RMQ_EPMD
	take_port RMQ_DIST
	take_port RMQ_AMQP
	take_port RMQ_STOMP
	take_port RMQ_STOMPS
	take_port RMQ_WS
	take_port RMQ_WSS
	# @localhost: always resolvable, whatever the machine is called.
	RMQ_NODE="stompactor-$$@localhost"
	mkdir -p "$d/mnesia" "$d/log" "$d/home" "$d/plugins-expand"

	# A private Erlang cookie: nothing else can talk to this node.
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr '[:lower:]' '[:upper:]' >"$d/home/.erlang.cookie"
	chmod 400 "$d/home/.erlang.cookie"
	: >"$d/rabbitmq-env.conf" # instead of /etc/rabbitmq/rabbitmq-env.conf
	echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$d/enabled_plugins"

	cat >"$d/rabbitmq.conf" <<-EOF
		listeners.tcp.default = 127.0.0.1:$RMQ_AMQP
		stomp.listeners.tcp.1 = 127.0.0.1:$RMQ_STOMP
		stomp.listeners.ssl.1 = 127.0.0.1:$RMQ_STOMPS
		web_stomp.tcp.ip = 127.0.0.1
		web_stomp.tcp.port = $RMQ_WS
		web_stomp.ssl.ip = 127.0.0.1
		web_stomp.ssl.port = $RMQ_WSS
		web_stomp.ssl.cacertfile = $tls/ca.pem
		web_stomp.ssl.certfile = $tls/server.pem
		web_stomp.ssl.keyfile = $tls/server.key
		ssl_options.cacertfile = $tls/ca.pem
		ssl_options.certfile = $tls/server.pem
		ssl_options.keyfile = $tls/server.key
		ssl_options.verify = verify_peer
		ssl_options.fail_if_no_peer_cert = false
		load_definitions = $d/definitions.json
		disk_free_limit.absolute = 10MB
		log.file.level = info
	EOF

	# Users, vhosts and permissions, loaded at boot (faster than rabbitmqctl).
	cat >"$d/definitions.json" <<-EOF
		{
		  "users": [
		    {"name": "$LOGIN", "password_hash": "$(rabbitmq_password_hash "$PASSCODE")",
		     "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]},
		    {"name": "$EXTRA_USER", "password_hash": "$(rabbitmq_password_hash "$EXTRA_PASS")",
		     "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]}
		  ],
		  "vhosts": [{"name": "/"}, {"name": "$EXTRA_VHOST"}],
		  "permissions": [
		    {"user": "$LOGIN", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
		    {"user": "$EXTRA_USER", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
		    {"user": "$EXTRA_USER", "vhost": "$EXTRA_VHOST", "configure": ".*", "write": ".*", "read": ".*"}
		  ]
		}
	EOF

	# The environment of the node and of its CLI tools (sourced with set -a).
	local erl_args="'-kernel inet_dist_use_interface {127,0,0,1}'"
	cat >"$d/rabbitmq.env" <<-EOF
		HOME=$d/home
		ERL_EPMD_PORT=$RMQ_EPMD
		RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf
		RABBITMQ_CTL_ERL_ARGS=$erl_args
		RABBITMQ_CTL_DIST_PORT_MIN=0
		RABBITMQ_CTL_DIST_PORT_MAX=0
	EOF
	rabbitmq_node_env "$d" "$RMQ_NODE" "$RMQ_DIST" "$erl_args" >>"$d/rabbitmq.env"

	# rabbitmqctl for this node: "$d/rabbitmqctl list_queues" etc.
	{
		echo '#!/bin/sh'
		echo "# rabbitmqctl against the private node $RMQ_NODE"
		echo "set -a; . '$d/rabbitmq.env'; set +a"
		echo "cd '$d' || exit 1"
		echo "exec ${RUN_AS_RMQ[*]} $RMQ_BIN/rabbitmqctl -n '$RMQ_NODE' \"\$@\""
	} >"$d/rabbitmqctl"
	chmod 755 "$d/rabbitmqctl"
	if is_root; then chown -R rabbitmq:rabbitmq "$d"; fi
}

# launch_rabbitmq: start the node (and its epmd unless that still runs) from
# the files config_rabbitmq wrote; needs RMQ_EPMD and RMQ_NODE. (restart.sh too)
launch_rabbitmq() {
	local d=$DIR/rabbitmq
	# Our own epmd on a private port, so that we know its pid and stop it.
	if ! recorded_pid rabbitmq-epmd >/dev/null; then
		start_bg rabbitmq-epmd "$d/log/epmd.log" "${RUN_AS_RMQ[@]}" \
			epmd -port "$RMQ_EPMD" -address 127.0.0.1
	fi
	wait_until rabbitmq-epmd 10 "listening on 127.0.0.1:$RMQ_EPMD" \
		epmd -port "$RMQ_EPMD" -names || return 1
	rm -f "$d/beam.pid" # the node writes it anew
	(
		set -a
		# shellcheck source=/dev/null
		. "$d/rabbitmq.env"
		set +a
		cd "$d"
		start_bg rabbitmq "$d/log/console.log" "${RUN_AS_RMQ[@]}" "$RMQ_BIN/rabbitmq-server"
	)
}

start_rabbitmq() {
	config_rabbitmq
	launch_rabbitmq
}

# await_rabbitmq: wait until the node answers on every listener; record the
# pid of its Erlang VM. Needs RMQ_STOMP, RMQ_STOMPS, RMQ_WS, RMQ_WSS. (restart.sh too)
await_rabbitmq() {
	local d=$DIR/rabbitmq tls=(--ca "$DIR/tls/ca.pem")
	wait_stomp rabbitmq "$START_TIMEOUT" "127.0.0.1:$RMQ_STOMP" || return 1
	"$d/rabbitmqctl" await_startup --timeout 60 >&2 || return 1
	# Record the Erlang VM too (a child of the rabbitmq-server script), so that
	# down.sh can stop it by pid should the script die first.
	cp "$d/beam.pid" "$DIR/pids/rabbitmq-beam.pid"
	proc_starttime "$(cat "$d/beam.pid")" >"$DIR/pids/rabbitmq-beam.start"
	stomp_probe --tls "${tls[@]}" "127.0.0.1:$RMQ_STOMPS" >&2 || return 1
	stomp_probe "ws://127.0.0.1:$RMQ_WS/ws" >&2 || return 1
	stomp_probe "${tls[@]}" "wss://127.0.0.1:$RMQ_WSS/ws" >&2 || return 1
	stomp_probe --login "$EXTRA_USER" --passcode "$EXTRA_PASS" --vhost "$EXTRA_VHOST" \
		"127.0.0.1:$RMQ_STOMP" >&2 || return 1
}

wait_rabbitmq() {
	local d=$DIR/rabbitmq
	await_rabbitmq || return 1
	env_set STOMPACTOR_RABBITMQ_ADDR "127.0.0.1:$RMQ_STOMP"
	env_set STOMPACTOR_RABBITMQ_TLS_ADDR "127.0.0.1:$RMQ_STOMPS"
	env_set STOMPACTOR_RABBITMQ_WS_URL "ws://127.0.0.1:$RMQ_WS/ws"
	env_set STOMPACTOR_RABBITMQ_WSS_URL "wss://127.0.0.1:$RMQ_WSS/ws"
	env_set STOMPACTOR_RABBITMQ_AMQP_ADDR "127.0.0.1:$RMQ_AMQP"
	env_set STOMPACTOR_RABBITMQ_NODE "$RMQ_NODE"
	env_set STOMPACTOR_RABBITMQ_CTL "$d/rabbitmqctl"
	env_set STOMPACTOR_RABBITMQ_LOGIN "$LOGIN"
	env_set STOMPACTOR_RABBITMQ_PASSCODE "$PASSCODE"
	env_set STOMPACTOR_RABBITMQ_EXTRA_USER "$EXTRA_USER"
	env_set STOMPACTOR_RABBITMQ_EXTRA_PASS "$EXTRA_PASS"
	env_set STOMPACTOR_RABBITMQ_EXTRA_VHOST "$EXTRA_VHOST"
	env_set STOMPACTOR_RABBITMQ_PIDFILE "$DIR/pids/rabbitmq.pid"
	env_set STOMPACTOR_RABBITMQ_BEAM_PIDFILE "$d/beam.pid"
	env_set STOMPACTOR_RABBITMQ_LOG "$d/log/$RMQ_NODE.log"
}

# ================================================================ RabbitMQ cluster

# Three more nodes, joined into one cluster for quorum queues (a quorum queue
# needs a majority: with three nodes it survives the loss of one). Each node
# has its own node name, distribution and STOMP ports and data directory
# under $DIR/rabbitmq-cluster/nI; the three share one private Erlang cookie
# and one private epmd (a node finds its peers through the epmd of their
# host: on one machine they must all use the same epmd port). Nothing is
# shared with the `rabbitmq` target. STOMP only (plain TCP; no AMQP
# listener), guest/guest on vhost /.
RMQC_NODES=3
RMQC_NODE=() # node names, indexed 1..3 (set by config_/load_rabbitmq_cluster)
# Each VM: one scheduler and one dirty CPU scheduler by default (three nodes
# share the 2 cores), $STOMPACTOR_CLUSTER_ERL_ARGS to change that (emulator
# flags, no quotes); distribution on loopback only.
RMQC_ERL_ARGS="'${STOMPACTOR_CLUSTER_ERL_ARGS-+S 1:1 +SDcpu 1:1} -kernel inet_dist_use_interface {127,0,0,1}'"

# config_rabbitmq_cluster: pick the ports and write the files of the three
# nodes, the shared cookie and the rabbitmqctl wrapper under $DIR/rabbitmq-cluster.
config_rabbitmq_cluster() {
	local c=$DIR/rabbitmq-cluster i d node port
	take_port RMQC_EPMD
	mkdir -p "$c/home"
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr '[:lower:]' '[:upper:]' >"$c/home/.erlang.cookie"
	chmod 400 "$c/home/.erlang.cookie"
	: >"$c/rabbitmq-env.conf" # instead of /etc/rabbitmq/rabbitmq-env.conf
	local ctl_erl_args="'-kernel inet_dist_use_interface {127,0,0,1}'"
	# The environment of the CLI tools (rabbitmqctl's default node is node 1).
	cat >"$c/ctl.env" <<-EOF
		HOME=$c/home
		ERL_EPMD_PORT=$RMQC_EPMD
		RABBITMQ_NODENAME=stompactor-$$-1@localhost
		RABBITMQ_CONF_ENV_FILE=$c/rabbitmq-env.conf
		RABBITMQ_CTL_ERL_ARGS=$ctl_erl_args
		RABBITMQ_CTL_DIST_PORT_MIN=0
		RABBITMQ_CTL_DIST_PORT_MAX=0
	EOF
	RMQC_NODE=() RMQC_STOMP=() RMQC_DIST=()
	for i in $(seq 1 $RMQC_NODES); do
		d=$c/n$i node=stompactor-$$-$i@localhost
		take_port port
		RMQC_DIST[i]=$port
		take_port port
		RMQC_STOMP[i]=$port
		RMQC_NODE[i]=$node
		mkdir -p "$d/mnesia" "$d/log" "$d/plugins-expand"
		echo '[rabbitmq_stomp].' >"$d/enabled_plugins"
		cat >"$d/rabbitmq.conf" <<-EOF
			cluster_name = stompactor-$$
			listeners.tcp = none
			stomp.listeners.tcp.1 = 127.0.0.1:${RMQC_STOMP[i]}
			disk_free_limit.absolute = 10MB
			log.file.level = info
		EOF
		{
			cat "$c/ctl.env"
			rabbitmq_node_env "$d" "$node" "${RMQC_DIST[i]}" "$RMQC_ERL_ARGS"
		} >"$d/rabbitmq.env"
	done

	# rabbitmqctl for the cluster: "$c/rabbitmqctl -n NODE cluster_status";
	# without -n it talks to node 1.
	{
		echo '#!/bin/sh'
		echo "# rabbitmqctl against the private cluster ${RMQC_NODE[*]}"
		echo "set -a; . '$c/ctl.env'; set +a"
		echo "cd '$c' || exit 1"
		echo "exec ${RUN_AS_RMQ[*]} $RMQ_BIN/rabbitmqctl \"\$@\""
	} >"$c/rabbitmqctl"
	chmod 755 "$c/rabbitmqctl"
	if is_root; then chown -R rabbitmq:rabbitmq "$c"; fi
}

# load_rabbitmq_cluster: RMQC_EPMD, RMQC_NODE[i], RMQC_DIST[i], RMQC_STOMP[i]
# from the files config_rabbitmq_cluster wrote. (restart.sh)
load_rabbitmq_cluster() {
	local c=$DIR/rabbitmq-cluster i envf
	[ -f "$c/ctl.env" ] || die "$c/ctl.env is missing: up.sh did not start rabbitmq-cluster in $DIR"
	RMQC_EPMD=$(sed -n 's/^ERL_EPMD_PORT=//p' "$c/ctl.env")
	RMQC_NODE=() RMQC_STOMP=() RMQC_DIST=()
	for i in $(seq 1 $RMQC_NODES); do
		envf=$c/n$i/rabbitmq.env
		RMQC_NODE[i]=$(sed -n 's/^RABBITMQ_NODENAME=//p' "$envf" | tail -n 1)
		RMQC_DIST[i]=$(sed -n 's/^RABBITMQ_DIST_PORT=//p' "$envf")
		RMQC_STOMP[i]=$(sed -n 's/^stomp\.listeners\.tcp\.1 = 127\.0\.0\.1://p' "$c/n$i/rabbitmq.conf")
	done
}

rmqc_ctl() { "$DIR/rabbitmq-cluster/rabbitmqctl" "$@"; }

# launch_rabbitmq_cluster_node I: start node I (and the cluster's epmd unless
# that still runs) from the files config_rabbitmq_cluster wrote. (restart.sh too)
launch_rabbitmq_cluster_node() {
	local i=$1 c=$DIR/rabbitmq-cluster
	local d=$c/n$i
	if ! recorded_pid rabbitmq-cluster-epmd >/dev/null; then
		start_bg rabbitmq-cluster-epmd "$c/epmd.log" "${RUN_AS_RMQ[@]}" \
			epmd -port "$RMQC_EPMD" -address 127.0.0.1
	fi
	wait_until rabbitmq-cluster-epmd 10 "listening on 127.0.0.1:$RMQC_EPMD" \
		epmd -port "$RMQC_EPMD" -names || return 1
	rm -f "$d/beam.pid" # the node writes it anew
	(
		set -a
		# shellcheck source=/dev/null
		. "$d/rabbitmq.env"
		set +a
		cd "$d"
		start_bg "rabbitmq-cluster-$i" "$d/log/console.log" "${RUN_AS_RMQ[@]}" "$RMQ_BIN/rabbitmq-server"
	)
}

start_rabbitmq_cluster() {
	local i
	RMQC_T0=$SECONDS
	config_rabbitmq_cluster
	for i in $(seq 1 $RMQC_NODES); do
		launch_rabbitmq_cluster_node "$i"
	done
}

# booted_rabbitmq_cluster_node I: wait until node I has booted; record the
# pid of its Erlang VM (down.sh and restart.sh stop it by that pid).
booted_rabbitmq_cluster_node() {
	local i=$1 d=$DIR/rabbitmq-cluster/n$1
	# The STOMP listener opens at the end of the boot; probing it is cheap
	# (a rabbitmqctl call costs about a second of CPU).
	wait_stomp "rabbitmq-cluster-$i" "$START_TIMEOUT" "127.0.0.1:${RMQC_STOMP[i]}" || return 1
	rmqc_ctl -n "${RMQC_NODE[i]}" await_startup --timeout 60 >&2 || return 1
	cp "$d/beam.pid" "$DIR/pids/rabbitmq-cluster-$i-beam.pid"
	proc_starttime "$(cat "$d/beam.pid")" >"$DIR/pids/rabbitmq-cluster-$i-beam.start"
}

# rmqc_running_nodes I: the running nodes of the cluster as node I sees them,
# one a line.
rmqc_running_nodes() {
	rmqc_ctl -n "${RMQC_NODE[$1]}" cluster_status --formatter json 2>/dev/null |
		"$PYTHON" -c 'import json,sys
for n in json.load(sys.stdin).get("running_nodes", []): print(n)'
}

# rmqc_sees I NODE...: node I sees every NODE running in its cluster.
rmqc_sees() {
	local i=$1 running n
	shift
	running=$(rmqc_running_nodes "$i") || return 1
	for n in "$@"; do
		grep -qxF "$n" <<<"$running" || return 1
	done
}

# await_rabbitmq_cluster_node I: node I runs, answers STOMP CONNECT, and is a
# member of a cluster that sees it and every other node that runs (by our
# records) running. (restart.sh)
await_rabbitmq_cluster_node() {
	booted_rabbitmq_cluster_node "$1" && member_rabbitmq_cluster_node "$1"
}

# member_rabbitmq_cluster_node I: node I sees itself and every other node
# that runs (by our records) running in its cluster, and answers CONNECT.
member_rabbitmq_cluster_node() {
	local i=$1 j want=()
	for j in $(seq 1 $RMQC_NODES); do
		if [ "$j" = "$i" ] || recorded_pid "rabbitmq-cluster-$j-beam" >/dev/null; then
			want+=("${RMQC_NODE[j]}")
		fi
	done
	wait_until "rabbitmq-cluster-$i" "$START_TIMEOUT" "in the cluster with ${want[*]}" \
		rmqc_sees "$i" "${want[@]}" || return 1
	wait_stomp "rabbitmq-cluster-$i" "$START_TIMEOUT" "127.0.0.1:${RMQC_STOMP[i]}"
}

# in_parallel CMD ARG...: run "CMD ARG" for each ARG at once; false when any failed.
in_parallel() {
	local cmd=$1 a pids=() rc=0 p
	shift
	for a in "$@"; do
		"$cmd" "$a" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return $rc
}

# rmqc_setup I ARGS...: rabbitmqctl -n NODE-I ARGS, its output in
# cluster-setup.log (join_cluster logs harmless errors about tables of the
# stopped node), shown when it fails.
rmqc_setup() {
	local i=$1 out rc=0
	shift
	out=$(rmqc_ctl -n "${RMQC_NODE[i]}" "$@" 2>&1) || rc=$?
	printf '%s\n' "== rabbitmqctl -n ${RMQC_NODE[i]} $* (exit $rc)" "$out" >>"$DIR/rabbitmq-cluster/cluster-setup.log"
	if [ $rc -ne 0 ]; then
		log "rabbitmqctl -n ${RMQC_NODE[i]} $* failed (exit $rc):"
		printf '%s\n' "$out" >&2
		return 1
	fi
	log "rabbitmq-cluster-$i: $*"
}
rmqc_stop_app() { rmqc_setup "$1" stop_app; }
# rmqc_join I: node I (its app stopped) leaves its own one-node cluster and joins node 1's.
rmqc_join() { rmqc_setup "$1" join_cluster "${RMQC_NODE[1]}"; }
rmqc_start_app() { rmqc_setup "$1" start_app; }

wait_rabbitmq_cluster() {
	local c=$DIR/rabbitmq-cluster i all others=() addrs=() t0
	all=$(seq 1 $RMQC_NODES)
	# (Each check in a subshell of its own: they only wait and record pids.)
	# shellcheck disable=SC2086 # $all: the node numbers
	in_parallel booted_rabbitmq_cluster_node $all || return 1
	for i in $all; do
		[ "$i" = 1 ] || others+=("$i")
	done
	t0=$SECONDS
	log "rabbitmq-cluster: ${RMQC_NODE[*]} booted in $((t0 - RMQC_T0))s; joining them"
	# Node 1 is the seed: the others join it (one at a time: each join
	# changes the cluster's schema), then start again as its members.
	in_parallel rmqc_stop_app "${others[@]}" || return 1
	for i in "${others[@]}"; do
		rmqc_join "$i" || return 1
	done
	in_parallel rmqc_start_app "${others[@]}" || return 1
	# (start_app returned once each app ran; node 1 never stopped.)
	# shellcheck disable=SC2086
	in_parallel member_rabbitmq_cluster_node $all || return 1
	for i in $all; do
		addrs+=("127.0.0.1:${RMQC_STOMP[i]}")
	done
	log "rabbitmq-cluster: ${RMQC_NODE[*]} run as one cluster, $((SECONDS - RMQC_T0))s after their start (joined and checked in $((SECONDS - t0))s)"
	env_set STOMPACTOR_CLUSTER_ADDRS "$(IFS=,; echo "${addrs[*]}")"
	env_set STOMPACTOR_CLUSTER_NODES "$(IFS=,; echo "${RMQC_NODE[*]}")"
	env_set STOMPACTOR_CLUSTER_CTL "$c/rabbitmqctl"
	env_set STOMPACTOR_CLUSTER_RESTART "$BROKERS_LIB_DIR/restart.sh"
	env_set STOMPACTOR_CLUSTER_LOGIN "$LOGIN"
	env_set STOMPACTOR_CLUSTER_PASSCODE "$PASSCODE"
	for i in $(seq 1 $RMQC_NODES); do
		env_set "STOMPACTOR_CLUSTER_LOG_$i" "$c/n$i/log/${RMQC_NODE[i]}.log"
	done
}

# ================================================================ ActiveMQ

AMQ_HOME=/usr/share/activemq

# config_activemq: pick the ports and write the broker's files under $DIR/activemq.
config_activemq() {
	local d=$DIR/activemq
	take_port AMQ_STOMP
	take_port AMQ_STOMPS
	mkdir -p "$d/conf" "$d/data"
	openssl pkcs12 -export -in "$DIR/tls/server.pem" -inkey "$DIR/tls/server.key" \
		-certfile "$DIR/tls/ca.pem" -name server -passout pass:stompactor \
		-out "$d/conf/server.p12" || return 1

	cat >"$d/conf/activemq.xml" <<-EOF
		<beans xmlns="http://www.springframework.org/schema/beans"
		  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
		  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
		  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
		  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="stompactor"
		          useJmx="false" persistent="false" schedulerSupport="false"
		          dataDirectory="$d/data">
		    <plugins>
		      <simpleAuthenticationPlugin anonymousAccessAllowed="false">
		        <users>
		          <authenticationUser username="$LOGIN" password="$PASSCODE" groups="users,admins"/>
		          <authenticationUser username="$EXTRA_USER" password="$EXTRA_PASS" groups="users,admins"/>
		        </users>
		      </simpleAuthenticationPlugin>
		    </plugins>
		    <sslContext>
		      <sslContext keyStore="file:$d/conf/server.p12" keyStorePassword="stompactor" keyStoreType="pkcs12"/>
		    </sslContext>
		    <transportConnectors>
		      <transportConnector name="stomp" uri="stomp://127.0.0.1:$AMQ_STOMP"/>
		      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:$AMQ_STOMPS"/>
		    </transportConnectors>
		  </broker>
		</beans>
	EOF
	cat >"$d/conf/log4j.properties" <<-EOF
		log4j.rootLogger=INFO, out
		log4j.logger.org.springframework=WARN
		log4j.logger.org.apache.xbean=WARN
		log4j.appender.out=org.apache.log4j.ConsoleAppender
		log4j.appender.out.layout=org.apache.log4j.PatternLayout
		log4j.appender.out.layout.ConversionPattern=%d %-5p %c{1} - %m%n
	EOF
}

# launch_activemq: start the JVM from the files config_activemq wrote. (restart.sh too)
launch_activemq() {
	local d=$DIR/activemq
	local java_opts=(
		-Xms64m -Xmx512m -Djava.awt.headless=true
		--add-opens java.base/java.lang=ALL-UNNAMED
		--add-opens java.base/java.util=ALL-UNNAMED
		--add-opens java.base/java.net=ALL-UNNAMED
		--add-opens java.base/java.security=ALL-UNNAMED
		"-Dactivemq.home=$AMQ_HOME" "-Dactivemq.base=$d"
		"-Dactivemq.conf=$d/conf" "-Dactivemq.data=$d/data"
		"-Dlog4j.configuration=file:$d/conf/log4j.properties"
	)
	(cd "$d" && start_bg activemq "$d/log" java "${java_opts[@]}" \
		-jar "$AMQ_HOME/bin/activemq.jar" start "xbean:file:$d/conf/activemq.xml")
}

start_activemq() {
	config_activemq
	launch_activemq
}

# await_activemq: wait until the broker answers (plain, TLS, refused login).
# Needs AMQ_STOMP and AMQ_STOMPS. (restart.sh too)
await_activemq() {
	wait_stomp activemq "$START_TIMEOUT" "127.0.0.1:$AMQ_STOMP" || return 1
	stomp_probe --tls --ca "$DIR/tls/ca.pem" "127.0.0.1:$AMQ_STOMPS" >&2 || return 1
	stomp_probe --login "$LOGIN" --passcode wrong --expect ERROR "127.0.0.1:$AMQ_STOMP" >&2 || return 1
}

wait_activemq() {
	await_activemq || return 1
	env_set STOMPACTOR_ACTIVEMQ_ADDR "127.0.0.1:$AMQ_STOMP"
	env_set STOMPACTOR_ACTIVEMQ_TLS_ADDR "127.0.0.1:$AMQ_STOMPS"
	env_set STOMPACTOR_ACTIVEMQ_AUTH simple
	env_set STOMPACTOR_ACTIVEMQ_LOGIN "$LOGIN"
	env_set STOMPACTOR_ACTIVEMQ_PASSCODE "$PASSCODE"
	env_set STOMPACTOR_ACTIVEMQ_PIDFILE "$DIR/pids/activemq.pid"
	env_set STOMPACTOR_ACTIVEMQ_LOG "$DIR/activemq/log"
}

# ================================================================ dante (SOCKS4/5)

start_dante() {
	local d=$DIR/dante
	take_port SOCKS_PORT
	mkdir -p "$d"
	{
		echo "logoutput: stderr"
		echo "internal: 127.0.0.1 port = $SOCKS_PORT"
		echo "external: 127.0.0.1"
		echo "clientmethod: none"
		echo "socksmethod: none"
		if is_root; then
			echo "user.privileged: root"
			echo "user.unprivileged: nobody"
		fi
		# Clients from loopback, to loopback only.
		echo "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: error }"
		echo "socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 log: error }"
		echo "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect error }"
	} >"$d/danted.conf"
	start_bg dante "$d/log" danted -f "$d/danted.conf" -p "$d/danted.pid"
}

wait_dante() {
	wait_tcp dante 30 "$SOCKS_PORT" || return 1
	env_set STOMPACTOR_SOCKS_ADDR "127.0.0.1:$SOCKS_PORT"
	env_set STOMPACTOR_DANTE_PIDFILE "$DIR/pids/dante.pid"
}

# ================================================================ tinyproxy (HTTP CONNECT)

# tinyproxy_conf PORT [BASICAUTH-LINE]: any CONNECT port, loopback targets only.
tinyproxy_conf() {
	cat <<-EOF
		Port $1
		Listen 127.0.0.1
		Timeout 600
		MaxClients 100
		Allow 127.0.0.1
		LogLevel Info
		Filter "$DIR/tinyproxy/filter"
		FilterType ere
		FilterDefaultDeny Yes
	EOF
	if is_root; then
		echo "User nobody"
		echo "Group nogroup"
	fi
	[ -z "${2:-}" ] || echo "$2"
}

start_tinyproxy() {
	local d=$DIR/tinyproxy
	take_port HTTP_PROXY_PORT
	take_port HTTP_PROXY_AUTH_PORT
	mkdir -p "$d"
	echo '^(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost)$' >"$d/filter"
	tinyproxy_conf "$HTTP_PROXY_PORT" >"$d/tinyproxy.conf"
	tinyproxy_conf "$HTTP_PROXY_AUTH_PORT" "BasicAuth $EXTRA_USER $EXTRA_PASS" >"$d/tinyproxy-auth.conf"
	start_bg tinyproxy "$d/log" tinyproxy -d -c "$d/tinyproxy.conf"
	start_bg tinyproxy-auth "$d/log-auth" tinyproxy -d -c "$d/tinyproxy-auth.conf"
}

wait_tinyproxy() {
	wait_tcp tinyproxy 30 "$HTTP_PROXY_PORT" || return 1
	wait_tcp tinyproxy-auth 30 "$HTTP_PROXY_AUTH_PORT" || return 1
	env_set STOMPACTOR_HTTP_PROXY_ADDR "127.0.0.1:$HTTP_PROXY_PORT"
	env_set STOMPACTOR_HTTP_PROXY_AUTH_ADDR "127.0.0.1:$HTTP_PROXY_AUTH_PORT"
	env_set STOMPACTOR_HTTP_PROXY_USER "$EXTRA_USER"
	env_set STOMPACTOR_HTTP_PROXY_PASS "$EXTRA_PASS"
	env_set STOMPACTOR_TINYPROXY_PIDFILE "$DIR/pids/tinyproxy.pid"
}

# ================================================================ main

# Check each proxy by tunnelling a STOMP CONNECT to the first broker.
check_proxies() {
	local target
	target=$(grep -m1 -E '^STOMPACTOR_(RABBITMQ|ACTIVEMQ)_ADDR=' "$DIR/env" | cut -d= -f2) || return 0
	if [ -n "${SOCKS_PORT:-}" ]; then
		stomp_probe --socks5 "127.0.0.1:$SOCKS_PORT" "$target" >&2 || return 1
		stomp_probe --socks4 "127.0.0.1:$SOCKS_PORT" "$target" >&2 || return 1
	fi
	if [ -n "${HTTP_PROXY_PORT:-}" ]; then
		stomp_probe --http-proxy "127.0.0.1:$HTTP_PROXY_PORT" "$target" >&2 || return 1
	fi
}

packages_for() {
	case $1 in
	rabbitmq | rabbitmq-cluster) echo rabbitmq-server ;;
	activemq) echo activemq ;;
	dante) echo dante-server ;;
	tinyproxy) echo tinyproxy ;;
	esac
}

# logs_of NAME: the log files of one broker (all of them when NAME is empty).
logs_of() {
	local f i
	for f in "$DIR"/pids/"${1:-}"*.log; do
		# (rabbitmq*.log would take in the cluster's logs too)
		case ${1:-}:$(basename "$f") in rabbitmq:rabbitmq-cluster-*) continue ;; esac
		[ -f "$f" ] && cat "$f"
	done
	if [ "${1:-rabbitmq}" = rabbitmq ] && [ -n "${RMQ_NODE:-}" ]; then
		echo "$DIR/rabbitmq/log/$RMQ_NODE.log"
	fi
	if [ "${1:-rabbitmq-cluster}" = rabbitmq-cluster ] && [ ${#RMQC_NODE[@]} -gt 0 ]; then
		for i in "${!RMQC_NODE[@]}"; do
			echo "$DIR/rabbitmq-cluster/n$i/log/${RMQC_NODE[i]}.log"
		done
	fi
}

on_exit() {
	local rc=$?
	if [ "$rc" -eq 0 ] || [ -z "${DIR:-}" ]; then
		return
	fi
	# A signal trap may run while stderr is redirected: use the saved one.
	exec 2>&8
	log "FAILED (exit $rc) at: ${STEP:-setup}"
	local f
	for f in $(logs_of "${FAILED:-}"); do
		show_log "${FAILED:-}" "$f"
	done
	log "FAILED (exit $rc) at: ${STEP:-setup}; stopping what was started"
	"$BROKERS_LIB_DIR/down.sh" "$DIR" || true
}

main() {
	local brokers=("$@") b pkgs=(python3 openssl)
	[ ${#brokers[@]} -gt 0 ] || brokers=(rabbitmq activemq)
	for b in "${brokers[@]}"; do
		case $b in
		rabbitmq | rabbitmq-cluster | activemq | dante | tinyproxy) pkgs+=("$(packages_for "$b")") ;;
		*) die "unknown broker '$b' (want rabbitmq, rabbitmq-cluster, activemq, dante, tinyproxy)" ;;
		esac
	done
	local t0=$SECONDS
	ensure_packages "${pkgs[@]}"
	case " ${brokers[*]} " in
	*" rabbitmq "*)
		# stomp.py: a client we did not write, rehearsing a broker failure
		# through `stomp proxy` in front of RabbitMQ (cmd/stomp).
		ensure_optional_packages "the stomp.py rehearsal (TestStompPyReconnectsThroughProxy)" python3-stomp
		;;
	esac

	DIR=${STOMPACTOR_BROKERS_DIR:-$(mktemp -d /tmp/stompactor-brokers.XXXXXX)}
	mkdir -p "$DIR"
	[ ! -s "$DIR/env" ] || die "$DIR is in use already (has an env file)"
	DIR=$(cd "$DIR" && pwd)
	chmod 755 "$DIR" # the rabbitmq and nobody users read parts of it
	touch "$DIR/$BROKERS_MARKER"
	: >"$DIR/env"
	exec 8>&2 # our stderr, for on_exit
	trap on_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	log "state directory $DIR"
	env_set STOMPACTOR_BROKERS_DIR "$DIR"

	make_tls "$DIR/tls"
	env_set STOMPACTOR_TLS_CA "$DIR/tls/ca.pem"
	env_set STOMPACTOR_TLS_CLIENT_CERT "$DIR/tls/client.pem"
	env_set STOMPACTOR_TLS_CLIENT_KEY "$DIR/tls/client.key"

	fill_port_pool 24
	# Launch everything first, then wait: the brokers start in parallel.
	# (A failing step exits through set -e; on_exit shows the logs and cleans up.)
	for b in "${brokers[@]}"; do
		STEP="start $b" FAILED=$b
		"start_${b//-/_}"
	done
	for b in "${brokers[@]}"; do
		STEP="wait for $b" FAILED=$b
		"wait_${b//-/_}"
	done
	STEP="check the proxies" FAILED=
	check_proxies
	log "all up in $((SECONDS - t0))s: ${brokers[*]}"
	echo "$DIR/env"
}

# restart.sh sources this file for the functions above, without running main.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
