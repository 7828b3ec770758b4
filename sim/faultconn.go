package sim

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errFaultDrop is returned by a connection that a DropConn fault closed.
var errFaultDrop = errors.New("sim: connection dropped by fault")

// faultConn applies byte faults to a client-facing connection: writes are
// the ToClient stream, reads the ToServer stream. Each direction is used by
// one goroutine at a time; Close may be called from any, and so may addRule
// and removeRule (Broker.Inject and Clear), which replace the rule lists
// rather than change them.
type faultConn struct {
	net.Conn
	cf         *connFaults
	readRules  ruleList
	writeRules ruleList
	nRead      atomic.Int64 // bytes read from the client (ToServer)
	nWritten   atomic.Int64 // bytes written to the client (ToClient)
	closed     chan struct{}
	closeOnce  sync.Once
	timerMu    sync.Mutex
	timers     []*time.Timer
	timedDrops ruleList // timed DropConn faults, which no stream's list holds

	// The caller's read deadline, and whether a StopReading timer has
	// forced a past deadline to wake a blocked Read (see alarmAt).
	dlMu   sync.Mutex
	readDL time.Time
	kicked bool

	// Bytes a read got past what the rules let through when it returned
	// (a rule added while it waited), for the next Read, and the error
	// that came with them (see took). The reader's own.
	over    []byte
	overErr error
}

// wrapConn returns conn wrapped with the byte faults of cf, or conn itself
// when there are none.
func wrapConn(conn net.Conn, cf *connFaults) net.Conn {
	if cf == nil || len(cf.bytes) == 0 {
		return conn
	}
	c := newFaultConn(conn, cf)
	for _, r := range cf.bytes {
		c.addRule(r)
	}
	return c
}

func newFaultConn(conn net.Conn, cf *connFaults) *faultConn {
	return &faultConn{Conn: conn, cf: cf, closed: make(chan struct{})}
}

// SetReadDeadline sets the caller's read deadline; a StopReading stall
// pushes it back by the stall's length (see Read).
func (c *faultConn) SetReadDeadline(t time.Time) error {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.readDL = t
	if c.kicked {
		return nil // Read restores it
	}
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, the read one as SetReadDeadline does.
func (c *faultConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// unkick undoes a wake-up forced by alarmAt, reporting whether there was
// one, and pushes the caller's read deadline back by stalled: time the
// broker spent not reading is not the client's silence.
func (c *faultConn) unkick(stalled time.Duration) bool {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	was := c.kicked
	if !was && (stalled == 0 || c.readDL.IsZero()) {
		return false
	}
	c.kicked = false
	if !c.readDL.IsZero() {
		c.readDL = c.readDL.Add(stalled)
	}
	_ = c.Conn.SetReadDeadline(c.readDL)
	return was
}

// count returns the byte counter of the stream dir.
func (c *faultConn) count(dir Direction) *atomic.Int64 {
	if dir == ToServer {
		return &c.nRead
	}
	return &c.nWritten
}

// Close closes the connection and unblocks any stalled call.
func (c *faultConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.timerMu.Lock()
		for _, t := range c.timers {
			t.Stop()
		}
		c.timerMu.Unlock()
	})
	return c.Conn.Close()
}

// CloseWrite half-closes the connection when the wrapped one can.
func (c *faultConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// wait blocks for d (until the connection closes when d is 0), or until
// r's fault is cleared.
func (c *faultConn) wait(r *byteRule, d time.Duration) error {
	var tc <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-tc:
		return nil
	case <-r.clear:
		return nil
	case <-c.closed:
		return net.ErrClosed
	}
}

// delay draws a DelayWrites wait and sleeps it.
func (c *faultConn) delay(r *byteRule, dir Direction, off int64) error {
	if !r.elapsed() {
		return nil
	}
	d := r.f.Delay
	if r.f.Jitter > 0 {
		d += time.Duration(r.rng.IntN(int(r.f.Jitter)))
	}
	c.cf.record(r.f, FaultEvent{Dir: dir, Offset: off, Delay: d})
	if d == 0 {
		return nil
	}
	return c.wait(r, d)
}

