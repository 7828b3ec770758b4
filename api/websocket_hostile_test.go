package api

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile WebSocket servers give typed errors within ConnectionTimeout and
// leak nothing.
func TestWebSocketHostileServersGiveTypedBoundedErrors(t *testing.T) {
	cases := map[string]struct {
		script func(c net.Conn, req *http.Request)
		want   error
	}{
		"never answers": {func(c net.Conn, _ *http.Request) { _, _ = io.Copy(io.Discard, c) }, ErrTimeout},
		"bad accept key": {func(c net.Conn, _ *http.Request) {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n")
			_, _ = io.Copy(io.Discard, c)
		}, ErrConnectFailed},
		"redirect": {func(c net.Conn, _ *http.Request) {
			_, _ = io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: ws://evil/\r\nContent-Length: 0\r\n\r\n")
			_, _ = io.Copy(io.Discard, c)
		}, ErrConnectFailed},
		"garbage": {func(c net.Conn, _ *http.Request) {
			_, _ = io.WriteString(c, "\x00\xff garbage\r\n\r\n")
			_, _ = io.Copy(io.Discard, c)
		}, ErrConnectFailed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			url := wsScript(t, tc.script)
			s := newClient(t, WithWebSocketURL(url), WithConnectionTimeout(500*time.Millisecond))
			start := time.Now()
			err := s.Connect("", 0)
			assert.ErrorIs(t, err, tc.want, "got code %d: %v", codeOf(err), err)
			assert.Less(t, time.Since(start), 3*time.Second)
		})
	}
}

func TestCloseEndsAHangingWebSocketUpgrade(t *testing.T) {
	noLeaks(t)
	accepted := make(chan struct{}, 1)
	url := wsScript(t, func(c net.Conn, _ *http.Request) { accepted <- struct{}{}; _, _ = io.Copy(io.Discard, c) })
	s := NewSTOMP(WithWebSocketURL(url), WithTimeout(0))
	require.NoError(t, s.Connect("", 0))
	recv(t, accepted)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the upgrade hung")
	}
}

// A refused upgrade (403) whose body runs to the end of the connection,
// from a server that keeps the connection open, is ErrConnectFailed with
// the HTTP status as soon as the head is in hand, not ErrTimeout after the
// whole ConnectionTimeout. Found by the transport review.
func TestWebSocketRefusedUpgradeWithAnOpenEndedBodyIsConnectFailedAtOnce(t *testing.T) {
	noLeaks(t)
	url := wsScript(t, func(c net.Conn, _ *http.Request) {
		_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nnot for you\n")
		_, _ = io.Copy(io.Discard, c)
	})
	s := newClient(t, WithWebSocketURL(url), WithConnectionTimeout(2*time.Second))
	start := time.Now()
	err := s.Connect("", 0)
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, ErrConnectFailed, "got code %d: %v", codeOf(err), err)
	assert.Contains(t, errString(err), "HTTP 403")
	assert.Less(t, elapsed, time.Second, "the 403 was in hand at once")
}

// A WebSocketURL's query token appears neither in Connect's error nor in
// the log, even when the server drops the connection during the upgrade
// and the cause is net/http's *url.Error, whose text quoted the whole URL
// (RedactURL: "fit for logs and errors"); the chain still holds the
// *url.Error, its URL redacted. Found by the transport review.
func TestWebSocketConnectErrorHidesTheQueryToken(t *testing.T) {
	const token = "tok-5f2a9c7e1b"
	u := wsScript(t, func(c net.Conn, _ *http.Request) {}) // reads the request, closes
	s := newClient(t, WithWebSocketURL(u+"?access_token="+token), WithConnectionTimeout(5*time.Second), WithLogLevel(3))
	logs := collect(s.OnLog)
	err := s.Connect("", 0)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token, "code %d: %v", codeOf(err), err)
	assert.ErrorIs(t, err, ErrConnectFailed)
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "the chain is kept")
	assert.NotContains(t, ue.URL, token)
	for len(logs) > 0 {
		l := <-logs
		assert.NotContains(t, l.Message, token)
	}
}
