package sim

import (
	"sync"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// closeMode says how a stream must end after a filtered frame.
type closeMode uint8

const (
	keepOpen      closeMode = iota
	closeGraceful           // flush, then close like after an ERROR
	closeAbort              // close at once
)

// frameRule is one frame fault on one connection.
type frameRule struct {
	f       *Fault
	cmd     frames.Command
	start   time.Time // what After counts from: the accept, or the Inject
	base    int       // the index of the stream's frame AfterFrames counts from
	matched int       // frames that met every condition but the count
	fired   bool      // the rule has fired
	left    int       // frames it may still affect; negative: no limit
	// For ReceiptOf: the client's frames with a receipt header counted,
	// and the receipt id of the one the ERROR answers, once seen.
	receipts int
	receipt  string
	answer   bool
}

// frameFilter applies frame faults to the frames a server sends to one
// client, and watches the client's frames for the faults that need them.
// The broker calls it from a connection's reader and writer goroutines, the
// proxy from its two copy loops and a timer, so it locks.
type frameFilter struct {
	mu       sync.Mutex
	cf       *connFaults
	out      []*frameRule // faults on the ToClient stream
	in       []*frameRule // DropConn faults counting ToServer frames
	sent     int          // ToClient frames seen, heart-beats not counted
	recv     int          // ToServer frames seen, heart-beats not counted
	hbOff    bool         // StopHeartbeats has fired
	discRcpt map[string]bool
	// onCopy, when set, readies a copy of a MESSAGE that DuplicateMessage
	// or RedeliverMessage sends (the broker gives it its own ack id); the
	// proxy leaves it nil.
	onCopy func(*frames.Frame)
}

func newFrameFilter(cf *connFaults) *frameFilter {
	return &frameFilter{cf: cf, discRcpt: make(map[string]bool)}
}

// add puts the frame fault f into effect from now on: After counts from
// start, AfterFrames from the next frame of its stream. It returns when
// tick must be called for it, or the zero time when it needs no tick (it
// does not trigger by time alone).
func (ff *frameFilter) add(f *Fault, start time.Time) time.Time {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	r := &frameRule{f: f, cmd: f.command(), start: start, left: f.Times}
	if r.left == 0 {
		r.left = 1
	}
	if f.Kind == DropConn && f.Dir == ToServer {
		r.base = ff.recv
		ff.in = append(ff.in, r)
		return time.Time{}
	}
	r.base = ff.sent
	ff.out = append(ff.out, r)
	if r.timeOnly() {
		return start.Add(f.After)
	}
	return time.Time{}
}

// remove ends the fault named name on this connection, reporting whether
// it was in effect here. Heart-beats resume when no StopHeartbeats that
// fired remains.
func (ff *frameFilter) remove(name string) bool {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	found := false
	keep := func(rules []*frameRule) []*frameRule {
		out := rules[:0]
		for _, r := range rules {
			if r.f.Name == name {
				found = true
				continue
			}
			out = append(out, r)
		}
		clear(rules[len(out):])
		return out
	}
	ff.in, ff.out = keep(ff.in), keep(ff.out)
	ff.hbOff = false
	for _, r := range ff.out {
		if r.f.Kind == StopHeartbeats && r.fired {
			ff.hbOff = true
		}
	}
	return found
}

// elapsed reports whether the fault's After has passed.
func (r *frameRule) elapsed() bool {
	return r.f.After == 0 || time.Since(r.start) >= r.f.After
}

// timeOnly reports whether the rule fires on a timer rather than on a frame.
func (r *frameRule) timeOnly() bool {
	f := r.f
	return f.Kind == SendError && f.After > 0 && f.AfterFrames == 0 && f.OnCommand == frames.CmdInvalid && f.Nth == 0 && f.ReceiptOf == 0
}

// triggers reports whether the rule acts on frame f, the index-th frame of
// its stream, and consumes one of its uses when it does.
func (r *frameRule) triggers(cf *connFaults, f *frames.Frame, index int) bool {
	if r.left == 0 || f.IsHeartbeat() {
		return false
	}
	if r.cmd != frames.CmdInvalid && f.Command != r.cmd {
		return false
	}
	if !r.fired {
		if index-r.base < r.f.AfterFrames || !r.elapsed() {
			return false
		}
		r.matched++
		if r.matched < max(r.f.Nth, 1) {
			return false
		}
		r.fired = true
	}
	if r.left > 0 {
		r.left--
	}
	return true
}

// fromClient watches one frame from the client. It returns true when a
// DropConn fault fires on it: the frame must not be processed and the
// connection must be closed.
func (ff *frameFilter) fromClient(f *frames.Frame) bool {
	if f.IsHeartbeat() {
		return false
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
		if f.Command == frames.CmdDisconnect {
			ff.discRcpt[id] = true
		}
		ff.watchReceipt(id)
	}
	index := ff.recv
	ff.recv++
	for _, r := range ff.in {
		if r.triggers(ff.cf, f, index) {
			ff.cf.record(r.f, FaultEvent{Dir: ToServer, Offset: int64(index), Command: f.Command})
			return true
		}
	}
	return false
}

// watchReceipt counts a receipt the client asked for, for the SendError
// faults that answer one (ReceiptOf).
func (ff *frameFilter) watchReceipt(id string) {
	for _, r := range ff.out {
		if r.f.ReceiptOf == 0 || r.answer || !r.elapsed() {
			continue
		}
		r.receipts++
		if r.receipts == r.f.ReceiptOf {
			r.receipt, r.answer = id, true
		}
	}
}

// tick fires the time-only SendError faults that are due, emitting their
// ERROR frames.
func (ff *frameFilter) tick(emit func(*frames.Frame) error) (closeMode, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	for _, r := range ff.out {
		if !r.timeOnly() || r.fired || !r.elapsed() {
			continue
		}
		r.fired = true
		r.left = 0
		ff.cf.record(r.f, FaultEvent{Offset: int64(ff.sent), Command: frames.CmdError})
		if err := emit(injectedError(r.f, "")); err != nil {
			return closeAbort, err
		}
		if r.f.Fatal {
			return closeGraceful, nil
		}
	}
	return keepOpen, nil
}

// toClient passes one frame for the client through the faults, emitting
// what must be sent in its place (nothing, the frame, or more frames). f
// may be a heart-beat. emit must not keep f.
func (ff *frameFilter) toClient(f *frames.Frame, emit func(*frames.Frame) error) (closeMode, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	index := ff.sent
	if !f.IsHeartbeat() {
		ff.sent++
	}
	drop, dup, redeliver := false, false, false
	mode := keepOpen
	for _, r := range ff.out {
		fault := r.f
		switch fault.Kind {
		case StopHeartbeats:
			if !ff.hbOff && r.stopsHeartbeats(ff.cf, f, index) {
				r.fired, ff.hbOff = true, true
				ff.cf.record(fault, FaultEvent{Offset: int64(index), Command: f.Command})
			}
			continue
		case NoDisconnectReceipt:
			if !ff.discRcpt[f.Header(frames.HdrReceiptID)] {
				continue
			}
		case SendError:
			if r.timeOnly() {
				continue
			}
			if fault.ReceiptOf > 0 {
				if r.fired || !r.answer || f.Command != frames.CmdReceipt || f.Header(frames.HdrReceiptID) != r.receipt {
					continue
				}
				// The ERROR takes the RECEIPT's place.
				r.fired, r.left, drop = true, 0, true
				ff.cf.record(fault, FaultEvent{Offset: int64(index), Command: f.Command})
				if err := emit(injectedError(fault, r.receipt)); err != nil {
					return closeAbort, err
				}
				if fault.Fatal {
					return closeGraceful, nil
				}
				continue
			}
		}
		if !r.triggers(ff.cf, f, index) {
			continue
		}
		ff.cf.record(fault, FaultEvent{Offset: int64(index), Command: f.Command})
		switch fault.Kind {
		case DropConn:
			return closeAbort, nil
		case SendError:
			if err := emit(injectedError(fault, "")); err != nil {
				return closeAbort, err
			}
			if fault.Fatal {
				return closeGraceful, nil
			}
		case DuplicateMessage:
			dup = true
		case RedeliverMessage:
			redeliver = true
		case WithholdReceipt:
			drop = true
		case NoDisconnectReceipt:
			drop, mode = true, closeAbort
		}
	}
	if f.IsHeartbeat() && ff.hbOff {
		return keepOpen, nil
	}
	if drop {
		return mode, nil
	}
	if err := emit(f); err != nil {
		return closeAbort, err
	}
	if dup {
		again := f
		if ff.onCopy != nil {
			again = f.Clone()
			ff.onCopy(again)
		}
		if err := emit(again); err != nil {
			return closeAbort, err
		}
	}
	if redeliver {
		again := f.Clone()
		again.Headers.Set(frames.HdrRedelivered, "true")
		if ff.onCopy != nil {
			ff.onCopy(again)
		}
		if err := emit(again); err != nil {
			return closeAbort, err
		}
	}
	return mode, nil
}

// stopsHeartbeats reports whether a StopHeartbeats rule fires on f. Unlike
// other rules a heart-beat can fire it, when no command is named.
func (r *frameRule) stopsHeartbeats(cf *connFaults, f *frames.Frame, index int) bool {
	if f.IsHeartbeat() {
		return r.cmd == frames.CmdInvalid && r.f.Nth <= 1 && index-r.base >= r.f.AfterFrames && r.elapsed()
	}
	return r.triggers(cf, f, index)
}

// injectedError builds the ERROR frame of a SendError fault, naming
// receipt when it is not empty.
func injectedError(f *Fault, receipt string) *frames.Frame {
	msg := f.Message
	if msg == "" {
		msg = "injected fault " + f.Name
	}
	h := frames.Headers{{Key: frames.HdrMessage, Value: msg}}
	if receipt != "" {
		h = append(h, frames.Header{Key: frames.HdrReceiptID, Value: receipt})
	}
	h = append(h, frames.Header{Key: frames.HdrContentType, Value: "text/plain"})
	return &frames.Frame{
		Command: frames.CmdError,
		Headers: h,
		Body:    []byte("fault " + f.Name + " (" + f.Kind.String() + ") injected this ERROR frame\n"),
	}
}
