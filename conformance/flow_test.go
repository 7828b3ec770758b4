package conformance

import (
	"strconv"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

func prefetchHonoured(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	for i := 0; i < 5; i++ {
		send(e, c, q, []byte(strconv.Itoa(i)))
	}
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual,
		Headers: frames.Headers{{Key: e.p.PrefetchHeader, Value: "2"}}}, actors.AckNone)
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

func slowDoesNotStallFast(e *env) {
	c := e.client()
	slowQ, fastQ := e.p.Queue(e.name()), e.p.Queue(e.name())
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{}, 64)
	_, err := c.Subscribe(e.ctx, actors.SubscribeSpec{Destination: slowQ, Mode: actors.AckClientIndividual, QueueSize: 16, Receipt: receipt,
		Headers: frames.Headers{{Key: e.p.PrefetchHeader, Value: "4"}},
		Handler: func(*actors.Message) actors.AckAction {
			started <- struct{}{}
			<-release
			return actors.AckAck
		}})
	require.NoError(e.t, err)
	_, fast := e.subscribe(c, actors.SubscribeSpec{Destination: fastQ}, actors.AckNone)
	p := e.client()
	for i := 0; i < 20; i++ {
		send(e, p, slowQ, []byte("slow"))
	}
	<-started
	for i := 0; i < 100; i++ {
		send(e, p, fastQ, []byte(strconv.Itoa(i)))
	}
	for i := 0; i < 100; i++ {
		assert.Equal(e.t, strconv.Itoa(i), string(fast.next(e.t).Body))
	}
}
