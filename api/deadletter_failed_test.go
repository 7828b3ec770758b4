package api

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A DeadLetter hook that panics (it could not store the message in the
// program's dead-letter store, say) has not taken the message: it is
// treated as a MessageIn handler that panics is. The panic is reported
// (OnError, Stats.Panics) and the message is NACKed, not acknowledged, so
// the broker keeps it and delivers it again; the hook gets it again, and
// only the hook's return acknowledges it. (Found by the data-loss review,
// F7: the message was ACKed and lost.)
func TestADeadLetterHookThatPanicsLeavesItsMessageWithTheBroker(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	hookRan := make(chan int32, 16)
	release := make(chan struct{})
	var calls atomic.Int32
	_, err := s.SubscribeWith(context.Background(), "/queue/poison", SubscribeOptions{
		AckMode:       AckClientIndividual,
		MaxDeliveries: 2,
		Handler: func(ev *MessageInEvent) {
			ev.Ack = false // always refused: NACK, redelivered
		},
		DeadLetter: func(*MessageInEvent) {
			n := calls.Add(1)
			hookRan <- n
			if n == 1 {
				panic("dead-letter store unavailable")
			}
			<-release // the store is back: it holds the message while the test looks
		},
	})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/poison", "poison"))
	require.EqualValues(t, 1, recv(t, hookRan))
	e := recv(t, errs) // the panic, reported
	require.Contains(t, e.Description, "dead-letter handler panicked")
	// The broker delivers it again (the hook's failure NACKed it), and it
	// goes straight to the hook again: it is still past MaxDeliveries.
	require.EqualValues(t, 2, recv(t, hookRan), "the message the DeadLetter hook failed to take never came back")
	d, _ := b.Destination("/queue/poison")
	assert.Equal(t, 1, d.Ready+d.Unacked, "the message the DeadLetter hook failed to take was acknowledged and dropped by the broker")
	st := s.Stats()
	assert.EqualValues(t, 0, st.Acks, "nothing acknowledged yet")
	assert.EqualValues(t, 3, st.Nacks, "two NACKs of the handler, one for the failed hook")
	assert.EqualValues(t, 1, st.Panics)
	assert.EqualValues(t, 0, st.DeadLettered, "not dead-lettered while the hook has not taken it")
	close(release)
	waitFor(t, "the hook's return to acknowledge the message", func() bool {
		d, _ := b.Destination("/queue/poison")
		return d.Ready+d.Unacked == 0
	})
	st = s.Stats()
	assert.EqualValues(t, 1, st.Acks)
	assert.EqualValues(t, 1, st.DeadLettered)
}
