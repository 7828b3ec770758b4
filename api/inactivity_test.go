package api

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// Timeouts as inactivity timeouts (AbsoluteTimeout false, the default):
// a send whose frame keeps leaving waits on, one whose frame stopped
// leaving fails, and a RECEIPT is waited for Timeout from the end of the
// write. The link is a slow peer of the test's own: a loopback server
// whose reading side takes at most slowChunk bytes per tick of a ticker
// (pacing a link, not synchronizing anything), with small socket buffers
// on both sides so that the kernel does not absorb the bodies.
//
// Timeout is a second: the link must keep the body leaving for several
// Timeouts, but a loaded machine (CI's two cores, shared with brokers and
// other test binaries, under -race) can leave the peer's goroutine
// unscheduled for hundreds of milliseconds, and what the kernel holds
// after the client's last write (the two socket buffers, some 256 KiB)
// must reach the peer and its RECEIPT come back within Timeout. With
// 300 ms, a link of 6.4 MB/s and the bodies a third of these durations,
// the receipted sends failed with ErrReceiptTimeout or ErrOutcomeUnknown,
// the RECEIPT's wait ended before the body reached the peer, or the
// write deadline ended the connection: about one run in forty under load.
const (
	slowTimeout = time.Second
	slowChunk   = 16 << 10
	slowTick    = 10 * time.Millisecond // 1.6 MB/s: 256 KiB in 160 ms
	slowBody    = 4 << 20               // about 2.6 s on that link: over twice slowTimeout
	slowLong    = 6 << 20               // about 3.9 s: over three times slowTimeout
	slowBuffer  = 64 << 10
)

// slowPeer is a STOMP 1.2 server for one connection that reads slowly.
type slowPeer struct {
	host string
	port int
	// sends hears the body size of every SEND, once the peer read it
	// whole.
	sends chan int
	read  atomic.Int64 // bytes read after CONNECT
}

// newSlowPeer starts a slow peer, stopped when the test ends. It answers
// CONNECT with CONNECTED and, unless withhold, every frame that asks for
// one with its RECEIPT. stallAt > 0: it stops reading once it read that
// many bytes after CONNECT (a peer that stalls mid-frame).
func newSlowPeer(t *testing.T, withhold bool, stallAt int64) *slowPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &slowPeer{sends: make(chan int, 16)}
	p.host, p.port = hostPort(t, ln.Addr().String())
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(slowBuffer)
		}
		go func() { // unblocks a Read or Write when the test ends
			<-stop
			_ = conn.Close()
		}()
		r := &pacedReader{conn: conn, stop: stop, stallAt: stallAt, read: &p.read}
		d := frames.NewDecoder(r, frames.V12, frames.Limits{MaxBody: 64 << 20})
		f, err := readFrame(d)
		if err != nil || f.Command != frames.CmdConnect && f.Command != frames.CmdStomp {
			return
		}
		if _, err := conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
			return
		}
		ticker := time.NewTicker(slowTick)
		defer ticker.Stop()
		r.tick = ticker.C
		for {
			f, err := readFrame(d)
			if err != nil {
				return
			}
			if f.Command == frames.CmdSend {
				p.sends <- len(f.Body)
			}
			if id := f.Header(frames.HdrReceipt); id != "" && !withhold {
				if _, err := conn.Write([]byte("RECEIPT\nreceipt-id:" + id + "\n\n\x00")); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		_ = ln.Close()
		<-done
	})
	return p
}

// pacedReader reads conn, at most slowChunk bytes per tick once tick is
// set (after CONNECT), and nothing more after stallAt bytes.
type pacedReader struct {
	conn    net.Conn
	tick    <-chan time.Time
	stop    chan struct{}
	stallAt int64
	read    *atomic.Int64
}

func (r *pacedReader) Read(b []byte) (int, error) {
	if r.tick == nil {
		return r.conn.Read(b)
	}
	n := r.read.Load()
	if r.stallAt > 0 && n >= r.stallAt {
		<-r.stop // a stalled peer: reads nothing until the test ends
		return 0, io.EOF
	}
	select {
	case <-r.tick:
	case <-r.stop:
		return 0, io.EOF
	}
	b = b[:min(len(b), slowChunk)]
	if r.stallAt > 0 {
		b = b[:min(int64(len(b)), r.stallAt-n)]
	}
	m, err := r.conn.Read(b)
	r.read.Add(int64(m))
	return m, err
}

// slowClient is a client with Timeout slowTimeout and a small send
// buffer, connected to p.
func slowClient(t *testing.T, p *slowPeer, opts ...Option) *STOMP {
	t.Helper()
	s := newClient(t, append([]Option{WithTimeout(slowTimeout), WithBufferSizes(0, slowBuffer)}, opts...)...)
	require.NoError(t, s.Connect(p.host, p.port))
	return s
}

