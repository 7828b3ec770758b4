package actors

import "sync"

// doneRunner calls the outcomes of reliable sends (their done), in the
// order the session settled them, on a goroutine of its own that lives
// while outcomes wait: user code never runs on the session's goroutine,
// where one that blocks, panics or ends its goroutine (runtime.Goexit)
// would hold the connection's work or cut it short, a Close among it.
// A running done counts as a handler (callbacks): a Close made while one
// runs does not wait for it, as for a handler; otherwise Close waits for
// the goroutine (Conn.wg), within CloseContext's context. Its queue holds
// at most one outcome per outbox entry.
type doneRunner struct {
	mu      sync.Mutex
	q       []doneCall
	running bool
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
	c.callbacks.Add(1)
	defer c.callbacks.Add(-1)
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
	d.fn(d.err)
	returned = true
}
