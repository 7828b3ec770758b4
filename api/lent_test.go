package api

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Lent subscription hands its handler one event, filled anew for each
// message, whole while the handler runs; ParsedHeaders keeps a copy of
// the last one's headers, which outlives the message.
func TestLentSubscriptionLendsEachMessageToItsHandler(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 400
	body := func(i int) string { return strings.Repeat(strconv.Itoa(i%10), []int{30, 900, 5000}[i%3]) }
	type seen struct {
		ev   *MessageInEvent
		what string
	}
	got := make(chan seen, n)
	_, err := s.SubscribeWith(context.Background(), "/topic/lent", SubscribeOptions{Lent: true, Handler: func(ev *MessageInEvent) {
		what := ""
		i, err := strconv.Atoi(headerValue(ev.Headers, "x-n"))
		if err != nil || string(ev.Data) != body(i) || ev.Destination != "/topic/lent" {
			what = "message " + headerValue(ev.Headers, "x-n") + " not whole"
		}
		got <- seen{ev, what}
	}})
	require.NoError(t, err)
	for i := range n {
		s.ResetHeaders()
		require.NoError(t, s.AddHeader("x-n", strconv.Itoa(i)))
		require.NoError(t, s.SendData("/topic/lent", []byte(body(i))))
	}
	var first *MessageInEvent
	for range n {
		g := recv(t, got)
		require.Empty(t, g.what)
		if first == nil {
			first = g.ev
		}
		require.Same(t, first, g.ev, "one event for every message")
	}
	require.Equal(t, strconv.Itoa(n-1), headerValue(s.ParsedHeaders(), "x-n"))
}

// Lent refuses what would keep a message beyond its handler.
func TestLentRefusesManualAckAndTracing(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	_, err := s.SubscribeWith(context.Background(), "/queue/a", SubscribeOptions{Lent: true, ManualAck: true, AckMode: AckClientIndividual})
	require.ErrorIs(t, err, ErrInvalidArgument)
	traced := connectTo(t, b, "1.2", WithTracing(Tracing{}))
	_, err = traced.SubscribeWith(context.Background(), "/queue/a", SubscribeOptions{Lent: true})
	require.ErrorIs(t, err, ErrInvalidArgument)
}
