package actors

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// The deadline an idle reader's wait leaves armed (so that it is not armed
// again at every message) may pass while the decoder waits for the rest of
// a frame: the read is made again and nothing is lost. The broker here
// sends half a frame, then pauses for longer than the reader's settle
// time before sending the rest: the pause is the scenario, not a wait for
// the test's sake.
func TestArmedDeadlinePassingInsideAFrameLosesNothing(t *testing.T) {
	// first is closed once the reader handled m-1 and waits again, its
	// deadline armed.
	srv, first := pausingBroker(t, func(p *peer, id string) {
		m2 := message(frames.V12, id, "m-2", "/q", "second, sent in two parts")
		p.write(m2[:len(m2)/2])
		time.Sleep(3 * settle)
		p.write(m2[len(m2)/2:])
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	msgs := make(chan string, 4)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Handler: func(m Message) AckAction {
		msgs <- m.MessageID + " " + string(m.Body)
		return AckNone
	}})
	require.NoError(t, err)
	require.Equal(t, "m-1 first", recv(t, msgs, "the first message"))
	close(first)
	require.Equal(t, "m-2 second, sent in two parts", recv(t, msgs, "the message split by a pause"))
	require.Equal(t, Connected, c.State())
}

// A reader the connection stayed quiet on hands its wait to a fresh
// goroutine and drops its decoder; the decoder made when bytes come
// decodes as the connection's version says (here 1.2's header escapes).
// The broker's pause, longer than the settle time, is the scenario.
func TestQuietReaderDecodesWithTheNegotiatedVersion(t *testing.T) {
	srv, first := pausingBroker(t, func(p *peer, id string) {
		time.Sleep(3 * settle)
		p.write(message(frames.V12, id, "m-2", "/q", "after the pause", "note", `a\cb\\c`))
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	msgs := make(chan string, 4)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Handler: func(m Message) AckAction {
		note, _ := m.Headers.Get("note")
		msgs <- m.MessageID + " " + string(m.Body) + " " + note
		return AckNone
	}})
	require.NoError(t, err)
	require.Equal(t, "m-1 first ", recv(t, msgs, "the first message"))
	close(first)
	require.Equal(t, `m-2 after the pause a:b\c`, recv(t, msgs, "the message after the pause"))
	require.Equal(t, Connected, c.State())
}

// pausingBroker answers CONNECTED and the first SUBSCRIBE with a message
// m-1, then, once the test closes the returned channel (the reader has
// handled m-1 and waits again), lets then write the rest on the
// subscription id.
func pausingBroker(t *testing.T, then func(p *peer, id string)) (*scriptedServer, chan struct{}) {
	got := make(chan *frames.Frame, 16)
	first := make(chan struct{})
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		p := &peer{conn: conn, r: r, got: got}
		if _, err := p.read(); err != nil {
			return
		}
		p.write(connectedFrame("1.2"))
		f, err := p.read()
		if err != nil || f.Command != frames.CmdSubscribe {
			return
		}
		id := f.Header("id")
		p.write(message(frames.V12, id, "m-1", "/q", "first"))
		<-first
		then(p, id)
		p.drain()
	})
	return srv, first
}
