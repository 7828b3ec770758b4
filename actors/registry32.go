package actors

import (
	"strconv"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/twmb/murmur3"
)

// Ids protoactor's process registry can hold on a 32-bit platform.
//
// The registry finds an id's bucket as int(murmur3.Sum32(id)) % 1024
// (actor.SliceMap.GetBucket, at the pinned version). Where int has 32
// bits, an id whose hash has its top bit set gives a negative index, and
// registering or looking up that id panics (index out of range). The ids
// an engine registers are its actors' names (actorName) and the one
// guardian of its root context ("guardian" and the registry's next
// sequence number, NextId, made when the engine starts: startGuardian);
// the actor system's own, "deadletter" and "eventstream", hash with the
// top bit clear. So on
// such a platform the engine skips the names, and the sequence numbers,
// whose ids would hash that way. Nothing else changes: an id it keeps
// falls in the bucket it falls in on a 64-bit platform, where nothing is
// skipped (the check is a constant there) and no id is hashed more.

// intIs32 says int has 32 bits (linux/386, linux/arm...).
const intIs32 = strconv.IntSize == 32

// registrable reports whether the registry can hold id on this platform.
func registrable(id string) bool {
	return !intIs32 || murmur3.StringSum32(id)&(1<<31) == 0
}

// registryID is the registry's n-th sequence id, as NextId makes it ("$"
// and n in base 64, in protoactor's digits; TestRegistryIDIsNextId checks
// it against the library).
func registryID(n uint64) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~+"
	var b [12]byte
	i := len(b)
	for {
		i--
		b[i] = digits[n&63]
		n >>= 6
		if n == 0 {
			break
		}
	}
	return "$" + string(b[i:])
}

// startGuardian makes the root context's guardian now, before the first
// spawn would: on a 32-bit platform with a sequence number that makes its
// id registrable, the numbers before it taken and left unused.
func startGuardian(sys *actor.ActorSystem, root *actor.RootContext) {
	reg := sys.ProcessRegistry
	for !registrable("guardian" + registryID(atomic.LoadUint64(&reg.SequenceID)+1)) {
		reg.NextId()
	}
	root.Self()
}
