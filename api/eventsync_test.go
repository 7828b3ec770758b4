package api

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In the reference the events a blocking call causes fire during that
// call, so once Subscribe (or Unsubscribe, or a send that waited for its
// RECEIPT) returns, OnSubscribed (OnUnsubscribed, OnReceiptIn) has run: a
// ported program reads what its handler noted right after the call. With
// automatic events and a handler registered the call waits for it (within
// its own bound). Timeout is the default 60 (calls wait).
func TestTheHandlersOfABlockingCallsEventsHaveRunWhenItReturns(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	var subscribed, unsubscribed, receiptIn atomic.Int32
	s.OnSubscribed(func(*SubscribedEvent) { subscribed.Add(1) })
	s.OnUnsubscribed(func(*UnsubscribedEvent) { unsubscribed.Add(1) })
	s.OnReceiptIn(func(*ReceiptInEvent) { receiptIn.Add(1) })
	require.NoError(t, s.SetRequestReceipts(true))
	_, err := s.Config("RequestSubscriptionReceipts=true")
	require.NoError(t, err)
	const n = 20
	late := map[string]int{}
	for i := range n {
		id, err := s.Subscribe("/queue/sync", false)
		require.NoError(t, err)
		if subscribed.Load() != int32(i+1) {
			late["OnSubscribed after Subscribe"]++
		}
		require.NoError(t, s.SendMessage("/queue/sync", "x"))
		// Each round's Subscribe, send and Unsubscribe ask for one.
		if receiptIn.Load() < int32(3*i+2) {
			late["OnReceiptIn after SendMessage"]++
		}
		require.NoError(t, s.Unsubscribe(id))
		if unsubscribed.Load() != int32(i+1) {
			late["OnUnsubscribed after Unsubscribe"]++
		}
		waitFor(t, "the round's events", func() bool {
			return subscribed.Load() == int32(i+1) && unsubscribed.Load() == int32(i+1) && receiptIn.Load() == int32(3*i+3)
		})
	}
	assert.Empty(t, late, "rounds (of %d) where the call returned before its event's handler ran", n)
}

// The same holds for Connect (OnConnected), Disconnect (OnDisconnected)
// and, with RequestTransactionReceipts, the transaction calls
// (OnReceiptIn), and for an at-least-once send (OnReceiptIn).
func TestConnectDisconnectAndTransactionHandlersHaveRunWhenTheyReturn(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithSupportedVersions("1.2"), WithRequestTransactionReceipts(true), WithAtLeastOnce(AtLeastOnce{Enabled: true}))
	var connected, disconnected, receiptIn atomic.Int32
	s.OnConnected(func(*ConnectedEvent) { connected.Add(1) })
	s.OnDisconnected(func(*DisconnectedEvent) { disconnected.Add(1) })
	s.OnReceiptIn(func(*ReceiptInEvent) { receiptIn.Add(1) })
	h, p := hostPort(t, b.Addr())
	const n = 10
	late := map[string]int{}
	for i := range n {
		require.NoError(t, s.Connect(h, p))
		if connected.Load() != int32(i+1) {
			late["OnConnected after Connect"]++
		}
		before := receiptIn.Load()
		tx := fmt.Sprint("tx-", i)
		require.NoError(t, s.BeginTransaction(tx))
		if receiptIn.Load() != before+1 {
			late["OnReceiptIn after BeginTransaction"]++
		}
		require.NoError(t, s.CommitTransaction(tx))
		if receiptIn.Load() != before+2 {
			late["OnReceiptIn after CommitTransaction"]++
		}
		require.NoError(t, s.SendMessage("/queue/sync-tx", "x"))
		if receiptIn.Load() != before+3 {
			late["OnReceiptIn after an at-least-once Send"]++
		}
		require.NoError(t, s.Disconnect())
		if disconnected.Load() != int32(i+1) {
			late["OnDisconnected after Disconnect"]++
		}
		waitFor(t, "the round's events", func() bool {
			// DISCONNECT's RECEIPT is one more.
			return connected.Load() == int32(i+1) && disconnected.Load() == int32(i+1) && receiptIn.Load() == before+4
		})
	}
	assert.Empty(t, late, "rounds (of %d) where the call returned before its event's handler ran", n)
}

