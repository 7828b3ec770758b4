package actors

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// message builds a MESSAGE as a server of version v would: 1.2 adds an ack
// header, 1.0 may leave out the subscription (sub "").
func message(v frames.Version, sub, id, dest, body string, kv ...string) string {
	h := []string{"message-id", id, "destination", dest, "content-type", "text/plain"}
	if sub != "" {
		h = append(h, "subscription", sub)
	}
	if v >= frames.V12 {
		h = append(h, "ack", "ack-"+id)
	}
	return rawFrame("MESSAGE", body, append(h, kv...)...)
}

// onSubscribe answers every SUBSCRIBE with msgs(sub id) and receipts.
func onSubscribe(msgs func(f *frames.Frame) string) func(p *peer, f *frames.Frame) bool {
	return func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSubscribe {
			p.write(msgs(f))
		}
		return f.Command != frames.CmdDisconnect
	}
}

func TestSubscribeAckModesPerVersion(t *testing.T) {
	for _, vc := range versionCases {
		for _, mode := range []AckMode{AckAuto, AckClient, AckClientIndividual} {
			t.Run(vc.name+"/"+string(mode), func(t *testing.T) {
				srv, got := newBroker(t, connectedFrame(vc.hdr), onSubscribe(func(f *frames.Frame) string {
					return message(vc.v, f.Header("id"), "m1", f.Header("destination"), "hello", "redelivered", "true", "x-h", "1")
				}))
				c, rec := newTestClient(t, ConnOptions{})
				connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
				expectFrame(t, got, frames.CmdConnect)

				msgs := make(chan *Message, 1)
				id, err := c.Subscribe(testCtx(t), SubscribeSpec{
					Destination: "/queue/a", ID: "s1", Mode: mode,
					Headers: frames.Headers{{Key: "selector", Value: "x = 1"}},
					Handler: func(m Message) AckAction { msgs <- &m; return AckAck },
				})
				require.NoError(t, err)
				require.Equal(t, "s1", id)
				sf := expectFrame(t, got, frames.CmdSubscribe)
				require.Equal(t, "/queue/a", sf.Header("destination"))
				require.Equal(t, "s1", sf.Header("id"))
				require.Equal(t, string(mode), sf.Header("ack"))
				require.Equal(t, "x = 1", sf.Header("selector"))
				ev := waitEvent[*SubscribedEvent](t, rec, nil)
				require.Equal(t, SubscribedEvent{ID: "s1", Destination: "/queue/a"}, *ev)
				subs := c.Subscriptions()
				require.Len(t, subs, 1)
				subs[0].Delivered = 0 // the broker's MESSAGE may or may not have arrived yet
				require.Equal(t, []SubscriptionInfo{{ID: "s1", Destination: "/queue/a", Mode: mode}}, subs)

				m := recv(t, msgs, "the message")
				require.Equal(t, "s1", m.Subscription)
				require.Equal(t, "m1", m.MessageID)
				require.Equal(t, "/queue/a", m.Destination)
				require.Equal(t, "text/plain", m.ContentType)
				require.Equal(t, "hello", string(m.Body))
				require.Equal(t, "1", m.Headers.Value("x-h"))
				require.True(t, m.Redelivered)
				if vc.v >= frames.V12 {
					require.Equal(t, "ack-m1", m.AckID)
				} else {
					require.Equal(t, "m1", m.AckID)
				}
				require.Equal(t, mode != AckAuto, m.NeedsAck())

				if mode == AckAuto {
					require.ErrorIs(t, c.Ack(testCtx(t), m, false, "", 0), ErrNoAck)
				} else {
					requireAck(t, expectFrame(t, got, frames.CmdAck), vc.v, "s1", "m1", "")
				}
				require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
				f := expectFrame(t, got, frames.CmdDisconnect)
				require.NotEmpty(t, f.Header("receipt"))
				if mode == AckAuto {
					require.Zero(t, c.Stats().Acks, "auto mode never acks")
				} else {
					require.Equal(t, int64(1), c.Stats().Acks)
				}
				require.Equal(t, int64(1), c.Stats().MessagesIn)
			})
		}
	}
}

