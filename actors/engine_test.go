package actors

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// lifecycle keeps the connection-state events, in order, as strings.
func lifecycle(evs []Event) []string {
	var out []string
	for _, e := range evs {
		switch e := e.(type) {
		case *ConnectionStatusEvent:
			out = append(out, "status:"+e.Status)
		case *ConnectedEvent:
			if e.Err != nil {
				out = append(out, "connected:error")
			} else {
				out = append(out, "connected")
			}
		case *DisconnectedEvent:
			if e.Err != nil {
				out = append(out, "disconnected:error")
			} else {
				out = append(out, "disconnected")
			}
		}
	}
	return out
}

func TestEventOrder(t *testing.T) {
	lost, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool { return false })
	clean, _ := newBroker(t, connectedFrame("1.2"), politeBroker)
	refused := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err == nil {
			_, _ = conn.Write([]byte(rawFrame("ERROR", "", "message", "no")))
		}
	})
	c, rec := newTestClient(t, ConnOptions{})

	// A connection the server drops.
	connectTo(t, c, lost.addr(), ConnectConfig{})
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	waitEventN[*DisconnectedEvent](t, rec, 1, nil)
	// A refused attempt.
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: refused.addr()})
	require.Error(t, err)
	waitEventN[*ConnectedEvent](t, rec, 2, nil)
	// A connection we end.
	connectTo(t, c, clean.addr(), ConnectConfig{})
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	waitEventN[*DisconnectedEvent](t, rec, 2, nil)

	require.Equal(t, []string{
		"status:dialing", "status:connected-tcp", "status:connecting", "status:connected", "connected",
		"status:lost", "disconnected:error",
		"status:dialing", "status:connected-tcp", "status:connecting", "connected:error",
		"status:dialing", "status:connected-tcp", "status:connecting", "status:connected", "connected",
		"status:disconnecting", "disconnected",
	}, lifecycle(rec.all()))
}

// Two connections share one engine; closing one stops only its actors.
func TestEngineTwoConnections(t *testing.T) {
	// Writers that never retire, so that each connection has its four.
	e := NewEngine(EngineOptions{WriterLinger: time.Hour})
	defer func() { require.NoError(t, e.Close()) }()

	start := func(name string) (*Conn, chan *Message, chan *frames.Frame) {
		srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
			receiptFor(p, f)
			if f.Command == frames.CmdSend {
				p.write(message(frames.V12, "sub", "m-"+f.Header("destination"), f.Header("destination"), name))
			}
			return true
		})
		c := mustConn(t, e, ConnOptions{})
		connectTo(t, c, srv.addr(), ConnectConfig{})
		msgs := make(chan *Message, 8)
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "sub", Destination: "/q", Handler: func(m Message) AckAction { msgs <- &m; return AckNone }})
		require.NoError(t, err)
		return c, msgs, got
	}
	c1, _, _ := start("one")
	one := e.Actors()
	c2, msgs2, got2 := start("two")
	require.Equal(t, 2*one, e.Actors(), "a connection's actors: session, writer, reader, subscription")
	require.Equal(t, 4, one)
	require.Equal(t, 2, e.Connections())
	require.Same(t, e, c1.Engine())

	c1.Close()
	require.Equal(t, one, e.Actors(), "Close returns once the connection's actors stopped")
	require.Equal(t, Connected, c2.State())
	require.NoError(t, c2.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, true))
	expectFrame(t, got2, frames.CmdConnect)
	m := recv(t, msgs2, "c2's message")
	require.Equal(t, "two", string(m.Body))

	// The handler hands the message over before it returns; Close called
	// while it still runs would not wait for the actors (see Close).
	waitFor(t, "c2's handler to return", func() bool { return c2.callbacks.Load() == 0 })
	c2.Close()
	require.Zero(t, e.Actors())
	require.Zero(t, e.Connections())
	require.Zero(t, e.IdleWorkers(), "an engine without connections keeps no goroutine")
}

