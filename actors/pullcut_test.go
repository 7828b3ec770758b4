package actors

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A caller of Receive that reads the connection itself returns when its
// context ends even while the broker has stopped in the middle of a
// frame; what was read of the frame is kept, and once the broker sends
// the rest the next Receive has the message whole.
func TestReceiveEndsWithItsContextInTheMiddleOfAFrame(t *testing.T) {
	if !callersRead {
		t.Skip("callers of Receive do not read the connection on this platform")
	}
	beat := make(chan struct{}, 1)
	partial := make(chan struct{})
	finish := make(chan struct{})
	const head = "MESSAGE\nsubscription:%s\nmessage-id:1\ndestination:/q\ncontent-length:10\n\nhal"
	srv := beatingBroker(t, beat, partial, func(p *peer, sub *frames.Frame) {
		p.write(fmt.Sprintf(head, sub.Header("id")))
		<-finish
		p.write("f-of-it\x00")
		p.drain()
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s", Destination: "/q", Pull: true, Receipt: 5 * time.Second})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Receive(ctx, id)
		done <- err
	}()
	waitFor(t, "the caller to read the connection", func() bool {
		select {
		case beat <- struct{}{}:
		default:
		}
		p := c.link.Load().rd.pr.Load()
		if p == nil {
			return false
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.role == roleCaller && p.inWait
	})
	before := c.Stats().BytesIn
	close(partial)
	waitFor(t, "the caller to read the first bytes of the frame", func() bool {
		return c.Stats().BytesIn >= before+int64(len(fmt.Sprintf(head, id)))
	})
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Receive did not return when its context ended: the broker stopped in the middle of a frame")
	}

	close(finish)
	m, err := c.Receive(testCtx(t), id)
	require.NoError(t, err)
	require.Equal(t, "half-of-it", string(m.Body))
	require.Equal(t, "1", m.MessageID)
}

// beatingBroker answers CONNECT and SUBSCRIBE (with its RECEIPT), then
// writes a heart-beat at each send on beat (which wakes the reader, and
// a reader with a caller waiting in Receive leaves it the reading) until
// until closes; then rest goes on with the SUBSCRIBE frame.
func beatingBroker(t *testing.T, beat, until <-chan struct{}, rest func(p *peer, sub *frames.Frame)) *scriptedServer {
	got := make(chan *frames.Frame, 64)
	return newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		p := &peer{conn: conn, r: r, got: got}
		if _, err := p.read(); err != nil {
			return
		}
		p.write(connectedFrame("1.2"))
		f, err := p.read() // SUBSCRIBE
		if err != nil {
			return
		}
		receiptFor(p, f)
		for {
			select {
			case <-beat:
				p.write("\n")
			case <-until:
				rest(p, f)
				return
			}
		}
	})
}
