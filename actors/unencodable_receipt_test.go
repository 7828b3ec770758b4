package actors

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A receipted frame the
// encoder refuses (a header STOMP 1.0 cannot carry) leaves no receipt
// waiter and no receipt slot behind, on the direct path and on the
// writer's, sent alone or among good frames. With one receipt slot, a
// leaked one would refuse every later receipted frame.
func TestAnUnencodableReceiptedFrameLeavesNoWaiterOrSlot(t *testing.T) {
	srv, got := newBroker(t, connectedFrame(""), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V10}, MaxPendingReceipts: 1})
	expectFrame(t, got, frames.CmdConnect)
	bad := func() *frames.Frame { return frames.New(frames.CmdSend, "destination", "/q", "bad", "new\nline") }
	for i := 0; i < 5; i++ {
		err := c.Send(testCtx(t), bad(), 5*time.Second, true)
		require.ErrorIs(t, err, ErrInvalidHeader)
	}
	require.NoError(t, c.Send(testCtx(t), sendFrame("/q/ok", "x"), 5*time.Second, true))
	// Mixed, concurrently, so that some go through the writer's mailbox.
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if (i+g)%2 == 0 {
					if err := c.Send(testCtx(t), bad(), 5*time.Second, true); err == nil {
						errs <- err
					}
				} else {
					err := c.Send(testCtx(t), sendFrame("/q/ok", "x"), 5*time.Second, true)
					if err != nil && !errorsIsTooMany(err) {
						errs <- err
					}
				}
				// A bad frame without waiting, straight to the writer.
				_ = c.Send(testCtx(t), bad(), 0, false)
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	l := c.link.Load()
	require.NotNil(t, l)
	waitFor(t, "no receipt pending", func() bool { return c.Stats().ReceiptsPending == 0 && len(l.receiptSlots) == 0 })
	require.NoError(t, c.Send(testCtx(t), sendFrame("/q/ok", "last"), 5*time.Second, true))
	require.Equal(t, Connected, c.State())
}

func errorsIsTooMany(err error) bool { return errors.Is(err, ErrTooManyReceipts) }
