package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// pullThree subscribes s to queue as Pull subscription "p" with opts,
// sends it 3 messages, waits until they are received and takes the first
// with Receive (acknowledged when it needs an ACK); handled holds its
// body.
func pullThree(t *testing.T, s *STOMP, queue string, opts SubscribeOptions) (handled chan string) {
	t.Helper()
	opts.ID, opts.Pull = "p", true
	_, err := s.SubscribeWith(context.Background(), queue, opts)
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage(queue, strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ev, err := s.Receive(ctx, "p")
	require.NoError(t, err)
	if ev.NeedsAck() {
		require.NoError(t, s.Ack(ctx, ev))
	}
	handled = make(chan string, 3)
	handled <- ev.Text()
	return handled
}

// A client-ack Pull subscription's messages that nobody took with Receive
// when Unsubscribe, Disconnect or Close ends it are received
// (MessagesIn), never returned (the broker redelivers them), and counted
// in Stats.Dropped. Before, they stayed in the ended route's queue,
// uncounted (soak review, F2).
func TestPullClientAckMessagesNobodyTookAreCountedDroppedAtTheEnd(t *testing.T) {
	for _, end := range []string{"unsubscribe", "disconnect", "close"} {
		t.Run(end, func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			handled := pullThree(t, s, "/queue/dp-cli", SubscribeOptions{AckMode: AckClientIndividual, Prefetch: 10})
			switch end {
			case "unsubscribe":
				require.NoError(t, s.Unsubscribe("p"))
			case "disconnect":
				require.NoError(t, s.Disconnect())
			case "close":
				s.Close()
			}
			handledOrDropped(t, s, handled)
			s.Close()
		})
	}
}

// An auto-ack Pull subscription's messages that nobody took are dropped
// when Unsubscribe or Close ends it (after a Disconnect they stay for
// Receive instead: TestDisconnectLeavesReceivedAutoMessagesToReceive):
// the broker counted them consumed, so they are counted in
// Stats.Dropped. Before, they vanished uncounted (soak review, F1).
func TestPullAutoAckMessagesNobodyTookAreCountedDroppedByUnsubscribeAndClose(t *testing.T) {
	for _, end := range []string{"unsubscribe", "close"} {
		t.Run(end, func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			handled := pullThree(t, s, "/queue/dp-auto", SubscribeOptions{})
			if end == "close" {
				s.Close()
			} else {
				require.NoError(t, s.Unsubscribe("p"))
			}
			handledOrDropped(t, s, handled)
			s.Close()
		})
	}
}

// Unsubscribe and Close of a Pull subscription while its messages stream
// in and a caller takes them: a message may be popped by Receive, taken
// by the end's drop, or pushed by the reader after the end (which drops
// it itself), and each is counted once, as handled or as dropped.
func TestPullEndedMidStreamCountsEveryMessageOnce(t *testing.T) {
	for _, mode := range []AckMode{AckAuto, AckClientIndividual} {
		for _, end := range []string{"unsubscribe", "close"} {
			t.Run(string(mode)+"/"+end, func(t *testing.T) {
				b := newBroker(t)
				s := connectTo(t, b, "1.2")
				q := "/queue/dp-stream-" + string(mode) + end
				_, err := s.SubscribeWith(context.Background(), q, SubscribeOptions{ID: "p", AckMode: mode, Pull: true, Prefetch: 50})
				require.NoError(t, err)
				p := connectTo(t, b, "1.2")
				for i := range 200 {
					require.NoError(t, p.SendMessage(q, strconv.Itoa(i)))
				}
				handled := make(chan string, 200)
				taken := make(chan struct{})
				go func() {
					defer close(taken)
					for {
						ctx, cancel := context.WithTimeout(context.Background(), wait)
						ev, err := s.Receive(ctx, "p")
						cancel()
						if err != nil {
							return // ended
						}
						handled <- ev.Text()
					}
				}()
				waitFor(t, "some messages taken", func() bool { return len(handled) >= 20 })
				if end == "close" {
					s.Close()
				} else {
					require.NoError(t, s.Unsubscribe("p"))
				}
				recv(t, taken)
				handledOrDropped(t, s, handled)
				s.Close()
			})
		}
	}
}
