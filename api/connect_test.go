package api

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnectDisconnectEachVersion(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			s := newClient(t, WithSupportedVersions(v))
			connected := collect(s.OnConnected)
			status := collect(s.OnConnectionStatus)
			disconnected := collect(s.OnDisconnected)
			require.False(t, s.Connected())
			require.Equal(t, "", s.ProtocolVersion())

			h, p := hostPort(t, b.Addr())
			require.NoError(t, s.Connect(h, p))
			assert.True(t, s.Connected())
			assert.Equal(t, h, s.RemoteHost())
			assert.Equal(t, p, s.RemotePort())
			assert.Equal(t, v, s.ProtocolVersion())
			assert.Equal(t, sim.DefaultServerName, s.ServerInfo())
			assert.NotEmpty(t, s.SessionID())
			got, err := s.Config("protocolversion")
			require.NoError(t, err)
			assert.Equal(t, v, got)
			got, err = s.Config("ServerInfo")
			require.NoError(t, err)
			assert.Equal(t, sim.DefaultServerName, got)
			got, err = s.Config("SessionId")
			require.NoError(t, err)
			assert.Equal(t, s.SessionID(), got)

			ce := recv(t, connected)
			assert.Equal(t, 0, ce.StatusCode)
			assert.NoError(t, ce.Err)
			assert.Contains(t, ce.Description, v)
			var steps []string
			for st := range status {
				steps = append(steps, st.ConnectionEvent)
				if st.ConnectionEvent == "connected" {
					break
				}
			}
			assert.Equal(t, []string{"dialing", "connected-tcp", "connecting", "connected"}, steps)

			require.NoError(t, s.Disconnect())
			de := recv(t, disconnected)
			assert.Equal(t, 0, de.StatusCode)
			assert.NoError(t, de.Err)
			assert.False(t, s.Connected())
			assert.Equal(t, "", s.ProtocolVersion())
			require.NoError(t, s.Disconnect(), "Disconnect when not connected does nothing")
		})
	}
}

func TestConnectSendsLoginAndVirtualHost(t *testing.T) {
	b := newBroker(t, sim.WithUser("guest", "s3cret"), sim.WithFrameLog(16))
	s := newClient(t, WithUser("guest"), WithPassword("s3cret"))
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	ci, ok := b.Connection(1)
	require.True(t, ok)
	assert.Equal(t, "guest", ci.Login)
	assert.Equal(t, h, ci.Host, "VirtualHost defaults to the remote host")
	connect := received(t, b, 1, frames.CmdConnect)
	require.Len(t, connect, 1)
	assert.Equal(t, "1.0,1.1,1.2", connect[0].Header(frames.HdrAcceptVersion))
	assert.Equal(t, "0,0", connect[0].Header(frames.HdrHeartBeat))
	require.NoError(t, s.Disconnect())

	_, err := s.Config("VirtualHost=/")
	require.NoError(t, err)
	require.NoError(t, s.Connect(h, p))
	ci, ok = b.Connection(2)
	require.True(t, ok)
	assert.Equal(t, "/", ci.Host)
}

func TestConnectRefusedLogin(t *testing.T) {
	b := newBroker(t, sim.WithUser("guest", "right"))
	s := newClient(t, WithUser("guest"), WithPassword("wrong-passcode"))
	connected := collect(s.OnConnected)
	h, p := hostPort(t, b.Addr())
	err := s.Connect(h, p)
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, CodeServerError, e.Code)
	assert.ErrorIs(t, err, ErrServer)
	assert.Contains(t, e.Message, "access refused")
	assert.Equal(t, "access refused", headerValue(e.Headers, "message"))
	assert.NotEmpty(t, e.Body)
	assert.Equal(t, "access refused", headerValue(s.ErrorHeaders(), "message"))
	eh, cerr := s.Config("ErrorHeaders")
	require.NoError(t, cerr)
	assert.Contains(t, eh, "message:access refused")
	assert.NotContains(t, err.Error(), "wrong-passcode")

	ce := recv(t, connected)
	assert.Equal(t, CodeServerError, ce.StatusCode)
	assert.False(t, s.Connected())
}

func headerValue(hs []Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}

func TestConnectFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h, p := hostPort(t, ln.Addr().String())
	require.NoError(t, ln.Close())

	s := newClient(t)
	err = s.Connect(h, p)
	assert.ErrorIs(t, err, ErrConnectFailed)
	var e *Error
	require.True(t, errors.As(err, &e))
	var op *net.OpError
	assert.True(t, errors.As(err, &op), "the cause is kept: %v", err)

	assert.ErrorIs(t, s.Connect("", 1), ErrInvalidArgument)
	assert.ErrorIs(t, s.Connect("localhost", 0), ErrInvalidArgument)
	assert.ErrorIs(t, s.Connect("localhost", 70000), ErrInvalidArgument)
}

func TestConnectAlreadyConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	h, p := hostPort(t, b.Addr())
	assert.ErrorIs(t, s.Connect(h, p), ErrAlreadyConnected)
	assert.True(t, s.Connected())
}

func TestConnectTimeouts(t *testing.T) {
	silent := func(t *testing.T) *scripted {
		return newScripted(t, func(conn net.Conn, d *frames.Decoder) {
			_, _ = readFrame(d) // CONNECT, never answered
			_, _ = readFrame(d) // until the client gives up
		})
	}
	t.Run("ConnectionTimeout", func(t *testing.T) {
		srv := silent(t)
		s := newClient(t, WithConnectionTimeout(100*time.Millisecond))
		assert.ErrorIs(t, s.Connect(srv.host, srv.port), ErrTimeout)
		assert.False(t, s.Connected())
	})
	t.Run("Timeout", func(t *testing.T) {
		srv := silent(t)
		s := newClient(t, WithTimeout(100*time.Millisecond))
		assert.ErrorIs(t, s.Connect(srv.host, srv.port), ErrTimeout)
	})
	t.Run("AbsoluteTimeout", func(t *testing.T) {
		srv := silent(t)
		s := newClient(t, WithTimeout(100*time.Millisecond), WithConnectionTimeout(time.Hour), WithAbsoluteTimeout(true))
		assert.ErrorIs(t, s.Connect(srv.host, srv.port), ErrTimeout)
	})
	t.Run("context deadline", func(t *testing.T) {
		srv := silent(t)
		s := newClient(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, s.ConnectContext(ctx, srv.host, srv.port), ErrTimeout)
	})
	t.Run("context canceled", func(t *testing.T) {
		srv := silent(t)
		s := newClient(t)
		ctx, cancel := context.WithCancel(context.Background())
		s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
			if e.ConnectionEvent == "connecting" {
				cancel()
			}
		})
		err := s.ConnectContext(ctx, srv.host, srv.port)
		assert.ErrorIs(t, err, ErrCanceled)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestConnectWithTimeoutZeroDoesNotWait(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithTimeout(0))
	connected := collect(s.OnConnected)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	ce := recv(t, connected)
	require.Equal(t, 0, ce.StatusCode)
	waitFor(t, "connected", s.Connected)

	// A failure is reported by events.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dh, dp := hostPort(t, ln.Addr().String())
	require.NoError(t, ln.Close())
	s2 := newClient(t, WithTimeout(0))
	connected2 := collect(s2.OnConnected)
	errs := collect(s2.OnError)
	require.NoError(t, s2.Connect(dh, dp))
	assert.Equal(t, CodeConnectFailed, recv(t, connected2).StatusCode)
	assert.Equal(t, CodeConnectFailed, recv(t, errs).ErrorCode)
}

// With Timeout 0 Connect does not wait even when ConnectionTimeout is set:
// that bounds the attempt, whose outcome OnConnected tells.
func TestConnectWithTimeoutZeroDoesNotWaitForConnectionTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	silent := func(conn net.Conn, d *frames.Decoder) {
		_, _ = readFrame(d) // CONNECT, never answered
		<-release
	}

	// A long ConnectionTimeout: Connect returns long before it.
	sc := newScripted(t, silent)
	s := newClient(t, WithTimeout(0), WithConnectionTimeout(60*time.Second))
	connected := collect(s.OnConnected)
	returned := make(chan error, 1)
	go func() { returned <- s.Connect(sc.host, sc.port) }()
	select {
	case err := <-returned:
		require.NoError(t, err)
	case <-time.After(wait):
		s.Close() // ends the Connect still waiting
		<-returned
		t.Fatalf("Connect with Timeout 0 and ConnectionTimeout 60 s still waited after %v", wait)
	}
	require.Empty(t, connected, "the broker has not answered")

	// A short one ends the attempt, and OnConnected says so.
	sc2 := newScripted(t, silent)
	s2 := newClient(t, WithTimeout(0), WithConnectionTimeout(time.Second))
	connected2 := collect(s2.OnConnected)
	errs := collect(s2.OnError)
	require.NoError(t, s2.Connect(sc2.host, sc2.port))
	assert.Equal(t, CodeTimeout, recv(t, connected2).StatusCode)
	assert.Equal(t, CodeTimeout, recv(t, errs).ErrorCode)
	assert.False(t, s2.Connected())
}

