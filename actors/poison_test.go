package actors

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A message its handler keeps refusing comes back MaxDeliveries times,
// then goes to DeadLetter and is acknowledged: the queue is empty and the
// subscription goes on with the next message.
func TestPoisonMessageDeadLettered(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	var tries atomic.Int32
	dead := make(chan *Message, 1)
	good := make(chan string, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/poison", Mode: AckClientIndividual, MaxDeliveries: 3,
		DeadLetter: func(m Message) { dead <- &m },
		Handler: func(m Message) AckAction {
			if string(m.Body) == "bad" {
				tries.Add(1)
				return AckNack
			}
			good <- string(m.Body)
			return AckAck
		}})
	require.NoError(t, err)
	publish(t, b.Addr(), "/queue/poison", "bad")
	publish(t, b.Addr(), "/queue/poison", "good")
	require.Equal(t, "bad", string(recv(t, dead, "the dead letter").Body))
	require.Equal(t, "good", recv(t, good, "the message behind it"))
	require.EqualValues(t, 3, tries.Load(), "handled three times, then dead-lettered")
	require.EqualValues(t, 1, c.Stats().DeadLettered)
	waitFor(t, "the queue to be empty", func() bool {
		d, _ := b.Destination("/queue/poison")
		return d.Ready == 0 && d.Unacked == 0
	})
}

// The broker's own delivery count (RabbitMQ's x-delivery-count) counts.
func TestPoisonMessageBrokerCount(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("MESSAGE", "x", "subscription", f.Header("id"), "message-id", "m1", "destination", "/q", "ack", "a1", HdrDeliveryCount, "7"))
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	dead := make(chan *Message, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, MaxDeliveries: 5,
		DeadLetter: func(m Message) { dead <- &m },
		Handler:    func(Message) AckAction { t.Error("a message past the limit was handled"); return AckAck }})
	require.NoError(t, err)
	require.Equal(t, "m1", recv(t, dead, "the dead letter").MessageID)
	expectFrame(t, got, frames.CmdConnect)
	expectFrame(t, got, frames.CmdSubscribe)
	require.Equal(t, "a1", expectFrame(t, got, frames.CmdAck).Header("id"), "acknowledged")
}

// A DeadLetter hook that panics has not taken its message: the panic is
// reported and counted, and the message is NACKed (STOMP 1.1 and later)
// or, on STOMP 1.0, which has no NACK, left unacknowledged, as after a
// handler that panics; never acknowledged. Each time the broker delivers
// it again, it goes to the hook again.
func TestADeadLetterHookThatPanicsDoesNotAcknowledge(t *testing.T) {
	for _, v := range []string{"1.0", "1.2"} {
		t.Run(v, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(v), func(p *peer, f *frames.Frame) bool {
				if f.Command == frames.CmdSubscribe {
					p.write(rawFrame("MESSAGE", "x", "subscription", f.Header("id"), "message-id", "m1", "destination", "/q", "ack", "a1", HdrDeliveryCount, "7") +
						rawFrame("MESSAGE", "y", "subscription", f.Header("id"), "message-id", "m2", "destination", "/q", "ack", "a2"))
				}
				return true
			})
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{})
			mode := AckClientIndividual
			if v == "1.0" {
				mode = AckClient
			}
			handled := make(chan string, 1)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/q", Mode: mode, MaxDeliveries: 5,
				DeadLetter: func(Message) { panic("dead-letter store unavailable") },
				Handler:    func(m Message) AckAction { handled <- m.MessageID; return AckAck }})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdConnect)
			expectFrame(t, got, frames.CmdSubscribe)
			require.Equal(t, "m2", recv(t, handled, "the message behind it"))
			if v == "1.0" {
				// Nothing for m1, and m2's ACK, which would acknowledge
				// m1 too (ack mode client), is held back, as OnError says.
				waitEvent(t, rec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "left unacknowledged") })
				waitFor(t, "m2's handler to return", func() bool { return c.HandlersRunning() == 0 })
				require.Zero(t, c.Stats().Nacks)
				require.Zero(t, c.Stats().Acks, "m2's ACK acknowledged the message the hook failed to take")
				require.ErrorContains(t, waitEvent[*ErrorEvent](t, rec, nil).Err, "dead-letter handler panicked: dead-letter store unavailable")
				require.EqualValues(t, 1, c.Stats().Panics)
				require.Zero(t, c.Stats().DeadLettered, "not dead-lettered: the hook did not take it")
				return
			} else {
				require.Equal(t, "a1", expectFrame(t, got, frames.CmdNack).Header("id"), "the message the hook failed to take was not refused")
				require.Equal(t, "a2", expectFrame(t, got, frames.CmdAck).Header("id"))
			}
			require.ErrorContains(t, waitEvent[*ErrorEvent](t, rec, nil).Err, "dead-letter handler panicked: dead-letter store unavailable")
			st := c.Stats()
			require.EqualValues(t, 1, st.Panics)
			require.EqualValues(t, 1, st.Acks, "only m2 acknowledged")
			require.Zero(t, st.DeadLettered, "not dead-lettered: the hook did not take it")
		})
	}
}
