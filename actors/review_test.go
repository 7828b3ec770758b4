package actors

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A link's settings belong to its connection. The writer of a connection
// that just ended may still be running (mid-flush) when the next Connect
// starts: if the link pointed at the session's own config, that Connect
// would rewrite the settings under the old writer's feet (a data race).
func TestReviewLinkKeepsItsOwnSettings(t *testing.T) {
	srv1, _ := newBroker(t, connectedFrame("1.2"), nil)
	srv2, _ := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv1.addr(), ConnectConfig{WriteTimeout: time.Minute})
	l1 := c.link.Load()
	require.NotNil(t, l1)
	c.Interrupt()
	connectTo(t, c, srv2.addr(), ConnectConfig{WriteTimeout: time.Hour, MaxTransferRate: 1 << 20})
	require.Equal(t, time.Minute, l1.writeTimeout, "the old connection's settings changed")
	require.Zero(t, l1.maxTransferRate, "the old connection's settings changed")
}

// Once DISCONNECT is written the client must send nothing more (STOMP 1.2
// "DISCONNECT"). A Send that races a graceful Disconnect is refused
// instead of being written after DISCONNECT, where the broker ignores it
// although the caller is told it went out.
func TestReviewNoFrameAfterDisconnect(t *testing.T) {
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

// silentServer accepts connections and never answers them, until the test
// ends.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// A Connect whose context has ended returns an error; the attempt must
// then be over, not left to connect behind the caller's back (which would
// also refuse the caller's retry with "already connected"). Before the
// fix, Connect interrupted the attempt only if the session had already
// marked it Connecting, which it usually had not.
func TestReviewConnectContextEndedWithdrawsAttempt(t *testing.T) {
	addr := silentServer(t)
	c, _ := newTestClient(t, ConnOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 50; i++ {
		_, err := c.Connect(ctx, ConnectConfig{Addr: addr, ConnectTimeout: time.Minute})
		require.ErrorIs(t, err, context.Canceled)
		c.Subscriptions() // a round trip: the session has seen the request
		require.Equal(t, Disconnected, c.State(), "attempt %d goes on though Connect failed", i)
	}
}

// ErrQueueFull is what a FullError subscription's overflow ends the
// connection with: its text must name the subscription's queue, not the
// outgoing one (which never fails this way: a full outgoing queue makes
// the caller wait).
func TestReviewQueueFullNamesTheSubscriptionQueue(t *testing.T) {
	require.NotContains(t, ErrQueueFull.Error(), "outgoing")
	require.Contains(t, ErrQueueFull.Error(), "subscription")
}
