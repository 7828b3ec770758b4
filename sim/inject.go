package sim

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Inject puts fault f into effect while the broker runs. f is validated as
// a plan's faults are, and its name must differ from every fault's of the
// plan and of earlier injections, cleared ones included, so that
// FaultEvents stays unambiguous. FaultEvents and the fault hook record it
// like a planned fault; FaultEvents lists its events after those of the
// plan's faults, injected faults in the order injected.
//
// f applies to every connection accepted from then on that its Conn names
// (all of them when Conn is 0), its triggers counted from the accept as a
// planned fault's are. It also applies at once to the connection Conn
// names if that one is open (to every open connection when Conn is 0),
// with its triggers counted from the Inject: After is the time since the
// Inject, AfterFrames and AfterBytes count the frames and bytes that pass
// after it. So Fault{Kind: StopReading, Conn: 2} stops reading connection
// 2 now, and Fault{Kind: SendError, Conn: 2, OnCommand: frames.CmdMessage}
// sends an ERROR before its next MESSAGE.
//
// Every kind can act on an open connection except the accept faults,
// RefuseAccept and StallAccept, which act only on connections accepted
// later: Inject refuses one whose Conn names a connection already
// accepted. It also refuses a fault whose Conn names a connection that has
// closed, since it could never act. On an open connection, a DelayWrites
// to the client acts on each write call rather than each frame (only a
// planned one makes the broker write each frame on its own), and the
// offsets in the events of a frame fault count from the Inject when the
// connection had no frame fault before it (byte faults always do).
//
// Inject returns ErrClosed once the broker is closed.
func (b *Broker) Inject(f Fault) error {
	b.injMu.Lock()
	defer b.injMu.Unlock()
	if b.isClosed() {
		return ErrClosed
	}
	live := b.openConns(f.Conn)
	if err := checkInject(f, b.names, int(b.accepted.Load()), len(live) > 0 || b.stalled[f.Conn]); err != nil {
		return err
	}
	b.names[f.Name] = true
	b.faults.addName(f.Name)
	// A new array: connections keep pointers into the old one.
	b.plan = append(b.plan[:len(b.plan):len(b.plan)], f)
	if f.isAcceptFault() {
		return nil
	}
	now := time.Now()
	for _, c := range live {
		fc := f
		c.inject(&fc, now)
	}
	return nil
}

// Clear ends the planned or injected fault named name from then on: no
// connection accepted later gets it, and on the open connections it acts
// no more. A stall it holds (StopReading, StallWrites, StallAccept) ends
// at once, heart-beats that StopHeartbeats stopped resume, and a timed
// DropConn or SendError that has not fired will not. What it did stays in
// FaultEvents, and its name stays taken. Clear reports an error for a name
// that no fault has or that was cleared already, and ErrClosed once the
// broker is closed.
func (b *Broker) Clear(name string) error {
	b.injMu.Lock()
	defer b.injMu.Unlock()
	if b.isClosed() {
		return ErrClosed
	}
	next, err := planWithout(b.plan, name, b.names)
	if err != nil {
		return err
	}
	b.plan = next
	for _, c := range b.openConns(0) {
		c.clearFault(name)
	}
	close(b.cleared)
	b.cleared = make(chan struct{})
	return nil
}

// isClosed reports whether Close has been called.
func (b *Broker) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// openConns returns the registered connections numbered n, or all of them
// when n is 0.
func (b *Broker) openConns(n int) []*conn {
	b.connsMu.Lock()
	defer b.connsMu.Unlock()
	var out []*conn
	for c := range b.conns {
		if n == 0 || c.index == n {
			out = append(out, c)
		}
	}
	return out
}

// activeFault reports whether the fault named name is in effect (planned
// or injected, and not cleared). The caller holds injMu.
func (b *Broker) activeFault(name string) bool {
	for i := range b.plan {
		if b.plan[i].Name == name {
			return true
		}
	}
	return false
}