// requireAck checks an ACK or NACK frame names the message as version v
// wants: 1.2 by the MESSAGE's ack header in id, 1.1 by message-id and
// subscription, 1.0 by message-id alone.
func requireAck(t *testing.T, f *frames.Frame, v frames.Version, sub, msgID, tx string) {
	t.Helper()
	switch v {
	case frames.V12:
		require.Equal(t, "ack-"+msgID, f.Header("id"), "%s", f)
		require.False(t, f.Headers.Has("message-id"))
		require.False(t, f.Headers.Has("subscription"))
	case frames.V11:
		require.Equal(t, msgID, f.Header("message-id"), "%s", f)
		require.Equal(t, sub, f.Header("subscription"))
		require.False(t, f.Headers.Has("id"))
	default:
		require.Equal(t, msgID, f.Header("message-id"), "%s", f)
		require.False(t, f.Headers.Has("subscription"))
		require.False(t, f.Headers.Has("id"))
	}
	if tx != "" {
		require.Equal(t, tx, f.Header("transaction"))
	} else {
		require.False(t, f.Headers.Has("transaction"))
	}
}

func TestHandlerNackPerVersion(t *testing.T) {
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(vc.hdr), onSubscribe(func(f *frames.Frame) string {
				return message(vc.v, f.Header("id"), "m1", "/q", "x") + message(vc.v, f.Header("id"), "m2", "/q", "y")
			}))
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
			expectFrame(t, got, frames.CmdConnect)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", ID: "s1", Mode: AckClientIndividual, Handler: func(m Message) AckAction {
				if m.MessageID == "m1" {
					return AckNack
				}
				return AckAck
			}})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdSubscribe)
			if vc.v == frames.V10 {
				// No NACK in 1.0: reported, nothing sent, m2 still acked.
				ev := waitEvent[*ErrorEvent](t, rec, nil)
				require.ErrorContains(t, ev.Err, "NACK")
				requireAck(t, expectFrame(t, got, frames.CmdAck), vc.v, "s1", "m2", "")
				return
			}
			requireAck(t, expectFrame(t, got, frames.CmdNack), vc.v, "s1", "m1", "")
			requireAck(t, expectFrame(t, got, frames.CmdAck), vc.v, "s1", "m2", "")
			require.Equal(t, int64(1), c.Stats().Nacks)
		})
	}
}

// The ManualAck style: the handler keeps the message and returns AckNone;
// the application acknowledges later with Client.Ack.
func TestManualAckAfterHandlerReturned(t *testing.T) {
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(vc.hdr), onSubscribe(func(f *frames.Frame) string {
				return message(vc.v, f.Header("id"), "m1", "/q", "a") + message(vc.v, f.Header("id"), "m2", "/q", "b") + message(vc.v, f.Header("id"), "m3", "/q", "c")
			}))
			c, _ := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
			expectFrame(t, got, frames.CmdConnect)
			msgs := make(chan *Message, 3)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", ID: "s1", Mode: AckClient, Handler: func(m Message) AckAction {
				msgs <- &m
				return AckNone
			}})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdSubscribe)
			m1, m2, m3 := recv(t, msgs, "m1"), recv(t, msgs, "m2"), recv(t, msgs, "m3")

			// NACK: refused on 1.0 before anything is sent. (In ack
			// mode client an ACK or NACK covers the earlier messages,
			// so the messages are settled in order.)
			err = c.Ack(testCtx(t), m1, true, "", 0)
			if vc.v == frames.V10 {
				require.ErrorContains(t, err, "NACK")
				require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/marker"), 0, true))
				require.Equal(t, "/marker", expectFrame(t, got, frames.CmdSend).Header("destination"), "nothing was sent for the refused NACK")
			} else {
				require.NoError(t, err)
				requireAck(t, expectFrame(t, got, frames.CmdNack), vc.v, "s1", "m1", "")
			}

			// Plain ACK, after the handler returned.
			require.NoError(t, c.Ack(testCtx(t), m2, false, "", 0))
			requireAck(t, expectFrame(t, got, frames.CmdAck), vc.v, "s1", "m2", "")

			// ACK inside a transaction, confirmed by a receipt.
			require.NoError(t, c.Begin(testCtx(t), "tx1", 0))
			expectFrame(t, got, frames.CmdBegin)
			require.NoError(t, c.Ack(testCtx(t), m3, false, "tx1", 5*time.Second))
			f := expectFrame(t, got, frames.CmdAck)
			requireAck(t, f, vc.v, "s1", "m3", "tx1")
			require.NotEmpty(t, f.Header("receipt"))

			// The cumulative ACK of m3 covered m1: nothing more is sent.
			require.ErrorIs(t, c.Ack(testCtx(t), m1, false, "", 0), ErrAlreadyAcked)
		})
	}
}

