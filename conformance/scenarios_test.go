package conformance

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

const receipt = 20 * time.Second

func TestConformance(t *testing.T) {
	runScenarios(t, []scenario{
		{"connect-each-version", connectEachVersion},
		{"login-refused", loginRefused},
		{"vhost-refused", vhostRefused},
		{"heartbeats-kept", heartbeatsKept},
		{"bodies-round-trip", bodiesRoundTrip},
		{"headers-round-trip", headersRoundTrip},
		{"queue-one-consumer", queueOneConsumer},
		{"topic-every-subscriber", topicEverySubscriber},
		{"unsubscribe-stops-delivery", unsubscribeStops},
		{"ack-client-individual", ackClientIndividual},
		{"pull-receive", pullReceive},
		{"pull-receive-lent", pullReceiveLent},
		{"nack-redelivers", nackRedelivers},
		{"unacked-redelivered-after-close", unackedRedelivered},
		{"transaction-commit-abort", transactionCommitAbort},
		{"receipts-for-every-frame", receiptsForEveryFrame},
		{"durable-subscription", durableSubscription},
		{"prefetch-honoured", prefetchHonoured},
		{"slow-does-not-stall-fast", slowDoesNotStallFast},
		{"error-bad-destination", errorBadDestination},
		{"error-ack-unknown-id", errorAckUnknownID},
		{"limit-ours-on-receive", ourLimit},
		{"limit-broker-refuses", brokerRefusesOversized},
	})
}

func send(e *env, c *actors.Conn, dest string, body []byte, kv ...string) {
	e.t.Helper()
	f := frames.New(frames.CmdSend, append([]string{frames.HdrDestination, dest}, kv...)...)
	f.Body = body
	require.NoError(e.t, c.Send(e.ctx, f, receipt, true))
}

func connectEachVersion(e *env) {
	for _, v := range e.p.Versions {
		c := e.client(func(cfg *actors.ConnectConfig) { cfg.Versions = []frames.Version{v} })
		info, ok := c.Info()
		require.True(e.t, ok)
		assert.Equal(e.t, v, info.Version)
		require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
		assert.Equal(e.t, actors.Disconnected, c.State())
	}
}

func loginRefused(e *env) {
	c := mustConn(e.t, actors.ConnOptions{})
	defer c.Close()
	_, err := c.Connect(e.ctx, e.config(func(cfg *actors.ConnectConfig) { cfg.Passcode = "wrong-" + cfg.Passcode }))
	require.Error(e.t, err)
	assert.NotContains(e.t, err.Error(), "wrong-", "the passcode must not appear in the error")
}

func vhostRefused(e *env) {
	c := mustConn(e.t, actors.ConnOptions{})
	defer c.Close()
	_, err := c.Connect(e.ctx, e.config(func(cfg *actors.ConnectConfig) { cfg.Host = "no-such-vhost-" + runID }))
	require.Error(e.t, err)
}

func heartbeatsKept(e *env) {
	c := e.client(func(cfg *actors.ConnectConfig) {
		cfg.Versions = []frames.Version{frames.V12}
		cfg.HeartbeatOut, cfg.HeartbeatIn = 200*time.Millisecond, 200*time.Millisecond
	})
	info, _ := c.Info()
	require.Greater(e.t, info.HeartbeatIn, time.Duration(0), "broker must agree to send heart-beats")
	// Let more than three negotiated intervals pass with no traffic.
	wait := 4 * max(info.HeartbeatIn, info.HeartbeatOut)
	deadline := time.After(wait)
	<-deadline
	assert.Equal(e.t, actors.Connected, c.State())
	assert.Greater(e.t, c.Stats().HeartbeatsIn, int64(0))
	assert.Greater(e.t, c.Stats().HeartbeatsOut, int64(0))
	require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
}

func bodiesRoundTrip(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	bodies := [][]byte{
		[]byte("hello, world"),
		{},
		bytes.Repeat([]byte{0}, 64),
		append([]byte("a\x00b\x00"), 0xff, 0xfe),
		bytes.Repeat([]byte("0123456789abcdef"), 65536), // 1 MiB
	}
	for _, b := range bodies {
		send(e, c, q, b, frames.HdrContentType, "application/octet-stream")
	}
	for i, want := range bodies {
		m := in.next(e.t)
		require.Equal(e.t, len(want), len(m.Body), "body %d length", i)
		require.True(e.t, bytes.Equal(want, m.Body) || len(want) == 0, "body %d differs", i)
	}
}

func headersRoundTrip(e *env) {
	c := e.client(func(cfg *actors.ConnectConfig) { cfg.Versions = []frames.Version{frames.V12} })
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	vals := map[string]string{
		"x-colon":     "a:b:c",
		"x-backslash": `C:\path\file`,
		"x-newline":   "line1\nline2",
		"x-unicode":   "héllo wörld ✓ 日本",
	}
	kv := []string{}
	for k, v := range vals {
		kv = append(kv, k, v)
	}
	send(e, c, q, []byte("h"), kv...)
	m := in.next(e.t)
	for k, v := range vals {
		assert.Equal(e.t, v, m.Headers.Value(k), "header %s", k)
	}
}

