package api

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// noLeaks checks, after every other cleanup of the test, that no goroutine
// is left.
func noLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

func wsScript(t *testing.T, script func(c net.Conn, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	h, p := relay(t, ln, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		script(c, req)
	})
	return "ws://" + net.JoinHostPort(h, strconv.Itoa(p)) + "/ws"
}

// wsSTOMPServer answers CONNECT with CONNECTED over a WebSocket, then runs after.
func wsSTOMPServer(t *testing.T, after func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00")); err != nil {
			return
		}
		after(ctx, c)
	}))
	t.Cleanup(func() { cancel(); srv.Close(); wg.Wait() })
	return "ws://" + srv.Listener.Addr().String() + "/ws"
}

// scriptProxy listens on 127.0.0.1:0 and runs script for each connection.
func scriptProxy(t *testing.T, script func(c net.Conn)) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	return relay(t, ln, script)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