// An Ack for a message of a connection that has ended fails at once: the
// broker will redeliver the message.
func TestAckAfterConnectionLost(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(message(frames.V12, f.Header("id"), "m1", "/q", "x"))
		}
		return f.Command != frames.CmdSend // a SEND ends the connection
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	msgs := make(chan *Message, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClient, Handler: func(m Message) AckAction {
		msgs <- &m
		return AckNone
	}})
	require.NoError(t, err)
	m := recv(t, msgs, "the message")
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/bye"), 0, true))
	waitEvent[*DisconnectedEvent](t, rec, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err = c.Ack(ctx, m, false, "", 0)
	require.ErrorIs(t, err, ErrConnectionLost)
	require.NotErrorIs(t, err, ErrTimeout)
}

// An Ack after Unsubscribe answers instead of waiting for its deadline.
func TestAckAfterUnsubscribe(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), onSubscribe(func(f *frames.Frame) string {
		return message(frames.V12, f.Header("id"), "m1", "/q", "x")
	}))
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	msgs := make(chan *Message, 1)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClient, Handler: func(m Message) AckAction {
		msgs <- &m
		return AckNone
	}})
	require.NoError(t, err)
	m := recv(t, msgs, "the message")
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err = c.Ack(ctx, m, false, "", 0)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Equal(t, Connected, c.State())
}

// A STOMP 1.0 server may leave the subscription header out: the message
// goes to the subscription for its destination.
func TestV10MessageWithoutSubscriptionHeader(t *testing.T) {
	srv, got := newBroker(t, connectedFrame(""), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(message(frames.V10, "", "m1", "/queue/b", "to b") + message(frames.V10, "", "m2", "/queue/a", "to a"))
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V10}})
	expectFrame(t, got, frames.CmdConnect)
	aMsgs := make(chan *Message, 4)
	bMsgs := make(chan *Message, 4)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/b", Mode: AckClient, Handler: func(m Message) AckAction { bMsgs <- &m; return AckAck }})
	require.NoError(t, err)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", Mode: AckClient, Handler: func(m Message) AckAction { aMsgs <- &m; return AckAck }})
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/go"), 0, true))
	require.Equal(t, "to a", string(recv(t, aMsgs, "a's message").Body))
	require.Equal(t, "to b", string(recv(t, bMsgs, "b's message").Body))
	ack := nextFrame(t, got, frames.CmdSubscribe, frames.CmdSend)
	require.Equal(t, frames.CmdAck, ack.Command)
	require.False(t, ack.Headers.Has("subscription"))
	require.True(t, ack.Headers.Has("message-id"))
}

func TestUnsubscribePerVersion(t *testing.T) {
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(vc.hdr), func(p *peer, f *frames.Frame) bool {
				receiptFor(p, f)
				if f.Command == frames.CmdUnsubscribe {
					// A straggler for the old subscription.
					p.write(message(vc.v, f.Header("id"), "late", "/queue/u", "late"))
				}
				return true
			})
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
			expectFrame(t, got, frames.CmdConnect)
			id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/u", Handler: func(Message) AckAction { return AckNone }})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdSubscribe)
			require.NoError(t, c.Unsubscribe(testCtx(t), id, 5*time.Second))
			f := expectFrame(t, got, frames.CmdUnsubscribe)
			require.Equal(t, id, f.Header("id"))
			require.NotEmpty(t, f.Header("receipt"))
			if vc.v == frames.V10 {
				require.Equal(t, "/queue/u", f.Header("destination"))
			} else {
				require.False(t, f.Headers.Has("destination"))
			}
			ev := waitEvent[*UnsubscribedEvent](t, rec, nil)
			require.Equal(t, UnsubscribedEvent{ID: id, Destination: "/queue/u"}, *ev)
			require.Empty(t, c.Subscriptions())
			// The straggler after UNSUBSCRIBE is a normal race: counted,
			// not raised.
			waitFor(t, "the straggler to be counted", func() bool { return c.Stats().Dropped == 1 })
			require.Zero(t, count[*ErrorEvent](rec, nil))
			require.ErrorIs(t, c.Unsubscribe(testCtx(t), id, 0), ErrUnknownSubscription)
			require.Equal(t, Connected, c.State())
		})
	}
}

func TestSubscribeNotConnected(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q"})
	require.ErrorIs(t, err, ErrNotConnected)
}

func TestSubscribeWithReceipt(t *testing.T) {
	release := make(chan struct{})
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			<-release
		}
		receiptFor(p, f)
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "r1", Destination: "/q", Receipt: 5 * time.Second})
		done <- err
	}()
	f := expectFrame(t, got, frames.CmdSubscribe)
	require.NotEmpty(t, f.Header("receipt"))
	select {
	case err := <-done:
		t.Fatalf("Subscribe returned %v before the receipt", err)
	default:
	}
	close(release)
	require.NoError(t, recv(t, done, "Subscribe"))
	waitEvent[*SubscribedEvent](t, rec, nil)
}

