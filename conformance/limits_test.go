package conformance

import (
	"errors"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/frames"
)

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
		err = e.failure(errs, gone, "the broker neither refused nor closed")
	}
	var ae *api.Error
	require.True(e.t, errors.As(err, &ae), "%v", err)
	assert.Contains(e.t, []int{api.CodeServerError, api.CodeConnectionLost}, ae.Code, "%v", err)
}
