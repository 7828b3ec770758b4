package api

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// On a Pull subscription in ack mode auto the broker counts a message
// consumed once it sent it. A graceful Disconnect leaves the messages the
// client received and nobody took to Receive: it goes on returning them,
// in order, and only then says the subscription is unknown, as reading
// the rest of a closed channel does.

// pullReceived connects a client to b, subscribes it with Pull in mode
// to dest and has another client publish n messages, returning once the
// client received all of them.
func pullReceived(t *testing.T, b *sim.Broker, dest string, mode AckMode, n int) (*STOMP, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := connectTo(t, b, "1.2")
	id, err := s.SubscribeWith(ctx, dest, SubscribeOptions{Pull: true, AckMode: mode, QueueSize: 2 * n})
	require.NoError(t, err)
	publish(t, b, dest, 0, n)
	waitFor(t, "the client to receive every message", func() bool {
		d, _ := b.Destination(dest)
		return d.Delivered == uint64(n) && s.Stats().MessagesIn == int64(n)
	})
	return s, id
}

// publish sends messages from..from+n-1 to dest, numbered in x-n.
func publish(t *testing.T, b *sim.Broker, dest string, from, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	pub := connectTo(t, b, "1.2", WithRequestReceipts(true))
	for i := from; i < from+n; i++ {
		pub.ResetHeaders()
		require.NoError(t, pub.AddHeader("x-n", strconv.Itoa(i)))
		require.NoError(t, pub.SendDataContext(ctx, dest, []byte("body "+strconv.Itoa(i))))
	}
}

// receiveInOrder takes messages from..from+n-1 of id.
func receiveInOrder(t *testing.T, s *STOMP, id string, from, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for i := from; i < from+n; i++ {
		ev, err := s.Receive(ctx, id)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, strconv.Itoa(i), headerValue(ev.Headers, "x-n"))
		require.Equal(t, "body "+strconv.Itoa(i), string(ev.Data))
		require.Equal(t, id, ev.SubscriptionID)
	}
}

// requireUnknown checks that err is the error of an ended subscription.
func requireUnknown(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, ErrUnknownSubscription)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, CodeUnknownSubscription, e.Code)
}

func TestDisconnectLeavesReceivedAutoMessagesToReceive(t *testing.T) {
	b := newBroker(t)
	const n = 10
	s, id := pullReceived(t, b, "/queue/pull-left", AckAuto, n)
	receiveInOrder(t, s, id, 0, 2)
	require.NoError(t, s.Disconnect())
	require.False(t, s.Connected())
	receiveInOrder(t, s, id, 2, n-2)
	_, err := s.Receive(context.Background(), id)
	requireUnknown(t, err)
	require.Zero(t, s.Stats().Dropped)
}

// Messages that need an ACK are not left: the broker takes them back and
// redelivers them.
func TestDisconnectLeavesNoMessageThatNeedsAnAck(t *testing.T) {
	b := newBroker(t)
	const n = 5
	s, id := pullReceived(t, b, "/queue/pull-left-ack", AckClientIndividual, n)
	require.NoError(t, s.Disconnect())
	_, err := s.Receive(context.Background(), id)
	requireUnknown(t, err)
	waitFor(t, "the broker to hold the messages again", func() bool {
		d, _ := b.Destination("/queue/pull-left-ack")
		return d.Unacked == 0 && d.Ready == n
	})
}

// Close drops the leftovers: the user asked to end.
func TestCloseDropsPullLeftovers(t *testing.T) {
	b := newBroker(t)
	const n = 6
	s, id := pullReceived(t, b, "/queue/pull-left-close", AckAuto, n)
	require.NoError(t, s.Disconnect())
	receiveInOrder(t, s, id, 0, 1)
	s.Close()
	_, err := s.Receive(context.Background(), id)
	require.ErrorIs(t, err, ErrClosed)
	require.Equal(t, int64(n-1), s.Stats().Dropped)
}

// Unsubscribe drops them too, disconnected as it is; an id with nothing
// left is still not one it can end then.
func TestUnsubscribeDropsPullLeftovers(t *testing.T) {
	b := newBroker(t)
	const n = 3
	s, id := pullReceived(t, b, "/queue/pull-left-unsub", AckAuto, n)
	require.NoError(t, s.Disconnect())
	require.NoError(t, s.Unsubscribe(id))
	_, err := s.Receive(context.Background(), id)
	requireUnknown(t, err)
	require.Equal(t, int64(n), s.Stats().Dropped)
	require.ErrorIs(t, s.Unsubscribe(id), ErrNotConnected)
}

// A new connection's subscription with the same id takes the leftovers
// over: Receive returns them first, then the new subscription's own.
func TestPullLeftoversGoToTheNextSubscriptionWithTheID(t *testing.T) {
	b := newBroker(t)
	const n = 8
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := connectTo(t, b, "1.2")
	const id = "worker"
	_, err := s.SubscribeWith(ctx, "/queue/pull-left-next", SubscribeOptions{ID: id, Pull: true})
	require.NoError(t, err)
	publish(t, b, "/queue/pull-left-next", 0, n)
	waitFor(t, "the client to receive every message", func() bool { return s.Stats().MessagesIn == n })
	receiveInOrder(t, s, id, 0, 3)
	require.NoError(t, s.Disconnect())
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.ConnectContext(ctx, h, p))
	_, err = s.SubscribeWith(ctx, "/queue/pull-left-next", SubscribeOptions{ID: id, Pull: true})
	require.NoError(t, err)
	publish(t, b, "/queue/pull-left-next", n, 4)
	receiveInOrder(t, s, id, 3, n+4-3)
	require.Zero(t, s.Stats().Dropped)
}

// Callers of Receive during and after the Disconnect each get distinct
// messages, each in order, and together every message the broker sent,
// once. Half of them start before the Disconnect and half as it begins;
// each takes one message, then waits for the Disconnect to return, so
// that most are taken after it.
func TestPullLeftoversToConcurrentReceivers(t *testing.T) {
	b := newBroker(t)
	const n, callers = 200, 4
	s, id := pullReceived(t, b, "/queue/pull-left-many", AckAuto, n)
	disconnecting := make(chan struct{})
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		if e.ConnectionEvent == "disconnecting" {
			close(disconnecting)
		}
	})
	type result struct {
		got []int
		err error
	}
	results := make(chan result, callers)
	returned := make(chan struct{})
	caller := func(start <-chan struct{}) {
		<-start
		var r result
		for {
			ev, err := s.Receive(context.Background(), id)
			if err != nil {
				r.err = err
				break
			}
			i, err := strconv.Atoi(headerValue(ev.Headers, "x-n"))
			if err != nil {
				r.err = err
				break
			}
			r.got = append(r.got, i)
			if len(r.got) == 1 {
				<-returned
			}
		}
		results <- r
	}
	before := make(chan struct{})
	close(before)
	for k := range callers {
		if k%2 == 0 {
			go caller(before)
		} else {
			go caller(disconnecting)
		}
	}
	require.NoError(t, s.Disconnect())
	close(returned)
	seen := make(map[int]bool, n)
	for range callers {
		r := recv(t, results)
		requireUnknown(t, r.err)
		for k, i := range r.got {
			require.False(t, seen[i], "message %d twice", i)
			seen[i] = true
			if k > 0 {
				require.Less(t, r.got[k-1], i, "one caller's messages in order")
			}
		}
	}
	require.Len(t, seen, n)
	require.Zero(t, s.Stats().Dropped)
}
