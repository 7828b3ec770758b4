package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"
)

// The error table: "300 ErrTimeout  Timeout or the context's deadline
// passed before anything was written", "303 ErrCanceled  the caller's
// context was canceled before anything was written", "210
// ErrOutcomeUnknown ... or the call's Timeout or context ended once its
// frame was written". An at-least-once send whose RECEIPT does not come
// before its wait ends has handed its message to the outbox (here the
// broker even enqueued it), so it says what a RequestReceipts send says
// in the same spot: ErrReceiptTimeout at the deadline, ErrOutcomeUnknown
// on cancel; never that nothing was written, which invites a second copy.
func TestAtLeastOnceSendWhoseWaitEndsAfterTheOutboxTookItIsNotTimeout(t *testing.T) {
	for _, end := range []string{"deadline", "cancel"} {
		t.Run(end, func(t *testing.T) {
			b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no receipt", Kind: sim.WithholdReceipt, Times: -1}}))
			h, p := hostPort(t, b.Addr())
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s := newClient(t, WithAtLeastOnce(AtLeastOnce{Enabled: true}))
			if err := s.ConnectContext(ctx, h, p); err != nil {
				t.Fatal(err)
			}
			withheld := make(chan struct{})
			sendCtx, endSend := context.WithCancel(ctx)
			if end == "deadline" {
				sendCtx, endSend = context.WithTimeout(ctx, 200*time.Millisecond)
			}
			defer endSend()
			go func() {
				// End the wait once the broker has the message (and
				// withheld its RECEIPT).
				tick := time.NewTicker(2 * time.Millisecond)
				defer tick.Stop()
				for len(b.FaultEvents()) == 0 {
					select {
					case <-tick.C:
					case <-ctx.Done():
						return
					}
				}
				close(withheld)
				if end == "cancel" {
					endSend()
				}
			}()
			err := s.SendMessageContext(sendCtx, "/queue/alo", "once")
			select {
			case <-withheld:
			case <-ctx.Done():
				t.Fatal("the broker never saw the SEND")
			}
			if d, _ := b.Destination("/queue/alo"); d.Enqueued != 1 {
				t.Fatalf("the broker has %d messages, want 1", d.Enqueued)
			}
			want, wantErr := CodeReceiptTimeout, ErrReceiptTimeout
			if end == "cancel" {
				want, wantErr = CodeOutcomeUnknown, ErrOutcomeUnknown
			}
			if codeOf(err) != want || !errors.Is(err, wantErr) {
				t.Errorf("at-least-once send whose message the broker enqueued returned %v (code %d), want code %d", err, codeOf(err), want)
			}
			if errors.Is(err, ErrTimeout) || errors.Is(err, ErrCanceled) {
				t.Errorf("%v matches ErrTimeout or ErrCanceled, which say nothing was written", err)
			}
		})
	}
}
