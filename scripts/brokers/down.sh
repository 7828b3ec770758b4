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

# RabbitMQ: a clean stop first (the node then exits by itself).
if recorded_pid rabbitmq >/dev/null && [ -x "$DIR/rabbitmq/rabbitmqctl" ]; then
	log "rabbitmqctl stop"
	timeout 30 "$DIR/rabbitmq/rabbitmqctl" stop >&2 || log "rabbitmqctl stop failed; stopping by pid"
fi

# Brokers and proxies, then the private epmd (after the node that used it).
for pidfile in "$DIR"/pids/*.pid; do
	[ -f "$pidfile" ] || continue
	name=$(basename "$pidfile" .pid)
	[ "$name" = rabbitmq-epmd ] && continue
	stop_recorded "$name" 30
done
stop_recorded rabbitmq-epmd 10

if [ -n "$keep" ]; then
	log "stopped; kept $DIR"
else
	rm -rf "$DIR"
	log "stopped; removed $DIR"
fi
