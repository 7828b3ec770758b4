package bench

import (
	"net"
	"strings"
	"sync"

	"github.com/stompactor/stompactor/frames"
)

// server accepts TCP connections and runs handle for each on a goroutine of
// its own. Close stops the listener, closes every connection and waits for
// every handler to return.
type server struct {
	ln     net.Listener
	handle func(net.Conn)
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func startServer(listen string, handle func(net.Conn)) (*server, error) {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, handle: handle, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// accept runs until the listener fails, which Close makes it do.
func (s *server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// Addr returns the address the server listens on, host:port.
func (s *server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for its goroutines. It is idempotent.
func (s *server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// peerLimits are the frame limits of the built-in peers: bodies up to
// 16 MiB, beyond the largest size the scenarios use.
var peerLimits = frames.Limits{MaxBody: 16 << 20}

// connected answers a CONNECT or STOMP frame as a built-in peer does: the
// highest version both sides speak, no heart-beats. A client that offers
// no version we speak gets an ERROR, and ok is false.
func connected(f *frames.Frame, server string) (reply *frames.Frame, v frames.Version, ok bool) {
	offered := f.Header(frames.HdrAcceptVersion)
	if offered == "" {
		return frames.New(frames.CmdConnected, frames.HdrServer, server), frames.V10, true
	}
	v = 0
	for _, s := range strings.Split(offered, ",") {
		if w, err := frames.ParseVersion(strings.TrimSpace(s)); err == nil && w > v {
			v = w
		}
	}
	if v == 0 {
		return frames.New(frames.CmdError, frames.HdrMessage, "no supported version in accept-version"), frames.V12, false
	}
	return frames.New(frames.CmdConnected, frames.HdrVersion, v.String(), frames.HdrServer, server,
		frames.HdrHeartBeat, "0,0", frames.HdrSession, "bench"), v, true
}

// receiptFor returns the RECEIPT answering f, or nil when f asks for none.
func receiptFor(f *frames.Frame) *frames.Frame {
	id, ok := f.Headers.Get(frames.HdrReceipt)
	if !ok {
		return nil
	}
	return frames.New(frames.CmdReceipt, frames.HdrReceiptID, id)
}
