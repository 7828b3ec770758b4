package api

import (
	"context"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The prefetch each subscription asks the broker for: its own, else the
// client's Prefetch setting, else one less than its QueueSize (the
// message being handled keeps its place: see
// TestAHandlerThatWaitsForItsAckReceiptDrainsABacklogLargerThanItsQueue),
// at least 1, or the whole QueueSize for a Pull subscription (Receive
// gives a place back as it takes the message); none with ManualAck; in
// the client ack modes only.
func TestSubscribePrefetch(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		client []Option
		config string
		opts   SubscribeOptions
		want   int // the broker's prefetch; 0: none
	}{
		{"default is one less than the queue size", nil, "", SubscribeOptions{AckMode: AckClientIndividual}, 255},
		{"a smaller queue", nil, "", SubscribeOptions{AckMode: AckClient, QueueSize: 16}, 15},
		{"a queue of one", nil, "", SubscribeOptions{AckMode: AckClient, QueueSize: 1}, 1},
		{"a pull subscription's whole queue", nil, "", SubscribeOptions{AckMode: AckClient, Pull: true, QueueSize: 16}, 16},
		{"the subscription's own", nil, "", SubscribeOptions{AckMode: AckClientIndividual, Prefetch: 5}, 5},
		{"the client's option", []Option{WithPrefetch(7)}, "", SubscribeOptions{AckMode: AckClientIndividual}, 7},
		{"the client's Config", nil, "Prefetch=3", SubscribeOptions{AckMode: AckClientIndividual}, 3},
		{"the subscription's own wins", []Option{WithPrefetch(7)}, "", SubscribeOptions{AckMode: AckClientIndividual, Prefetch: 2}, 2},
		{"none asked by the subscription", []Option{WithPrefetch(7)}, "", SubscribeOptions{AckMode: AckClientIndividual, Prefetch: -1}, 0},
		{"none asked by the client", []Option{WithPrefetch(-1)}, "", SubscribeOptions{AckMode: AckClientIndividual}, 0},
		{"none by default with ManualAck", nil, "", SubscribeOptions{AckMode: AckClientIndividual, ManualAck: true}, 0},
		{"ManualAck with a prefetch asked", nil, "", SubscribeOptions{AckMode: AckClientIndividual, ManualAck: true, Prefetch: 9}, 9},
		{"none for auto", nil, "", SubscribeOptions{AckMode: AckAuto, Prefetch: 5}, 0},
		{"a header by hand", nil, "", SubscribeOptions{AckMode: AckClient, Headers: []Header{{Key: "prefetch-count", Value: "4"}}}, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, "1.2", tt.client...)
			if tt.config != "" {
				_, err := s.Config(tt.config)
				require.NoError(t, err)
			}
			_, err := s.SubscribeWith(ctx, "/queue/p", tt.opts)
			require.NoError(t, err)
			f := waitFrame(t, b, 1, frames.CmdSubscribe)
			ci, _ := b.Connection(1)
			require.Len(t, ci.Subscriptions, 1)
			assert.Equal(t, tt.want, ci.Subscriptions[0].Prefetch)
			assert.False(t, f.Headers.Has("activemq.prefetchSize"), "the simulator reads prefetch-count only")
		})
	}
}

func TestPrefetchSettingAndConflicts(t *testing.T) {
	s := newClient(t)
	v, err := s.Config("Prefetch")
	require.NoError(t, err)
	assert.Equal(t, "0", v)
	_, err = s.Config("Prefetch=12")
	require.NoError(t, err)
	v, _ = s.Config("Prefetch")
	assert.Equal(t, "12", v)
	_, err = s.Config("Prefetch=-2")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	require.ErrorIs(t, newClient(t, WithPrefetch(-2)).Connect("127.0.0.1", 1), ErrInvalidArgument)

	b := newBroker(t)
	s = connectTo(t, b, "1.2")
	for _, h := range []string{"prefetch-count", "activemq.prefetchSize"} {
		_, err = s.SubscribeWith(context.Background(), "/queue/p", SubscribeOptions{AckMode: AckClient, Prefetch: 3, Headers: []Header{{Key: h, Value: "4"}}})
		assert.ErrorIs(t, err, ErrInvalidArgument, "Prefetch and %s disagree", h)
	}
	assert.Empty(t, s.Subscriptions())
}

// QueueBytes bounds a subscription's queue in bytes: with large messages
// and a held handler, what does not fit is dropped (FullDrop), however
// many slots are free.
func TestSubscribeQueueBytes(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	_, err := s.SubscribeWith(context.Background(), "/queue/q", SubscribeOptions{QueueBytes: -1})
	assert.ErrorIs(t, err, ErrInvalidArgument)

	release := make(chan struct{})
	defer close(release)
	held := make(chan struct{}, 1)
	_, err = s.SubscribeWith(context.Background(), "/queue/big", SubscribeOptions{QueueBytes: 1 << 20, OnFull: FullDrop,
		Handler: func(*MessageInEvent) {
			held <- struct{}{}
			<-release
		}})
	require.NoError(t, err)
	body := make([]byte, 600<<10)
	for range 3 {
		require.NoError(t, s.SendData("/queue/big", body))
	}
	recv(t, held)
	waitFor(t, "two messages dropped", func() bool { return s.Stats().Dropped == 2 })
	assert.Equal(t, int64(1), s.Subscriptions()[0].Delivered)
}
