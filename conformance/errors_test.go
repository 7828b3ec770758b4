package conformance

import (
	"encoding/hex"
	"errors"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// serverError waits for the broker's ERROR, reported as an error event or
// as the reason the connection ended, and returns it as code 600.
func (e *env) serverError(errs chan *api.ErrorEvent, gone chan *api.DisconnectedEvent) *api.Error {
	e.t.Helper()
	err := e.failure(errs, gone, "no ERROR from the broker within 20s")
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

// failure returns the error of the next ErrorEvent or DisconnectedEvent,
// and fails the test with complaint when none comes within 20 s.
func (e *env) failure(errs chan *api.ErrorEvent, gone chan *api.DisconnectedEvent, complaint string) error {
	e.t.Helper()
	select {
	case ev := <-errs:
		return ev.Err
	case ev := <-gone:
		return ev.Err
	case <-time.After(20 * time.Second):
		e.t.Fatal(complaint)
		return nil
	}
}
