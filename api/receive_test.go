package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A Pull subscription's messages come from Receive, in order, from a
// burst and one at a time; those that need an ACK are acknowledged with
// Ack, and the broker holds none unacknowledged afterwards.
func TestReceiveTakesPullMessagesInOrder(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	pub := connectTo(t, b, "1.2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := s.SubscribeWith(ctx, "/queue/pull", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	require.NoError(t, err)
	send := func(i int) {
		pub.ResetHeaders()
		require.NoError(t, pub.AddHeader("x-n", strconv.Itoa(i)))
		require.NoError(t, pub.SendDataContext(ctx, "/queue/pull", []byte("body "+strconv.Itoa(i))))
	}
	const burst, trips = 100, 100
	for i := range burst {
		send(i)
	}
	check := func(i int) {
		ev, err := s.Receive(ctx, id)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), headerValue(ev.Headers, "x-n"))
		require.Equal(t, "body "+strconv.Itoa(i), string(ev.Data))
		require.Equal(t, id, ev.SubscriptionID)
		require.NoError(t, s.Ack(ctx, ev))
		require.ErrorIs(t, s.Ack(ctx, ev), ErrAlreadyAcked)
	}
	for i := range burst {
		check(i)
	}
	for i := burst; i < burst+trips; i++ {
		send(i)
		check(i)
	}
	waitFor(t, "the broker to hold no unacknowledged message", func() bool {
		for _, d := range b.Stats().Destinations {
			if d.Name == "/queue/pull" {
				return d.Unacked == 0 && d.Delivered == burst+trips
			}
		}
		return false
	})
}

// Receive's errors: its context's end (CodeTimeout), a subscription that
// is not Pull or does not exist, one that ends while it waits, and Close.
// Pull refuses a handler.
func TestReceiveErrors(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.SubscribeWith(ctx, "/queue/x", SubscribeOptions{Pull: true, Handler: func(*MessageInEvent) {}})
	require.ErrorIs(t, err, ErrInvalidArgument)
	push, err := s.SubscribeWith(ctx, "/queue/push", SubscribeOptions{})
	require.NoError(t, err)
	_, err = s.Receive(ctx, push)
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = s.Receive(ctx, "nope")
	require.ErrorIs(t, err, ErrUnknownSubscription)
	id, err := s.SubscribeWith(ctx, "/queue/pull-errors", SubscribeOptions{Pull: true})
	require.NoError(t, err)
	short, cancelShort := context.WithTimeout(ctx, 5*time.Millisecond)
	_, err = s.Receive(short, id)
	cancelShort()
	require.ErrorIs(t, err, ErrTimeout)
	done := make(chan error, 1)
	go func() {
		_, err := s.Receive(ctx, id)
		done <- err
	}()
	require.NoError(t, s.UnsubscribeContext(ctx, id))
	require.ErrorIs(t, recv(t, done), ErrUnknownSubscription)
	id, err = s.SubscribeWith(ctx, "/queue/pull-errors", SubscribeOptions{Pull: true})
	require.NoError(t, err)
	go func() {
		_, err := s.Receive(ctx, id)
		done <- err
	}()
	s.Close()
	require.ErrorIs(t, recv(t, done), ErrClosed)
}
