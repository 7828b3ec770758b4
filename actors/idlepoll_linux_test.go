//go:build linux && !386

package actors

import (
	"bytes"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// readerGoroutines counts the goroutines running a reader's loop.
func readerGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "actors.(*reader).carryOn") + strings.Count(string(buf[:n]), "actors.(*reader).loop")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Quiet connections hold no goroutine: their readers park in the engine's
// poller, which starts them again when a message comes, and which ends
// once no reader is parked. A connection closed while parked, or whose
// broker goes away meanwhile, ends as any other.
func TestQuietConnectionsHoldNoGoroutine(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	e := NewEngine(EngineOptions{})
	const n = 8
	var got atomic.Int64
	recs := make([]*recorder, n+1)
	conns := make([]*Conn, n+1)
	for i := range conns {
		recs[i] = newRecorder()
		conns[i] = mustConn(t, e, ConnOptions{Sink: recs[i].add})
		_, err := conns[i].Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
		require.NoError(t, err)
		if i < n {
			_, err = conns[i].Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/quiet", Receipt: time.Second,
				Handler: func(Message) AckAction { got.Add(1); return AckNone }})
			require.NoError(t, err)
		}
	}
	allParked := func(want int) func() bool {
		return func() bool {
			parked, running := e.idle.state()
			return parked == want && running && readerGoroutines() == 0
		}
	}
	waitFor(t, "every reader to park", allParked(n+1))

	// A message wakes every subscriber; they park again once quiet.
	require.NoError(t, conns[n].Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/topic/quiet"), time.Second, true))
	waitFor(t, "every subscriber to get the message", func() bool { return got.Load() == n })
	waitFor(t, "the readers to park again", allParked(n+1))

	// Closed while parked: Close returns, and the reader is let go.
	closed := make(chan struct{})
	go func() { conns[0].Close(); close(closed) }()
	recv(t, closed, "Close of a parked connection")
	waitFor(t, "the closed connection's reader to leave the poller", allParked(n))

	// The broker drops a parked connection: its reader wakes to the end.
	var infos []sim.ConnInfo
	waitFor(t, "the broker to see the closed connection go", func() bool { infos = b.Connections(); return len(infos) == n })
	require.NoError(t, b.CloseConnection(infos[0].Conn))
	waitFor(t, "one connection to hear it was dropped", func() bool {
		lost := 0
		for i := 1; i <= n; i++ {
			lost += count(recs[i], func(*DisconnectedEvent) bool { return true })
		}
		return lost == 1
	})

	for _, c := range conns {
		c.Close()
	}
	waitFor(t, "the poller to end", func() bool { parked, running := e.idle.state(); return parked == 0 && !running })
	require.NoError(t, e.Close())
}

// A reader the poller resumes with nothing to read (a stale event whose
// key is now its address, or every parked reader after the poller gave
// up) rests again once quiet instead of keeping a goroutine. Simulated: a
// pipe is put in the engine's set under the parked reader's key, and
// fires.
func TestAReaderWokenForNothingParksAgain(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
	require.NoError(t, err)
	parkedAlone := func() bool {
		n, running := e.idle.state()
		return n == 1 && running && readerGoroutines() == 0
	}
	waitFor(t, "the reader to park", parkedAlone)
	before := e.idle.resumed()
	var fds [2]int
	require.NoError(t, syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC))
	defer func() { _ = syscall.Close(fds[0]); _ = syscall.Close(fds[1]) }()
	e.idle.mu.Lock()
	var key uintptr
	for k := range e.idle.parked {
		key = k
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLONESHOT}
	*(*uint64)(unsafe.Pointer(&ev.Fd)) = uint64(key)
	err = syscall.EpollCtl(e.idle.epfd, syscall.EPOLL_CTL_ADD, fds[0], &ev)
	e.idle.mu.Unlock()
	require.NoError(t, err)
	_, err = syscall.Write(fds[1], []byte{0})
	require.NoError(t, err)
	waitFor(t, "the reader to be woken", func() bool { return e.idle.resumed() > before })
	waitFor(t, "the reader to park again", parkedAlone)
	require.Equal(t, Connected, c.State())
	c.Close()
	require.NoError(t, e.Close())
}

// A reader parks after a message larger than the decoder's pooled buffers
// (over 1 MiB) too: the read that ends such a frame, sized to it, used to
// fill its buffer, which reads as "more may come", and the reader waited
// in the socket with its goroutine until the next message.
func TestAReaderParksAfterAFrameOverAMebibyte(t *testing.T) {
	pp := newParkedPair(t)
	for _, size := range []int{1 << 20, 3<<20 + 5} {
		pp.send(size)
		waitFor(t, "both readers to park again", pp.parked)
	}
}

// parkedPair is a subscriber to a topic and a publisher on one engine,
// both of whose readers have parked; both end with the test.
type parkedPair struct {
	t        *testing.T
	e        *Engine
	sub, pub *Conn
	got      atomic.Int64
}

func newParkedPair(t *testing.T) *parkedPair {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	pp := &parkedPair{t: t, e: NewEngine(EngineOptions{})}
	pp.sub = mustConn(t, pp.e, ConnOptions{})
	_, err = pp.sub.Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
	require.NoError(t, err)
	_, err = pp.sub.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/parked", Receipt: time.Second,
		Handler: func(Message) AckAction { pp.got.Add(1); return AckNone }})
	require.NoError(t, err)
	pp.pub = mustConn(t, pp.e, ConnOptions{})
	_, err = pp.pub.Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
	require.NoError(t, err)
	t.Cleanup(func() {
		pp.sub.Close()
		pp.pub.Close()
		require.NoError(t, pp.e.Close())
	})
	waitFor(t, "both readers to park", pp.parked)
	return pp
}

// parked reports whether both readers rest in the engine's poller.
func (pp *parkedPair) parked() bool {
	parked, running := pp.e.idle.state()
	return parked == 2 && running && readerGoroutines() == 0
}

// send publishes a body of size bytes, waits until it arrived, and
// returns the bytes its MESSAGE took on the subscriber's socket.
func (pp *parkedPair) send(size int) int64 {
	before, n := pp.sub.Stats().BytesIn, pp.got.Load()
	f := frames.New(frames.CmdSend, frames.HdrDestination, "/topic/parked")
	f.Body = bytes.Repeat([]byte("x"), size)
	require.NoError(pp.t, pp.pub.Send(testCtx(pp.t), f, time.Second, true))
	waitFor(pp.t, "the message to arrive", func() bool { return pp.got.Load() == n+1 })
	return pp.sub.Stats().BytesIn - before
}