func TestHeartbeatsNegotiated(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithHeartbeat(100*time.Millisecond, 150*time.Millisecond))
			s := newClient(t, WithSupportedVersions(v))
			require.NoError(t, s.SetIncomingHeartbeat(200))
			require.NoError(t, s.SetOutgoingHeartbeat(300))
			assert.Equal(t, 200, s.IncomingHeartbeat())
			assert.Equal(t, 300, s.OutgoingHeartbeat())
			h, p := hostPort(t, b.Addr())
			require.NoError(t, s.Connect(h, p))
			if v == "1.0" {
				assert.Equal(t, 0, s.IncomingHeartbeat(), "1.0 has no heart-beats")
				assert.Equal(t, 0, s.OutgoingHeartbeat())
			} else {
				assert.Equal(t, 200, s.IncomingHeartbeat(), "max(200 wanted, 100 offered)")
				assert.Equal(t, 300, s.OutgoingHeartbeat(), "max(300 offered, 150 wanted)")
			}
			require.NoError(t, s.Disconnect())
			assert.Equal(t, 200, s.IncomingHeartbeat(), "back to the setting once disconnected")
		})
	}
}

func TestHeartbeatMissedEndsConnection(t *testing.T) {
	b := newBroker(t, sim.WithHeartbeat(50*time.Millisecond, 0), sim.WithPlan(sim.Plan{{Name: "mute", Kind: sim.StopHeartbeats}}))
	s := newClient(t, WithIncomingHeartbeat(50*time.Millisecond))
	disconnected := collect(s.OnDisconnected)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	de := recv(t, disconnected)
	assert.Equal(t, CodeHeartbeatMissed, de.StatusCode)
	assert.ErrorIs(t, de.Err, ErrHeartbeatMissed)
}

func TestConnectTimeSettersRefusedWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	setters := map[string]func() error{
		"RemoteHost":         func() error { return s.SetRemoteHost("x") },
		"RemotePort":         func() error { return s.SetRemotePort(1) },
		"User":               func() error { return s.SetUser("u") },
		"Password":           func() error { return s.SetPassword("p") },
		"IncomingHeartbeat":  func() error { return s.SetIncomingHeartbeat(1) },
		"OutgoingHeartbeat":  func() error { return s.SetOutgoingHeartbeat(1) },
		"LocalHost":          func() error { return s.SetLocalHost("127.0.0.1") },
		"LocalPort":          func() error { return s.SetLocalPort(1) },
		"FirewallAutoDetect": func() error { return s.SetFirewallAutoDetect(false) },
		"FirewallType":       func() error { return s.SetFirewallType(FirewallNone) },
		"FirewallHost":       func() error { return s.SetFirewallHost("h") },
		"FirewallPort":       func() error { return s.SetFirewallPort(1) },
		"FirewallUser":       func() error { return s.SetFirewallUser("u") },
		"FirewallPassword":   func() error { return s.SetFirewallPassword("p") },
		"SSLEnabled":         func() error { return s.SetSSLEnabled(false) },
		"SSLCertSubject":     func() error { return s.SetSSLCertSubject("*") },
		"Config":             func() error { _, err := s.Config("TcpNoDelay=false"); return err },
	}
	for name, set := range setters {
		assert.ErrorIs(t, set(), ErrConnectedSetting, name)
	}
	// Settings of a running connection still change.
	require.NoError(t, s.SetTimeout(5))
	require.NoError(t, s.SetContentType("text/x"))
	_, err := s.Config("LogLevel=2")
	require.NoError(t, err)

	require.NoError(t, s.Disconnect())
	for name, set := range setters {
		assert.NoError(t, set(), name)
	}
}

func TestSetConnected(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.SetRemoteHost(h))
	require.NoError(t, s.SetRemotePort(p))
	require.NoError(t, s.SetConnected(true))
	assert.True(t, s.Connected())
	require.NoError(t, s.SetConnected(false))
	assert.False(t, s.Connected())
}

// Bytes coming in never push a timeout back, AbsoluteTimeout false or not
// (its inactivity timeouts count the bytes a call's frame waits behind, or
// its own, leaving: inactivity_test.go; Subscribe's wait is absolute): a
// call waiting for a RECEIPT times out after Timeout although the broker's
// heart-beats keep coming.
func TestTimeoutIsAbsoluteDespiteTraffic(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	sc := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		if _, err := conn.Write([]byte("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00")); err != nil {
			return
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("\n")); err != nil {
					return
				}
			}
		}
	})
	s := newClient(t, WithTimeout(time.Second), WithAbsoluteTimeout(false))
	require.NoError(t, s.Connect(sc.host, sc.port))
	_, err := s.Config("RequestSubscriptionReceipts=true")
	require.NoError(t, err)
	// The test's own bound, far beyond Timeout (an inactivity timeout
	// would never fire here).
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	_, err = s.SubscribeContext(ctx, "/queue/never-confirmed", true)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, []int{CodeTimeout, CodeReceiptTimeout}, e.Code, "%v", err)
	assert.Less(t, time.Since(start), wait/2, "bytes kept coming, and the call still ended at Timeout (1 s)")
}
