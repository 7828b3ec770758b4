package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	cmap "github.com/orcaman/concurrent-map"
)

// protoactor's process registry is 1 024 buckets, each a concurrent map of
// 32 Go maps behind 32 pointers: 65 536 small objects made with the actor
// system and live as long as it. The collector marks every one of them in
// every cycle, whatever the engine holds: in a consumer that allocates a
// message's memory for each message, cycles come a hundred times a
// second and that marking was most of their cost. The registry's slice of
// buckets is exported, and a bucket is picked by a hash taken modulo its
// length, so the engine gives it fewer buckets (registryBuckets) before
// any actor of its own is spawned, moving over what protoactor registered
// while it made the system. The locks stay striped over
// registryBuckets × registryShards maps (the engine's actors use one map
// of each bucket, see actorName).

// registryBuckets is how many buckets the engine's process registry keeps.
const registryBuckets = 16

// trimRegistry gives sys's process registry registryBuckets buckets; the
// system must not be in use by any other goroutine yet.
func trimRegistry(sys *actor.ActorSystem) {
	pids := sys.ProcessRegistry.LocalPIDs
	if len(pids.LocalPIDs) <= registryBuckets {
		return
	}
	old := pids.LocalPIDs
	buckets := make([]cmap.ConcurrentMap, registryBuckets)
	for i := range buckets {
		buckets[i] = cmap.New()
	}
	pids.LocalPIDs = buckets
	for _, b := range old {
		for id, p := range b.Items() {
			pids.GetBucket(id).Set(id, p)
		}
	}
}
