package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// refusingThenConfirming is a scripted broker that answers every frame
// asking for a receipt with one write: an ERROR that names its receipt,
// then a RECEIPT for the same id. A SUBSCRIBE without a receipt gets two
// messages that need an acknowledgement.
func refusingThenConfirming(t *testing.T) (*scriptedServer, chan *frames.Frame) {
	return newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		var out strings.Builder
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			out.WriteString(rawFrame("ERROR", "no", "receipt-id", id, "message", "refused "+f.Command.String()))
			out.WriteString(rawFrame("RECEIPT", "", "receipt-id", id))
		} else if f.Command == frames.CmdSubscribe {
			for _, n := range []string{"1", "2"} {
				out.WriteString(rawFrame("MESSAGE", "m"+n, "subscription", f.Header("id"), "message-id", "m"+n,
					"destination", f.Header("destination"), "ack", "a"+n))
			}
		}
		p.write(out.String())
		return true
	})
}

// Every kind of frame a caller waits on with a receipt (SEND, SUBSCRIBE,
// UNSUBSCRIBE, ACK, NACK, BEGIN, COMMIT, ABORT, DISCONNECT) takes the
// first answer the broker gave for its receipt: an ERROR naming it fails
// the call, and a RECEIPT for the same id right behind it confirms
// nothing (it is reported as a RECEIPT for an id nobody awaits).
func TestEveryReceiptedFrameTakesTheFirstAnswerForItsReceipt(t *testing.T) {
	srv, got := refusingThenConfirming(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	ctx := testCtx(t)
	const wait = 5 * time.Second
	refused := func(what string, err error) {
		t.Helper()
		require.True(t, IsServerError(err), "%s: %v", what, err)
		require.ErrorContains(t, err, "refused", what)
	}

	refused("SEND", c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q"), wait, true))
	_, err := c.Subscribe(ctx, SubscribeSpec{Destination: "/queue/r", Receipt: wait})
	refused("SUBSCRIBE", err)

	id, err := c.Subscribe(ctx, SubscribeSpec{Destination: "/queue/p", Pull: true, Mode: AckClientIndividual})
	require.NoError(t, err)
	m1, err := c.Receive(ctx, id)
	require.NoError(t, err)
	m2, err := c.Receive(ctx, id)
	require.NoError(t, err)
	refused("ACK", c.AckRef(ctx, m1.Ref(), false, "", wait))
	refused("NACK", c.AckRef(ctx, m2.Ref(), true, "", wait))
	refused("UNSUBSCRIBE", c.Unsubscribe(ctx, id, wait))

	require.NoError(t, c.Begin(ctx, "t1", 0))
	require.NoError(t, c.Begin(ctx, "t2", 0))
	refused("BEGIN", c.Begin(ctx, "t3", wait))
	refused("COMMIT", c.Commit(ctx, "t1", wait))
	refused("ABORT", c.Abort(ctx, "t2", wait))

	// Each later RECEIPT found nobody waiting for its id.
	unknown := func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "unknown receipt-id") }
	waitEventN(t, rec, 8, unknown)
	require.Equal(t, 8, count(rec, unknown))
	require.Zero(t, c.Stats().ReceiptsPending)
	require.Equal(t, Connected, c.State())

	// DISCONNECT's receipt is the session's: refused first, the
	// disconnect is not clean.
	err = c.Disconnect(ctx, true, wait)
	refused("DISCONNECT", err)
}
