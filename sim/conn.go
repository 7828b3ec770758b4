package sim

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// maxBatch is the most frames a reader hands to the owner in one event.
const maxBatch = 128

// conn is the goroutine side of one client connection: its socket, its
// outbound queue and the plumbing between its reader and writer goroutines
// and the owner. Broker state about the connection lives in a session.
type conn struct {
	b      *Broker
	index  int
	raw    net.Conn // the socket, wrapped by byte faults if any
	remote string
	faults *connFaults // nil without planned faults
	// filter holds the frame faults, nil while there are none; Inject can
	// set it while the reader and writer run.
	filter atomic.Pointer[frameFilter]
	// live wraps raw with the byte faults injected while the connection
	// runs (see inject.go); nil until the first one.
	live atomic.Pointer[faultConn]
	// liveFaults numbers and logs the injected faults' events; the
	// broker's injMu guards it.
	liveFaults *connFaults
	out        *outQueue     //
	poke       chan struct{} // to the writer: a timed frame fault is due
	copies     uint64        // MESSAGE copies sent by frame faults (writer only)

	readTimeout atomic.Int64  // heart-beat read timeout in ns; 0: none
	closed      chan struct{} // closed by close
	closeOnce   sync.Once
	timerMu     sync.Mutex
	timers      []*time.Timer
}

func newConn(b *Broker, raw net.Conn, cf *connFaults, index int) *conn {
	c := &conn{
		b:      b,
		index:  index,
		raw:    raw,
		faults: cf,
		out:    newOutQueue(),
		poke:   make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	if a := raw.RemoteAddr(); a != nil {
		c.remote = a.String()
	}
	if cf != nil && cf.filter != nil {
		cf.filter.onCopy = c.copyMessage
		c.filter.Store(cf.filter)
		for _, at := range cf.ticks {
			c.after(time.Until(at), func() { signal(c.poke) })
		}
	}
	return c
}

// copyMessage gives a MESSAGE copy that a frame fault is about to send an
// ack id of its own (1.2) and tells the owner, before the copy is written,
// so that the client's ACK of it finds it registered. It runs on the
// writer, under the filter's lock.
func (c *conn) copyMessage(f *frames.Frame) {
	ev := &copySent{c: c, sub: f.Header(frames.HdrSubscription), mid: f.Header(frames.HdrMessageID)}
	if orig, ok := f.Headers.Get(frames.HdrAck); ok {
		c.copies++
		ev.orig, ev.copy = orig, orig+"-copy"+strconv.FormatUint(c.copies, 10)
		f.Headers.Set(frames.HdrAck, ev.copy)
	}
	c.b.post(ev)
}

// after runs fn after d unless the connection closes first.
func (c *conn) after(d time.Duration, fn func()) {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	select {
	case <-c.closed:
		return
	default:
	}
	c.timers = append(c.timers, time.AfterFunc(max(d, 0), fn))
}

// close closes the socket at once. It is safe to call more than once and
// from any goroutine.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.timerMu.Lock()
		close(c.closed)
		for _, t := range c.timers {
			t.Stop()
		}
		live := c.live.Load()
		c.timerMu.Unlock()
		if live != nil {
			_ = live.Close() // ends its stalls, and closes raw
		}
		_ = c.raw.Close()
	})
}

// shutdown ends the connection gracefully once everything is written: it
// half-closes a TCP socket so the client reads what was sent and then an end
// of stream, and closes it for good when the client closes its side or the
// linger time has passed.
func (c *conn) shutdown() {
	cw, ok := c.raw.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		c.close()
		return
	}
	c.after(c.b.cfg.linger, c.close)
}

// sock returns the socket to read and write: raw, or raw wrapped by the
// injected byte faults once there are any.
func (c *conn) sock() net.Conn {
	if fc := c.live.Load(); fc != nil {
		return fc
	}
	return c.raw
}

// Read reads from the socket, with the heart-beat deadline when one was
// negotiated. Any byte received resets it. A read that was waiting on raw
// when Inject wrapped it, and that Inject woke (see conn.inject), is made
// again through the wrapper, so an injected fault on the client's stream
// acts on the client's next bytes; if those bytes beat the wake-up, the
// wrapper takes them as read (faultConn.took).
func (c *conn) Read(p []byte) (int, error) {
	for {
		s := c.sock()
		if d := c.readTimeout.Load(); d > 0 {
			_ = s.SetReadDeadline(time.Now().Add(time.Duration(d)))
			// Inject may have wrapped raw and kicked it in between, and
			// this deadline replaced the kick's: read through the wrapper.
			if fc := c.live.Load(); fc != nil && s != net.Conn(fc) {
				continue
			}
		}
		n, err := s.Read(p)
		if fc := c.live.Load(); fc != nil && s != net.Conn(fc) {
			if n == 0 && isTimeout(err) {
				continue
			}
			if n > 0 {
				// Inject wrapped raw while this read waited, and the
				// client's bytes beat the kick that was to wake it: they
				// pass through the injected faults all the same.
				return fc.took(p, n, err)
			}
		}
		return n, err
	}
}