// An idle connection's writer actor stops after WriterLinger, and the next
// frame starts another: sends, receipts and ACKs go on as before.
func TestEngineWriterRetiresWhenIdle(t *testing.T) {
	e := NewEngine(EngineOptions{WriterLinger: 5 * time.Millisecond})
	defer func() { require.NoError(t, e.Close()) }()
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSend {
			p.write(message(frames.V12, "sub", "m-"+f.Header("x-n"), "/q", "body"))
		}
		return true
	})
	c := mustConn(t, e, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	msgs := make(chan *Message, 8)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "sub", Destination: "/q", Mode: AckClientIndividual, Receipt: 5 * time.Second,
		Handler: func(m Message) AckAction { msgs <- &m; return AckNone }})
	require.NoError(t, err)
	idle := func() bool { return e.Actors() == 3 } // session, reader, subscription
	for i := range 3 {
		waitFor(t, "the idle writer to stop", idle)
		n := strconv.Itoa(i)
		require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q", "x-n", n), 5*time.Second, true), "round %d", i)
		m := recv(t, msgs, "the message")
		require.Equal(t, "m-"+n, m.MessageID)
		waitFor(t, "the idle writer to stop", idle)
		require.NoError(t, c.Ack(testCtx(t), m, false, "", 0), "round %d", i)
		for {
			f := recv(t, got, "the ACK at the server")
			if f.Command == frames.CmdAck {
				require.Contains(t, f.Header("id"), "m-"+n, "the ACK names the message")
				break
			}
		}
	}
	waitFor(t, "the handlers to return", func() bool { return c.callbacks.Load() == 0 })
	c.Close()
	require.Zero(t, e.Actors())
}

// An engine refuses to close while it has connections, and refuses new
// ones once closed.
func TestEngineCloseOrder(t *testing.T) {
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	require.Error(t, e.Close())
	c.Close()
	require.NoError(t, e.Close())
	_, err := NewConn(e, ConnOptions{})
	require.ErrorIs(t, err, ErrClosed)
	require.Error(t, DefaultEngine().Close(), "the default engine is never closed")
}

// Close stops every actor of a connection, even with a connection,
// subscriptions and waiters live.
func TestCloseWhileBusy(t *testing.T) {
	srv, got, asked, _ := heldReceipts(t, "1.2")
	e := NewEngine(EngineOptions{})
	defer func() { require.NoError(t, e.Close()) }()
	c := mustConn(t, e, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatOut: time.Hour})
	release := make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Handler: func(Message) AckAction { <-release; return AckNone }})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), time.Hour, true) }()
	recv(t, asked, "the SEND")
	expectFrame(t, got, frames.CmdConnect)
	c.Close()
	close(release)
	err = recv(t, done, "the waiting Send")
	require.Error(t, err)
	require.Zero(t, e.Actors())
	require.Equal(t, Disconnected, c.State())
}

// Connect racing Close must not leave a connection or actor behind. (The
// race is narrow: a connect request queued behind Close's stop used to dial
// while the session waited for its children, about once in a thousand
// rounds.)
func TestCloseRacesConnect(t *testing.T) {
	e := NewEngine(EngineOptions{})
	defer func() { require.NoError(t, e.Close()) }()
	for i := range 50 {
		accepted := make(chan net.Conn, 1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}()
		c := mustConn(t, e, ConnOptions{})
		connected := make(chan error, 1)
		go func() {
			_, err := c.Connect(testCtx(t), ConnectConfig{Addr: ln.Addr().String(), ConnectTimeout: waitTimeout})
			connected <- err
		}()
		if i%2 == 1 {
			// Let the request reach the session first, half the time.
			waitFor(t, "connecting", func() bool { return c.State() != Disconnected })
		}
		c.Close()
		require.Error(t, recv(t, connected, "Connect"))
		require.Zero(t, e.Actors(), "round %d", i)
		_ = ln.Close()
		if conn, ok := <-accepted; ok {
			// The client's end is closed: the server reads EOF.
			_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
			_, err := io.ReadAll(conn)
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "round %d: the client's connection was left open", i)
			_ = conn.Close()
		}
	}
}

// The engine names its actors so that they share the first map of each
// bucket of protoactor's registry (actorName): a check that the registry
// still hashes the way actorName expects, and that the names are unique.
func TestActorNamesShareRegistryMaps(t *testing.T) {
	e := NewEngine(EngineOptions{})
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	seen := map[string]bool{}
	buckets := map[int]bool{}
	for n := uint64(1); n <= 20000; n++ {
		name := actorName(n)
		if !registrable(name) {
			continue // skipped on a 32-bit platform, as spawn does
		}
		require.False(t, seen[name], "name %q made twice", name)
		seen[name] = true
		bucket := e.sys.ProcessRegistry.LocalPIDs.GetBucket(name)
		require.Same(t, bucket[0], bucket.GetShard(name), "actor %q is not in its bucket's first map", name)
		for i, b := range e.sys.ProcessRegistry.LocalPIDs.LocalPIDs {
			if b[0] == bucket[0] {
				buckets[i] = true
				break
			}
		}
	}
	// The buckets, and so their locks, are still all in use.
	require.Len(t, buckets, len(e.sys.ProcessRegistry.LocalPIDs.LocalPIDs))
}
