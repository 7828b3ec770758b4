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
