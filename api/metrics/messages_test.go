package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// messages_in_total is "MESSAGE frames received, dropped ones included"
// and dropped_total counts received messages a full queue dropped: with a
// FullDrop subscription whose handler is stuck, every MESSAGE the broker
// delivered was received, and the dropped ones are among them
// (dropped <= messages_in), so a drop ratio never reads past 100%. The
// subscription's own series counts those delivered to it, not dropped.
func TestMessagesInCountsTheDroppedMessagesToo(t *testing.T) {
	b, host, port := newBroker(t)
	s := api.NewSTOMP(api.WithTimeout(10 * time.Second))
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.ConnectContext(ctx, host, port))
	release := make(chan struct{})
	id, err := s.SubscribeWith(ctx, "/queue/drop", api.SubscribeOptions{QueueSize: 2, OnFull: api.FullDrop, Handler: func(*api.MessageInEvent) {
		<-release
	}})
	require.NoError(t, err)
	const n = 50
	for i := 0; i < n; i++ {
		require.NoError(t, s.SendMessageContext(ctx, "/queue/drop", "x"))
	}
	// Every frame read (CONNECTED and the n MESSAGEs), counted apart
	// from the counters under test.
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for s.Stats().FramesIn < n+1 {
		select {
		case <-ctx.Done():
			t.Fatalf("the client read %d frames of %d", s.Stats().FramesIn, n+1)
		case <-tick.C:
		}
	}
	st := s.Stats()
	close(release)
	d, _ := b.Destination("/queue/drop")
	t.Logf("broker delivered %d; client frames_in %d messages_in %d dropped %d", d.Delivered, st.FramesIn, st.MessagesIn, st.Dropped)
	require.Equal(t, uint64(n), d.Delivered)
	require.NotZero(t, st.Dropped, "the queue was full: some were dropped")
	assert.Equal(t, int64(n), st.MessagesIn, "messages_in_total counts every MESSAGE frame received")
	assert.LessOrEqual(t, st.Dropped, st.MessagesIn, "dropped messages are received messages")
	assert.Equal(t, st.MessagesIn-st.Dropped, st.Subscriptions[id], "the subscription's series counts those delivered to it")
}
