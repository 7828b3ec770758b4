package actors

import (
	"context"
	"strconv"
	"strings"
	"sync"
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

// Send and TrySend do not keep the frame: once they return, the caller
// may reuse its body (the api's SendData hands over the caller's slice),
// whether the frame was encoded into the writer's buffer at once or had
// to go through the writer's mailbox (a copy then goes).
func TestSendDoesNotKeepTheFrame(t *testing.T) {
	for _, tc := range []struct {
		name       string
		messageOut bool // the writer reports each SEND: the mailbox way
		// someLost: a frame whose caller gave up before the writer took
		// it is not written; those the writer took first are.
		someLost bool
		send     func(t *testing.T, c *Conn, f *frames.Frame)
	}{
		{"TrySend encoded at once", false, false, func(t *testing.T, c *Conn, f *frames.Frame) {
			ok, err := c.TrySend(f)
			require.NoError(t, err)
			require.True(t, ok)
		}},
		{"TrySend through the mailbox", true, false, func(t *testing.T, c *Conn, f *frames.Frame) {
			ok, err := c.TrySend(f)
			require.NoError(t, err)
			require.True(t, ok)
		}},
		{"Send without wait, encoded at once", false, false, func(t *testing.T, c *Conn, f *frames.Frame) {
			require.NoError(t, c.Send(testCtx(t), f, 0, false))
		}},
		{"Send without wait, through the mailbox", true, false, func(t *testing.T, c *Conn, f *frames.Frame) {
			require.NoError(t, c.Send(testCtx(t), f, 0, false))
		}},
		{"Send with a receipt whose wait ends first", false, true, func(t *testing.T, c *Conn, f *frames.Frame) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_ = c.Send(ctx, f, time.Second, true)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			c.SetMessageOutEvents(tc.messageOut)
			connectTo(t, c, srv.addr(), ConnectConfig{})
			expectFrame(t, got, frames.CmdConnect)
			const n = 50
			body := []byte("original")
			for i := range n {
				f := frames.New(frames.CmdSend, "destination", "/q", "seq", itoa(i))
				f.Body = body
				tc.send(t, c, f)
				copy(body, "REUSED!!")
				f.Headers[1].Value = "changed"
				copy(body, "original")
			}
			if tc.someLost {
				// Whatever was written, in order and as it was sent.
				require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q", "seq", "end"), 0, true))
				last := -1
				for sf := expectFrame(t, got, frames.CmdSend); sf.Header("seq") != "end"; sf = expectFrame(t, got, frames.CmdSend) {
					seq, err := strconv.Atoi(sf.Header("seq"))
					require.NoError(t, err)
					require.Greater(t, seq, last)
					last = seq
					require.Equal(t, "original", string(sf.Body))
				}
				return
			}
			for i := range n {
				sf := expectFrame(t, got, frames.CmdSend)
				require.Equal(t, itoa(i), sf.Header("seq"))
				require.Equal(t, "original", string(sf.Body))
			}
		})
	}
}

// A frame encoded at once never overtakes one sent before it through the
// writer's mailbox: senders queue behind it until the writer took it.
func TestDirectSendsFollowQueuedFrames(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	c.SetMessageOutEvents(false)
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	const n = 300
	for i := range n {
		if i%3 == 0 {
			// Not a SEND or an ACK: the writer encodes it.
			require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdBegin, "transaction", "t"+itoa(i)), 0, false))
			continue
		}
		ok, err := c.TrySend(frames.New(frames.CmdSend, "destination", "/q", "seq", itoa(i)))
		require.NoError(t, err)
		require.True(t, ok)
	}
	for i := range n {
		f := nextFrame(t, got)
		if i%3 == 0 {
			require.Equal(t, frames.CmdBegin, f.Command)
			require.Equal(t, "t"+itoa(i), f.Header("transaction"))
			continue
		}
		require.Equal(t, frames.CmdSend, f.Command)
		require.Equal(t, itoa(i), f.Header("seq"))
	}
	st := c.Stats()
	require.Equal(t, int64(2*n/3), st.MessagesOut)
	require.Equal(t, int64(n+1), st.FramesOut, "the CONNECT and every frame")
}

