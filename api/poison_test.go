package api

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message the handler keeps refusing is dead-lettered after
// MaxDeliveries, acknowledged, and the subscription goes on.
func TestMaxDeliveriesDeadLetters(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	var tries atomic.Int32
	dead := make(chan *MessageInEvent, 1)
	next := make(chan string, 1)
	_, err := s.SubscribeWith(context.Background(), "/queue/poison", SubscribeOptions{AckMode: AckClientIndividual, MaxDeliveries: 2,
		DeadLetter: func(e *MessageInEvent) { dead <- e },
		Handler: func(e *MessageInEvent) {
			if e.Text() == "bad" {
				tries.Add(1)
				e.Ack = false // NACK: the broker delivers it again
				return
			}
			next <- e.Text()
		}})
	require.NoError(t, err)
	other := connectTo(t, b, "1.2")
	require.NoError(t, other.SendMessage("/queue/poison", "bad"))
	require.NoError(t, other.SendMessage("/queue/poison", "good"))
	ev := recv(t, dead)
	assert.Equal(t, "bad", ev.Text())
	assert.ErrorIs(t, s.Ack(context.Background(), ev), ErrAlreadyAcked, "the client acknowledged it")
	assert.Equal(t, "good", recv(t, next))
	assert.EqualValues(t, 2, tries.Load())
	// The client counts and acknowledges a dead-lettered message once
	// DeadLetter returned, after the hook's send above: wait for the
	// broker to have both messages acknowledged (the count comes before
	// the ACK).
	waitFor(t, "the broker to have both messages acknowledged", func() bool {
		d, ok := b.Destination("/queue/poison")
		return ok && d.Enqueued == 2 && d.Ready+d.Unacked == 0
	})
	assert.EqualValues(t, 1, s.Stats().DeadLettered)
	_, err = s.SubscribeWith(context.Background(), "/queue/x", SubscribeOptions{MaxDeliveries: -1})
	assert.ErrorIs(t, err, ErrInvalidArgument)
}
