package actors

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// The long-lived objects of an idle connection sit just under a size
// class boundary of Go's allocator; a field more would cost the next class
// (64 to 128 bytes per connection). An object over 512 bytes that holds
// pointers also carries an 8-byte header.
// Grow them knowingly: move the new field behind a pointer made on first
// use, or raise the bound here and say so.
func TestIdleConnectionObjectsFitTheirSizeClasses(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(session{}), uintptr(256), "session")
	require.LessOrEqual(t, unsafe.Sizeof(Conn{}), uintptr(288), "Conn")
	// Three mailboxes (session, reader, subscription) and a route per
	// idle subscribed connection.
	require.LessOrEqual(t, unsafe.Sizeof(mailbox{}), uintptr(112), "mailbox")
	require.LessOrEqual(t, unsafe.Sizeof(route{}), uintptr(128), "route")
}

// An engine costs well under a megabyte before its first connection:
// protoactor's own registry of 32 768 maps would be about 2 MiB, which a
// process with one connection paid in full and every collection walked.
// Its actors and its event stream still find each other in the smaller one.
func TestAnEngineKeepsASmallRegistry(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e := NewEngine(EngineOptions{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(512<<10), "heap of a new engine")
	require.Equal(t, registryBuckets, len(e.sys.ProcessRegistry.LocalPIDs.LocalPIDs), "registry buckets")
	_, ok := e.sys.ProcessRegistry.GetLocal("eventstream")
	require.True(t, ok, "the event stream is registered")
	require.NoError(t, e.Close())
}
