package actors

import (
	"io"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// How the writer flushes its buffer to the socket.

// flushAt is how many buffered bytes make the writer flush before its
// mailbox is empty.
const flushAt = 1 << 20

func (w *writer) requestFlush(ctx actor.Context) {
	q := &w.q
	q.mu.Lock()
	signal := !q.signaled
	q.signaled = true
	q.mu.Unlock()
	if signal {
		ctx.Send(ctx.Self(), flushSignal)
	}
}

// flush writes what the queue holds. signaled says a flush signal (or a
// rate tick) brought it here: the queue's signal is then the writer's to
// clear or renew.
func (w *writer) flush(ctx actor.Context, signaled bool) {
	q := &w.q
	q.mu.Lock()
	if rest := q.rest; rest != nil {
		// A sender's write through left it: it goes first.
		q.rest = nil
		q.mu.Unlock()
		if !w.writeRest(ctx, rest) {
			return
		}
		q.mu.Lock()
	}
	if q.buf.Buffered() == 0 {
		if signaled && !w.ratePending {
			q.signaled = false
		}
		q.mu.Unlock()
		w.armRetire(ctx)
		return
	}
	if rate := w.l.maxTransferRate; rate > 0 {
		if w.ratePending {
			q.mu.Unlock()
			return // the tick flushes
		}
		now := time.Now()
		if now.Before(w.nextFlush) {
			w.ratePending = true
			q.signaled = true
			q.mu.Unlock()
			self, sys := ctx.Self(), ctx.ActorSystem()
			w.rateTimer = time.AfterFunc(w.nextFlush.Sub(now), func() { sys.Root.Send(self, &rateTick{}) })
			return
		}
		w.nextFlush = now.Add(time.Duration(float64(q.buf.Buffered()) / float64(rate) * float64(time.Second)))
	}
	b := q.buf.Detach()
	q.held = false
	direct, directSends, credits := q.frames, q.sends, q.credits
	q.frames, q.sends, q.credits = 0, 0, 0
	replies := q.replies
	q.replies, w.replies = w.replies[:0], nil
	watched := q.watched
	q.watched, w.watched = w.watched[:0], nil
	bytesFull := q.full
	q.full = false
	// Keep signaled while writing: senders appending meanwhile leave the
	// next flush to the end of this one.
	q.signaled = true
	q.signalRoom()
	q.mu.Unlock()

	// Count before the bytes leave: the broker may deliver a message to
	// another connection before the write returns, and whoever sees it
	// arrive must find it counted. Each SEND's MessageOutEvent goes out
	// now too, for the same reason: the broker's RECEIPT for it (which
	// the reader reports as a ReceiptInEvent) may be read before this
	// write returns, and the message's own event must come first.
	frameCount, sendCount := direct, directSends
	for _, p := range w.pending {
		if p.frame != nil {
			frameCount++
			if p.frame.Command == frames.CmdSend {
				sendCount++
			}
			if p.announce {
				w.c.emit(&MessageOutEvent{Destination: p.frame.Header(frames.HdrDestination), Headers: p.frame.Headers, Size: len(p.frame.Body)})
			}
		}
	}
	w.c.stats.FramesOut.Add(int64(frameCount))
	w.c.stats.MessagesOut.Add(int64(sendCount))
	n, err := w.writeOut(b)
	w.activity++
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	frames.Recycle(b)
	lostErr := err
	if err != nil {
		// When the session closed the socket under us, its reason is
		// the better answer than "use of closed network connection".
		select {
		case <-w.l.lost:
			lostErr = w.l.lostErr()
		default:
			lostErr = connectionLost(err)
		}
	}
	wasFull := bytesFull || w.l.credits.full()
	w.releaseCredits(credits)
	for i, r := range replies {
		if err != nil {
			r <- lostErr
		} else {
			r <- nil
		}
		replies[i] = nil
	}
	w.replies = replies[:0]
	if len(watched) > 0 || len(w.pending) > 0 {
		w.stamp(watched, err)
	}
	clear(watched)
	w.watched = watched[:0]
	for _, p := range w.pending {
		w.release(p)
		if err != nil {
			if p.reply != nil && p.receipt == 0 {
				p.reply <- lostErr
			}
			continue
		}
		if p.reply != nil && p.receipt == 0 {
			p.reply <- nil
		}
		if p.then != nil {
			ctx.Send(w.session, p.then)
		}
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	if err != nil {
		ctx.Send(w.session, &writeFailed{gen: w.l.gen, err: err})
		return
	}
	if wasFull && w.l.credits.max > 0 {
		w.c.emit(&ReadyToSendEvent{})
	}
	// What gathered during the write is flushed next, behind whatever
	// the mailbox holds now.
	q.mu.Lock()
	more := q.buf.Buffered() > 0
	if !more {
		q.signaled = false
	}
	q.mu.Unlock()
	if more {
		ctx.Send(ctx.Self(), flushSignal)
		return
	}
	w.armRetire(ctx)
}

// writeRest writes what a sender's write through left, and reports
// whether it went: if not, the session hears why and nothing more is
// written.
func (w *writer) writeRest(ctx actor.Context, r *restWrite) bool {
	n, err := w.writeOut(r.b[r.off:])
	w.activity++
	if err == nil && n < len(r.b)-r.off {
		err = io.ErrShortWrite
	}
	r.settle(w, err)
	if err != nil {
		ctx.Send(w.session, &writeFailed{gen: w.l.gen, err: err})
		return false
	}
	return true
}

// took records the end of a write (begun with receipts.writing) in which
// the socket took n more bytes of the link's stream: the RECEIPTs held
// for the frames now written whole confirm them (receiptheld.go), and the
// session hears of it when its book holds some.
func (w *writer) took(n int) {
	if w.l.receipts.written(n) {
		w.q.sys.Root.Send(w.session, &receiptsWritten{gen: w.l.gen})
	}
}

// tookPiece is took for a piece of a write that goes on: the write still
// counts as under way.
func (w *writer) tookPiece(n int) {
	if w.l.receipts.wrotePiece(n) {
		w.q.sys.Root.Send(w.session, &receiptsWritten{gen: w.l.gen})
	}
}

// writePiece is the most one socket write carries of a larger buffer.
// When the write timeout is an inactivity bound (Conn.SetAbsoluteWrites
// off) the deadline moves before each piece, so a large buffer that
// keeps leaving never times out, while one the peer stopped taking fails
// within about writeTimeout. (Each piece also moves the link's lastWrite,
// which the callers' inactivity waits read: inactivity.go.) Either way
// each piece is counted as it returns, so the RECEIPT of a frame that
// ended in it, held until its last byte was written, confirms the frame
// then, not once the rest of the buffer left (which a broker that stops
// reading for a while, or a slow link, may make long).
const writePiece = 256 << 10

// writeOut writes b to the socket under the link's write timeout, counted
// as one write of the link's stream (receipts.writing, took), and returns
// how much of it the socket took: in one write with one deadline, or a
// buffer over writePiece in pieces, with a deadline each when the timeout
// is an inactivity bound, else under one, each piece counted as it
// returns (tookPiece). A connection that makes each write a message of
// its own (a WebSocket) always takes b whole, in one write: a frame split
// across messages is one some brokers refuse. Its frames' RECEIPTs lose
// nothing by it: the broker has none of them before the message's last
// byte arrived, so a RECEIPT is held at most until that write returns.
func (w *writer) writeOut(b []byte) (int, error) {
	w.l.receipts.writing()
	if len(b) <= writePiece || messageFramed(w.conn) {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.l.writeTimeout))
		n, err := w.conn.Write(b)
		w.took(n)
		return n, err
	}
	absolute := w.c.absoluteWrites.Load()
	if absolute {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.l.writeTimeout))
	}
	n := 0
	for {
		end := min(n+writePiece, len(b))
		if !absolute {
			_ = w.conn.SetWriteDeadline(time.Now().Add(w.l.writeTimeout))
		}
		m, err := w.conn.Write(b[n:end])
		n += m
		if err == nil && n < end {
			err = io.ErrShortWrite
		}
		if err != nil || n == len(b) {
			w.took(m) // the write ends
			return n, err
		}
		w.tookPiece(m)
	}
}

// stamp records the end of a write that carried watched (frames encoded
// directly) and the writer's pending frames, for the callers among them
// whose waits are inactivity ones (writeFrame.written); a write that
// failed stamps nothing (the end of the connection answers them).
func (w *writer) stamp(watched []*writeFrame, err error) {
	if err != nil {
		return
	}
	now := time.Now().UnixNano()
	for _, p := range watched {
		p.written(w.l, now)
	}
	for _, p := range w.pending {
		if p.idle != nil {
			p.written(w.l, now)
		}
	}
}

// messageFramed reports whether c carries each Write as a message of its
// own, as a WebSocket connection (transport's, which names its
// subprotocol) does.
func messageFramed(c net.Conn) bool {
	if cc, ok := c.(*countingConn); ok {
		c = cc.Conn
	}
	_, ok := c.(interface{ Subprotocol() string })
	return ok
}
