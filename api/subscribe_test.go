package api

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubscribeUnsubscribe(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			subscribed := collect(s.OnSubscribed)
			unsubscribed := collect(s.OnUnsubscribed)
			msgs := collect(s.OnMessageIn)

			id1, err := s.Subscribe("/queue/a", false)
			require.NoError(t, err)
			id2, err := s.Subscribe("/topic/b", false)
			require.NoError(t, err)
			assert.Equal(t, &SubscribedEvent{SubscriptionID: id1, Destination: "/queue/a"}, recv(t, subscribed))
			assert.Equal(t, &SubscribedEvent{SubscriptionID: id2, Destination: "/topic/b"}, recv(t, subscribed))
			assert.Equal(t, []Subscription{{id1, "/queue/a", AckAuto, 0}, {id2, "/topic/b", AckAuto, 0}}, s.Subscriptions())
			f := waitFrame(t, b, 1, frames.CmdSubscribe)
			assert.Equal(t, "auto", f.Header("ack"))

			require.NoError(t, s.SendMessage("/topic/b", "to b"))
			m := recv(t, msgs)
			assert.Equal(t, id2, m.SubscriptionID)
			assert.Equal(t, "to b", m.Text())
			assert.False(t, m.NeedsAck())
			assert.Equal(t, m.Headers, s.ParsedHeaders())

			require.NoError(t, s.Unsubscribe(id1))
			assert.Equal(t, &UnsubscribedEvent{SubscriptionID: id1, Destination: "/queue/a"}, recv(t, unsubscribed))
			assert.Equal(t, []Subscription{{id2, "/topic/b", AckAuto, 1}}, s.Subscriptions())
			u := waitFrame(t, b, 1, frames.CmdUnsubscribe)
			assert.Equal(t, id1, u.Header("id"))
			if v == "1.0" {
				assert.Equal(t, "/queue/a", u.Header("destination"), "1.0 names the destination too")
			}
			assert.ErrorIs(t, s.Unsubscribe(id1), ErrUnknownSubscription)
			assert.ErrorIs(t, s.Unsubscribe(""), ErrInvalidArgument)
			_, err = s.Subscribe("", false)
			assert.ErrorIs(t, err, ErrInvalidArgument)

			require.NoError(t, s.Disconnect())
			assert.Empty(t, s.Subscriptions(), "subscriptions end with the connection")
			_, err = s.Subscribe("/queue/a", false)
			assert.ErrorIs(t, err, ErrNotConnected)
		})
	}
}

// ackFrames returns the ACK and NACK frames the broker received.
func ackFrames(t *testing.T, b *sim.Broker) (acks, nacks []*frames.Frame) {
	return received(t, b, 1, frames.CmdAck), received(t, b, 1, frames.CmdNack)
}

func TestHandlerReturnAcksOrNacks(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			done := make(chan *MessageInEvent, 16)
			s.OnMessageIn(func(e *MessageInEvent) {
				// The broker redelivers a NACKed message: accept it then.
				e.Ack = e.Text() != "reject" || e.Redelivered
				select {
				case done <- e:
				default:
				}
			})
			id, err := s.Subscribe("/queue/acks", true)
			require.NoError(t, err)
			f := waitFrame(t, b, 1, frames.CmdSubscribe)
			wantMode := "client-individual"
			if v == "1.0" {
				wantMode = "client"
			}
			assert.Equal(t, wantMode, f.Header("ack"))

			require.NoError(t, s.SendMessage("/queue/acks", "accept"))
			m := recv(t, done)
			assert.True(t, m.NeedsAck())
			ack := waitFrame(t, b, 1, frames.CmdAck)
			switch v {
			case "1.2":
				assert.Equal(t, m.Headers[indexOf(m.Headers, "ack")].Value, ack.Header("id"))
			case "1.1":
				assert.Equal(t, m.MessageID, ack.Header("message-id"))
				assert.Equal(t, id, ack.Header("subscription"))
			default:
				assert.Equal(t, m.MessageID, ack.Header("message-id"))
			}

			require.NoError(t, s.SendMessage("/queue/acks", "reject"))
			m = recv(t, done)
			if v == "1.0" {
				// No NACK in 1.0: nothing is sent and the broker keeps the
				// message unacknowledged; the later ACK, which would
				// acknowledge it too (ack mode client), is held back.
				require.NoError(t, s.SendMessage("/queue/acks", "accept"))
				recv(t, done)
				require.NoError(t, s.SendMessage("/queue/acks", "accept"))
				recv(t, done) // the previous message's ACK was decided
				require.NoError(t, s.SetRequestReceipts(true))
				require.NoError(t, s.SendMessage("/queue/barrier", "b"))
				acks, nacks := ackFrames(t, b)
				assert.Len(t, acks, 1)
				assert.Empty(t, nacks)
				d, _ := b.Destination("/queue/acks")
				assert.Equal(t, 3, d.Ready+d.Unacked)
				return
			}
			nack := waitFrame(t, b, 1, frames.CmdNack)
			if v == "1.2" {
				assert.Equal(t, m.Headers[indexOf(m.Headers, "ack")].Value, nack.Header("id"))
			} else {
				assert.Equal(t, m.MessageID, nack.Header("message-id"))
			}
		})
	}
}