// setReadTimeout arms the heart-beat read deadline (0 disarms it).
func (c *conn) setReadTimeout(d time.Duration) {
	c.readTimeout.Store(int64(d))
	if d > 0 {
		_ = c.sock().SetReadDeadline(time.Now().Add(d))
	}
}

// Events from a connection's goroutines to the owner.
type (
	connOpened struct{ c *conn }
	framesIn   struct {
		c      *conn
		frames []*message
	}
	// readEnded: the reader stopped decoding, because of err.
	readEnded struct {
		c   *conn
		err error
	}
	// writeEnded: the writer has returned.
	writeEnded struct{ c *conn }
	// connDrained: the writer took a queue the owner had marked full.
	connDrained struct{ c *conn }
	// connectedSent: the writer has written CONNECTED to the socket.
	connectedSent struct{ c *conn }
	// copySent: a frame fault is sending a copy of a MESSAGE; in 1.2 with
	// the ack id copy in place of orig.
	copySent struct {
		c          *conn
		sub, mid   string
		orig, copy string
	}
)

// readLoop decodes frames and hands them to the owner in batches: a batch
// goes as soon as the decoder has nothing more buffered, so a lone frame
// waits for nothing and a burst costs one event. Whatever ends it, the
// owner hears of it with one readEnded.
func (c *conn) readLoop() {
	defer c.b.wg.Done()
	if !c.b.post(&connOpened{c: c}) {
		return
	}
	err := c.decodeLoop()
	c.b.post(&readEnded{c: c, err: err})
	c.endRead(err)
}

// decodeLoop runs the reader until decoding stops, and returns why.
func (c *conn) decodeLoop() error {
	dec := frames.NewDecoder(c, frames.V12, c.b.cfg.limits)
	var slabs frameSlabs
	batch := make([]*message, 0, 16)
	publishes := false
	for {
		f, err := dec.Decode()
		if err != nil {
			if len(batch) > 0 && !c.handOver(batch, publishes) {
				return net.ErrClosed
			}
			return err
		}
		if !f.IsHeartbeat() {
			if ff := c.filter.Load(); ff != nil && ff.fromClient(f) {
				if len(batch) > 0 {
					c.handOver(batch, publishes)
				}
				return errFaultDrop
			}
			m := slabs.keep(f)
			if f.Command == frames.CmdConnect || f.Command == frames.CmdStomp {
				if v, err := negotiate(c.b.cfg, &m.frame); err == nil {
					dec.SetVersion(v)
				}
			}
			publishes = publishes || f.Command == frames.CmdSend
			batch = append(batch, m)
		}
		if len(batch) > 0 && (dec.Buffered() == 0 || len(batch) >= maxBatch) {
			if !c.handOver(batch, publishes) {
				return net.ErrClosed
			}
			batch = make([]*message, 0, min(2*len(batch), maxBatch))
			publishes = false
		}
	}
}

// handOver gives a batch to the owner, first waiting while the outbound
// queue is far over its bound (the client is not reading its replies) and,
// for a batch that publishes, while the broker holds too many messages.
func (c *conn) handOver(batch []*message, publishes bool) bool {
	hard := 2 * c.b.cfg.outbound
	for c.out.len() >= hard {
		select {
		case <-c.out.space:
		case <-c.closed:
			return false
		case <-c.b.done:
			return false
		}
	}
	if publishes {
		if ch := c.b.flow.waitCh(); ch != nil {
			select {
			case <-ch:
			case <-c.closed:
				return false
			case <-c.b.done:
				return false
			}
		}
	}
	return c.b.post(&framesIn{c: c, frames: batch})
}

// endRead finishes the reader after a read or decode error. After a clean
// end of stream the owner closes the connection once its replies are out;
// after a bad frame the reader drains the socket until the owner's ERROR
// has been sent and the connection closed, so that unread input does not
// reset the connection before the client reads the ERROR.
func (c *conn) endRead(err error) {
	var se *frames.SyntaxError
	var le *frames.LimitError
	switch {
	case errors.Is(err, io.EOF):
	case errors.As(err, &se), errors.As(err, &le):
		_ = c.raw.SetReadDeadline(time.Time{})
		_, _ = io.Copy(io.Discard, c.raw)
	default:
		c.close()
	}
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
