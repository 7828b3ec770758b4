//go:build unix

package actors

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// plainTCP returns c's TCP connection and its raw socket, when c is a
// plain TCP connection (under the byte counter); a wrapper that adds
// framing of its own (TLS, a proxy's, WebSocket) is not.
func plainTCP(c net.Conn) (*net.TCPConn, syscall.RawConn) {
	if cc, ok := c.(*countingConn); ok {
		c = cc.Conn
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil, nil
	}
	return tc, rc
}

// rawWriter returns c's socket for writing through, or nil when c is not
// a plain TCP connection.
func rawWriter(c net.Conn) *rawWrite {
	_, rc := plainTCP(c)
	if rc == nil {
		return nil
	}
	w := &rawWrite{rc: rc}
	w.fn = w.write
	return w
}

// rawWrite writes through one socket. It is used by one sender at a time
// (the one whose write through holds the queue's signal), and made once:
// a closure per write would allocate.
type rawWrite struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	b   []byte
	n   int
	err error
}

func (w *rawWrite) write(fd uintptr) bool {
	for w.n < len(w.b) {
		m, e := syscall.Write(int(fd), w.b[w.n:])
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			break
		}
		if e != nil {
			w.err = e
			break
		}
		if m <= 0 {
			break
		}
		w.n += m
	}
	return true // never wait: what is left is the writer's
}

// writeNow writes what the socket takes of b without waiting for room.
// A write deadline the writer armed and that has passed since is not an
// error here: nothing was written, and the writer, which arms a new one,
// writes it.
func (w *rawWrite) writeNow(b []byte) (int, error) {
	w.b, w.n, w.err = b, 0, nil
	cerr := w.rc.Write(w.fn)
	n, err := w.n, w.err
	w.b, w.err = nil, nil
	if err == nil && cerr != nil && !errors.Is(cerr, os.ErrDeadlineExceeded) {
		err = cerr
	}
	return n, err
}