func indexOf(hs []Header, key string) int {
	for i, h := range hs {
		if h.Key == key {
			return i
		}
	}
	return -1
}

func TestManualAck(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			got := make(chan *MessageInEvent, 4)
			mode := AckClientIndividual
			if v == "1.0" {
				mode = AckClient
			}
			_, err := s.SubscribeWith(context.Background(), "/queue/manual", SubscribeOptions{
				AckMode: mode, ManualAck: true,
				Handler: func(e *MessageInEvent) { got <- e },
			})
			require.NoError(t, err)
			require.NoError(t, s.SendMessage("/queue/manual", "one"))
			require.NoError(t, s.SendMessage("/queue/manual", "two"))
			one, two := recv(t, got), recv(t, got)
			ci, _ := b.Connection(1)
			waitFor(t, "two unacked", func() bool { ci, _ = b.Connection(1); return ci.Unacked == 2 })
			acks, _ := ackFrames(t, b)
			assert.Empty(t, acks, "the handler's return sent nothing")

			// From another goroutine, after the handler returned.
			errc := make(chan error, 1)
			go func() { errc <- s.Ack(context.Background(), one) }()
			require.NoError(t, recv(t, errc))
			waitFrame(t, b, 1, frames.CmdAck)
			assert.ErrorIs(t, s.Ack(context.Background(), one), ErrAlreadyAcked)
			if v == "1.0" {
				assert.ErrorIs(t, s.Nack(context.Background(), two), ErrNackUnsupported)
				require.NoError(t, s.Ack(context.Background(), two))
			} else {
				require.NoError(t, s.Nack(context.Background(), two))
				waitFrame(t, b, 1, frames.CmdNack)
			}
			assert.ErrorIs(t, s.Ack(context.Background(), two), ErrAlreadyAcked)
		})
	}
}

func TestAckErrors(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	got := collect(s.OnMessageIn)
	_, err := s.Subscribe("/queue/auto", false)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/auto", "x"))
	m := recv(t, got)
	assert.ErrorIs(t, s.Ack(context.Background(), m), ErrNoAck)
	assert.ErrorIs(t, s.Ack(context.Background(), nil), ErrNoAck)
	assert.ErrorIs(t, s.Nack(context.Background(), &MessageInEvent{}), ErrNoAck)

	_, err = s.SubscribeWith(context.Background(), "/queue/x", SubscribeOptions{AckMode: "bogus"})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	s10 := connectTo(t, b, "1.0")
	_, err = s10.SubscribeWith(context.Background(), "/queue/x", SubscribeOptions{AckMode: AckClientIndividual})
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestAckInsideHandlerIsNotRepeated(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	done := make(chan error, 1)
	s.OnMessageIn(func(e *MessageInEvent) { done <- s.Ack(context.Background(), e) })
	_, err := s.Subscribe("/queue/in", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "x"))
	require.NoError(t, recv(t, done))
	require.NoError(t, s.SendMessage("/queue/in", "y"))
	require.NoError(t, recv(t, done))
	waitFor(t, "two ACKs", func() bool { a, _ := ackFrames(t, b); return len(a) == 2 })
	ci, _ := b.Connection(1)
	assert.Equal(t, 0, ci.Unacked)
	acks, _ := ackFrames(t, b)
	assert.Len(t, acks, 2, "one ACK per message")
}

