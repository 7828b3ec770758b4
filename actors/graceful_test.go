package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A handler still running when Disconnect is called finishes, and its ACK
// is written before the DISCONNECT frame.
func TestDisconnectWaitsForHandlerAck(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("MESSAGE", "m", "subscription", f.Header("id"), "message-id", "m1", "destination", "/q", "ack", "a1"))
		}
		return politeBroker(p, f)
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	entered, release := make(chan struct{}), make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, Handler: func(*Message) AckAction {
		close(entered)
		<-release
		return AckAck
	}})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdSubscribe)
	recv(t, entered, "the handler to start")
	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, 10*time.Second) }()
	waitFor(t, "disconnecting", func() bool { return c.State() == Disconnecting })
	close(release)
	ack := expectFrame(t, got, frames.CmdAck)
	require.Equal(t, "a1", ack.Header("id"))
	expectFrame(t, got, frames.CmdDisconnect)
	require.NoError(t, recv(t, done, "Disconnect"))
}

// Messages queued but not started when Disconnect is called are left for
// the broker to redeliver: their handlers do not run and nothing acks them.
func TestDisconnectSkipsQueuedAckModeMessages(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			for _, id := range []string{"1", "2", "3"} {
				p.write(rawFrame("MESSAGE", id, "subscription", f.Header("id"), "message-id", id, "destination", "/q", "ack", "a"+id))
			}
		}
		return politeBroker(p, f)
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	entered, release := make(chan struct{}, 3), make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, Handler: func(*Message) AckAction {
		entered <- struct{}{}
		<-release
		return AckAck
	}})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdSubscribe)
	recv(t, entered, "the first handler")
	waitFor(t, "all three messages to arrive", func() bool { return c.Stats().MessagesIn == 3 })
	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, 10*time.Second) }()
	waitFor(t, "disconnecting", func() bool { return c.State() == Disconnecting })
	close(release)
	require.Equal(t, "a1", expectFrame(t, got, frames.CmdAck).Header("id"))
	require.Equal(t, frames.CmdDisconnect, nextFrame(t, got).Command, "only the running handler's ACK precedes DISCONNECT")
	require.NoError(t, recv(t, done, "Disconnect"))
	require.Len(t, entered, 0, "queued handlers must not run once disconnecting")
}

func TestActiveMQHeartbeatTolerance(t *testing.T) {
	connected := strings.Replace(connectedFrame("1.2", "heart-beat", "1000,1000"), "server:scripted/1", "server:ActiveMQ/5.17.2", 1)
	srv, got := newBroker(t, connected, politeBroker)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatOut: time.Second, HeartbeatIn: time.Second})
	expectFrame(t, got, frames.CmdConnect)
	waitEvent[*LogEvent](t, rec, func(e *LogEvent) bool { return strings.Contains(e.Message, "read tolerance raised to 2.5") })
}

// The receipt limit is checked before the frame is written: a send over
// it fails at once and nothing reaches the broker.
func TestReceiptLimitCheckedBeforeWriting(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 1})
	expectFrame(t, got, frames.CmdConnect)
	first := make(chan error, 1)
	go func() {
		first <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/a"), 5*time.Second, true)
	}()
	id := recv(t, asked, "the first receipt request")
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/b"), 5*time.Second, true)
	require.ErrorIs(t, err, ErrTooManyReceipts)
	// The next frame the broker sees is the one sent after the refusal.
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/c"), 0, true))
	require.Equal(t, "/a", expectFrame(t, got, frames.CmdSend).Header("destination"))
	require.Equal(t, "/c", expectFrame(t, got, frames.CmdSend).Header("destination"))
	answer <- id
	require.NoError(t, recv(t, first, "the first send"))
	// Its token is back: another receipt may be requested.
	last := make(chan error, 1)
	go func() {
		last <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/d"), 5*time.Second, true)
	}()
	answer <- recv(t, asked, "the next receipt request")
	require.NoError(t, recv(t, last, "the last send"))
}
