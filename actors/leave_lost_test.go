package actors

import (
	"io"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A broker that answers DISCONNECT with the start of a frame and hangs
// up ends the connection inside a frame (io.ErrUnexpectedEOF): Disconnect
// hears the connection lost, with that cause, as its DisconnectedEvent
// reports it, and not a bare error of no code.
func TestDisconnectEndedInsideAFrameIsConnectionLost(t *testing.T) {
	srv, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdDisconnect {
			p.write("MESSAGE\nsubscription:x\nmessage-id:m4")
			return false
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V12}})
	err := c.Disconnect(testCtx(t), true, 5*time.Second)
	require.ErrorIs(t, err, ErrConnectionLost)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, CodeConnectionLost, CodeOf(err))
	ev := waitEvent(t, rec, func(*DisconnectedEvent) bool { return true })
	require.ErrorIs(t, ev.Err, io.ErrUnexpectedEOF, "the event tells the same cause")
}
