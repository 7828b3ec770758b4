package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A MessageIn handler that calls Disconnect (a consumer told to stop)
// does not wait for itself: Disconnect returns at once, the handler's
// message is acknowledged when it returns, then DISCONNECT goes out and
// the connection ends cleanly.
func TestDisconnectFromAMessageHandler(t *testing.T) {
	b := newBroker(t)
	// A wait for itself would hang the test.
	s := connectTo(t, b, "1.2", WithDisconnectTimeout(time.Minute))
	disc := collect(s.OnDisconnected)
	returned := make(chan error, 1)
	s.OnMessageIn(func(*MessageInEvent) { returned <- s.Disconnect() })
	_, err := s.Subscribe("/queue/quit", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/quit", "quit"))
	require.NoError(t, recv(t, returned))
	ev := recv(t, disc)
	require.NoError(t, ev.Err)
	d, ok := b.Destination("/queue/quit")
	require.True(t, ok)
	require.Zero(t, d.Ready+d.Unacked, "the handler's message was acknowledged before DISCONNECT")
}

// With ProcessIdleEvents false, a message waiting for DoEvents when the
// program calls Disconnect (from the goroutine that would call DoEvents)
// is handled, and acknowledged, while Disconnect waits.
func TestDisconnectRunsTheQueuedHandlersWithManualEvents(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithManualEvents(), WithDisconnectTimeout(time.Minute))
	handled := 0
	s.OnMessageIn(func(*MessageInEvent) { handled++ })
	_, err := s.Subscribe("/queue/m", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/m", "x"))
	waitFor(t, "the message's handler to wait for DoEvents", func() bool {
		q := s.events.Load()
		return q != nil && q.waiting() > 0
	})
	require.NoError(t, s.Disconnect())
	require.Equal(t, 1, handled)
	d, ok := b.Destination("/queue/m")
	require.True(t, ok)
	require.Zero(t, d.Ready+d.Unacked, "the message was acknowledged before DISCONNECT")
}

// With ProcessIdleEvents false, a handler run by DoEvents that calls
// Disconnect does not wait for itself either; the loop calling DoEvents
// then hears OnDisconnected.
func TestDisconnectFromAHandlerWithManualEvents(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithManualEvents(), WithDisconnectTimeout(time.Minute))
	var returned []error
	s.OnMessageIn(func(*MessageInEvent) { returned = append(returned, s.Disconnect()) })
	ended := false
	s.OnDisconnected(func(e *DisconnectedEvent) {
		require.NoError(t, e.Err)
		ended = true
	})
	_, err := s.Subscribe("/queue/quit", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/quit", "quit"))
	waitFor(t, "OnDisconnected, from DoEvents", func() bool {
		require.NoError(t, s.DoEvents())
		return ended
	})
	require.Equal(t, []error{nil}, returned)
}

// With ProcessIdleEvents false, a handler of another event that DoEvents
// runs (here OnReceiptIn) and that calls Disconnect does not wait either:
// a MessageIn queued behind it runs once it returns, its ACK goes out, then
// DISCONNECT.
func TestDisconnectFromAnEventHandlerWithManualEvents(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithManualEvents(), WithDisconnectTimeout(time.Minute))
	handled := 0
	s.OnMessageIn(func(*MessageInEvent) { handled++ })
	var returned []error
	s.OnReceiptIn(func(*ReceiptInEvent) {
		if len(returned) == 0 {
			returned = append(returned, s.Disconnect())
		}
	})
	ended := false
	s.OnDisconnected(func(e *DisconnectedEvent) {
		require.NoError(t, e.Err)
		ended = true
	})
	_, err := s.Subscribe("/queue/m", true)
	require.NoError(t, err)
	q := s.eventQueue()
	// A receipt first, then a message behind it.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/elsewhere", "r"))
	waitFor(t, "the receipt's event", func() bool { return q.waiting() == 1 })
	require.NoError(t, s.SetRequestReceipts(false))
	require.NoError(t, s.SendMessage("/queue/m", "x"))
	waitFor(t, "the message's handler behind it", func() bool { return q.waiting() == 2 })
	waitFor(t, "OnDisconnected, from DoEvents", func() bool {
		require.NoError(t, s.DoEvents())
		return ended
	})
	require.Equal(t, []error{nil}, returned)
	require.Equal(t, 1, handled)
	d, ok := b.Destination("/queue/m")
	require.True(t, ok)
	require.Zero(t, d.Ready+d.Unacked, "the message was acknowledged before DISCONNECT")
}
