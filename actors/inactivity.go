package actors

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Inactivity waits: a caller whose frame holds its place in the
// outgoing queue, and is being written or waits behind frames being
// written, waits as long as the socket keeps taking bytes, and fails only
// when it took none for the wait's length; a caller still waiting for a
// place waits that length from its start, absolutely; once its frame is
// written, what is left of the wait (its RECEIPT) is bounded by that
// length from the end of the write. The check is lazy: nothing is counted
// per frame or per byte but what the connection counts anyway
// (connStats.lastWrite, moved by every socket write, which large buffers
// make in pieces: writeOut), and only a wait whose timer fires looks at
// it and, when bytes left meanwhile, arms its timer again.

// InactivityContext returns a context for one call on c that ends, with
// context.DeadlineExceeded, once the call's frame made no progress for
// d: from its start, or, once the frame holds its place in the outgoing
// queue (a token of MaxPendingWrites), from the last bytes the socket
// took since then while the frame was not yet written (the bytes ahead of
// it and its own), or from the end of its write. A wait for a place is
// absolute, d from the start however many bytes the socket takes
// meanwhile: the places are not handed out in order, and those bytes may
// be of frames queued after the call started (the call then fails with
// ErrTimeout, its frame not written). A call whose frame never reached
// the send path (a wait of another kind) ends d after the start, as with
// context.WithTimeout. parent's own end (its deadline included) ends it
// too, at once. The cancel function must be called, as with
// context.WithTimeout.
func (c *Conn) InactivityContext(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ic := &idleCtx{parent: parent, d: d, start: time.Now().UnixNano(), done: make(chan struct{})}
	// Armed under the lock, which fire and end take before they look.
	ic.mu.Lock()
	if parent.Done() != nil {
		ic.stop = context.AfterFunc(parent, ic.parentEnded)
	}
	ic.timer = time.AfterFunc(d, ic.fire)
	ic.mu.Unlock()
	return ic, ic.cancel
}

// InactivityWait returns the length of ctx's inactivity wait, when ctx is
// (or is derived from) one made by InactivityContext.
func InactivityWait(ctx context.Context) (time.Duration, bool) {
	if ic, ok := ctx.Value(idleKey{}).(*idleCtx); ok {
		return ic.d, true
	}
	return 0, false
}

// idleKey finds an idleCtx among a context's ancestors.
type idleKey struct{}

// idleCtx is InactivityContext's context.
type idleCtx struct {
	parent context.Context
	d      time.Duration
	start  int64 // unix nanoseconds
	done   chan struct{}
	timer  *time.Timer
	stop   func() bool // undoes the AfterFunc on parent; nil without one

	// wrote is when the call's frame was written whole (unix
	// nanoseconds, > 0), stamped by the write (writeFrame.written);
	// before that, once the frame holds its place in the outgoing queue
	// (track), minus the link's lastWrite then (only a socket write after
	// it is the call's progress); 0 before. (One field for both keeps an
	// idleCtx in the 112-byte size class.)
	wrote atomic.Int64
	// rid is the receipt the frame asks for, registered without a
	// deadline; written by whoever encodes the frame and read by whoever
	// then writes it (ordered by the queue's lock, or the writer's
	// goroutine), never by the timer.
	rid string

	mu  sync.Mutex
	err error
	// l is the link of the call's write, once its frame holds its place
	// in the outgoing queue (track).
	l *link
}

func (ic *idleCtx) Deadline() (time.Time, bool) { return ic.parent.Deadline() }
func (ic *idleCtx) Done() <-chan struct{}       { return ic.done }

func (ic *idleCtx) Err() error {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return ic.err
}

func (ic *idleCtx) Value(key any) any {
	if key == (idleKey{}) {
		return ic
	}
	return ic.parent.Value(key)
}

// track says the call's frame wf, which holds its place in l's outgoing
// queue (a token), goes out on l: the bytes l's socket takes from now
// count as its progress, and the write that carries wf's last byte stamps
// ic. It runs before wf is queued.
func (ic *idleCtx) track(l *link, wf *writeFrame) {
	wf.idle = ic
	ic.mu.Lock()
	ic.l = l
	// Before the frame is queued, so before the write that stamps it.
	ic.wrote.Store(-l.stats.lastWrite.Load())
	ic.mu.Unlock()
}

// trackWrite finds the inactivity context among ctx's ancestors, if
// any, and has it track wf on l.
func trackWrite(ctx context.Context, l *link, wf *writeFrame) {
	if ic, ok := ctx.Value(idleKey{}).(*idleCtx); ok {
		ic.track(l, wf)
	}
}

// dueLocked is when the wait ends unless progress is made before.
// ic.mu is held.
func (ic *idleCtx) dueLocked() int64 {
	from := ic.start
	if ic.l != nil {
		w := ic.wrote.Load()
		if w > 0 {
			return w + int64(ic.d)
		}
		// Not written yet: every byte the socket took since it holds
		// its place is of the frames ahead of it, or of its own (the
		// queue is in order from there). The writes before (while it
		// waited for a token, which are not handed out in order) are
		// not: that wait is counted from the start, absolutely.
		if lw := ic.l.stats.lastWrite.Load(); lw != -w {
			from = max(from, lw)
		}
	}
	return from + int64(ic.d)
}

// fire runs on the timer: the wait ends when it made no progress for d,
// else the timer is armed for the new end.
func (ic *idleCtx) fire() {
	ic.mu.Lock()
	if ic.err != nil {
		ic.mu.Unlock()
		return
	}
	if wait := time.Duration(ic.dueLocked() - time.Now().UnixNano()); wait > 0 {
		ic.timer.Reset(wait)
		ic.mu.Unlock()
		return
	}
	ic.mu.Unlock()
	ic.end(context.DeadlineExceeded)
}

func (ic *idleCtx) parentEnded() { ic.end(ic.parent.Err()) }

func (ic *idleCtx) cancel() { ic.end(context.Canceled) }

// end ends the context with err, once.
func (ic *idleCtx) end(err error) {
	ic.mu.Lock()
	if ic.err != nil {
		ic.mu.Unlock()
		return
	}
	ic.err = err
	close(ic.done)
	ic.l = nil
	timer, stop := ic.timer, ic.stop
	ic.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	if stop != nil {
		stop()
	}
}