func queueOneConsumer(e *env) {
	c1, c2 := e.client(), e.client()
	q := e.p.Queue(e.name())
	_, in1 := e.subscribe(c1, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	_, in2 := e.subscribe(c2, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	const n = 20
	for i := 0; i < n; i++ {
		send(e, c1, q, []byte{byte('a' + i)})
	}
	got := map[string]int{}
	for len(got) < n {
		select {
		case m := <-in1.ch:
			got[string(m.Body)]++
		case m := <-in2.ch:
			got[string(m.Body)]++
		case <-time.After(20 * time.Second):
			e.t.Fatalf("only %d of %d messages arrived", len(got), n)
		}
	}
	for k, v := range got {
		assert.Equal(e.t, 1, v, "message %q delivered %d times", k, v)
	}
}

func topicEverySubscriber(e *env) {
	c1, c2 := e.client(), e.client()
	tp := e.p.Topic(e.name())
	_, in1 := e.subscribe(c1, actors.SubscribeSpec{Destination: tp}, actors.AckNone)
	_, in2 := e.subscribe(c2, actors.SubscribeSpec{Destination: tp}, actors.AckNone)
	send(e, c1, tp, []byte("to all"))
	assert.Equal(e.t, "to all", string(in1.next(e.t).Body))
	assert.Equal(e.t, "to all", string(in2.next(e.t).Body))
}

func unsubscribeStops(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	id, in := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	send(e, c, q, []byte("first"))
	assert.Equal(e.t, "first", string(in.next(e.t).Body))
	require.NoError(e.t, c.Unsubscribe(e.ctx, id, receipt))
	send(e, c, q, []byte("second"))
	// A new subscriber gets the message the old one no longer receives.
	_, in2 := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	assert.Equal(e.t, "second", string(in2.next(e.t).Body))
	select {
	case m := <-in.ch:
		e.t.Fatalf("unsubscribed handler got %q", m.Body)
	default:
	}
}

func ackClientIndividual(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual}, actors.AckAck)
	send(e, c, q, []byte("one"))
	m := in.next(e.t)
	require.True(e.t, m.NeedsAck())
	assert.Equal(e.t, "one", string(m.Body))
	// Acked: a new consumer does not see it again.
	nothingLeft(e, c, q)
}

// nothingLeft disconnects c and shows that q holds nothing unacknowledged:
// a new consumer's first message is a marker sent after it subscribed.
func nothingLeft(e *env, c *actors.Conn, q string) {
	require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
	c2 := e.client()
	_, in2 := e.subscribe(c2, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	send(e, c2, q, []byte("marker"))
	assert.Equal(e.t, "marker", string(in2.next(e.t).Body))
}

// pullReceive: a Pull subscription's messages come from Receive, in
// order, from a burst and then one at a time (the caller then reads the
// connection itself), each acknowledged through its Ref; a later consumer
// sees none of them again.
func pullReceive(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	id, err := c.Subscribe(e.ctx, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual, Pull: true, Receipt: receipt})
	require.NoError(e.t, err)
	take := func(want string) {
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
		defer cancel()
		m, err := c.Receive(ctx, id)
		require.NoError(e.t, err)
		assert.Equal(e.t, want, string(m.Body))
		require.True(e.t, m.NeedsAck())
		require.NoError(e.t, c.AckRef(e.ctx, m.Ref(), false, "", receipt))
	}
	const burst, trips = 20, 20
	for i := range burst {
		send(e, c, q, []byte("m"+strconv.Itoa(i)))
	}
	for i := range burst {
		take("m" + strconv.Itoa(i))
	}
	for i := burst; i < burst+trips; i++ {
		send(e, c, q, []byte("m"+strconv.Itoa(i)))
		take("m" + strconv.Itoa(i))
	}
	nothingLeft(e, c, q)
}

// pullReceiveLent: a Lent Pull subscription's messages, small and large,
// each acknowledged through a Ref taken before it is released; those kept
// unreleased stay intact while later ones reuse the memory given back.
func pullReceiveLent(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	id, err := c.Subscribe(e.ctx, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual, Pull: true, Lent: true, Receipt: receipt})
	require.NoError(e.t, err)
	body := func(i int) []byte {
		return bytes.Repeat([]byte{byte('a' + i%26)}, []int{10, 3000, 70000}[i%3])
	}
	var kept []actors.Message
	const n = 24
	for i := range n {
		send(e, c, q, body(i))
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
		m, err := c.Receive(ctx, id)
		cancel()
		require.NoError(e.t, err)
		require.Equal(e.t, body(i), m.Body)
		ref := m.Ref()
		if i%4 == 0 {
			kept = append(kept, m)
		} else {
			m.Release()
		}
		require.NoError(e.t, c.AckRef(e.ctx, ref, false, "", receipt))
	}
	for k, m := range kept {
		assert.Equal(e.t, body(4*k), m.Body, "message %d kept unreleased", 4*k)
		m.Release()
	}
	nothingLeft(e, c, q)
}

