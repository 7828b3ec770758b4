package api

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ackBacklogDrains: a handler that Acks its own message with
// RequestAckReceipts, default Prefetch, drains a backlog larger than its
// queue (SubscribeOptions.Prefetch: the default leaves the handled message its place; with QueueSize 1 the queue gets a second place for it, as no prefetch below 1 bounds the broker).
func ackBacklogDrains(t *testing.T, dest string, backlog int, opts SubscribeOptions) {
	b := newBroker(t)
	pub := connectTo(t, b, "1.2")
	for i := 0; i < backlog; i++ {
		require.NoError(t, pub.SendMessage(dest, strconv.Itoa(i)))
	}
	waitFor(t, "the backlog on the broker", func() bool {
		d, _ := b.Destination(dest)
		return d.Enqueued == uint64(backlog)
	})
	s := connectTo(t, b, "1.2", WithRequestAckReceipts(true), WithTimeout(2*time.Second))
	var handled atomic.Int32
	failed := make(chan error, 1)
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	opts.Handler = func(ev *MessageInEvent) {
		if err := s.Ack(ctx, ev); err != nil {
			select {
			case failed <- err:
			default:
			}
			return
		}
		if handled.Add(1) == int32(backlog) {
			close(done)
		}
	}
	_, err := s.SubscribeWith(ctx, dest, opts)
	require.NoError(t, err)
	select {
	case <-done:
	case err := <-failed:
		t.Fatalf("Ack failed after %d of %d messages: %v", handled.Load(), backlog, err)
	case <-ctx.Done():
		t.Fatalf("%d of %d messages handled", handled.Load(), backlog)
	}
}

func TestAQueueOfOneWithTheDefaultPrefetchLetsItsHandlerAwaitItsAckReceipt(t *testing.T) {
	ackBacklogDrains(t, "/queue/q1-ack-receipts", 10, SubscribeOptions{AckMode: AckClientIndividual, QueueSize: 1})
}

// The same in ack mode client (cumulative).
func TestAQueueOfOneWithTheDefaultPrefetchLetsItsHandlerAwaitItsCumulativeAckReceipt(t *testing.T) {
	ackBacklogDrains(t, "/queue/q1-ack-receipts-client", 10, SubscribeOptions{AckMode: AckClient, QueueSize: 1})
}
