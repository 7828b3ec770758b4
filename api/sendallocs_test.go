package api

import (
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// The common send (Timeout set, no receipt, room in the outgoing queue)
// allocates nothing on the client's side: the broker here is a socket
// that discards. A closure capturing the send's settings once moved them
// to the heap at every send.
func TestTheCommonSendAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("under the race detector sync.Pool drops a share of what it is given, and a slowed writer takes the path that waits: allocations say nothing there")
	}
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		if _, err := conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, conn)
	})
	s := newClient(t, WithSupportedVersions("1.2"))
	require.NoError(t, s.Connect(srv.host, srv.port))
	body := make([]byte, 100)
	for range 200 { // warm the pools and the writer's buffer
		require.NoError(t, s.SendData("/queue/allocs", body))
	}
	allocs := testing.AllocsPerRun(2000, func() {
		_ = s.SendData("/queue/allocs", body)
	})
	s.Close()
	require.LessOrEqual(t, allocs, 0.1, "allocations per SendData on the common path")
}
