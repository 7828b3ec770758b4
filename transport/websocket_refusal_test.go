package transport

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A refused upgrade whose body has no length, from a server that keeps
// the connection open, is WSRefused with the status as soon as the head
// is in hand (and the body that came with it quoted), not a WSIO deadline
// after the dial's whole context. Found by the transport review.
func TestWSRefusedUpgradeWithAnOpenEndedBodyReturnsAtOnce(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nnot for you\n")
		drain(c)
	})
	start := time.Now()
	_, err := WebSocket(nil, "ws://"+addr+"/ws", WSOptions{})(ctxFor(t, 3*time.Second), "tcp", "")
	require.Error(t, err)
	elapsed := time.Since(start)
	we := wsErr(t, err, WSRefused)
	assert.Equal(t, http.StatusForbidden, we.StatusCode)
	assert.Contains(t, we.Msg, "not for you")
	assert.Less(t, elapsed, time.Second, "the status was in hand at once")
}

// A WSIO error whose cause is net/http's *url.Error (the server dropped
// the connection after reading the upgrade request) hides the URL's query
// token in its text, as WSError.URL does, and keeps its chain: the
// *url.Error (its URL redacted too) and io.EOF are still found. Found by
// the transport review.
func TestWSErrorHidesTheQueryTokenInItsCause(t *testing.T) {
	const token = "tok-5f2a9c7e1b"
	addr := rawServer(t, func(c net.Conn) { _, _ = http.ReadRequest(bufio.NewReader(c)) })
	_, err := WebSocket(nil, "ws://"+addr+"/ws?access_token="+token, WSOptions{})(ctxFor(t, wait), "tcp", "")
	we := wsErr(t, err, WSIO)
	assert.NotContains(t, we.URL, token)
	assert.NotContains(t, err.Error(), token)
	assert.Contains(t, err.Error(), "?<redacted>")
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "the chain is kept")
	assert.NotContains(t, ue.URL, token)
	assert.ErrorIs(t, err, io.EOF, "the chain is kept")
}
