package api

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// A client's STOMP sits under the 640-byte size class of Go's allocator
// (less the 8-byte header an object over 512 bytes with pointers
// carries); a field more would cost the 704 class, 64 bytes per client.
// Grow it knowingly: put the new field behind a pointer made on first
// use, or raise the bound here and say so.
func TestClientFitsItsSizeClass(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(STOMP{}), uintptr(640-8))
}

// Every message received makes one MessageInEvent: it stays in the
// 160-byte class (a field more is 16 bytes per message, and at a million
// messages a second the collector runs that much more often).
func TestMessageEventFitsItsSizeClass(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(MessageInEvent{}), uintptr(160))
}