func TestAckTransactionAndReceipts(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithAckTransactionID("atx"), WithRequestAckReceipts(true), WithRequestSubscriptionReceipts(true))
	receiptsOut := collect(s.OnReceiptOut)
	done := collect(s.OnMessageIn)
	require.NoError(t, s.BeginTransaction("atx"))
	id, err := s.Subscribe("/queue/tx", true)
	require.NoError(t, err)
	assert.Equal(t, "SUBSCRIBE", recv(t, receiptsOut).Command)
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdSubscribe).Header("receipt"))

	require.NoError(t, s.SendMessage("/queue/tx", "x"))
	recv(t, done)
	ack := waitFrame(t, b, 1, frames.CmdAck)
	assert.Equal(t, "atx", ack.Header("transaction"))
	assert.NotEmpty(t, ack.Header("receipt"))
	assert.Equal(t, "ACK", recv(t, receiptsOut).Command)

	require.NoError(t, s.Unsubscribe(id))
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdUnsubscribe).Header("receipt"))
	assert.Equal(t, "UNSUBSCRIBE", recv(t, receiptsOut).Command)
	require.NoError(t, s.CommitTransaction("atx"))
}

func TestSubscribeWithOptions(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	global := collect(s.OnMessageIn)
	own := make(chan *MessageInEvent, 4)
	id, err := s.SubscribeWith(context.Background(), "/queue/opts", SubscribeOptions{
		ID:        "mine",
		AckMode:   AckClient,
		Headers:   []Header{{Key: "prefetch-count", Value: "1"}},
		QueueSize: 4,
		OnFull:    FullBlock,
		Handler:   func(e *MessageInEvent) { own <- e },
	})
	require.NoError(t, err)
	assert.Equal(t, "mine", id)
	ci, _ := b.Connection(1)
	waitFor(t, "subscription at the broker", func() bool { ci, _ = b.Connection(1); return len(ci.Subscriptions) == 1 })
	assert.Equal(t, 1, ci.Subscriptions[0].Prefetch)
	assert.Equal(t, "client", ci.Subscriptions[0].Ack)
	require.NoError(t, s.SendMessage("/queue/opts", "x"))
	assert.Equal(t, "mine", recv(t, own).SubscriptionID)
	assert.Empty(t, global, "a subscription's own handler replaces OnMessageIn")
	_, err = s.SubscribeWith(context.Background(), "/queue/opts", SubscribeOptions{ID: "mine"})
	assert.Error(t, err, "ids are unique")
	_, err = s.SubscribeWith(context.Background(), "/queue/opts", SubscribeOptions{QueueSize: -1})
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestHandlerPanicNacksAndReports(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	s.OnMessageIn(func(e *MessageInEvent) { panic("handler bug") })
	_, err := s.Subscribe("/queue/panic", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/panic", "x"))
	waitFrame(t, b, 1, frames.CmdNack)
	e := recv(t, errs)
	assert.Contains(t, e.Description, "handler bug")
	assert.True(t, s.Connected())
}

func TestHandlersOfSubscriptionsRunConcurrently(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	bRan := make(chan struct{})
	aDone := make(chan struct{})
	var once sync.Once
	_, err := s.SubscribeWith(context.Background(), "/queue/A", SubscribeOptions{Handler: func(*MessageInEvent) {
		<-bRan // blocks until B's handler ran: only possible if they run at once
		once.Do(func() { close(aDone) })
	}})
	require.NoError(t, err)
	_, err = s.SubscribeWith(context.Background(), "/queue/B", SubscribeOptions{Handler: func(*MessageInEvent) { close(bRan) }})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/A", "a"))
	require.NoError(t, s.SendMessage("/queue/B", "b"))
	recv(t, aDone)
}

func TestCollapseHeaders(t *testing.T) {
	for _, collapse := range []bool{true, false} {
		srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
			if _, err := readFrame(d); err != nil {
				return
			}
			_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
			f, err := readFrame(d) // SUBSCRIBE
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("MESSAGE\nsubscription:" + f.Header("id") + "\nmessage-id:m1\ndestination:/queue/c\nx:first\nx:second\n\nbody\x00"))
			_, _ = readFrame(d) // until the client goes
		})
		s := newClient(t, WithCollapseHeaders(collapse))
		got := collect(s.OnMessageIn)
		require.NoError(t, s.Connect(srv.host, srv.port))
		_, err := s.Subscribe("/queue/c", false)
		require.NoError(t, err)
		m := recv(t, got)
		var xs []string
		for _, h := range m.Headers {
			if h.Key == "x" {
				xs = append(xs, h.Value)
			}
		}
		if collapse {
			assert.Equal(t, []string{"first"}, xs)
		} else {
			assert.Equal(t, []string{"first", "second"}, xs)
		}
		assert.Equal(t, m.Headers, s.ParsedHeaders())
		s.Close()
	}
}
