package transport

import (
	"bufio"
	"io"
	"net"
	"net/http"
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
