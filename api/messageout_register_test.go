package api

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One goroutine registers an OnMessageOut handler while another removes
// it. Whichever registration is the handler afterwards decides: when the
// client holds a handler, the next message sent fires it.
func TestOnMessageOutLastRegistrationDecides(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(5*time.Second))
	var fired atomic.Int64
	f := func(*MessageOutEvent) { fired.Add(1) }
	lost := 0
	for round := range 20000 {
		var wg sync.WaitGroup
		wg.Add(2)
		start := make(chan struct{})
		go func() { defer wg.Done(); <-start; s.OnMessageOut(nil) }()
		go func() { defer wg.Done(); <-start; s.OnMessageOut(f) }()
		close(start)
		runWithin(t, "the registrations", raceBound, wg.Wait)
		if s.handlersNow().messageOut == nil {
			continue
		}
		before := fired.Load()
		// RequestReceipts: the send returns once its MessageOut handler ran.
		require.NoError(t, sendWithReceipt(s, round))
		if fired.Load() == before {
			lost++
			// Still registered, and deaf for good: later messages too.
			for i := range 3 {
				require.NoError(t, sendWithReceipt(s, -i))
			}
			require.NotNil(t, s.handlersNow().messageOut)
			t.Errorf("round %d: OnMessageOut registered, yet neither that message nor the 3 after fired it (%d events)", round, fired.Load()-before)
			break
		}
	}
	t.Logf("MessageOut events: %d", fired.Load())
	assert.Zero(t, lost, "rounds where a registered OnMessageOut handler never heard of a message sent")
}

// sendWithReceipt sends one receipted message: its MessageOut handler has
// run (or never will) when it returns.
func sendWithReceipt(s *STOMP, round int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.SetRequestReceipts(true); err != nil {
		return err
	}
	return s.SendMessageContext(ctx, "/queue/out-reg", fmt.Sprint(round))
}
