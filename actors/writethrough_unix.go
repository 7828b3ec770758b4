//go:build unix

package actors

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// rawWriter returns c's socket for writing through, or nil when c is not
// a plain TCP connection (a wrapper adds framing of its own).
func rawWriter(c net.Conn) syscall.RawConn {
	if cc, ok := c.(*countingConn); ok {
		c = cc.Conn
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// writeNow writes what the socket takes of b without waiting for room.
// A write deadline the writer armed and that has passed since is not an
// error here: nothing was written, and the writer, which arms a new one,
// writes it.
func writeNow(rc syscall.RawConn, b []byte) (n int, err error) {
	cerr := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				break
			}
			if e != nil {
				err = e
				break
			}
			if m <= 0 {
				break
			}
			n += m
		}
		return true // never wait: what is left is the writer's
	})
	if err == nil && cerr != nil && !errors.Is(cerr, os.ErrDeadlineExceeded) {
		err = cerr
	}
	return n, err
}