func nackRedelivers(e *env) {
	c := e.client(func(cfg *actors.ConnectConfig) { cfg.Versions = []frames.Version{frames.V12} })
	q := e.p.Queue(e.name())
	body := "nacked-" + q // unique, so an old dead letter cannot match
	first := true
	in := &inbox{ch: make(chan *actors.Message, 16)}
	_, err := c.Subscribe(e.ctx, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual, Receipt: receipt, Handler: func(m actors.Message) actors.AckAction {
		in.ch <- &m
		if first {
			first = false
			return actors.AckNack
		}
		return actors.AckAck
	}})
	require.NoError(e.t, err)
	// persistent: ActiveMQ moves only persistent messages to its DLQ.
	send(e, c, q, []byte(body), frames.HdrPersistent, "true")
	assert.Equal(e.t, body, string(in.next(e.t).Body))
	if e.p.NackTo != nil {
		// This broker moves a NACKed message to a dead-letter queue.
		_, dlq := e.subscribe(c, actors.SubscribeSpec{Destination: e.p.NackTo(q)}, actors.AckNone)
		for string(dlq.next(e.t).Body) != body {
		}
		return
	}
	m2 := in.next(e.t)
	assert.Equal(e.t, body, string(m2.Body))
	assert.True(e.t, m2.Redelivered, "a NACKed message comes back flagged redelivered")
}

func unackedRedelivered(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Mode: actors.AckClient}, actors.AckNone)
	send(e, c, q, []byte("keep me"))
	assert.Equal(e.t, "keep me", string(in.next(e.t).Body))
	c.Interrupt()
	c2 := e.client()
	_, in2 := e.subscribe(c2, actors.SubscribeSpec{Destination: q, Mode: actors.AckClient}, actors.AckAck)
	m := in2.next(e.t)
	assert.Equal(e.t, "keep me", string(m.Body))
}

func transactionCommitAbort(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	// Brokers may hold the receipt of a transacted SEND until COMMIT
	// (RabbitMQ does), so these sends wait only for the write.
	sendTx := func(body, tx string) {
		f := frames.New(frames.CmdSend, frames.HdrDestination, q, frames.HdrTransaction, tx)
		f.Body = []byte(body)
		require.NoError(e.t, c.Send(e.ctx, f, 0, true))
	}
	require.NoError(e.t, c.Begin(e.ctx, "tx-a", receipt))
	sendTx("aborted", "tx-a")
	require.NoError(e.t, c.Abort(e.ctx, "tx-a", receipt))
	require.NoError(e.t, c.Begin(e.ctx, "tx-c", receipt))
	sendTx("committed", "tx-c")
	send(e, c, q, []byte("outside"))
	assert.Equal(e.t, "outside", string(in.next(e.t).Body), "the transacted message must wait for COMMIT")
	assert.Equal(e.t, []string{"tx-c"}, c.OpenTransactions(e.ctx))
	require.NoError(e.t, c.Commit(e.ctx, "tx-c", receipt))
	assert.Equal(e.t, "committed", string(in.next(e.t).Body))
	err := c.Commit(e.ctx, "tx-c", receipt)
	assert.True(e.t, errors.Is(err, actors.ErrUnknownTransaction))
}

func receiptsForEveryFrame(e *env) {
	c := e.client()
	q := e.p.Queue(e.name())
	id, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Receipt: receipt}, actors.AckNone)
	send(e, c, q, []byte("r"))
	in.next(e.t)
	require.NoError(e.t, c.Begin(e.ctx, "tx-r", receipt))
	require.NoError(e.t, c.Commit(e.ctx, "tx-r", receipt))
	require.NoError(e.t, c.Unsubscribe(e.ctx, id, receipt))
	require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
	assert.Equal(e.t, int64(0), c.Stats().ReceiptsPending)
}

func durableSubscription(e *env) {
	name := e.name()
	tp := e.p.Topic(name)
	subH, connH := e.p.Durable(name)
	withConn := func(cfg *actors.ConnectConfig) { cfg.ConnectHeaders = connH }
	c := e.client(withConn)
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: tp, ID: name, Mode: actors.AckClientIndividual, Headers: subH}, actors.AckAck)
	require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
	// Published while the subscriber is away.
	p := e.client()
	send(e, p, tp, []byte("kept while away"), frames.HdrPersistent, "true")
	c2 := e.client(withConn)
	_, in2 := e.subscribe(c2, actors.SubscribeSpec{Destination: tp, ID: name, Mode: actors.AckClientIndividual, Headers: subH}, actors.AckAck)
	assert.Equal(e.t, "kept while away", string(in2.next(e.t).Body))
	assert.Len(e.t, in.ch, 0)
}
