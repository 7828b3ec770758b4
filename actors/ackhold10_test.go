package actors

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// On STOMP 1.0 in ack mode client, once a handler's panic left m1
// unacknowledged (no NACK in 1.0), an Ack of the later m2 would
// acknowledge m1 too (review 14, finding 3): it is refused with
// ErrNackUnsupported's code and writes nothing; the first frame the
// broker sees after SUBSCRIBE is the barrier's, not an ACK.
func TestAnAckOn10ClientModeBehindAMessageLeftUnacknowledgedWritesNothing(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.0"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("MESSAGE", "x", "message-id", "m1", "destination", "/q") +
				rawFrame("MESSAGE", "y", "message-id", "m2", "destination", "/q"))
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	kept := make(chan Message, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/q", Mode: AckClient,
		Handler: func(m Message) AckAction {
			if m.MessageID == "m1" {
				panic("cannot handle it")
			}
			kept <- m
			return AckNone
		}})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdConnect)
	expectFrame(t, got, frames.CmdSubscribe)
	m2 := recv(t, kept, "m2")
	waitEvent(t, rec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "left unacknowledged") })
	err = c.Ack(testCtx(t), &m2, false, "", 0)
	require.True(t, errors.Is(err, ErrNackUnsupported), "Ack of m2: %v", err)
	require.Zero(t, c.Stats().Acks)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/barrier"), 0, true))
	require.Equal(t, "/barrier", expectFrame(t, got, frames.CmdSend).Header(frames.HdrDestination), "an ACK was written")
}
