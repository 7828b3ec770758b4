package conformance

import (
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/frames"
)

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

// facade connects an api.STOMP, closed when the test ends.
func (e *env) facade() (*api.STOMP, chan *api.ErrorEvent, chan *api.DisconnectedEvent) {
	host, port, err := net.SplitHostPort(e.p.Addr)
	require.NoError(e.t, err)
	pn, _ := strconv.Atoi(port)
	s := api.NewSTOMP(api.WithUser(e.p.Login), api.WithPassword(e.p.Passcode), api.WithVirtualHost(e.p.Host), api.WithTimeout(20*time.Second))
	e.t.Cleanup(s.Close)
	errs, gone := make(chan *api.ErrorEvent, 16), make(chan *api.DisconnectedEvent, 4)
	s.OnError(func(ev *api.ErrorEvent) { errs <- ev })
	s.OnDisconnected(func(ev *api.DisconnectedEvent) { gone <- ev })
	require.NoError(e.t, s.ConnectContext(e.ctx, host, pn))
	return s, errs, gone
}

// serverError waits for the broker's ERROR, reported as an error event or
// as the reason the connection ended, and returns it as code 600.
func (e *env) serverError(errs chan *api.ErrorEvent, gone chan *api.DisconnectedEvent) *api.Error {
	e.t.Helper()
	var err error
	select {
	case ev := <-errs:
		err = ev.Err
	case ev := <-gone:
		err = ev.Err
	case <-time.After(20 * time.Second):
		e.t.Fatal("no ERROR from the broker within 20s")
	}
	var ae *api.Error
	require.True(e.t, errors.As(err, &ae), "%v", err)
	assert.Equal(e.t, api.CodeServerError, ae.Code, "%v", err)
	assert.NotEmpty(e.t, ae.Message)
	return ae
}

func errorBadDestination(e *env) {
	s, errs, gone := e.facade()
	_ = s.SendMessage(e.p.BadDestination, "nowhere")
	e.serverError(errs, gone)
}

func errorAckUnknownID(e *env) {
	s, errs, gone := e.facade()
	raw := "ACK\nid:no-such-ack-" + runID + "\nmessage-id:no-such-message\nsubscription:no-such-sub\n\n\x00"
	_, err := s.Config("SendCustomFrame=" + hex.EncodeToString([]byte(raw)))
	require.NoError(e.t, err)
	e.serverError(errs, gone)
}

// ourLimit: a message over the client's own body limit ends the connection
// with a clear limit error, and nothing leaks.
func ourLimit(e *env) {
	c := mustConn(e.t, actors.ConnOptions{})
	defer c.Close()
	cfg := e.config(func(cfg *actors.ConnectConfig) { cfg.Limits = frames.Limits{MaxBody: 1024} })
	_, err := c.Connect(e.ctx, cfg)
	require.NoError(e.t, err)
	q := e.p.Queue(e.name())
	_, _ = e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	p := e.client()
	send(e, p, q, make([]byte, 4096))
	deadline := time.After(20 * time.Second)
	for c.State() != actors.Disconnected {
		select {
		case <-deadline:
			e.t.Fatal("the oversized message did not end the connection")
		case <-time.After(10 * time.Millisecond):
		}
	}
	err = c.Send(e.ctx, frames.New(frames.CmdSend, frames.HdrDestination, q), 0, true)
	assert.ErrorIs(e.t, err, actors.ErrNotConnected)
}

// brokerRefusesOversized: a frame over the broker's own limit is refused
// with an ERROR or a closed connection, reported clearly.
func brokerRefusesOversized(e *env) {
	s, errs, gone := e.facade()
	big := make([]byte, e.p.BrokerMaxFrame+1024)
	err := s.SendData(e.p.Queue(e.name()), big)
	if err == nil {
		select {
		case ev := <-errs:
			err = ev.Err
		case ev := <-gone:
			err = ev.Err
		case <-time.After(20 * time.Second):
			e.t.Fatal("the broker neither refused nor closed")
		}
	}
	var ae *api.Error
	require.True(e.t, errors.As(err, &ae), "%v", err)
	assert.Contains(e.t, []int{api.CodeServerError, api.CodeConnectionLost}, ae.Code, "%v", err)
}