// Bytes written as they are cannot carry a receipt id of the form the
// client gives its own frames: the broker's RECEIPT for them would
// confirm a send still waiting for its own. They are refused with
// ErrReceiptIDInUse and never written; other receipt ids pass.
func TestSendRawRefusesTheClientsReceiptIDs(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() {
		done <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, false)
	}()
	id := recv(t, asked, "the send's receipt request")
	for _, forged := range []string{id, " " + id, "r-7-100", "disconnect-3"} {
		err := c.SendRaw(testCtx(t), []byte("SEND\ndestination:/raw\nreceipt:"+forged+"\r\n\nbody\x00"))
		require.ErrorIs(t, err, ErrReceiptIDInUse, "receipt %q", forged)
	}
	require.NoError(t, c.SendRaw(testCtx(t), []byte("SEND\ndestination:/raw\nreceipt:r-mine\n\n\x00")))
	require.Equal(t, "r-mine", recv(t, asked, "the raw frame's receipt request"), "the refused frames were not written")
	select {
	case err := <-done:
		t.Fatalf("the send returned %v before its own RECEIPT", err)
	default:
	}
	answer <- id
	require.NoError(t, recv(t, done, "the send"))
}

// A frame queued through the writer's mailbox whose caller gave up
// waiting (its context ended) before the writer took it is not written:
// the caller was told it failed, and one that retries must not find the
// message sent twice. The writer is held here inside the sink, which it
// calls for the frame log of the frame before.
func TestAFrameItsCallerGaveUpOnIsNotWritten(t *testing.T) {
	c, got, hold := heldWriter(t)
	err := hold.giveUp(func(ctx context.Context) error {
		return c.Send(ctx, frames.New(frames.CmdSend, "destination", "/given-up"), 0, true)
	})
	require.ErrorIs(t, err, context.Canceled)

	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/after"), 0, true))
	require.Equal(t, "/block", expectFrame(t, got, frames.CmdSend).Header("destination"))
	require.Equal(t, "/after", expectFrame(t, got, frames.CmdSend).Header("destination"), "the abandoned frame was written")
	l := c.link.Load()
	waitFor(t, "every token of the outgoing queue back", func() bool { return l.credits.held.Load() == 0 })
}

// writerHold keeps a client's writer inside its sink, on a SEND to /block
// (frame logs are on), so that the frames sent meanwhile wait in its
// mailbox.
type writerHold struct {
	t       *testing.T
	c       *Conn
	release chan struct{}
	once    sync.Once
}

// heldWriter connects a client to a broker that records its frames (the
// CONNECT already taken), runs setup if given, and holds its writer on a
// SEND to /block.
func heldWriter(t *testing.T, setup ...func(*Conn, <-chan *frames.Frame)) (*Conn, <-chan *frames.Frame, *writerHold) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	blocked := make(chan struct{})
	h := &writerHold{t: t, release: make(chan struct{})}
	sink := func(e Event) {
		if l, ok := e.(*LogEvent); ok && strings.Contains(l.Message, "/block") {
			close(blocked)
			<-h.release
		}
	}
	h.c, _ = newTestClient(t, ConnOptions{LogFrames: true, Sink: sink})
	t.Cleanup(h.let) // before the client's cleanup
	connectTo(t, h.c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	for _, f := range setup {
		f(h.c, got)
	}
	require.NoError(t, h.c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/block"), 0, false))
	recv(t, blocked, "the writer to hold on the first frame")
	return h.c, got, h
}

func (h *writerHold) let() { h.once.Do(func() { close(h.release) }) }

// giveUp runs call, waits for its frame to be in the writer's mailbox,
// ends call's context, lets the writer go on and returns call's error.
func (h *writerHold) giveUp(call func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	q := h.c.link.Load().out
	waitFor(h.t, "the frame in the writer's mailbox", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.inbox == 1
	})
	cancel()
	err := recv(h.t, done, "the call given up")
	h.let()
	return err
}

// An UNSUBSCRIBE, BEGIN or ABORT whose caller gave up before the writer
// took it is written all the same: left out, the broker would go on
// delivering to a subscription the client forgot, or the client would
// count a transaction open that the broker never saw.
func TestAFrameThatUndoesStateIsWrittenThoughItsCallerGaveUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  frames.Command
		call func(ctx context.Context, c *Conn) error
	}{
		{"UNSUBSCRIBE", frames.CmdUnsubscribe, func(ctx context.Context, c *Conn) error { return c.Unsubscribe(ctx, "sub-x", 0) }},
		{"BEGIN", frames.CmdBegin, func(ctx context.Context, c *Conn) error { return c.Begin(ctx, "tx-x", 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, got, hold := heldWriter(t, func(c *Conn, got <-chan *frames.Frame) {
				_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "sub-x", Destination: "/queue/x"})
				require.NoError(t, err)
				expectFrame(t, got, frames.CmdSubscribe)
			})
			require.Error(t, hold.giveUp(func(ctx context.Context) error { return tc.call(ctx, c) }))
			require.Equal(t, "/block", expectFrame(t, got, frames.CmdSend).Header("destination"))
			expectFrame(t, got, tc.cmd)
		})
	}
}
