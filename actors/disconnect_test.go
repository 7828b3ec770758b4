package actors

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

func TestDisconnectWithReceipt(t *testing.T) {
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(vc.hdr), politeBroker)
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{vc.v}})
			expectFrame(t, got, frames.CmdConnect)
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
			f := expectFrame(t, got, frames.CmdDisconnect)
			require.NotEmpty(t, f.Header("receipt"))
			ev := waitEvent[*DisconnectedEvent](t, rec, nil)
			require.NoError(t, ev.Err)
			require.Equal(t, Disconnected, c.State())
			require.NoError(t, c.Disconnect(testCtx(t), true, time.Second), "disconnecting twice is harmless")
		})
	}
}

func TestDisconnectWithoutReceipt(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/last"), 0, false))
	require.NoError(t, c.Disconnect(testCtx(t), false, 5*time.Second))
	require.Equal(t, "/last", expectFrame(t, got, frames.CmdSend).Header("destination"), "queued frames go out before DISCONNECT")
	require.False(t, expectFrame(t, got, frames.CmdDisconnect).Headers.Has("receipt"))
	require.NoError(t, waitEvent[*DisconnectedEvent](t, rec, nil).Err)
}

// Many brokers close the socket on DISCONNECT without a receipt, even one
// asked for (RabbitMQ's Web-STOMP does): that is a clean end, and
// Disconnect does not wait for its timeout; the missing receipt is logged.
func TestDisconnectServerClosesWithoutReceipt(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		return f.Command != frames.CmdDisconnect
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, time.Hour) }()
	require.NoError(t, recv(t, done, "Disconnect"))
	expectFrame(t, got, frames.CmdDisconnect)
	require.NoError(t, waitEvent[*DisconnectedEvent](t, rec, nil).Err)
	require.Zero(t, count[*ErrorEvent](rec, nil))
	require.Equal(t, Disconnected, c.State())
	waitEvent[*LogEvent](t, rec, func(e *LogEvent) bool {
		return e.Level == LogInfo && strings.Contains(e.Message, "without the RECEIPT of DISCONNECT")
	})
}

// A server that neither answers nor closes: Disconnect returns at its
// timeout and the connection is closed anyway.
func TestDisconnectServerSilent(t *testing.T) {
	closed := make(chan error, 1)
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		for {
			if _, err := readFrame(r); err != nil {
				closed <- err
				return
			}
		}
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	start := time.Now()
	err := c.Disconnect(testCtx(t), true, 300*time.Millisecond)
	require.ErrorIs(t, err, ErrReceiptTimeout, "Disconnect says the receipt did not come")
	require.ErrorContains(t, err, "did not confirm DISCONNECT")
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	require.ErrorIs(t, recv(t, closed, "the client to close"), io.EOF)
	require.Equal(t, Disconnected, c.State())
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrReceiptTimeout, "the end is not reported as clean")
}

// Disconnect's context bounds it too; the connection is then interrupted.
func TestDisconnectContextEnds(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	ctx, cancel := contextWithTimeout(150 * time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.Disconnect(ctx, true, time.Hour), ErrTimeout)
	waitFor(t, "the connection to end", func() bool { return c.State() == Disconnected })
}

func TestDisconnectNotConnected(t *testing.T) {
	c, rec := newTestClient(t, ConnOptions{})
	require.NoError(t, c.Disconnect(testCtx(t), true, time.Second))
	require.Zero(t, count[*DisconnectedEvent](rec, nil))
}

// Interrupt drops the connection at once and fails everything waiting.
func TestInterruptFailsWaiters(t *testing.T) {
	srv, got, asked, _ := heldReceipts(t, "1.2")
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() { done <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), time.Hour, true) }()
	recv(t, asked, "the SEND's receipt request")
	c.Interrupt()
	err := recv(t, done, "Send")
	require.ErrorIs(t, err, ErrInterrupted)
	ev := waitEvent[*DisconnectedEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrInterrupted)
	require.Equal(t, Disconnected, c.State())
	require.Zero(t, c.Stats().ReceiptsPending)
	c.Interrupt() // harmless when not connected
	require.Equal(t, int64(1), c.Stats().Disconnects)
}

// Interrupt during the handshake ends the attempt.
func TestInterruptWhileConnecting(t *testing.T) {
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		(&peer{conn: conn, r: r, got: make(chan *frames.Frame, 16)}).drain()
	})
	c, rec := newTestClient(t, ConnOptions{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Connect(testCtx(t), ConnectConfig{Addr: srv.addr()})
		done <- err
	}()
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "connecting" })
	c.Interrupt()
	err := recv(t, done, "Connect")
	require.True(t, errors.Is(err, ErrInterrupted), "%v", err)
	require.Equal(t, Disconnected, c.State())
}