// inject puts fault f into effect on the running connection, its triggers
// counted from now. The caller holds the broker's injMu.
func (c *conn) inject(f *Fault, now time.Time) {
	if c.liveFaults == nil {
		c.liveFaults = &connFaults{index: c.index, start: now, log: &c.b.faults}
	}
	if f.isFrameFault() {
		ff := c.filter.Load()
		if ff == nil {
			ff = newFrameFilter(c.liveFaults)
			ff.onCopy = c.copyMessage
		}
		at := ff.add(f, now)
		c.filter.Store(ff)
		if !at.IsZero() {
			c.after(time.Until(at), func() { signal(c.poke) })
		}
		return
	}
	fc := c.live.Load()
	if fc == nil {
		c.timerMu.Lock()
		select {
		case <-c.closed:
			c.timerMu.Unlock()
			return
		default:
		}
		fc = newFaultConn(c.raw, c.liveFaults)
		c.live.Store(fc)
		c.timerMu.Unlock()
	}
	if fc.addRule(newByteRule(f, c.index, now)) {
		// Wake a read waiting for the client, on raw or on fc, so the
		// rule acts on the client's next bytes: a stall holds them, a
		// DropConn, CorruptByte, RandomChunks or DelayWrites counts them
		// (see conn.Read and faultConn.Read).
		fc.kick()
	}
}

// clearFault ends the fault named name on the connection.
func (c *conn) clearFault(name string) {
	if ff := c.filter.Load(); ff != nil {
		ff.remove(name)
	}
	if fc, ok := c.raw.(*faultConn); ok {
		fc.removeRule(name)
	}
	if fc := c.live.Load(); fc != nil {
		fc.removeRule(name)
	}
}

// kick wakes a Read waiting for the client with a past read deadline;
// Read then restores the caller's deadline and goes round, through the
// rules in effect now.
func (c *faultConn) kick() {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.kicked = true
	_ = c.Conn.SetReadDeadline(time.Now())
}

// stallThenServe holds a connection for a StallAccept fault, until its
// Delay has passed or it is cleared, then serves it with the faults in
// effect then.
func (b *Broker) stallThenServe(nc net.Conn, f *Fault, index int, start time.Time) {
	defer b.wg.Done()
	var expired <-chan time.Time
	if f.Delay > 0 {
		t := time.NewTimer(time.Until(start.Add(f.Delay)))
		defer t.Stop()
		expired = t.C
	}
	for {
		b.injMu.Lock()
		wake, active := b.cleared, b.activeFault(f.Name)
		b.injMu.Unlock()
		if !active {
			break
		}
		select {
		case <-expired:
		case <-wake:
			continue
		case <-b.done:
			_ = nc.Close()
			return
		}
		break
	}
	b.injMu.Lock()
	defer b.injMu.Unlock()
	delete(b.stalled, index)
	b.start(nc, b.plan.forConn(index, start, &b.faults), index)
}

// checkInject says why f cannot be injected, for a broker and a proxy
// alike: names are the names taken, accepted the connections accepted so
// far, and open whether the connection f.Conn names is still open (or
// about to be).
func checkInject(f Fault, names map[string]bool, accepted int, open bool) error {
	if f.Name == "" {
		return errors.New("sim: injected fault has no name")
	}
	if err := f.validate(); err != nil {
		return fmt.Errorf("sim: fault %q: %w", f.Name, err)
	}
	if names[f.Name] {
		return fmt.Errorf("sim: fault name %q already used", f.Name)
	}
	if f.Conn != 0 && f.Conn <= accepted {
		if f.isAcceptFault() {
			return fmt.Errorf("sim: fault %q: connection %d was already accepted, and %v acts only on connections accepted later", f.Name, f.Conn, f.Kind)
		}
		if !open {
			return fmt.Errorf("sim: fault %q: connection %d has closed", f.Name, f.Conn)
		}
	}
	return nil
}

// planWithout returns a new plan without the fault named name, or says
// why there is none: names are the names ever taken.
func planWithout(plan Plan, name string, names map[string]bool) (Plan, error) {
	at := -1
	for i := range plan {
		if plan[i].Name == name {
			at = i
		}
	}
	if at < 0 {
		if names[name] {
			return nil, fmt.Errorf("sim: fault %q was cleared already", name)
		}
		return nil, fmt.Errorf("sim: no fault named %q", name)
	}
	next := make(Plan, 0, len(plan)-1)
	return append(append(next, plan[:at]...), plan[at+1:]...), nil
}
