package actors

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

func TestConnectPerVersion(t *testing.T) {
	for _, tc := range versionCases {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(tc.hdr, "heart-beat", "0,0", "x-extra", "yes"), politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			info := connectTo(t, c, srv.addr(), ConnectConfig{
				Versions: []frames.Version{tc.v}, Host: "vhost-a", Login: "alice", Passcode: "s3cret",
				HeartbeatOut: 7 * time.Second, HeartbeatIn: 9 * time.Second,
				ConnectHeaders: frames.Headers{{Key: "client-id", Value: "cid-1"}},
			})
			f := expectFrame(t, got, frames.CmdConnect)
			require.Equal(t, tc.v.String(), f.Header("accept-version"))
			require.Equal(t, "vhost-a", f.Header("host"))
			require.Equal(t, "alice", f.Header("login"))
			require.Equal(t, "s3cret", f.Header("passcode"))
			require.Equal(t, "7000,9000", f.Header("heart-beat"))
			require.Equal(t, "cid-1", f.Header("client-id"))

			require.Equal(t, tc.v, info.Version)
			require.Equal(t, "scripted/1", info.Server)
			require.Equal(t, "sess-1", info.Session)
			require.Equal(t, "yes", info.Headers.Value("x-extra"))
			require.Zero(t, info.HeartbeatIn)
			require.Zero(t, info.HeartbeatOut)
			require.Equal(t, Connected, c.State())
			got2, ok := c.Info()
			require.True(t, ok)
			require.Equal(t, info.Version, got2.Version)

			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
			require.Equal(t, Disconnected, c.State())
			_, ok = c.Info()
			require.False(t, ok)
		})
	}
}

func TestConnectDefaults(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{UseStompCommand: true})
	f := expectFrame(t, got, frames.CmdStomp)
	require.Equal(t, "1.0,1.1,1.2", f.Header("accept-version"))
	host, _, _ := net.SplitHostPort(srv.addr())
	require.Equal(t, host, f.Header("host"), "host defaults to the host part of Addr")
	require.False(t, f.Headers.Has("login"))
	require.False(t, f.Headers.Has("passcode"))
	require.Equal(t, "0,0", f.Header("heart-beat"))
}

func TestConnectConnectHeadersOverride(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Host: "a", ConnectHeaders: frames.Headers{{Key: "host", Value: "b"}}})
	f := expectFrame(t, got, frames.CmdConnect)
	require.Equal(t, []string{"b"}, f.Headers.Values("host"))
}

func TestConnectHeartbeatNegotiation(t *testing.T) {
	cases := []struct {
		name            string
		version         string
		serverHB        string // "" leaves the header out
		ourOut, ourIn   time.Duration
		wantOut, wantIn time.Duration
	}{
		{"max rule both ways", "1.2", "4000,6000", 5 * time.Second, 3 * time.Second, 6 * time.Second, 4 * time.Second},
		{"ours larger", "1.2", "1000,1000", 8 * time.Second, 9 * time.Second, 8 * time.Second, 9 * time.Second},
		{"server sends none (0,x)", "1.1", "0,5000", 2 * time.Second, 2 * time.Second, 5 * time.Second, 0},
		{"server wants none (x,0)", "1.2", "5000,0", 2 * time.Second, 2 * time.Second, 0, 5 * time.Second},
		{"we offer none", "1.2", "5000,5000", 0, 0, 0, 0},
		{"we only want", "1.2", "5000,5000", 0, 7 * time.Second, 0, 7 * time.Second},
		{"missing header is 0,0", "1.2", "", 5 * time.Second, 5 * time.Second, 0, 0},
		{"1.0 has none", "", "5000,5000", 5 * time.Second, 5 * time.Second, 0, 0},
		{"spaces tolerated", "1.2", " 5000 , 5000 ", 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var kv []string
			if tc.serverHB != "" {
				kv = []string{"heart-beat", tc.serverHB}
			}
			srv, _ := newBroker(t, connectedFrame(tc.version, kv...), politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatOut: tc.ourOut, HeartbeatIn: tc.ourIn})
			require.Equal(t, tc.wantOut, info.HeartbeatOut, "outgoing")
			require.Equal(t, tc.wantIn, info.HeartbeatIn, "incoming")
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		})
	}
}

