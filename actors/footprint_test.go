package actors

import (
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
