package actors

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A server that negotiates heart-beats and then says nothing loses the
// connection to the heart-beat checker.
func TestHostileHeartbeatSilence(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2", "heart-beat", "100,0"), nil)
	c, rec := newTestClient(t, ConnOptions{})
	info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 100 * time.Millisecond})
	require.Equal(t, 100*time.Millisecond, info.HeartbeatIn)
	expectFrame(t, got, frames.CmdConnect)
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrHeartbeatMissed)
	require.Equal(t, Disconnected, c.State())
	require.Equal(t, int64(1), c.Stats().HeartbeatsMissed)
	st := waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "lost" })
	require.Contains(t, st.Detail, "no data from the server")
	require.ErrorIs(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true), ErrNotConnected)
}

// floodBroker answers SUBSCRIBE with n MESSAGE frames in one write, then
// beats every 20 ms (so the connection is healthy whenever the client
// reads) until the client hangs up.
func floodBroker(t *testing.T, n int) (*scriptedServer, chan *frames.Frame) {
	got := make(chan *frames.Frame, 4096)
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		p := &peer{conn: conn, r: r, got: got}
		if _, err := p.read(); err != nil {
			return
		}
		p.write(connectedFrame("1.2", "heart-beat", "20,0"))
		f, err := p.read()
		if err != nil || f.Command != frames.CmdSubscribe {
			return
		}
		var b strings.Builder
		for i := range n {
			b.WriteString(message(frames.V12, f.Header("id"), itoa(i), "/flood", "payload-"+itoa(i)))
		}
		p.write(b.String())
		ended := make(chan struct{})
		go func() { p.drain(); close(ended) }()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				p.write("\n")
			case <-ended:
				return
			}
		}
	})
	return srv, got
}

// FullBlock: a slow handler stops the reader (TCP pushes back on the
// server), nothing is lost, and the pause is not server silence.
func TestHostileFloodFullBlock(t *testing.T) {
	const n = 50
	srv, got := floodBroker(t, n)
	c, rec := newTestClient(t, ConnOptions{})
	info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 100 * time.Millisecond})
	require.Equal(t, 100*time.Millisecond, info.HeartbeatIn)
	expectFrame(t, got, frames.CmdConnect)
	l := c.link.Load()
	require.NotNil(t, l)

	release := make(chan struct{})
	var seen []string
	all := make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/flood", QueueSize: 2, OnFull: FullBlock, Handler: func(m Message) AckAction {
		<-release
		seen = append(seen, m.MessageID)
		if len(seen) == n {
			close(all)
		}
		return AckNone
	}})
	require.NoError(t, err)
	waitFor(t, "the reader to pause", func() bool { return l.stats.readPaused.Load() })
	// Hold the handler until the checker has seen three heart-beat
	// limits without a byte read: that silence is ours, not the server's.
	limit := time.Duration(float64(info.HeartbeatIn) * 1.5)
	waitFor(t, "a long pause", func() bool { return time.Since(time.Unix(0, l.stats.lastRead.Load())) > 3*limit })
	require.Equal(t, Connected, c.State())
	close(release)
	recv(t, all, "every message")
	for i, id := range seen {
		require.Equal(t, itoa(i), id, "in order")
	}
	require.Equal(t, Connected, c.State())
	require.Zero(t, c.Stats().HeartbeatsMissed)
	require.Zero(t, c.Stats().Dropped)
	require.Equal(t, int64(n), c.Stats().MessagesIn)
	require.Zero(t, count[*DisconnectedEvent](rec, nil))
}

// FullDrop: what does not fit is dropped and counted.
func TestHostileFloodFullDrop(t *testing.T) {
	const n = 10
	srv, got := floodBroker(t, n)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 100 * time.Millisecond})
	expectFrame(t, got, frames.CmdConnect)
	release := make(chan struct{})
	var handled atomic.Int64
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/flood", QueueSize: 1, OnFull: FullDrop, Handler: func(m Message) AckAction {
		<-release
		handled.Add(1)
		return AckNone
	}})
	require.NoError(t, err)
	waitFor(t, "the drops", func() bool { return c.Stats().Dropped == n-1 })
	close(release)
	waitFor(t, "the kept message", func() bool { return handled.Load() == 1 })
	require.Equal(t, Connected, c.State())
	// Every MESSAGE received is counted, the dropped ones too; one
	// was delivered.
	require.Equal(t, int64(n), c.Stats().MessagesIn)
	require.Equal(t, int64(1), c.Subscriptions()[0].Delivered)
}

