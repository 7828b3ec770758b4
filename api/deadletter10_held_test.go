package api

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// From review 14: the SubscribeOptions.DeadLetter doc says a hook that
// panics has not taken its message: "the message is NACKed (on STOMP 1.0,
// which has no NACK, left unacknowledged), so the broker keeps it and
// delivers it again". On STOMP 1.0 in ack mode client (cumulative ACKs,
// the only client mode 1.0 has), the handler's ACK of the next message
// acknowledged the one the hook refused: the broker dropped it, and the
// dead-letter store never got it. Now the client holds back the later
// ACKs of that subscription on that connection, and says so in OnError:
// the broker keeps them all, and delivers them again once the
// subscription ends.
func TestADeadLetterHookThatPanicsOn10ClientModeLeavesItsMessageWithTheBroker(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.0")
	// OnError runs on the event goroutine, which no call of this test
	// waits for: the held ACKs' report is counted as it comes.
	var mu sync.Mutex
	var held []error
	s.OnError(func(e *ErrorEvent) {
		if strings.Contains(e.Err.Error(), "left unacknowledged") {
			mu.Lock()
			held = append(held, e.Err)
			mu.Unlock()
		}
	})
	heldSoFar := func() []error { mu.Lock(); defer mu.Unlock(); return append([]error(nil), held...) }
	handled := make(chan *MessageInEvent, 16)
	var hooks atomic.Int32
	id, err := s.SubscribeWith(context.Background(), "/queue/poison10", SubscribeOptions{
		AckMode:       AckClient,
		MaxDeliveries: 2,
		Handler:       func(ev *MessageInEvent) { handled <- ev },
		DeadLetter: func(*MessageInEvent) {
			hooks.Add(1)
			panic("dead-letter store unavailable")
		},
	})
	require.NoError(t, err)
	// The broker's own count (RabbitMQ's x-delivery-count) says the
	// message was delivered 5 times already: it goes to the hook at once.
	require.NoError(t, s.Send(context.Background(), "/queue/poison10", []byte("poison"),
		SendOptions{Headers: []Header{{Key: "x-delivery-count", Value: "5"}}}))
	waitFor(t, "the hook to fail", func() bool { return hooks.Load() == 1 })
	// The next messages are handled; the first one's ACK would have gone
	// out on its handler's return, before the second's handler ran.
	require.NoError(t, s.SendMessage("/queue/poison10", "fine"))
	require.NoError(t, s.SendMessage("/queue/poison10", "fine2"))
	require.Equal(t, "fine", string(recv(t, handled).Data))
	require.Equal(t, "fine2", string(recv(t, handled).Data))
	// A barrier: a receipted round trip after any ACK.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/barrier", "b"))
	d, _ := b.Destination("/queue/poison10")
	assert.Equal(t, 3, d.Ready+d.Unacked, "the message the DeadLetter hook failed to take was acknowledged (by a later message's cumulative ACK) and dropped by the broker")
	assert.EqualValues(t, 0, s.Stats().Acks, "an ACK that covers the refused message was written")
	assert.EqualValues(t, 0, s.Stats().DeadLettered)
	// The hold is reported (beside the hook's panic)...
	waitFor(t, "the held ACKs' report", func() bool { return len(heldSoFar()) > 0 })
	assert.True(t, errors.Is(heldSoFar()[0], ErrNackUnsupported))
	// Once the subscription ends, the broker has them all to deliver again.
	require.NoError(t, s.Unsubscribe(id))
	require.NoError(t, s.SendMessage("/queue/barrier", "b"))
	d, _ = b.Destination("/queue/poison10")
	assert.Equal(t, 3, d.Ready, "the broker gives back the messages of the ended subscription")
	// ...once, though two handled messages' ACKs were held back after it.
	s.Close() // runs the events still queued
	assert.Len(t, heldSoFar(), 1)
}

// The same holds for a MessageIn handler that panics on STOMP 1.0 in ack
// mode client (doc.go: "its message is NACKed, or left unacknowledged on
// STOMP 1.0"): a later message's ACK would acknowledge it, so none is
// written.
func TestAHandlerThatPanicsOn10ClientModeLeavesItsMessageWithTheBroker(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.0")
	handled := make(chan *MessageInEvent, 16)
	id, err := s.SubscribeWith(context.Background(), "/queue/panic10", SubscribeOptions{
		AckMode: AckClient,
		Handler: func(ev *MessageInEvent) {
			if ev.Text() == "bad" {
				panic("cannot handle it")
			}
			handled <- ev
		},
	})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/panic10", "bad"))
	require.NoError(t, s.SendMessage("/queue/panic10", "good"))
	require.NoError(t, s.SendMessage("/queue/panic10", "good2"))
	require.Equal(t, "good", recv(t, handled).Text())
	require.Equal(t, "good2", recv(t, handled).Text())
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/barrier", "b"))
	d, _ := b.Destination("/queue/panic10")
	assert.Equal(t, 3, d.Ready+d.Unacked, "the message whose handler panicked was acknowledged by a later ACK")
	assert.EqualValues(t, 0, s.Stats().Acks)
	require.NoError(t, s.Unsubscribe(id))
	require.NoError(t, s.SendMessage("/queue/barrier", "b"))
	d, _ = b.Destination("/queue/panic10")
	assert.Equal(t, 3, d.Ready, "the broker gives back the messages of the ended subscription")
}
