package actors

import (
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
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, Handler: func(Message) AckAction {
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
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, Handler: func(Message) AckAction {
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

// Once DISCONNECT is written the client must send nothing more (STOMP 1.2
// "DISCONNECT"). A Send that races a graceful Disconnect is refused
// instead of being written after DISCONNECT, where the broker ignores it
// although the caller is told it went out.
func TestNoFrameAfterDisconnect(t *testing.T) {
	peers := make(chan *peer, 1)
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdDisconnect {
			peers <- p // the test answers the receipt itself
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)

	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, 10*time.Second) }()
	id := expectFrame(t, got, frames.CmdDisconnect).Header("receipt")
	p := recv(t, peers, "the broker's side")

	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/late"), 0, true)
	require.ErrorIs(t, err, ErrNotConnected, "a frame was accepted after DISCONNECT")
	require.ErrorIs(t, c.SendRaw(testCtx(t), []byte("SEND\ndestination:/raw\n\n\x00")), ErrNotConnected)

	p.write(rawFrame("RECEIPT", "", "receipt-id", id))
	require.NoError(t, recv(t, done, "Disconnect"))
	recv(t, srv.done, "the broker to see the client hang up")
	for len(got) > 0 {
		f := <-got
		t.Errorf("the broker read %s after DISCONNECT", f.Command)
	}
}