// A subscription whose receipt never comes is forgotten locally.
func TestSubscribeReceiptTimeout(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "r1", Destination: "/q", Receipt: 200 * time.Millisecond})
	require.ErrorIs(t, err, ErrReceiptTimeout)
	require.Empty(t, c.Subscriptions())
	require.Zero(t, count[*SubscribedEvent](rec, nil))
	require.Equal(t, Connected, c.State())
}

// A second Subscribe with an id in use fails and leaves the first alone.
func TestSubscribeDuplicateID(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(message(frames.V12, "dup", "m1", "/q", "still here"))
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	msgs := make(chan *Message, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "dup", Destination: "/q", Handler: func(m Message) AckAction { msgs <- &m; return AckNone }})
	require.NoError(t, err)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "dup", Destination: "/other"})
	require.ErrorContains(t, err, "already in use")
	require.Equal(t, []SubscriptionInfo{{ID: "dup", Destination: "/q", Mode: AckAuto}}, c.Subscriptions())
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/trigger"), 0, true))
	require.Equal(t, "still here", string(recv(t, msgs, "a message for the first subscription").Body))
}

func TestSubscribeAssignsIDs(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	a, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/a"})
	require.NoError(t, err)
	b, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/b"})
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	require.Equal(t, a, expectFrame(t, got, frames.CmdSubscribe).Header("id"))
	require.Equal(t, b, expectFrame(t, got, frames.CmdSubscribe).Header("id"))
	require.Len(t, c.Subscriptions(), 2)
}

// Messages reach their subscription in batches; a batch is handed on
// before the reader could wait (here, for a broker that sent everything
// and went quiet), so every message is handled, in order, and two
// subscriptions fed in one read each get theirs.
func TestMessagesBeforeTheEndAreHandled(t *testing.T) {
	const n = 300 // more than a batch
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command != frames.CmdSubscribe || f.Header("id") != "b" {
			return true
		}
		var b strings.Builder
		for i := range n {
			sub := []string{"a", "b"}[i%2]
			b.WriteString(message(frames.V12, sub, "m"+itoa(i), "/q/"+sub, "body "+itoa(i)))
		}
		p.write(b.String())
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	seen := map[string]chan string{"a": make(chan string, n), "b": make(chan string, n)}
	for _, id := range []string{"a", "b"} {
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: "/q/" + id, Handler: func(m Message) AckAction {
			seen[m.Subscription] <- m.MessageID + " " + string(m.Body)
			return AckAck
		}})
		require.NoError(t, err)
	}
	for i := range n {
		sub := []string{"a", "b"}[i%2]
		require.Equal(t, "m"+itoa(i)+" body "+itoa(i), recv(t, seen[sub], "message "+itoa(i)))
	}
	require.Equal(t, int64(n), c.Stats().MessagesIn)
}

// A handler's ACK is encoded straight into the writer's buffer; its log
// line is made only when the sink takes verbose lines (or the logger
// wants them).
func TestAckLogLinesOnlyWhenWanted(t *testing.T) {
	for _, level := range []int{LogInfo, LogVerbose} {
		t.Run(itoa(level), func(t *testing.T) {
			const n = 20
			srv, got := newBroker(t, connectedFrame("1.2"), onSubscribe(func(f *frames.Frame) string {
				var b strings.Builder
				for i := range n {
					b.WriteString(message(frames.V12, f.Header("id"), "m"+itoa(i), f.Header("destination"), "x"))
				}
				return b.String()
			}))
			c, rec := newTestClient(t, ConnOptions{})
			c.SetLogLevel(level)
			connectTo(t, c, srv.addr(), ConnectConfig{})
			expectFrame(t, got, frames.CmdConnect)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, Handler: func(Message) AckAction { return AckAck }})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdSubscribe)
			for i := range n {
				requireAck(t, expectFrame(t, got, frames.CmdAck), frames.V12, "", "m"+itoa(i), "")
			}
			lines := count(rec, func(e *LogEvent) bool { return e.Type == "ack" })
			if level >= LogVerbose {
				require.Equal(t, n, lines)
			} else {
				require.Zero(t, lines)
				require.Zero(t, count(rec, func(e *LogEvent) bool { return e.Level > level }), "no line past the level")
			}
			require.Equal(t, int64(n), c.Stats().Acks)
		})
	}
}
