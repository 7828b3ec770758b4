package actors

import (
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
)

// doneRunner calls the outcomes of reliable sends (their done), in the
// order the session settled them, on a goroutine of its own that lives
// while outcomes wait: user code never runs on the session's goroutine,
// where one that blocks, panics or ends its goroutine (runtime.Goexit)
// would hold the connection's work or cut it short, a Close among it.
// Close waits for the goroutine (Conn.wg), as it did when the dones ran in
// the session's steps: within CloseContext's context, and not when it is
// called from a done itself (found on its stack: it would wait for
// itself). Its queue holds at most one outcome per outbox entry.
type doneRunner struct {
	mu      sync.Mutex
	q       []doneCall
	running bool
	active  atomic.Int32 // dones running now
}

// doneCall is an outcome for a sender's done.
type doneCall struct {
	fn  func(error)
	err error
}

// post queues d, starting the runner's goroutine when none runs.
func (r *doneRunner) post(c *Conn, d doneCall) {
	r.mu.Lock()
	r.q = append(r.q, d)
	start := !r.running
	if start {
		r.running = true
		c.wg.Add(1)
	}
	r.mu.Unlock()
	if start {
		go r.loop(c)
	}
}

func (r *doneRunner) loop(c *Conn) {
	ended := false
	defer func() {
		if !ended {
			// A done ended the goroutine: the next ones run on
			// another, which takes over this one's place in wg.
			go r.loop(c)
		}
	}()
	for {
		r.mu.Lock()
		if len(r.q) == 0 {
			r.q = nil
			r.running = false
			r.mu.Unlock()
			ended = true
			c.wg.Done()
			return
		}
		d := r.q[0]
		r.q[0] = doneCall{}
		r.q = r.q[1:]
		r.mu.Unlock()
		r.call(c, d)
	}
}

// call runs one done, reporting (and counting) a panic or a Goexit.
func (r *doneRunner) call(c *Conn, d doneCall) {
	r.active.Add(1)
	defer r.active.Add(-1)
	returned := false
	defer func() {
		if returned {
			return
		}
		c.stats.more().Panics.Add(1)
		if rec := recover(); rec != nil {
			c.emit(&ErrorEvent{Err: errPanic("done callback of a reliable send", rec)})
		} else {
			c.emit(&ErrorEvent{Err: errExited("done callback of a reliable send")})
		}
	}()
	callDone(d)
	returned = true
}

// callDone calls d's done: the frame by which userCodeHolds knows a
// goroutine runs a done.
//
//go:noinline
func callDone(d doneCall) { d.fn(d.err) }

// callDoneName is callDone's name as stacks give it.
var callDoneName = runtime.FuncForPC(reflect.ValueOf(callDone).Pointer()).Name()

// donesRunning reports whether a done of c's runs now.
func (c *Conn) donesRunning() bool {
	ob := c.ob.Load()
	return ob != nil && ob.dones.active.Load() > 0
}

// userCodeHolds reports whether Close must not wait for the connection to
// finish because it is called from code the wait would include: a message
// handler or DeadLetter hook of this connection (found on the caller's
// stack: the subscription's actor cannot stop while its handler waits for
// Close), or a done, which the runner's goroutine, among those Close waits
// for, is running. It walks the stack only while a handler or a done of
// the connection runs. The stack shows that the caller runs a handler, not
// whose: one of another connection, running while one of this
// connection's runs, is taken for one of this connection's.
func (c *Conn) userCodeHolds() bool {
	if c.callbacks.Load() > 0 && onStack(handleName, callDeadLetterName) {
		return true
	}
	return c.donesRunning() && onStack(callDoneName)
}

// The frames by which userCodeHolds knows a goroutine runs a message
// handler or a DeadLetter hook.
var (
	handleName         = runtime.FuncForPC(reflect.ValueOf((*subscription).handle).Pointer()).Name()
	callDeadLetterName = runtime.FuncForPC(reflect.ValueOf((*subscription).callDeadLetter).Pointer()).Name()
)

// onStack reports whether the calling goroutine's stack holds a call of
// a function among names.
func onStack(names ...string) bool {
	pcs := make([]uintptr, 256)
	for {
		n := runtime.Callers(2, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		for _, name := range names {
			if f.Function == name {
				return true
			}
		}
		if !more {
			return false
		}
	}
}