// The client sends EOLs when it has nothing else to say, and counts the
// server's.
func TestHeartbeatsFlowBothWays(t *testing.T) {
	eols := make(chan struct{}, 1)
	stop := make(chan struct{})
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2", "heart-beat", "20,40")))
		// Beat every 20 ms until told to stop, while counting the client's.
		readErr := make(chan error, 1)
		go func() {
			n := 0
			for {
				b, err := r.ReadByte()
				if err != nil {
					readErr <- err
					return
				}
				if b == '\n' {
					if n++; n == 3 {
						eols <- struct{}{}
					}
				}
			}
		}()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if _, err := conn.Write([]byte("\n")); err != nil {
					<-readErr
					return
				}
			case <-stop:
				_ = conn.Close()
				<-readErr
				return
			case <-readErr:
				return
			}
		}
	})
	c, rec := newTestClient(t, ConnOptions{})
	info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatOut: 40 * time.Millisecond, HeartbeatIn: 500 * time.Millisecond})
	require.Equal(t, 40*time.Millisecond, info.HeartbeatOut)
	require.Equal(t, 500*time.Millisecond, info.HeartbeatIn)
	recv(t, eols, "three EOLs from the client")
	waitFor(t, "server heart-beats", func() bool { return c.Stats().HeartbeatsIn >= 20 || c.State() != Connected })
	if c.State() != Connected {
		t.Fatalf("a beating server is not silent, yet the connection ended: %s", describe(rec.all()))
	}
	require.GreaterOrEqual(t, c.Stats().HeartbeatsOut, int64(3))
	require.Zero(t, c.Stats().HeartbeatsMissed)
	close(stop)
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.Error(t, ev.Err)
}

func TestConnectTwiceFails(t *testing.T) {
	srv, _ := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: srv.addr()})
	require.ErrorIs(t, err, ErrAlreadyConnected)
	require.Equal(t, Connected, c.State())
}

func TestConnectDialFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, rec := newTestClient(t, ConnOptions{})
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: addr})
	require.Error(t, err)
	ev := waitEvent[*ConnectedEvent](t, rec, nil)
	require.Error(t, ev.Err)
	require.Equal(t, Disconnected, c.State())
	require.Zero(t, count[*DisconnectedEvent](rec, nil), "no connection, so no disconnection")
}

func TestHostileNeverAnswersConnect(t *testing.T) {
	got := make(chan *frames.Frame, 1)
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		p := &peer{conn: conn, r: r, got: got}
		p.drain() // reads CONNECT, says nothing
	})
	c, rec := newTestClient(t, ConnOptions{})
	start := time.Now()
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: srv.addr(), ConnectTimeout: 300 * time.Millisecond})
	require.ErrorIs(t, err, ErrTimeout)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "fails at ConnectTimeout, not before")
	expectFrame(t, got, frames.CmdConnect)
	ev := waitEvent[*ConnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrTimeout)
	require.Equal(t, Disconnected, c.State())
}

// The caller's context ends the attempt when it is earlier than
// ConnectTimeout.
func TestConnectContextEndsAttempt(t *testing.T) {
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		(&peer{conn: conn, r: r, got: make(chan *frames.Frame, 16)}).drain()
	})
	c, _ := newTestClient(t, ConnOptions{})
	ctx, cancel := contextWithTimeout(200 * time.Millisecond)
	defer cancel()
	_, err := c.Connect(ctx, ConnectConfig{Addr: srv.addr()})
	require.ErrorIs(t, err, ErrTimeout)
	waitFor(t, "the attempt to be abandoned", func() bool { return c.State() == Disconnected })
}

