package actors

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// What CONNECT tells the server of heart-beats is what the client
// negotiates from: a fraction of a millisecond is rounded up (not down to
// "none", while the client waits for beats), and a heart-beat header in
// ConnectHeaders stands for both settings.
func TestConnectSaysTheHeartbeatsItNegotiates(t *testing.T) {
	cases := []struct {
		name    string
		cfg     ConnectConfig
		server  string // CONNECTED's heart-beat
		connect string // CONNECT's
		out, in time.Duration
	}{
		{name: "a fraction of a millisecond", cfg: ConnectConfig{HeartbeatIn: 500 * time.Microsecond},
			server: "50,0", connect: "0,1", in: 50 * time.Millisecond},
		{name: "ConnectHeaders says none", cfg: ConnectConfig{HeartbeatIn: 50 * time.Millisecond,
			ConnectHeaders: frames.Headers{{Key: frames.HdrHeartBeat, Value: "0,0"}}},
			server: "50,0", connect: "0,0"},
		{name: "ConnectHeaders says some", cfg: ConnectConfig{
			ConnectHeaders: frames.Headers{{Key: frames.HdrHeartBeat, Value: "10000,20000"}}},
			server: "5000,30000", connect: "10000,20000", out: 30 * time.Second, in: 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame("1.2", "heart-beat", tc.server), politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			info := connectTo(t, c, srv.addr(), tc.cfg)
			cf := expectFrame(t, got, frames.CmdConnect)
			require.Equal(t, tc.connect, cf.Header(frames.HdrHeartBeat), "what CONNECT told the server")
			require.Equal(t, tc.out, info.HeartbeatOut, "negotiated out")
			require.Equal(t, tc.in, info.HeartbeatIn, "negotiated in")
		})
	}
}

// A heart-beat CONNECT cannot carry is refused at Connect, with nothing
// sent: a negative interval, one over 2^31-1 ms, or a malformed header in
// ConnectHeaders.
func TestConnectRefusesHeartbeatsCONNECTCannotCarry(t *testing.T) {
	for name, cfg := range map[string]ConnectConfig{
		"negative out":     {HeartbeatOut: -time.Second},
		"negative in":      {HeartbeatIn: -2 * time.Second},
		"too long":         {HeartbeatIn: (1 << 31) * time.Millisecond},
		"malformed header": {ConnectHeaders: frames.Headers{{Key: frames.HdrHeartBeat, Value: "-1000,5"}}},
	} {
		t.Run(name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			cfg.Addr = srv.addr()
			_, err := c.Connect(testCtx(t), cfg)
			require.ErrorIs(t, err, ErrInvalidArgument)
			require.Contains(t, err.Error(), "heart-beat")
			require.Equal(t, Disconnected, c.State())
			require.Empty(t, got)
		})
	}
}

// A server of STOMP 1.0 (which escapes nothing) refusing the login with
// a backslash in its message: Connect returns the server's error with its
// words, not a malformed frame.
func TestHandshakeErrorKeepsABackslashAsItCame(t *testing.T) {
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(rawFrame("ERROR", "", "message", `login refused for CORP\bob`)))
		_, _ = readFrame(r) // until the client hangs up
	})
	c, _ := newTestClient(t, ConnOptions{})
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: srv.addr()})
	require.ErrorIs(t, err, ErrServer)
	var se *Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, `login refused for CORP\bob`, se.Headers.Value("message"), "error: %v", err)
}