// piece applies the faults of rules that bound or split the next piece of
// a stream at offset off, for at most n bytes. It returns the piece size
// and how long a stall held it, or an error when the connection must stop.
func (c *faultConn) piece(rules []*byteRule, dir Direction, off int64, n int) (int, time.Duration, error) {
	var stalled time.Duration
	for _, r := range rules {
		f := r.f
		switch f.Kind {
		case StopReading, StallWrites:
			if r.fired || r.ended() {
				continue
			}
			// The counted stream: Dir for StallWrites, the stream read
			// for StopReading (see Fault.Dir).
			cdir, coff := dir, off
			if f.Kind == StallWrites && f.Dir != dir {
				cdir, coff = f.Dir, c.count(f.Dir).Load()
			}
			if coff < r.after {
				if cdir == dir {
					n = min(n, int(r.after-off))
				}
				continue
			}
			if !r.elapsed() {
				continue
			}
			r.fired = true
			c.cf.record(f, FaultEvent{Dir: cdir, Offset: coff, Delay: f.Delay})
			start := time.Now()
			if err := c.wait(r, f.Delay); err != nil {
				return 0, 0, err
			}
			stalled += time.Since(start)
		case DropConn:
			if r.fired {
				return 0, 0, errFaultDrop
			}
			if r.ended() {
				continue
			}
			if off >= r.after && r.elapsed() {
				r.fired = true
				c.cf.record(f, FaultEvent{Dir: dir, Offset: off})
				_ = c.Close()
				return 0, 0, errFaultDrop
			}
			if off < r.after {
				n = min(n, int(r.after-off))
			}
		case SplitWrites, RandomChunks:
			if !r.elapsed() {
				continue
			}
			if r.left == 0 {
				r.left = c.chunk(r)
				c.cf.record(f, FaultEvent{Dir: dir, Offset: off, Size: r.left})
			}
			n = min(n, r.left)
		}
	}
	return n, stalled, nil
}

// chunk returns the size of the next piece a splitting fault cuts.
func (c *faultConn) chunk(r *byteRule) int {
	size := r.f.Chunk
	if r.f.Kind == SplitWrites {
		return max(size, 1)
	}
	if size <= 0 {
		size = 64
	}
	return 1 + r.rng.IntN(size)
}

// consumed charges n bytes of a piece to the splitting faults.
func consumed(rules []*byteRule, n int) {
	for _, r := range rules {
		if r.left > 0 {
			r.left -= min(r.left, n)
		}
	}
}

// corrupt XORs the byte of p at stream offset AfterBytes, when p covers it.
// It copies p first when copyFirst is set (the caller's buffer is not ours).
func (c *faultConn) corrupt(rules []*byteRule, dir Direction, off int64, p []byte, copyFirst bool) []byte {
	for _, r := range rules {
		f := r.f
		if f.Kind != CorruptByte || r.fired || !r.elapsed() {
			continue
		}
		at := max(r.after, off)
		if at >= off+int64(len(p)) {
			continue
		}
		r.fired = true
		if copyFirst {
			p = append([]byte(nil), p...)
			copyFirst = false
		}
		mask := f.Mask
		if mask == 0 {
			mask = 0xFF
		}
		p[at-off] ^= mask
		c.cf.record(f, FaultEvent{Dir: dir, Offset: at})
	}
	return p
}

// dropReached closes the connection when a byte-offset DropConn has just
// been reached at offset off.
func (c *faultConn) dropReached(rules []*byteRule, dir Direction, off int64) bool {
	for _, r := range rules {
		f := r.f
		if f.Kind == DropConn && !r.fired && f.AfterBytes > 0 && off >= r.after && r.elapsed() {
			r.fired = true
			c.cf.record(f, FaultEvent{Dir: dir, Offset: off})
			_ = c.Close()
			return true
		}
	}
	return false
}