func TestHostileConnectHandshake(t *testing.T) {
	cases := []struct {
		name     string
		versions []frames.Version
		reply    string
		check    func(t *testing.T, err error)
	}{
		{"RECEIPT first", nil, rawFrame("RECEIPT", "", "receipt-id", "x"), protocolViolation},
		{"MESSAGE first", nil, rawFrame("MESSAGE", "hi", "subscription", "s", "message-id", "1", "destination", "/q"), protocolViolation},
		{"version not offered", []frames.Version{frames.V10, frames.V11}, connectedFrame("1.2"), protocolViolation},
		{"1.0 answer when only 1.2 offered", []frames.Version{frames.V12}, connectedFrame(""), protocolViolation},
		{"unknown version", nil, connectedFrame("2.0"), protocolViolation},
		{"heart-beat 0,x", nil, connectedFrame("1.2", "heart-beat", "0,x"), protocolViolation},
		{"heart-beat one number", nil, connectedFrame("1.2", "heart-beat", "100"), protocolViolation},
		{"heart-beat negative", nil, connectedFrame("1.2", "heart-beat", "-1,100"), protocolViolation},
		{"heart-beat too large", nil, connectedFrame("1.2", "heart-beat", "99999999999,0"), protocolViolation},
		{"garbage", nil, "HELLO\n\n\x00", func(t *testing.T, err error) { require.ErrorIs(t, err, frames.ErrSyntax) }},
		{"ERROR", nil, rawFrame("ERROR", "go away", "message", "bad login"), func(t *testing.T, err error) {
			var se *Error
			require.ErrorAs(t, err, &se)
			require.Equal(t, "bad login", se.Headers.Value("message"))
			require.Equal(t, "go away", string(se.Body))
		}},
		{"close", nil, "", func(t *testing.T, err error) { require.ErrorIs(t, err, errEOF) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
				if _, err := readFrame(r); err != nil {
					return
				}
				if tc.reply == "" {
					return
				}
				_, _ = conn.Write([]byte(tc.reply))
				(&peer{conn: conn, r: r, got: make(chan *frames.Frame, 16)}).drain()
			})
			c, rec := newTestClient(t, ConnOptions{})
			_, err := c.Connect(testCtx(t), ConnectConfig{Addr: srv.addr(), Versions: tc.versions})
			require.Error(t, err)
			tc.check(t, err)
			ev := waitEvent[*ConnectedEvent](t, rec, nil)
			require.Equal(t, err, ev.Err)
			require.Equal(t, Disconnected, c.State())
			require.Zero(t, count[*DisconnectedEvent](rec, nil))
		})
	}
}

func protocolViolation(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, ErrProtocol)
	var pe *ProtocolError
	require.True(t, errors.As(err, &pe), "%v is a *ProtocolError", err)
}

// A client can connect again after a connection ended, to another server.
func TestReconnectAfterLoss(t *testing.T) {
	srv1, _ := newBroker(t, connectedFrame("1.1"), func(p *peer, f *frames.Frame) bool { return false })
	srv2, got2 := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv1.addr(), ConnectConfig{})
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q/bye"), 0, true))
	waitEvent[*DisconnectedEvent](t, rec, nil)
	info := connectTo(t, c, srv2.addr(), ConnectConfig{})
	require.Equal(t, frames.V12, info.Version)
	expectFrame(t, got2, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q/hi"), 5*time.Second, true))
	require.Equal(t, "/q/hi", expectFrame(t, got2, frames.CmdSend).Header("destination"))
	require.Equal(t, int64(2), c.Stats().Connects)
}

// silentServer accepts connections and never answers them, until the test
// ends.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// A Connect whose context has ended returns an error; the attempt must
// then be over, not left to connect behind the caller's back (which would
// also refuse the caller's retry with "already connected"). Before the
// fix, Connect interrupted the attempt only if the session had already
// marked it Connecting, which it usually had not.
func TestConnectContextEndedWithdrawsAttempt(t *testing.T) {
	addr := silentServer(t)
	c, _ := newTestClient(t, ConnOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 50; i++ {
		_, err := c.Connect(ctx, ConnectConfig{Addr: addr, ConnectTimeout: time.Minute})
		require.ErrorIs(t, err, context.Canceled)
		c.Subscriptions() // a round trip: the session has seen the request
		require.Equal(t, Disconnected, c.State(), "attempt %d goes on though Connect failed", i)
	}
}
