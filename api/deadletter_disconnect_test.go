package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A DeadLetter hook runs on the subscription's goroutine, as a MessageIn
// handler does, and Disconnect called from it does not wait for it
// either: it returns at once, and the connection ends cleanly once the
// hook returns.
func TestDisconnectFromADeadLetterHook(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithDisconnectTimeout(3*time.Second))
	returned := make(chan error, 1)
	_, err := s.SubscribeWith(context.Background(), "/queue/poison", SubscribeOptions{AckMode: AckClientIndividual, MaxDeliveries: 1,
		DeadLetter: func(e *MessageInEvent) { returned <- s.Disconnect() },
		Handler:    func(e *MessageInEvent) { e.Ack = false }}) // NACK: delivered again, then dead-lettered
	require.NoError(t, err)
	other := connectTo(t, b, "1.2")
	require.NoError(t, other.SendMessage("/queue/poison", "bad"))
	start := time.Now()
	err = recv(t, returned)
	require.NoError(t, err, "Disconnect from a DeadLetter hook waited for the hook itself (%v)", time.Since(start).Round(time.Millisecond))
}
