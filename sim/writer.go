package sim

import (
	"time"

	"github.com/stompactor/stompactor/frames"
)

// writeBatch is how many bytes the writer encodes before writing even when
// more items are waiting.
const writeBatch = 256 << 10

// writer is the state of a connection's writer goroutine.
type writer struct {
	c         *conn
	enc       frames.Encoder
	buf       []byte
	hdrs      frames.Headers // scratch headers of the MESSAGE being encoded
	msg       frames.Frame   // scratch MESSAGE frame
	hb        time.Duration  // heart-beat send interval; 0: none
	hbTimer   *time.Timer
	lastWrite time.Time
	// connected: CONNECTED is in buf; the owner hears once it is written.
	connected bool
	// perFrame: write each item on its own (connFaults.delaysPerFrame).
	perFrame bool
}

// writeLoop drains the outbound queue: it encodes every waiting item into
// one buffer and writes it with one call, sends heart-beats when the
// connection has been idle for the negotiated interval, and fires timed
// frame faults.
func (c *conn) writeLoop() {
	defer c.b.wg.Done()
	w := &writer{c: c, buf: make([]byte, 0, 64<<10), lastWrite: time.Now(), perFrame: c.faults.delaysPerFrame()}
	defer func() {
		if w.hbTimer != nil {
			w.hbTimer.Stop()
		}
		c.out.close()
		c.b.post(&writeEnded{c: c})
	}()
	var spare []outItem
	for {
		var hbC <-chan time.Time
		if w.hbTimer != nil {
			hbC = w.hbTimer.C
		}
		select {
		case <-c.out.wake:
		case <-hbC:
			if !w.heartbeat() {
				return
			}
			continue
		case <-c.poke:
			if !w.finish(c.filter.Load().tick(w.emit)) {
				return
			}
			continue
		case <-c.closed:
			return
		}
		for {
			items, wasFull := c.out.take(spare)
			if wasFull && !c.b.post(&connDrained{c: c}) {
				return
			}
			mode := keepOpen
			for i := range items {
				if mode = w.item(&items[i]); mode != keepOpen {
					break
				}
				if w.perFrame && !w.flush() {
					return
				}
			}
			clear(items)
			spare = items[:0]
			if mode != keepOpen {
				w.finish(mode, nil)
				return
			}
			if len(w.buf) >= writeBatch || c.out.len() == 0 {
				break
			}
		}
		if !w.flush() {
			return
		}
	}
}

// item encodes one queued item and says whether the connection must end.
func (w *writer) item(it *outItem) closeMode {
	var f *frames.Frame
	switch it.kind {
	case itemClose:
		return closeGraceful
	case itemMessage:
		f = w.message(it)
	default:
		f = it.frame
		if f.Command == frames.CmdConnected {
			w.enc.Version = it.version
			w.startHeartbeat(it.hb)
			w.connected = true
		}
	}
	mode, err := w.put(f)
	if err != nil {
		// The frame cannot be written in this connection's version (a
		// header a 1.0 client cannot receive, say): end with an ERROR.
		_, _ = w.put(errorFrame("frame cannot be encoded: "+err.Error(), "", ""))
		return closeGraceful
	}
	if it.close && mode == keepOpen {
		return closeGraceful
	}
	return mode
}

// message builds the MESSAGE frame of a delivery in scratch space.
func (w *writer) message(it *outItem) *frames.Frame {
	m := it.msg
	h := append(w.hdrs[:0],
		frames.Header{Key: frames.HdrSubscription, Value: it.subID},
		frames.Header{Key: frames.HdrMessageID, Value: m.id},
		frames.Header{Key: frames.HdrDestination, Value: m.dest},
	)
	if it.ackID != "" {
		h = append(h, frames.Header{Key: frames.HdrAck, Value: it.ackID})
	}
	if it.redelivered {
		h = append(h, frames.Header{Key: frames.HdrRedelivered, Value: "true"})
	}
	for _, x := range m.frame.Headers {
		if !reservedHeader(x.Key) {
			h = append(h, x)
		}
	}
	w.hdrs = h
	w.msg = frames.Frame{Command: frames.CmdMessage, Headers: h, Body: m.frame.Body}
	return &w.msg
}

// reservedHeader reports whether a SEND header is the broker's to set on a
// MESSAGE, or only meant for the broker, and so is not passed through.
func reservedHeader(k string) bool {
	switch k {
	case frames.HdrDestination, frames.HdrContentLength, frames.HdrReceipt, frames.HdrTransaction,
		frames.HdrMessageID, frames.HdrSubscription, frames.HdrAck, frames.HdrRedelivered:
		return true
	}
	return false
}

// put encodes f, through the frame faults when there are any.
func (w *writer) put(f *frames.Frame) (closeMode, error) {
	ff := w.c.filter.Load()
	if ff == nil {
		return keepOpen, w.emit(f)
	}
	return ff.toClient(f, w.emit)
}

// emit encodes f into the write buffer.
func (w *writer) emit(f *frames.Frame) error {
	var err error
	w.buf, err = w.enc.Append(w.buf, f)
	return err
}

// flush writes the buffer with one call. It returns false, having closed
// the connection, when the write fails.
func (w *writer) flush() bool {
	if len(w.buf) == 0 {
		return true
	}
	_, err := w.c.sock().Write(w.buf)
	if cap(w.buf) > 4*writeBatch {
		w.buf = make([]byte, 0, 64<<10)
	} else {
		w.buf = w.buf[:0]
	}
	w.lastWrite = time.Now()
	if err != nil {
		w.c.close()
		return false
	}
	if w.connected {
		// CONNECTED is on the wire now, not merely queued: a stalled or
		// delayed write must not make ConnInfo report it sent.
		w.connected = false
		return w.c.b.post(&connectedSent{c: w.c})
	}
	return true
}

// finish flushes and ends the connection as mode says. It returns false
// when the writer must stop.
func (w *writer) finish(mode closeMode, err error) bool {
	if err != nil {
		mode = closeAbort
	}
	if !w.flush() {
		return false
	}
	switch mode {
	case closeGraceful:
		w.c.shutdown()
		return false
	case closeAbort:
		w.c.close()
		return false
	}
	return true
}

// startHeartbeat starts sending heart-beats every d (none when d is 0).
func (w *writer) startHeartbeat(d time.Duration) {
	if d <= 0 || w.hbTimer != nil {
		return
	}
	w.hb = d
	w.hbTimer = time.NewTimer(d)
}

// heartbeat sends an EOL when nothing was written for a whole interval and
// re-arms the timer. It returns false when the writer must stop.
func (w *writer) heartbeat() bool {
	idle := time.Since(w.lastWrite)
	if idle < w.hb {
		w.hbTimer.Reset(w.hb - idle)
		return true
	}
	w.hbTimer.Reset(w.hb)
	mode, err := w.put(&frames.Frame{Command: frames.Heartbeat})
	if len(w.buf) == 0 && err == nil && mode == keepOpen {
		// A fault swallowed the heart-beat: count the interval as spent.
		w.lastWrite = time.Now()
		return true
	}
	return w.finish(mode, err)
}
