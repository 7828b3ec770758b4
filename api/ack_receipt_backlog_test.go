package api

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A handler that acknowledges its own message with RequestAckReceipts
// waits for the ACK's RECEIPT while its message still holds a place in
// the subscription's queue. With the default prefetch (one less than
// QueueSize, so that the broker's unacknowledged messages and the one
// being handled fit) it gets through a backlog several times its queue:
// the message the broker sends as the ACK arrives finds room, and the
// reader reaches the RECEIPT behind it. With a prefetch of QueueSize,
// the message sent as the ACK arrived found the queue full, the reader
// stopped in front of the RECEIPT, and the Ack failed at Timeout.
func TestAHandlerThatWaitsForItsAckReceiptDrainsABacklogLargerThanItsQueue(t *testing.T) {
	const backlog = 600 // more than twice the default QueueSize
	b := newBroker(t)
	pub := connectTo(t, b, "1.2")
	for i := 0; i < backlog; i++ {
		require.NoError(t, pub.SendMessage("/queue/ack-backlog", strconv.Itoa(i)))
	}
	waitFor(t, "the backlog on the broker", func() bool {
		d, _ := b.Destination("/queue/ack-backlog")
		return d.Enqueued == backlog
	})
	s := connectTo(t, b, "1.2", WithRequestAckReceipts(true), WithTimeout(3*time.Second))
	var handled atomic.Int32
	failed := make(chan error, 1)
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err := s.SubscribeWith(ctx, "/queue/ack-backlog", SubscribeOptions{
		AckMode: AckClientIndividual,
		Handler: func(ev *MessageInEvent) {
			if err := s.Ack(ctx, ev); err != nil {
				select {
				case failed <- err:
				default:
				}
				return
			}
			if handled.Add(1) == backlog {
				close(done)
			}
		},
	})
	require.NoError(t, err)
	select {
	case <-done:
	case err := <-failed:
		t.Fatalf("Ack failed after %d messages: %v", handled.Load(), err)
	case <-ctx.Done():
		t.Fatalf("%d of %d messages handled", handled.Load(), backlog)
	}
	d, _ := b.Destination("/queue/ack-backlog")
	require.Zero(t, d.Ready+d.Unacked, "every message acknowledged")
}
