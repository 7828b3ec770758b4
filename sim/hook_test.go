package sim

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// hookRecorder collects what a fault hook is called with.
type hookRecorder struct {
	mu     sync.Mutex
	events []FaultEvent
}

func (h *hookRecorder) hook(e FaultEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *hookRecorder) got() []FaultEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]FaultEvent(nil), h.events...)
}

func TestBrokerFaultHookSeesEachEvent(t *testing.T) {
	var h hookRecorder
	tr := runPipelined(t, Plan{
		{Name: "dup", Kind: DuplicateMessage, Nth: 2},
		{Name: "pieces", Kind: SplitWrites, Chunk: 64},
	}, WithFaultHook(h.hook))
	require.NotEmpty(t, tr.events)
	assert.Equal(t, tr.events, h.got(), "the hook is called once per recorded event, in order on one connection")
}

func TestProxyFaultHookAndListenAddr(t *testing.T) {
	b := newBroker(t)
	var h hookRecorder
	// Pick a free port and ask the proxy for it by name.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	p, err := NewProxy(b.Addr(), Plan{{Name: "cut", Kind: DropConn, AfterBytes: 100}},
		ProxyListenAddr(addr), ProxyFaultHook(h.hook))
	if err != nil {
		t.Skipf("the free port was taken meanwhile: %v", err)
	}
	assert.Equal(t, addr, p.Addr())
	c := tcpClient(t, p.Addr())
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.conn, pipelined)
		werr <- err
	}()
	tr := transcript{}
	c.readToEnd(&tr)
	_ = c.conn.Close()
	<-werr
	require.NoError(t, p.Close())
	want := []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Offset: 100}}
	assert.Equal(t, want, p.FaultEvents())
	assert.Equal(t, want, h.got())
}

func TestProxyListenAddrRefused(t *testing.T) {
	_, err := NewProxy("127.0.0.1:1", nil, ProxyListenAddr(""))
	assert.ErrorContains(t, err, "listen address")
	b := newBroker(t)
	_, err = NewProxy("127.0.0.1:1", nil, ProxyListenAddr(b.Addr()))
	assert.Error(t, err, "the port is the broker's")
}

func TestFaultEventString(t *testing.T) {
	for _, tt := range []struct {
		e    FaultEvent
		want string
	}{
		{FaultEvent{Fault: "cut", Kind: DropConn, Conn: 2, Offset: 512}, "conn 2: cut (DropConn) to-client at byte 512"},
		{FaultEvent{Fault: "in", Kind: DropConn, Conn: 1, Dir: ToServer, Offset: 3, Command: frames.CmdSend}, "conn 1: in (DropConn) to-server at frame 3 (SEND)"},
		{FaultEvent{Fault: "oops", Kind: SendError, Conn: 1, Offset: 4, Command: frames.CmdMessage}, "conn 1: oops (SendError) at frame 4 (MESSAGE)"},
		{FaultEvent{Fault: "bits", Kind: SplitWrites, Conn: 3, Offset: 10, Size: 1}, "conn 3: bits (SplitWrites) to-client at byte 10, 1-byte piece"},
		{FaultEvent{Fault: "slow", Kind: DelayWrites, Conn: 1, Dir: ToServer, Delay: 15 * time.Millisecond}, "conn 1: slow (DelayWrites) to-server at byte 0, 15ms"},
		{FaultEvent{Fault: "wait", Kind: StallAccept, Conn: 5, Delay: time.Second}, "conn 5: wait (StallAccept) on accept, 1s"},
		{FaultEvent{Fault: "no", Kind: RefuseAccept, Conn: 1}, "conn 1: no (RefuseAccept) on accept"},
	} {
		assert.Equal(t, tt.want, tt.e.String())
	}
}

func TestFlowHookSaysWhenPublishersPauseAndResume(t *testing.T) {
	events := make(chan FlowEvent, 16)
	b, err := NewBroker(WithMaxQueued(4), WithFlowHook(func(e FlowEvent) { events <- e }))
	require.NoError(t, err)
	defer b.Close()
	pub, err := b.ServePipe()
	require.NoError(t, err)
	defer pub.Close()
	go func() {
		_, _ = pub.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00"))
		for i := 0; i < 5; i++ {
			_, _ = pub.Write([]byte("SEND\ndestination:/queue/f\n\nx\x00"))
		}
	}()
	go func() { _, _ = io.Copy(io.Discard, pub) }()
	select {
	case e := <-events:
		assert.Equal(t, FlowEvent{Paused: true, Queued: 5, MaxQueued: 4}, e)
	case <-time.After(20 * time.Second):
		t.Fatal("no pause reported")
	}
	sub, err := b.ServePipe()
	require.NoError(t, err)
	defer sub.Close()
	go func() { _, _ = io.Copy(io.Discard, sub) }()
	_, err = sub.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:1\ndestination:/queue/f\n\n\x00"))
	require.NoError(t, err)
	select {
	case e := <-events:
		assert.False(t, e.Paused)
		assert.Equal(t, 4, e.MaxQueued)
		assert.LessOrEqual(t, e.Queued, 2)
	case <-time.After(20 * time.Second):
		t.Fatal("no resume reported")
	}
}