var slowPayload = make([]byte, slowLong)[:slowBody]

// A body that takes three times Timeout to leave, at a steady rate, is
// sent: its wait (and the socket's write deadline) goes on while bytes
// leave, and its RECEIPT is waited for from the end of the write.
func TestInactivityLargeBodyWithReceiptIsSent(t *testing.T) {
	p := newSlowPeer(t, false, 0)
	s := slowClient(t, p, WithRequestReceipts(true))
	start := time.Now()
	require.NoError(t, s.SendData("/queue/slow", slowPayload[:slowLong]))
	took := time.Since(start)
	assert.Equal(t, slowLong, recv(t, p.sends))
	// The premise: the write took well over Timeout (the link is
	// slower than the body is large), else this proves nothing.
	assert.Greater(t, took, 2*slowTimeout, "the body left faster than twice Timeout: the link is not slow enough to test")
}

// Sends that wait for room behind a body being written wait as long as
// its bytes leave: with the default each succeeds; with AbsoluteTimeout
// true one fails, as before, once the write ahead of it took longer than
// Timeout.
func TestInactivitySendsBehindALargeBody(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		p := newSlowPeer(t, false, 0)
		s := slowClient(t, p)
		for i := range 3 {
			require.NoError(t, s.SendData("/queue/slow", slowPayload), "send %d", i)
		}
		for range 3 {
			assert.Equal(t, slowBody, recv(t, p.sends))
		}
	})
	t.Run("AbsoluteTimeout", func(t *testing.T) {
		p := newSlowPeer(t, false, 0)
		s := slowClient(t, p, WithAbsoluteTimeout(true))
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			err = s.SendData("/queue/slow", slowPayload)
		}
		// The third waits for room behind the first's write, which its
		// socket write deadline (Timeout for the whole write) or its own
		// absolute deadline ends first.
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrTimeout) || errors.Is(err, ErrConnectionLost), "want a timeout or the connection's loss to the write deadline, got %v", err)
	})
}

// With AbsoluteTimeout true a receipted body that takes longer than
// Timeout to leave fails before it left, as before: the RECEIPT's
// deadline (nine tenths of the call's, from the start) passes first, or,
// on a loaded machine whose encoding of the body took a while, the
// call's own (ErrOutcomeUnknown: the frame is on its way).
func TestInactivityAbsoluteTimeoutKeepsTheDeadline(t *testing.T) {
	p := newSlowPeer(t, false, 0)
	s := slowClient(t, p, WithRequestReceipts(true), WithAbsoluteTimeout(true))
	err := s.SendData("/queue/slow", slowPayload)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrReceiptTimeout) || errors.Is(err, ErrOutcomeUnknown), "want a timeout, got %v", err)
	select {
	case <-p.sends:
		t.Fatal("the body reached the peer before the send failed: the link is not slow enough to test")
	default:
	}
}

// A peer that stops reading mid-frame fails the send with the default
// too: the wait ends once nothing left for Timeout.
func TestInactivityStalledPeerFailsTheSend(t *testing.T) {
	p := newSlowPeer(t, false, 1<<20)
	s := slowClient(t, p, WithRequestReceipts(true))
	start := time.Now()
	err := s.SendData("/queue/slow", slowPayload)
	took := time.Since(start)
	require.Error(t, err)
	// The frame is partly written: its wait ends (ErrOutcomeUnknown: the
	// rest might still leave), or the socket's write deadline, moved
	// with the last piece the socket took, ends the connection first.
	assert.True(t, errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrConnectionLost), "got %v", err)
	// A generous bound: it fails about Timeout after the stall, well
	// before the whole body could have left (or a stalled link would
	// hold the caller forever).
	assert.Less(t, took, 20*slowTimeout)
}

// A RECEIPT that does not come is waited for Timeout from the end of the
// write, not from the start of the call: the body, which takes longer
// than Timeout to leave, reached the peer whole before the send failed.
func TestInactivityReceiptIsAwaitedFromTheEndOfTheWrite(t *testing.T) {
	p := newSlowPeer(t, true, 0)
	s := slowClient(t, p, WithRequestReceipts(true))
	err := s.SendData("/queue/slow", slowPayload)
	require.ErrorIs(t, err, ErrReceiptTimeout)
	select {
	case n := <-p.sends:
		assert.Equal(t, slowBody, n)
	default:
		t.Fatal("the send failed before its body reached the peer")
	}
}

// A small receipted send whose RECEIPT does not come fails with
// ErrReceiptTimeout, as with an absolute Timeout.
func TestInactivityMissingReceiptOfASmallSend(t *testing.T) {
	p := newSlowPeer(t, true, 0)
	s := slowClient(t, p, WithRequestReceipts(true))
	require.ErrorIs(t, s.SendData("/queue/slow", []byte("small")), ErrReceiptTimeout)
	assert.Equal(t, 5, recv(t, p.sends))
}
