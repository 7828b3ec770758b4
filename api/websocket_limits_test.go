package api

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server message over the WebSocket read limit ends the connection with
// ErrFrameLimit (doc: "incoming text and binary messages are both read,
// each bounded in size").
func TestWebSocketOversizedMessageIsFrameLimit(t *testing.T) {
	noLeaks(t)
	url := wsSTOMPServer(t, func(ctx context.Context, c *websocket.Conn) {
		_ = c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte("x"), 6<<20))
		_, _, _ = c.Read(ctx)
	})
	s := newClient(t, WithWebSocketURL(url))
	gone := collect(s.OnDisconnected)
	require.NoError(t, s.Connect("", 0))
	ev := recv(t, gone)
	assert.ErrorIs(t, ev.Err, ErrFrameLimit, "got code %d: %v", ev.StatusCode, ev.Err)
}

// wsMessageServer answers CONNECT, waits for SUBSCRIBE and sends, in one
// WebSocket message, a MESSAGE frame of that subscription for each body.
func wsMessageServer(t *testing.T, bodies ...[]byte) string {
	return wsSTOMPServer(t, func(ctx context.Context, c *websocket.Conn) {
		_, data, err := c.Read(ctx) // SUBSCRIBE
		if err != nil {
			return
		}
		id := ""
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "id:"); ok {
				id = v
			}
		}
		var msg []byte
		for i, body := range bodies {
			msg = append(msg, "MESSAGE\ndestination:/queue/big\nmessage-id:"+strconv.Itoa(i)+"\nsubscription:"+id+"\ncontent-length:"+strconv.Itoa(len(body))+"\n\n"...)
			msg = append(append(msg, body...), 0)
		}
		_ = c.Write(ctx, websocket.MessageBinary, msg)
		_, _, _ = c.Read(ctx)
	})
}

// A WebSocket message over the read limit whose frames are each within
// the receive limits (two 3 MiB frames in one message) ends the
// connection with ErrFrameLimit naming the setting that raises the read
// limit, whether it is the default or follows MaxFrameSize. Found by the
// transport review (no setting raised it, and none was named).
func TestWebSocketMessageOverTheReadLimitNamesTheSetting(t *testing.T) {
	for name, limits := range map[string]ReceiveLimits{
		"default limits":                 {},
		"MaxFrameSize under MaxBodySize": {MaxBody: 16 << 20, MaxFrame: 5 << 20},
	} {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			body := bytes.Repeat([]byte("x"), 3<<20)
			s := newClient(t, WithWebSocketURL(wsMessageServer(t, body, body)), WithReceiveLimits(limits))
			gone := collect(s.OnDisconnected)
			require.NoError(t, s.Connect("", 0))
			_, err := s.SubscribeWith(context.Background(), "/queue/big", SubscribeOptions{Handler: func(*MessageInEvent) {}})
			require.NoError(t, err)
			ev := recv(t, gone)
			assert.ErrorIs(t, ev.Err, ErrFrameLimit, "got code %d: %v", ev.StatusCode, ev.Err)
			assert.Contains(t, errString(ev.Err), "raise it with the MaxFrameSize setting")
		})
	}
}

// The WebSocket read limit follows ReceiveLimits: a client that raised
// MaxBodySize to 16 MiB receives a 6 MiB message over a WebSocket as it
// does over TCP (the transport's default 4.5 MiB limit applied whatever
// the settings said). Found by the transport review.
func TestWebSocketReadLimitFollowsMaxBodySize(t *testing.T) {
	noLeaks(t)
	body := bytes.Repeat([]byte("x"), 6<<20)
	url := wsMessageServer(t, body)
	s := newClient(t, WithWebSocketURL(url), WithReceiveLimits(ReceiveLimits{MaxBody: 16 << 20}))
	gone := collect(s.OnDisconnected)
	got := make(chan int, 1)
	require.NoError(t, s.Connect("", 0))
	_, err := s.SubscribeWith(context.Background(), "/queue/big", SubscribeOptions{Handler: func(e *MessageInEvent) { got <- len(e.Data) }})
	require.NoError(t, err)
	select {
	case n := <-got:
		assert.Equal(t, len(body), n)
	case ev := <-gone:
		t.Fatalf("the connection ended: code %d: %v", ev.StatusCode, ev.Err)
	case <-time.After(wait):
		t.Fatal("no message, no disconnection")
	}
}
