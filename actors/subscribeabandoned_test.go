package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A SUBSCRIBE the writer has taken but not yet encoded when its caller's
// context ends is written a moment later: Subscribe's error path queues an
// UNSUBSCRIBE behind it, which the writer writes since the SUBSCRIBE was.
//
// The window is forced: the test holds the link's receipt book, so the
// writer, having taken the frame and a receipt slot and encoded it,
// waits in awaitReceipt -> receipts.add.
func TestATakenSubscribeIsUnsubscribedWhenItsCallerLeaves(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil) // answers no RECEIPT
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	l := c.link.Load()

	l.receipts.mu.Lock()
	locked := true
	unlock := func() {
		if locked {
			locked = false
			l.receipts.mu.Unlock()
		}
	}
	defer unlock()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subErr := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, SubscribeSpec{ID: "s1", Destination: "/queue/b", Receipt: 5 * time.Second, Handler: func(Message) AckAction { return AckNone }})
		subErr <- err
	}()
	// The writer took the SUBSCRIBE (take) and a receipt slot; it now
	// waits for the book the test holds, the frame in state frameTaken.
	waitFor(t, "the writer to take the SUBSCRIBE", func() bool { return len(l.receiptSlots) == 1 })
	cancel()
	// Subscribe's error path forgets s1 (the session drops its route,
	// locally or with an UNSUBSCRIBE queued behind the SUBSCRIBE).
	waitFor(t, "the session to forget s1", func() bool {
		r := c.routes.Load()
		return r == nil || r.find("s1") == nil
	})
	unlock() // the writer goes on and writes the SUBSCRIBE
	err := recv(t, subErr, "Subscribe to return")
	require.Error(t, err)

	f := expectFrame(t, got, frames.CmdSubscribe)
	require.Equal(t, "s1", f.Header(frames.HdrID))
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), 0, true))
	for {
		f := nextFrame(t, got)
		if f.Command == frames.CmdUnsubscribe {
			return // the broker is told: fine
		}
		if f.Command == frames.CmdSend {
			t.Fatalf("the SUBSCRIBE s1 reached the broker after Subscribe failed (%v), and no UNSUBSCRIBE followed: the broker delivers to a subscription the client forgot", err)
		}
	}
}
