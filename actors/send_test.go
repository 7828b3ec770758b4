package actors

import (
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

func TestSendHeadersAndBinaryBody(t *testing.T) {
	body := []byte("bin\x00ary\xff\x01\n\x00end")
	for _, tc := range versionCases {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame(tc.hdr), politeBroker)
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{tc.v}})
			expectFrame(t, got, frames.CmdConnect)

			f := frames.New(frames.CmdSend, "destination", "/queue/bin", "content-type", "application/octet-stream", "x-custom", "v1", "x-custom", "v2", "x-colon", "a:b")
			f.Body = body
			require.NoError(t, c.Send(testCtx(t), f, 0, true))
			sf := expectFrame(t, got, frames.CmdSend)
			require.Equal(t, "/queue/bin", sf.Header("destination"))
			require.Equal(t, "application/octet-stream", sf.Header("content-type"))
			require.Equal(t, []string{"v1", "v2"}, sf.Headers.Values("x-custom"), "repeated headers keep their order")
			require.Equal(t, "a:b", sf.Header("x-colon"))
			require.Equal(t, itoa(len(body)), sf.Header("content-length"))
			require.Equal(t, body, sf.Body)

			out := waitEvent[*MessageOutEvent](t, rec, nil)
			require.Equal(t, "/queue/bin", out.Destination)
			require.Equal(t, len(body), out.Size)
			require.Equal(t, int64(1), c.Stats().MessagesOut)

			// Escapes only exist from 1.1 on.
			if tc.v >= frames.V11 {
				f := frames.New(frames.CmdSend, "destination", "/queue/esc", "x-esc", "line1\nline2:back\\slash")
				require.NoError(t, c.Send(testCtx(t), f, 0, true))
				require.Equal(t, "line1\nline2:back\\slash", expectFrame(t, got, frames.CmdSend).Header("x-esc"))
			}
		})
	}
}

// Sends that do not wait still reach the wire in order.
func TestSendNoWaitKeepsOrder(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	const n = 200
	for i := range n {
		f := frames.New(frames.CmdSend, "destination", "/q", "seq", itoa(i))
		require.NoError(t, c.Send(testCtx(t), f, 0, false))
	}
	for i := range n {
		require.Equal(t, itoa(i), expectFrame(t, got, frames.CmdSend).Header("seq"))
	}
}

func TestSendRaw(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.SendRaw(testCtx(t), []byte("SEND\ndestination:/raw\n\nraw body\x00")))
	f := expectFrame(t, got, frames.CmdSend)
	require.Equal(t, "/raw", f.Header("destination"))
	require.Equal(t, "raw body", string(f.Body))
}

func TestSendNotConnected(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	require.ErrorIs(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true), ErrNotConnected)
	require.ErrorIs(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), time.Second, false), ErrNotConnected)
	require.False(t, c.ReadyToSend())
}

// A frame the version cannot encode fails the call, not the connection.
func TestSendUnencodableFrame(t *testing.T) {
	srv, got := newBroker(t, connectedFrame(""), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V10}})
	expectFrame(t, got, frames.CmdConnect)
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q", "bad", "new\nline"), 0, true)
	require.ErrorIs(t, err, ErrInvalidHeader, "the caller's input, not the broker, is at fault")
	require.NotErrorIs(t, err, frames.ErrSyntax, "a malformed frame from the server is another error")
	var he *HeaderError
	require.ErrorAs(t, err, &he)
	require.Equal(t, "bad", he.Key)
	require.Equal(t, Connected, c.State())
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q/ok"), 0, true))
	require.Equal(t, "/q/ok", expectFrame(t, got, frames.CmdSend).Header("destination"))
	require.True(t, c.ReadyToSend(), "the failed frame gave its queue slot back")
}

func TestClosedClient(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	c.Close()
	c.Close() // idempotent
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: "127.0.0.1:1"})
	require.ErrorIs(t, err, ErrClosed)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q"})
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, c.Begin(testCtx(t), "t", 0), ErrClosed)
	require.ErrorIs(t, c.Disconnect(testCtx(t), false, time.Second), ErrClosed)
	require.ErrorIs(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true), ErrClosed)
	c.Interrupt()
	require.Nil(t, c.Subscriptions())
}

// Frame logs never show a passcode.
func TestLogFramesRedactsSecrets(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, rec := newTestClient(t, ConnOptions{LogFrames: true})
	connectTo(t, c, srv.addr(), ConnectConfig{Login: "alice", Passcode: "s3cret-pw"})
	require.Equal(t, "s3cret-pw", expectFrame(t, got, frames.CmdConnect).Header("passcode"))
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q", "password", "other-secret"), 5*time.Second, true))
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	c.Close()
	frameLogs := 0
	for _, e := range rec.all() {
		if l, ok := e.(*LogEvent); ok {
			require.NotContains(t, l.Message, "s3cret-pw")
			require.NotContains(t, l.Message, "other-secret")
			if l.Type == "frame" {
				frameLogs++
			}
		}
	}
	require.GreaterOrEqual(t, frameLogs, 5, "CONNECT, CONNECTED, SEND, RECEIPT, DISCONNECT")
}

// MaxTransferRate spreads flushes out but delivers everything, in order.
func TestMaxTransferRate(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxTransferRate: 20000})
	expectFrame(t, got, frames.CmdConnect)
	body := make([]byte, 1000)
	start := time.Now()
	for i := range 5 {
		f := frames.New(frames.CmdSend, "destination", "/q", "seq", itoa(i))
		f.Body = body
		require.NoError(t, c.Send(testCtx(t), f, 0, true))
	}
	// Four flushes of about 1 KB each had to wait their turn at 20 KB/s.
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	for i := range 5 {
		require.Equal(t, itoa(i), expectFrame(t, got, frames.CmdSend).Header("seq"))
	}
}
