package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A frame larger than the piece an inactivity-bounded write carries
// still goes out as one WebSocket message: brokers may take one STOMP
// frame per message, and a frame split across messages is then refused
// or misread.
func TestALargeFrameOverWebSocketIsOneMessage(t *testing.T) {
	type seen struct {
		size  int
		whole bool // ends a frame (its NUL, maybe EOLs after it), or is a heart-beat
	}
	got := make(chan seen, 64)
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(8 << 20)
		ctx := r.Context()
		if _, _, err := c.Read(ctx); err != nil { // CONNECT
			return
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
			return
		}
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			rest := bytes.TrimRight(msg, "\r\n")
			got <- seen{size: len(msg), whole: len(rest) == 0 || rest[len(rest)-1] == 0}
			if bytes.HasPrefix(msg, []byte("DISCONNECT")) {
				_ = c.Close(websocket.StatusNormalClosure, "")
				return
			}
		}
	}))
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})

	s := newClient(t, WithWebSocketURL("ws"+strings.TrimPrefix(srv.URL, "http")+"/stomp"), WithTimeout(10*time.Second))
	require.False(t, s.cfg.absoluteTimeout, "the default makes writes inactivity-bounded, in pieces")
	require.NoError(t, s.Connect("", 0))
	body := bytes.Repeat([]byte("w"), 1<<20) // four pieces' worth
	require.NoError(t, s.SendDataContext(context.Background(), "/queue/whole", body))
	require.NoError(t, s.Disconnect())

	total := 0
	for total < len(body) {
		m := recv(t, got)
		assert.True(t, m.whole, "a WebSocket message of %d bytes ends inside a frame", m.size)
		total += m.size
	}
}
