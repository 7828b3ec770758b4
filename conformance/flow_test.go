package conformance

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
)

// prefetchHonoured: SubscribeSpec.Prefetch, written as the header this
// broker reads, holds back the third message while two are not
// acknowledged.
func prefetchHonoured(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	for i := 0; i < 5; i++ {
		send(e, c, q, []byte(strconv.Itoa(i)))
	}
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual, Prefetch: 2}, actors.AckNone)
	first := in.next(e.t)
	in.next(e.t)
	// With two unacknowledged, the broker must hold the third back. An
	// absence can only be watched for a while: a violation may slip past,
	// but a correct broker never fails here.
	select {
	case m := <-in.ch:
		e.t.Fatalf("a third message (%q) arrived with two unacknowledged and prefetch 2", m.Body)
	case <-time.After(500 * time.Millisecond):
	}
	require.NoError(e.t, c.Ack(e.ctx, first, false, "", receipt))
	assert.Equal(e.t, "2", string(in.next(e.t).Body))
}

// slowDoesNotStallFast: on one connection, a subscription whose handler
// holds on to its message and one that keeps up, both acknowledging each
// message. With SubscribeOptions.Prefetch the broker sends the slow one no
// more than its queue holds, so the reader never stops for it: the fast
// one receives its 10 000 messages while the slow one still holds its
// first. Without a prefetch the broker would push the slow one's backlog,
// its queue would fill, and the socket would stop for both.
func slowDoesNotStallFast(e *env) {
	const fastN, slowN = 10000, 200
	s, errs, _ := e.facade()
	slowQ, fastQ := e.p.Queue(e.name()), e.p.Queue(e.name())

	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	holding := make(chan struct{}, 1)
	slowDone := make(chan struct{})
	var slowHandled atomic.Int64
	_, err := s.SubscribeWith(e.ctx, slowQ, api.SubscribeOptions{AckMode: api.AckClientIndividual, QueueSize: 16, Prefetch: 8,
		Handler: func(*api.MessageInEvent) {
			select {
			case holding <- struct{}{}:
			default:
			}
			<-release
			if slowHandled.Add(1) == slowN {
				close(slowDone)
			}
		}})
	require.NoError(e.t, err)

	fastDone := make(chan struct{})
	var fastSeen, outOfOrder atomic.Int64
	_, err = s.SubscribeWith(e.ctx, fastQ, api.SubscribeOptions{AckMode: api.AckClientIndividual,
		Handler: func(m *api.MessageInEvent) {
			n := fastSeen.Add(1)
			if m.Text() != strconv.FormatInt(n-1, 10) {
				outOfOrder.Add(1)
			}
			if n == fastN {
				close(fastDone)
			}
		}})
	require.NoError(e.t, err)

	pub, _, _ := e.facade()
	for i := 0; i < slowN; i++ {
		require.NoError(e.t, pub.SendMessageContext(e.ctx, slowQ, "slow"))
	}
	select {
	case <-holding:
	case <-e.ctx.Done():
		e.t.Fatal("the slow subscription never got a message")
	}
	for i := 0; i < fastN; i++ {
		require.NoError(e.t, pub.SendMessageContext(e.ctx, fastQ, strconv.Itoa(i)))
	}
	select {
	case <-fastDone:
	case <-e.ctx.Done():
		e.t.Fatalf("the fast subscription got %d of %d messages while the slow one held its first: the slow one stalled the connection", fastSeen.Load(), fastN)
	}
	assert.Zero(e.t, outOfOrder.Load(), "the fast subscription's messages in order")
	assert.Zero(e.t, slowHandled.Load(), "the slow subscription still works on its first message")

	unblock()
	select {
	case <-slowDone:
	case <-e.ctx.Done():
		e.t.Fatalf("the slow subscription handled %d of %d after its release", slowHandled.Load(), slowN)
	}
	require.NoError(e.t, s.DisconnectContext(e.ctx), "every ACK reaches the broker before DISCONNECT")
	assert.Empty(e.t, errs)
}