// FullError: an overflow ends the connection with ErrQueueFull.
func TestHostileFloodFullError(t *testing.T) {
	srv, got := floodBroker(t, 10)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	release := make(chan struct{})
	defer close(release)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/flood", QueueSize: 1, OnFull: FullError, Handler: func(m Message) AckAction {
		<-release
		return AckNone
	}})
	require.NoError(t, err)
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrQueueFull)
}

// A slow handler fills only its own subscription's queue.
func TestHostileSlowSubscriptionDoesNotStallOthers(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(message(frames.V12, "slow", "s1", "/slow", "") + message(frames.V12, "slow", "s2", "/slow", "") +
				message(frames.V12, "fast", "f1", "/fast", "") + message(frames.V12, "slow", "s3", "/slow", "") +
				message(frames.V12, "fast", "f2", "/fast", "") + message(frames.V12, "fast", "f3", "/fast", ""))
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	release := make(chan struct{})
	slow := make(chan string, 3)
	fast := make(chan string, 3)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "slow", Destination: "/slow", QueueSize: 8, Handler: func(m Message) AckAction {
		<-release
		slow <- m.MessageID
		return AckNone
	}})
	require.NoError(t, err)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "fast", Destination: "/fast", Handler: func(m Message) AckAction {
		fast <- m.MessageID
		return AckNone
	}})
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/go"), 0, true))
	for _, want := range []string{"f1", "f2", "f3"} {
		require.Equal(t, want, recv(t, fast, want))
	}
	require.Empty(t, slow, "the slow handler is still blocked")
	close(release)
	for _, want := range []string{"s1", "s2", "s3"} {
		require.Equal(t, want, recv(t, slow, want))
	}
}

// Unsubscribing a subscription whose full queue blocks the reader lets the
// reader go on at once, though the handler is still busy: the rest of its
// messages are dropped, others flow.
func TestUnsubscribeWhileReaderBlocked(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		switch {
		case f.Command == frames.CmdSend && f.Header("destination") == "/go":
			var b strings.Builder
			for i := range 5 {
				b.WriteString(message(frames.V12, "blocked", itoa(i), "/b", ""))
			}
			p.write(b.String())
		case f.Command == frames.CmdSend && f.Header("destination") == "/ping":
			p.write(message(frames.V12, "other", "pong", "/o", ""))
		}
		receiptFor(p, f)
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	l := c.link.Load()
	release := make(chan struct{})
	defer close(release) // only after the test: Close waits for handlers
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "blocked", Destination: "/b", QueueSize: 1, Handler: func(m Message) AckAction {
		<-release
		return AckNone
	}})
	require.NoError(t, err)
	other := make(chan string, 1)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "other", Destination: "/o", Handler: func(m Message) AckAction {
		other <- m.MessageID
		return AckNone
	}})
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/go"), 0, true))
	waitFor(t, "the reader to block", func() bool { return l.stats.readPaused.Load() })
	require.NoError(t, c.Unsubscribe(testCtx(t), "blocked", 0))
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/ping"), 5*time.Second, true), "the reader reads again")
	require.Equal(t, "pong", recv(t, other, "the other subscription's message"))
	require.Equal(t, Connected, c.State())
}

// A MESSAGE for a subscription the client does not have (one that just
// ended, while the broker was already sending to it) is a normal race: it
// is counted as dropped, not raised as a server error.
func TestHostileMessageForUnknownSubscription(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(message(frames.V12, "ghost", "m1", "/q", "boo"))
		}
		receiptFor(p, f)
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	waitFor(t, "the message to be counted as dropped", func() bool { return c.Stats().Dropped == 1 })
	waitEvent[*LogEvent](t, rec, func(e *LogEvent) bool { return strings.Contains(e.Message, `"ghost"`) })
	require.Zero(t, count[*ErrorEvent](rec, nil), "no error is raised")
	require.Equal(t, Connected, c.State())
	require.NoError(t, c.Begin(testCtx(t), "still-up", 5*time.Second))
}

func TestHostileErrorWithoutClosing(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(rawFrame("ERROR", "details", "message", "something odd", "x-code", "42"))
		}
		receiptFor(p, f)
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ee := waitEvent[*ErrorEvent](t, rec, nil)
	var se *Error
	require.ErrorAs(t, ee.Err, &se)
	require.Equal(t, "something odd", se.Headers.Value("message"))
	require.Equal(t, "42", se.Headers.Value("x-code"))
	require.Equal(t, "details", string(se.Body))
	require.Equal(t, Connected, c.State())
	require.NoError(t, c.Begin(testCtx(t), "still-up", 5*time.Second))
}

