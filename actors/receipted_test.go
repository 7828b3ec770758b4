package actors

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// Plain frames with receipts, encoded and registered by their senders
// (no MessageOutEvent wanted, so no hop through the writer): many at
// once, each answered by its own RECEIPT or failed by the ERROR naming
// it; one the broker never answers fails at its deadline; one that
// cannot be encoded is refused and gives its receipt slot back.
func TestReceiptedSendsFromTheirSenders(t *testing.T) {
	srv, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		id, ok := f.Headers.Get(frames.HdrReceipt)
		if !ok || f.Command != frames.CmdSend {
			return true
		}
		switch f.Header(frames.HdrDestination) {
		case "/bad":
			p.write(rawFrame("ERROR", "refused", "message", "no room", "receipt-id", id))
		case "/silent":
		default:
			p.write(rawFrame("RECEIPT", "", "receipt-id", id))
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	c.SetMessageOutEvents(false)
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 64})

	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dest := "/ok"
			if i%10 == 3 {
				dest = "/bad"
			}
			f := frames.New(frames.CmdSend, frames.HdrDestination, dest, "x-n", strconv.Itoa(i))
			errs[i] = c.Send(testCtx(t), f, 5*time.Second, true)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%10 == 3 {
			var se *Error
			require.ErrorAs(t, err, &se, "send %d", i)
			require.Equal(t, "no room", se.Headers.Value("message"))
			continue
		}
		require.NoError(t, err, "send %d", i)
	}
	ids := map[string]bool{}
	for _, e := range rec.all() {
		if ro, ok := e.(*ReceiptOutEvent); ok {
			require.False(t, ids[ro.ReceiptID], "receipt id %s given twice", ro.ReceiptID)
			ids[ro.ReceiptID] = true
		}
	}
	require.Len(t, ids, n)
	require.Zero(t, c.Stats().ReceiptsPending)

	silent := frames.New(frames.CmdSend, frames.HdrDestination, "/silent")
	require.ErrorIs(t, c.Send(context.Background(), silent, 30*time.Millisecond, true), ErrReceiptTimeout)

	bad := frames.New(frames.CmdSend, frames.HdrDestination, "/ok")
	bad.Headers = append(bad.Headers, frames.Header{Key: "", Value: "no name"})
	require.Error(t, c.Send(testCtx(t), bad, time.Second, true))
	require.Zero(t, c.Stats().ReceiptsPending)
	for range 70 { // more than MaxPendingReceipts: every slot came back
		require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/ok"), time.Second, true))
	}
}
