package api

import (
	"net"
	"testing"

	"github.com/stompactor/stompactor/frames"
)

// newScripted12 starts a scripted broker that takes the client's CONNECT,
// answers it with a bare STOMP 1.2 CONNECTED, and then hands every frame
// the client writes (heart-beats skipped) to react, which writes what it
// likes on conn. react returning false ends the script, which hangs up;
// so does the client's end.
func newScripted12(t *testing.T, react func(conn net.Conn, f *frames.Frame) bool) *scripted {
	t.Helper()
	return newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		for {
			f, err := readFrame(d)
			if err != nil || !react(conn, f) {
				return
			}
		}
	})
}
