package api

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A broker that answers DISCONNECT with the start of a frame and then
// hangs up (io.ErrUnexpectedEOF on the client's reader) ends the
// connection during the call: Disconnect's error carries the code its
// DisconnectedEvent has, 203 ErrConnectionLost, not 900 "anything else"
// with the bare message "stomp: error: unexpected EOF".
func TestDisconnectAnsweredByPartialFrameIsNotCodeOther(t *testing.T) {
	srv := newScripted12(t, func(conn net.Conn, f *frames.Frame) bool {
		if f.Command == frames.CmdDisconnect {
			_, _ = conn.Write([]byte("MESSAGE\nsubscription:x\nmessage-id:m4"))
			return false // the script's end hangs up mid-frame
		}
		return true
	})
	s := newClient(t, WithSupportedVersions("1.2"))
	dis := collect(s.OnDisconnected)
	require.NoError(t, s.Connect(srv.host, srv.port))
	err := s.Disconnect()
	ev := recv(t, dis)
	t.Logf("Disconnect: %v; DisconnectedEvent: %d %v", err, ev.StatusCode, ev.Err)
	var e *Error
	require.Error(t, err, "the broker hung up inside a frame")
	require.True(t, errors.As(err, &e), "an *Error: %T", err)
	require.NotEqual(t, CodeOther, e.Code, "Disconnect's error is 900 ErrOther: %v", err)
	require.Equal(t, ev.StatusCode, e.Code, "Disconnect and its DisconnectedEvent tell the same end")
	require.ErrorIs(t, err, ErrConnectionLost)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the cause is kept")
	require.NotEqual(t, CodeOther, ev.StatusCode, "DisconnectedEvent is 900 ErrOther: %v", ev.Err)
}

// A bare end of the socket (an EOF between frames or inside one) that
// reaches a call whose default code is 900 is the connection lost, as a
// net.Error is: no call reports a network end as "anything else".
func TestSocketEndsAreConnectionLostNotCodeOther(t *testing.T) {
	for _, cause := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}} {
		e := toError(cause, CodeOther, func(s string) string { return s })
		require.Equal(t, CodeConnectionLost, e.Code, "%v", cause)
		require.ErrorIs(t, e, cause)
	}
}
