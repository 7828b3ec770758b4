package api

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ack and Nack with RequestAckReceipts wait for the broker's RECEIPT,
// and, like the other calls that wait for a RECEIPT, return only once
// the OnReceiptIn handler of that RECEIPT has run: a ported program reads
// right after Ack what its handler noted. The handler waits (up to
// 500 ms) for the call to return, and records when it did.
func TestAckWithReceiptReturnsAfterItsReceiptInHandler(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithRequestAckReceipts(true))
	pub := connectTo(t, b, "1.2")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := s.SubscribeWith(ctx, "/queue/ack-receipt", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	require.NoError(t, err)
	var returned atomic.Pointer[chan struct{}]
	var early, handled atomic.Int32
	s.OnReceiptIn(func(*ReceiptInEvent) {
		select {
		case <-*returned.Load():
			early.Add(1)
		case <-time.After(500 * time.Millisecond):
		}
		handled.Add(1)
	})
	for i, call := range []struct {
		name string
		fn   func(context.Context, *MessageInEvent) error
	}{{"Ack", s.Ack}, {"Nack", s.Nack}} {
		require.NoError(t, pub.SendMessage("/queue/ack-receipt", call.name))
		ev, err := s.Receive(ctx, id)
		require.NoError(t, err)
		done := make(chan struct{})
		returned.Store(&done)
		require.NoError(t, call.fn(ctx, ev))
		close(done)
		assert.Equal(t, int32(i+1), handled.Load(), "%s returned before the OnReceiptIn handler of its RECEIPT ran", call.name)
		waitFor(t, "the OnReceiptIn handler", func() bool { return handled.Load() == int32(i+1) })
	}
	assert.Zero(t, early.Load(), "Ack or Nack returned before the OnReceiptIn handler of its RECEIPT ran")
}