// A call made from an event handler does not wait for the handlers of its
// events: they run on the goroutine the caller holds. Subscribe from
// OnConnected, with OnSubscribed registered, returns (it would wait for
// its Timeout, 60 s, and Connect with it, if it waited).
func TestACallFromAnEventHandlerDoesNotWaitForItsEventsHandlers(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithSupportedVersions("1.2"), WithRequestSubscriptionReceipts(true))
	var subscribed atomic.Int32
	s.OnSubscribed(func(*SubscribedEvent) { subscribed.Add(1) })
	result := make(chan error, 1)
	s.OnConnected(func(e *ConnectedEvent) {
		_, err := s.Subscribe("/queue/from-handler", false)
		result <- err
	})
	h, p := hostPort(t, b.Addr())
	connectErr := make(chan error, 1)
	go func() { connectErr <- s.Connect(h, p) }()
	require.NoError(t, recv(t, result))
	require.NoError(t, recv(t, connectErr))
	waitFor(t, "OnSubscribed", func() bool { return subscribed.Load() == 1 })
}

// A call made from a MessageIn handler does not wait either: an event
// handler may be waiting for that MessageIn handler (here OnSubscribed
// waits until the MessageIn handler's Subscribe returned; a Disconnect
// from an event handler waits for the MessageIn handlers that run).
func TestACallFromAMessageHandlerDoesNotWaitForItsEventsHandlers(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	gate := make(chan struct{})
	s.OnSubscribed(func(e *SubscribedEvent) {
		if e.Destination == "/queue/other" {
			<-gate // released by the MessageIn handler once its call returned
		}
	})
	result := make(chan error, 1)
	s.OnMessageIn(func(*MessageInEvent) {
		_, err := s.Subscribe("/queue/other", false)
		close(gate)
		result <- err
	})
	_, err := s.Subscribe("/queue/in", false)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "x"))
	require.NoError(t, recv(t, result))
}

// With ProcessIdleEvents false the events wait for DoEvents, and a call
// never waits for their handlers: Subscribe returns with OnSubscribed not
// run, and DoEvents runs it.
func TestWithManualEventsACallDoesNotWaitForItsEventsHandlers(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithManualEvents())
	var subscribed atomic.Int32
	s.OnSubscribed(func(*SubscribedEvent) { subscribed.Add(1) })
	_, err := s.Subscribe("/queue/manual", false)
	require.NoError(t, err)
	assert.Zero(t, subscribed.Load(), "OnSubscribed ran outside DoEvents")
	doEventsUntil(t, s, "OnSubscribed", func() bool { return subscribed.Load() == 1 })
}

// The wait for the handlers is part of the call's own bound: once that
// ends, the call returns its own outcome (nil here) while the handler
// still runs. With Timeout 0 a call that only queues never waits.
func TestTheWaitForAnEventsHandlerEndsWithTheCallsBound(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	gate := make(chan struct{})
	defer close(gate)
	var started, finished atomic.Int32
	s.OnSubscribed(func(*SubscribedEvent) {
		started.Add(1)
		<-gate
		finished.Add(1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := s.SubscribeContext(ctx, "/queue/bound", false)
	require.NoError(t, err, "the call's outcome, though its bound ended while its handler ran")
	require.Error(t, ctx.Err(), "Subscribe returned before its bound ended, its handler blocked: it did not wait for it")
	assert.Equal(t, int32(1), started.Load())
	assert.Zero(t, finished.Load())

	// Timeout 0: Subscribe queues and returns, the handler still blocked.
	require.NoError(t, s.SetTimeout(0))
	returned := make(chan error, 1)
	go func() {
		_, err := s.Subscribe("/queue/bound-0", false)
		returned <- err
	}()
	require.NoError(t, recv(t, returned))
	assert.Zero(t, finished.Load())
}
