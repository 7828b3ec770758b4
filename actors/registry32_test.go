package actors

import (
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"github.com/twmb/murmur3"
)

// registryID makes the ids the registry's NextId makes.
func TestRegistryIDIsNextId(t *testing.T) {
	reg := actor.NewProcessRegistry(nil)
	for n := uint64(1); n <= 300_000; n++ {
		id := reg.NextId()
		if id != registryID(n) {
			require.Equal(t, id, registryID(n), "sequence number %d", n)
		}
	}
}

// The engine's guardian and its actors have ids the registry can hold on
// this platform, and registrable hashes as the registry does: an id is
// in the bucket its hash names.
func TestTheEnginesIdsAreRegistrable(t *testing.T) {
	e := NewEngine(EngineOptions{})
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	g := e.root.Self()
	require.True(t, strings.HasPrefix(g.Id, "guardian$"), g.Id)
	require.True(t, registrable(g.Id), g.Id)
	if !intIs32 {
		require.Equal(t, "guardian"+registryID(1), g.Id, "nothing skipped on a 64-bit platform")
	}
	p, ok := e.sys.ProcessRegistry.Get(g)
	require.True(t, ok)
	require.NotSame(t, e.sys.DeadLetter, p)

	buckets := e.sys.ProcessRegistry.LocalPIDs.LocalPIDs
	kept := 0
	for n := uint64(1); n <= 4096; n++ {
		name := actorName(n)
		if !registrable(name) {
			require.True(t, intIs32, "%q skipped on a 64-bit platform", name)
			continue
		}
		kept++
		bucket := e.sys.ProcessRegistry.LocalPIDs.GetBucket(name)
		require.Same(t, buckets[murmur3.StringSum32(name)%uint32(len(buckets))][0], bucket[0], "%q", name)
	}
	require.Greater(t, kept, 1024, "about half the names are kept on a 32-bit platform")
}