func TestHostileErrorThenClose(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(rawFrame("ERROR", "", "message", "shutting down"))
			return false
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	var se *Error
	require.ErrorAs(t, ev.Err, &se)
	require.Equal(t, "shutting down", se.Headers.Value("message"))
	require.Equal(t, Disconnected, c.State())
}

// A server that closes in the middle of a frame: the connection is lost
// with io.ErrUnexpectedEOF, and callers waiting see it.
func TestHostileCloseMidFrame(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write("MESSAGE\nsubscription:s\nmessage-id:1\ncontent-length:100\n\nonly some of it")
			return false
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, true)
	require.ErrorIs(t, err, ErrConnectionLost)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, io.ErrUnexpectedEOF)
	require.Equal(t, Disconnected, c.State())
}

func TestHostileFrameOverLimits(t *testing.T) {
	cases := []struct {
		name  string
		lim   frames.Limits
		frame string
		which frames.Limit
	}{
		{"body by content-length", frames.Limits{MaxBody: 1024}, "MESSAGE\nsubscription:s\ncontent-length:5000\n\n" + strings.Repeat("x", 5000) + "\x00", frames.LimitBody},
		{"body without content-length", frames.Limits{MaxBody: 1024}, "MESSAGE\nsubscription:s\n\n" + strings.Repeat("x", 5000) + "\x00", frames.LimitBody},
		{"header count", frames.Limits{MaxHeaders: 5}, rawFrame("MESSAGE", "", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"), frames.LimitHeaders},
		{"header line", frames.Limits{MaxHeaderLine: 64}, rawFrame("MESSAGE", "", "k", strings.Repeat("v", 200)), frames.LimitHeaderLine},
		{"command", frames.Limits{}, strings.Repeat("A", 100) + "\n\n\x00", frames.LimitCommand},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
				if f.Command == frames.CmdSend {
					p.write(tc.frame)
				}
				return true
			})
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Limits: tc.lim})
			expectFrame(t, got, frames.CmdConnect)
			require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
			ev := waitEvent[*DisconnectedEvent](t, rec, nil)
			var le *frames.LimitError
			require.ErrorAs(t, ev.Err, &le)
			require.Equal(t, tc.which, le.Limit)
			require.ErrorIs(t, ev.Err, frames.ErrLimit)
		})
	}
}

func TestHostileGarbageAfterConnect(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write("NONSENSE\n\n\x00")
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, frames.ErrSyntax)
}

// A server frame a client never expects after CONNECT (a second
// CONNECTED) is reported and ignored.
func TestHostileUnexpectedFrame(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(connectedFrame("1.2"))
		}
		receiptFor(p, f)
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ee := waitEvent[*ErrorEvent](t, rec, nil)
	require.ErrorIs(t, ee.Err, ErrProtocol)
	require.NoError(t, c.Begin(testCtx(t), "still-up", 5*time.Second))
}

// A handler that panics is reported, its message NACKed (1.1 and later;
// 1.0 has no NACK and leaves it unacknowledged), and the subscription
// keeps delivering.
func TestHostileHandlerPanics(t *testing.T) {
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(vc.hdr), onSubscribe(func(f *frames.Frame) string {
				return message(vc.v, f.Header("id"), "m1", "/q", "boom") + message(vc.v, f.Header("id"), "m2", "/q", "fine")
			}))
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
			expectFrame(t, got, frames.CmdConnect)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/q", Mode: AckClientIndividual, Handler: func(m Message) AckAction {
				if string(m.Body) == "boom" {
					panic("handler exploded")
				}
				return AckAck
			}})
			require.NoError(t, err)
			expectFrame(t, got, frames.CmdSubscribe)
			ee := waitEvent[*ErrorEvent](t, rec, nil)
			require.ErrorContains(t, ee.Err, "handler exploded")
			if vc.v >= frames.V11 {
				requireAck(t, expectFrame(t, got, frames.CmdNack), vc.v, "s1", "m1", "")
			}
			requireAck(t, expectFrame(t, got, frames.CmdAck), vc.v, "s1", "m2", "")
			require.Equal(t, int64(1), c.Stats().Panics)
			require.Equal(t, Connected, c.State())
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
			c.Close()
			require.Equal(t, 1, count[*ErrorEvent](rec, nil), "one report for one panic: %s", describe(rec.all()))
		})
	}
}

// A server that vanishes (connection reset) is a lost connection, and the
// error says why.
func TestHostileReset(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			if tc, ok := p.conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			return false
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.Error(t, ev.Err)
	var ne net.Error
	require.True(t, errors.As(ev.Err, &ne) || errors.Is(ev.Err, io.EOF), "%v", ev.Err)
}
