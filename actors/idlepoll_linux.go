//go:build linux && !386

package actors

import (
	"sync"
	"syscall"
	"unsafe"
)

// idlePoller waits for the sockets of quiet connections on one goroutine
// for the whole engine, so that a quiet connection holds no goroutine at
// all. Go waits for a socket only with a goroutine parked in a read (one
// per connection: its stack and record, about 2.6 KiB each), so a reader
// that has been quiet for settle registers its socket here instead, in an
// epoll set of the engine's own, and its goroutine ends; when bytes (or
// the end) arrive, the poller starts a reader goroutine again, which
// finds them through the usual wait. The poller's goroutine runs only
// while some reader is parked; the epoll set is closed with it.
type idlePoller struct {
	mu      sync.Mutex
	epfd    int // -1: no set
	wakeR   int // a pipe whose read end is in the set: unparking the last
	wakeW   int // reader wakes the goroutine so that it ends
	parked  map[uintptr]*reader
	running bool
	woken   uint64         // readers resumed so far (for tests)
	wg      sync.WaitGroup // the goroutine
}

// wakeKey is the epoll data of the wake-up pipe; readers' keys are their
// addresses, never 1.
const wakeKey = 1

func newIdlePoller() *idlePoller { return &idlePoller{epfd: -1, wakeR: -1, wakeW: -1} }

// park registers r's socket and reports whether it did; the caller's
// goroutine may then end, and the poller resumes r when the socket is
// readable (or ended). r counts in its connection's wait group while
// parked. A connection that cannot be waited on this way (not plain TCP,
// or the set cannot be made) is not parked.
func (p *idlePoller) park(r *reader) bool {
	if r.wait == nil {
		return false
	}
	key := uintptr(unsafe.Pointer(r))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.epfd < 0 && !p.openLocked() {
		return false
	}
	p.parked[key] = r
	r.c.wg.Add(1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
	*(*uint64)(unsafe.Pointer(&ev.Fd)) = uint64(key)
	var ctlErr error
	err := r.wait.rc.Control(func(fd uintptr) {
		// A socket parked before stays in the set, disarmed by
		// EPOLLONESHOT: arm it again.
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		if ctlErr == syscall.ENOENT {
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err != nil || ctlErr != nil {
		delete(p.parked, key)
		r.c.wg.Done()
		p.closeIfIdleLocked()
		return false
	}
	if !p.running {
		p.running = true
		p.wg.Add(1)
		go p.loop(p.epfd, p.wakeR)
	}
	return true
}

// unpark takes r back if it is parked (its connection is closing), so
// that nothing waits for it; a reader the poller already resumed ends by
// itself on the closed socket.
func (p *idlePoller) unpark(r *reader) {
	key := uintptr(unsafe.Pointer(r))
	p.mu.Lock()
	if _, ok := p.parked[key]; !ok {
		p.mu.Unlock()
		return
	}
	delete(p.parked, key)
	if len(p.parked) == 0 {
		if p.running {
			// Wake the goroutine: it ends, and closes the set.
			_, _ = syscall.Write(p.wakeW, []byte{0})
		} else {
			p.closeIfIdleLocked()
		}
	}
	p.mu.Unlock()
	// Closed already (its Stopping closes the socket first): the kernel
	// dropped it from the set. (A socket still open elsewhere, by a
	// forked child say, would stay armed in the set under a key no
	// longer in the map: its event is ignored, or wakes whichever reader
	// has that address now, which rests again.)
	r.c.wg.Done()
}

// openLocked makes the epoll set and its wake-up pipe.
func (p *idlePoller) openLocked() bool {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return false
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(epfd)
		return false
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	*(*uint64)(unsafe.Pointer(&ev.Fd)) = wakeKey
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fds[0], &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(fds[0])
		_ = syscall.Close(fds[1])
		return false
	}
	p.epfd, p.wakeR, p.wakeW = epfd, fds[0], fds[1]
	if p.parked == nil {
		p.parked = make(map[uintptr]*reader)
	}
	return true
}

// closeIfIdleLocked closes the set when no goroutine uses it.
func (p *idlePoller) closeIfIdleLocked() {
	if p.running || p.epfd < 0 || len(p.parked) > 0 {
		return
	}
	_ = syscall.Close(p.epfd)
	_ = syscall.Close(p.wakeR)
	_ = syscall.Close(p.wakeW)
	p.epfd, p.wakeR, p.wakeW = -1, -1, -1
	p.parked = nil
}

// loop waits for parked sockets and resumes their readers, until none is
// parked. (The wait is a system call that holds an OS thread, one for the
// engine; Go gives its processor to other goroutines meanwhile.)
func (p *idlePoller) loop(epfd, wakeR int) {
	defer p.wg.Done()
	events := make([]syscall.EpollEvent, 128)
	var ready []*reader
	for {
		n, err := syscall.EpollWait(epfd, events, -1)
		failed := err != nil && err != syscall.EINTR
		p.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			key := uintptr(*(*uint64)(unsafe.Pointer(&ev.Fd)))
			if key == wakeKey {
				var b [64]byte
				_, _ = syscall.Read(wakeR, b[:])
				continue
			}
			// A reader unparked meanwhile is gone from the map;
			// whichever reader now has its address (a stale event)
			// is resumed early, and rests again once quiet.
			if r, ok := p.parked[key]; ok {
				delete(p.parked, key)
				ready = append(ready, r)
				p.woken++
			}
		}
		if failed {
			// Cannot happen with a set of its own; should it, no reader
			// is left waiting for it: each goes back to its goroutine.
			for key, r := range p.parked {
				delete(p.parked, key)
				ready = append(ready, r)
			}
		}
		done := len(p.parked) == 0
		if done {
			p.running = false
			p.closeIfIdleLocked()
		}
		p.mu.Unlock()
		for i, r := range ready {
			// Its wait group count, taken at park, passes to the
			// goroutine.
			go r.resume()
			ready[i] = nil
		}
		ready = ready[:0]
		if done {
			return
		}
	}
}

// wait waits for the poller's goroutine to end (Engine.Close, once no
// connection is left).
func (p *idlePoller) wait() { p.wg.Wait() }

// state reports how many readers are parked and whether the goroutine
// runs (for tests).
func (p *idlePoller) state() (parked int, running bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked), p.running
}

// resumed counts the readers the poller has woken (for tests).
func (p *idlePoller) resumed() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.woken
}