// Write writes p to the client through the ToClient byte faults.
func (c *faultConn) Write(p []byte) (int, error) {
	rules := c.writeRules.load()
	for _, r := range rules {
		if r.f.Kind == DelayWrites {
			if err := c.delay(r, ToClient, c.nWritten.Load()); err != nil {
				return 0, err
			}
		}
	}
	total := 0
	for total < len(p) {
		n, _, err := c.piece(rules, ToClient, c.nWritten.Load(), len(p)-total)
		if err != nil {
			return total, err
		}
		out := c.corrupt(rules, ToClient, c.nWritten.Load(), p[total:total+n], true)
		m, err := c.Conn.Write(out)
		c.nWritten.Add(int64(m))
		total += m
		consumed(rules, m)
		if err != nil {
			return total, err
		}
		if c.dropReached(rules, ToClient, c.nWritten.Load()) {
			return total, errFaultDrop
		}
	}
	return total, nil
}

// Read reads from the client through the ToServer byte faults. A
// StopReading stall does not count against the caller's read deadline: it
// is pushed back by the stall's length, so what the client sent meanwhile
// is read before the caller can judge the client silent.
func (c *faultConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.over) > 0 {
		// Bytes kept back by took: served first, in pieces the rules
		// allow, as the socket's would be.
		n, stalled, perr := c.piece(c.readRules.load(), ToServer, c.nRead.Load(), min(len(p), len(c.over)))
		if perr != nil {
			return 0, perr
		}
		c.unkick(stalled)
		n = copy(p[:n], c.over)
		c.over = c.over[:copy(c.over, c.over[n:])]
		var err error
		if len(c.over) == 0 {
			err, c.overErr = c.overErr, nil
		}
		return c.took(p, n, err)
	}
	var m int
	var err error
	for {
		// Loaded each time round: a read woken by kick finds the new rule.
		rules := c.readRules.load()
		n, stalled, perr := c.piece(rules, ToServer, c.nRead.Load(), len(p))
		if perr != nil {
			return 0, perr
		}
		c.unkick(stalled)
		m, err = c.Conn.Read(p[:n])
		// A read woken by a StopReading alarm, with nothing read: go
		// round, and the alarm holds the stream.
		if m == 0 && isTimeout(err) && c.unkick(0) {
			continue
		}
		break
	}
	if m == 0 {
		return 0, err
	}
	return c.took(p, m, err)
}

// took passes the m bytes at the start of p that a read got (or that an
// earlier one kept back) through the ToServer byte faults in effect now,
// and returns how many of them the caller gets. A rule added while the
// read waited acts on these bytes, the client's first after the Inject
// (the kick that wakes such a read can lose to their arrival; see
// conn.inject): a stall now due holds them, and the bytes past where a
// DropConn cuts or a RandomChunks piece ends are kept back for the next
// Read. conn.Read hands it the bytes of a read made on the raw socket when
// an Inject wrapped it meanwhile.
func (c *faultConn) took(p []byte, m int, err error) (int, error) {
	rules := c.readRules.load()
	off := c.nRead.Load()
	n, stalled, perr := c.piece(rules, ToServer, off, m)
	if perr != nil {
		return 0, perr
	}
	if stalled > 0 {
		c.unkick(stalled)
	}
	if n < m {
		// Kept back, in front of any kept before (a rule added since
		// they were cut, say); the error with them comes after them.
		if len(c.over) == 0 {
			c.over = append(c.over[:0], p[n:m]...)
			c.overErr = err
		} else {
			c.over = append(append(make([]byte, 0, m-n+len(c.over)), p[n:m]...), c.over...)
		}
		err = nil
	}
	c.corrupt(rules, ToServer, off, p[:n], false)
	c.nRead.Add(int64(n))
	consumed(rules, n)
	if c.dropReached(rules, ToServer, off+int64(n)) && err == nil {
		err = errFaultDrop
	}
	for _, r := range rules {
		if r.f.Kind == DelayWrites {
			if derr := c.delay(r, ToServer, off); derr != nil {
				return 0, derr
			}
		}
	}
	return n, err
}
