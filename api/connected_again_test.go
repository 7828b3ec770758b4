package api

import (
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A second CONNECTED in the middle of a STOMP 1.2 connection is reported
// (OnError, ErrProtocol) and, by the session, ignored: ProtocolVersion
// stays 1.2. But the reader switches its decoder to the version that
// frame names (none: 1.0), so the broker's next frames, valid 1.2, are
// read as 1.0: an escaped header arrives with its backslashes, and a
// frame with CRLF line ends (1.2 only) ends the connection as a protocol
// violation.
func TestSecondConnectedDoesNotChangeTheDecodersVersion(t *testing.T) {
	srv := newScripted12(t, func(conn net.Conn, f *frames.Frame) bool {
		switch f.Command {
		case frames.CmdSubscribe:
			id := f.Header("id")
			_, _ = conn.Write([]byte("CONNECTED\n\n\x00" +
				"MESSAGE\nsubscription:" + id + "\nmessage-id:m1\ndestination:/q\nx-esc:a\\cb\n\none\x00" +
				"MESSAGE\r\nsubscription:" + id + "\r\nmessage-id:m2\r\ndestination:/q\r\n\r\ntwo\x00"))
		case frames.CmdDisconnect:
			if r := f.Header("receipt"); r != "" {
				_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + r + "\n\n\x00"))
			}
			return false
		}
		return true
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(5*time.Second))
	errs := collect(s.OnError)
	dis := collect(s.OnDisconnected)
	msgs := make(chan *MessageInEvent, 4)
	s.OnMessageIn(func(e *MessageInEvent) { msgs <- e })
	require.NoError(t, s.Connect(srv.host, srv.port))
	_, err := s.Subscribe("/q", false)
	require.NoError(t, err)
	e := recv(t, errs)
	require.ErrorIs(t, e.Err, ErrProtocol, "the stray CONNECTED is reported")
	m1 := recv(t, msgs)
	var esc string
	for _, h := range m1.Headers {
		if h.Key == "x-esc" {
			esc = h.Value
		}
	}
	select {
	case d := <-dis:
		t.Errorf("the connection ended: %v", d.Err)
	case m2 := <-msgs:
		require.Equal(t, "two", string(m2.Data))
	case <-time.After(wait):
		t.Fatal("neither the second message nor the end")
	}
	require.Equal(t, "a:b", esc, "a 1.2 escape read as 1.0 after the stray CONNECTED")
}
