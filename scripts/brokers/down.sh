#!/usr/bin/env bash
# Stop everything that up.sh started in DIR (by recorded pid only) and remove DIR.
#
#   scripts/brokers/down.sh DIR        (DIR or DIR/env, as printed by up.sh)
#   scripts/brokers/down.sh --keep DIR (stop, but keep DIR and its logs)
#
# Safe to call twice, and after a failed or partial up.sh.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep=
if [ "${1:-}" = --keep ]; then
	keep=1
	shift
fi
[ $# -eq 1 ] || die "usage: down.sh [--keep] DIR"
DIR=$1
case $DIR in */env) DIR=${DIR%/env} ;; esac

if [ ! -d "$DIR" ]; then
	log "$DIR does not exist: nothing to stop"
	exit 0
fi
[ -f "$DIR/$BROKERS_MARKER" ] || die "$DIR was not made by up.sh (no $BROKERS_MARKER): not touching it"

# RabbitMQ: a clean stop first (the node then exits by itself); the single
# node and each node of the cluster at once.
if recorded_pid rabbitmq >/dev/null && [ -x "$DIR/rabbitmq/rabbitmqctl" ]; then
	log "rabbitmqctl stop"
	(timeout 30 "$DIR/rabbitmq/rabbitmqctl" stop >&2 || log "rabbitmqctl stop failed; stopping by pid") &
fi
cluster_ctl=$DIR/rabbitmq-cluster/rabbitmqctl
if [ -x "$cluster_ctl" ]; then
	for i in 1 2 3; do
		recorded_pid "rabbitmq-cluster-$i" >/dev/null || continue
		node=$(sed -n 's/^RABBITMQ_NODENAME=//p' "$DIR/rabbitmq-cluster/n$i/rabbitmq.env" | tail -n 1)
		log "rabbitmqctl -n $node stop"
		(timeout 30 "$cluster_ctl" -n "$node" stop >&2 || log "rabbitmqctl -n $node stop failed; stopping by pid") &
	done
fi
wait

# Brokers and proxies, then the private epmds (after the nodes that used them).
for pidfile in "$DIR"/pids/*.pid; do
	[ -f "$pidfile" ] || continue
	name=$(basename "$pidfile" .pid)
	case $name in *-epmd) continue ;; esac
	stop_recorded "$name" 30
done
stop_recorded rabbitmq-epmd 10
stop_recorded rabbitmq-cluster-epmd 10

if [ -n "$keep" ]; then
	log "stopped; kept $DIR"
else
	rm -rf "$DIR"
	log "stopped; removed $DIR"
fi
