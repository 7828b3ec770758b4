package api

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireNoDisconnectReceipt checks that err says, as code 301, that the
// broker did not confirm DISCONNECT.
func requireNoDisconnectReceipt(t *testing.T, err error) {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, CodeReceiptTimeout, e.Code)
	assert.ErrorIs(t, err, ErrReceiptTimeout)
	assert.Contains(t, e.Message, "did not confirm DISCONNECT")
}

// A broker that never answers DISCONNECT and keeps the socket open holds
// Disconnect for DisconnectTimeout, not Timeout.
func TestDisconnectTimeoutBoundsTheWait(t *testing.T) {
	closed := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		defer close(closed)
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		for {
			if _, err := readFrame(d); err != nil {
				return // the client closed the socket
			}
		}
	})
	s := newClient(t, WithTimeout(time.Hour), WithDisconnectTimeout(200*time.Millisecond))
	require.NoError(t, s.Connect(srv.host, srv.port))
	done := make(chan error, 1)
	go func() { done <- s.Disconnect() }()
	err := recv(t, done)
	requireNoDisconnectReceipt(t, err)
	assert.Contains(t, err.Error(), "within 200ms")
	recv(t, closed)
}

func TestDisconnectTimeoutSetting(t *testing.T) {
	s := newClient(t)
	v, err := s.Config("DisconnectTimeout")
	require.NoError(t, err)
	assert.Equal(t, "5", v)
	_, err = s.Config("DisconnectTimeout=2")
	require.NoError(t, err)
	v, _ = s.Config("DisconnectTimeout")
	assert.Equal(t, "2", v)
	_, err = s.Config("DisconnectTimeout=-1")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	require.ErrorIs(t, newClient(t, WithDisconnectTimeout(-time.Second)).Connect("127.0.0.1", 1), ErrInvalidArgument)
}
