//go:build linux && !386

package actors

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// sockWait waits until a plain TCP connection has bytes to read (or an
// end or error to report), without reading them.
type sockWait struct {
	tc    *net.TCPConn
	rc    syscall.RawConn
	ready func(fd uintptr) bool // made once: a method value per wait would allocate
	look  func(fd uintptr)      // made once too, for drained
	found bool                  // what look found: nothing to read
	peek  [1]byte
	// looked: this wait looked and found nothing, so the next call of
	// ready follows the poller's word that the socket became readable.
	looked bool
	// until is the read deadline armed for settle (zero: none). It is
	// moved on only when less than half of settle is left, not at every
	// wait: arming a deadline is a timer, and a timer earlier than the
	// others wakes the poller, which a connection with one message in
	// flight paid at every message.
	until int64 // UnixNano
}

// readable returns a waiter for c, or nil when c is not a plain TCP
// connection. A wrapper that may hold bytes of its own (TLS, a proxy's or
// WebSocket's framing) is never waited on this way: its bytes could be
// waiting while the socket is quiet.
func readable(c net.Conn) *sockWait {
	tc, rc := plainTCP(c)
	if rc == nil {
		return nil
	}
	w := &sockWait{tc: tc, rc: rc}
	w.ready = w.check
	w.look = w.lookEmpty
	return w
}

// check looks whether a read would return at once: the poller reports a
// socket's edges, not its level, so a wait starts only after a look.
// (recv(2) itself rather than syscall.Recvfrom, which allocates the
// sender's address at every call.)
//
// Once a look found nothing, the poller's wake-up is taken at its word
// without a second look: the read that follows finds the bytes, the end
// or the error (and in the rare wake-up with none, waits for them as any
// read does). One system call less per message on a connection that
// waits between messages.
func (w *sockWait) check(fd uintptr) bool {
	if w.looked {
		w.looked = false
		return true
	}
	w.looked = w.empty(fd)
	return !w.looked
}

// empty looks, without reading nor waiting, whether fd has nothing to
// read (no bytes, no end, no error). An interrupted look looks again: the
// poller reports new bytes only, so a wait after a lost look could miss
// those already there.
func (w *sockWait) empty(fd uintptr) bool {
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&w.peek[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if errno != syscall.EINTR {
			return errno == syscall.EAGAIN
		}
	}
}

// drained reports whether a read would find nothing now (it looks without
// reading or waiting): the reader asks after a read that filled its
// buffer and ended at a frame's end, which may or may not have taken the
// last bytes.
func (w *sockWait) drained() bool {
	w.found = false
	_ = w.rc.Control(w.look)
	return w.found
}

func (w *sockWait) lookEmpty(fd uintptr) { w.found = w.empty(fd) }

// wait returns true once the socket is readable, or false when d (if
// not zero) passed first. Any other error (the connection closed) is
// left to the read that follows, which reports it. The reader is the
// only one that sets the connection's read deadline.
func (w *sockWait) wait(d time.Duration) bool {
	if d > 0 {
		_ = w.tc.SetReadDeadline(time.Now().Add(d))
	}
	w.looked = false
	err := w.rc.Read(w.ready)
	if d > 0 {
		_ = w.tc.SetReadDeadline(time.Time{})
	}
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// settled waits until the socket is readable and returns true, or returns
// false once it has been quiet for at least half of settle (and at most
// settle). Its deadline stays armed when it returns true, for the waits
// that follow; a read of the decoder's that meets it calls disarm and
// reads again (expired reports it).
func (w *sockWait) settled() bool {
	for {
		start := time.Now()
		if now := start.UnixNano(); w.until == 0 || w.until-now < int64(settle/2) {
			w.until = now + int64(settle)
			_ = w.tc.SetReadDeadline(start.Add(settle))
		}
		w.looked = false
		err := w.rc.Read(w.ready)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return true
		}
		if time.Since(start) >= settle/2 {
			w.disarm()
			return false
		}
		w.until = 0 // armed long before this wait: arm anew
	}
}

// waitReadable waits until the socket is readable, or until interrupt
// (from another goroutine) cuts the wait short. The deadline settled
// armed is not this wait's: the caller disarmed it when it claimed the
// reading (reader.claim).
func (w *sockWait) waitReadable() {
	w.looked = false
	_ = w.rc.Read(w.ready)
}

// interrupt ends a waitReadable now, with a deadline in the past, which
// clear takes away again once the wait returned.
func (w *sockWait) interrupt() { _ = w.tc.SetReadDeadline(time.Unix(1, 0)) }

// clear takes every deadline away, settled's included.
func (w *sockWait) clear() {
	w.until = 0
	_ = w.tc.SetReadDeadline(time.Time{})
}

// disarm clears the deadline settled armed.
func (w *sockWait) disarm() {
	if w.until != 0 {
		w.until = 0
		_ = w.tc.SetReadDeadline(time.Time{})
	}
}

// expired reports whether err is settled's deadline passing in a read of
// the decoder's, which is then disarmed so that the read can be made again.
func (w *sockWait) expired(err error) bool {
	if w == nil || w.until == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	w.disarm()
	return true
}
