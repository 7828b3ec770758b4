package actors

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// writer is the write half of one connection: the only actor that writes
// to the socket. It batches: frames are encoded into one buffer (its
// wqueue) as they arrive, by their senders for plain frames and by the
// writer for the frames that come through its mailbox, and flushed with a
// single write once the mailbox has no more of them (a flushRequested
// message queued behind the burst). While it writes, the next burst
// gathers in a new buffer.
type writer struct {
	c           *Conn
	l           *link
	conn        net.Conn
	q           wqueue
	session     *actor.PID
	pending     []*writeFrame // encoded by the writer, not yet written
	replies     []chan error  // spare: the queue's replies list, reused
	watched     []*writeFrame // spare: the queue's watched list, reused
	rateTimer   *time.Timer
	nextFlush   time.Time // earliest flush allowed by MaxTransferRate
	retireTimer *time.Timer
	// An idle writer retires (writerRun): activity counts its flushes,
	// and a retire tick is armed with the count it saw.
	activity    uint32
	retireArmed bool
	// ratePending: a rateTick is on its way.
	ratePending bool
	// disconnected is set once DISCONNECT is queued: nothing may follow
	// it on the wire, not even a heart-beat.
	disconnected bool
}

// writerRun is one incarnation of a connection's writer actor. The writer
// (its buffer, its bookkeeping) lives as long as the connection, but its
// actor only while there is something to write: one that stayed idle for
// the engine's WriterLinger stops, and the next frame starts another on the same
// writer. An idle connection so holds no writer actor (an actor costs
// its context, mailbox and PID, about 350 bytes, and a registry entry).
// Incarnations never overlap: one retires (under the queue's lock) only
// when nothing is queued for it, and the next starts only after.
type writerRun struct {
	w        *writer
	retiring bool
}

func (r *writerRun) owner() *Conn { return r.w.c }

func (r *writerRun) failed(ctx actor.Context, err error, stack string) { r.w.failed(ctx, err, stack) }

func (r *writerRun) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Stopping:
		if !r.retiring {
			r.w.stopped()
		}
	case *retireTick:
		r.retire(ctx, m)
	default:
		r.w.Receive(ctx)
	}
}

// retire stops this incarnation if the writer stayed idle since the tick
// was armed; if it was busy meanwhile and is idle again, it looks again
// later.
func (r *writerRun) retire(ctx actor.Context, m *retireTick) {
	w, q := r.w, &r.w.q
	w.retireArmed = false
	q.mu.Lock()
	idle := q.buf.Buffered() == 0 && q.inbox == 0 && !q.signaled && !q.ended && len(w.pending) == 0 && !w.ratePending
	if idle && m.activity == w.activity {
		w.pending, w.replies, w.retireTimer = nil, nil, nil
		q.writer = nil
		q.mu.Unlock()
		r.retiring = true
		ctx.Stop(ctx.Self())
		return
	}
	q.mu.Unlock()
	if idle {
		w.armRetire(ctx)
	}
}

// armRetire schedules a look at whether the writer is still idle.
func (w *writer) armRetire(ctx actor.Context) {
	if w.retireArmed {
		return
	}
	w.retireArmed = true
	self, sys, tick := ctx.Self(), ctx.ActorSystem(), &retireTick{activity: w.activity}
	w.retireTimer = time.AfterFunc(w.c.eng.writerLinger, func() { sys.Root.Send(self, tick) })
}

// newWriter makes the writer of l and its queue (l.out), which the
// spawner completes with the writer's PID.
func newWriter(c *Conn, l *link, conn net.Conn, session *actor.PID) *writer {
	w := &writer{c: c, l: l, conn: conn, session: session}
	w.q.init(c.eng.sys, frames.Encoder{Version: frames.V10, OmitTextContentLength: l.omitContentLength})
	w.q.w = w
	l.out = &w.q
	w.q.through = l.maxTransferRate == 0
	return w
}

func (w *writer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *writeFrame:
		w.enqueue(ctx, m)
	case *flushRequested:
		w.flush(ctx, true)
	case *rateTick:
		w.ratePending = false
		w.flush(ctx, true)
	case *writeHeartbeat:
		q := &w.q
		q.mu.Lock()
		q.inbox-- // counted by wqueue.heartbeat
		beat := q.buf.Buffered() == 0 && !q.signaled && !w.disconnected
		if beat {
			q.buf.WriteHeartbeat()
			// The writer owns the buffer until this flush is done, as
			// after a flushSignal: a sender appending meanwhile must not
			// write through (it would detach the buffer and write while
			// this flush writes what comes after it).
			q.signaled = true
		}
		q.mu.Unlock()
		if beat {
			w.c.stats.HeartbeatsOut.Add(1)
			if h := heartbeatQueuedHook.Load(); h != nil {
				(*h)(q)
			}
			w.flush(ctx, true)
		}
	}
}

// heartbeatQueuedHook, when set (by a test), runs between the writer's
// queueing of a heart-beat and its flush.
var heartbeatQueuedHook atomic.Pointer[func(*wqueue)]

// stopped ends the writer with its connection: the frames never written
// give their queue tokens back and say so (a receipt's waiter is answered
// by the session's book). It runs as the last incarnation stops, or in
// the session when none runs (wqueue.end).
func (w *writer) stopped() {
	if w.rateTimer != nil {
		w.rateTimer.Stop()
	}
	if w.retireTimer != nil {
		w.retireTimer.Stop()
	}
	q := &w.q
	q.mu.Lock()
	q.closed = true
	credits := q.credits
	q.credits = 0
	replies := q.replies
	q.replies = nil
	frames.Recycle(q.buf.Detach())
	rest := q.rest
	q.rest = nil
	q.mu.Unlock()
	if rest != nil {
		rest.settle(w, w.l.lostErr())
	}
	w.releaseCredits(credits)
	for _, r := range replies {
		r <- w.l.lostErr()
	}
	for _, p := range w.pending {
		w.release(p)
		if p.reply != nil && p.receipt == 0 {
			p.reply <- w.l.lostErr()
		}
	}
	w.pending = nil
	close(w.l.writerDone)
}

// failed reports a panic to the session and stops the writer.
func (w *writer) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(w.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (w *writer) enqueue(ctx actor.Context, m *writeFrame) {
	q := &w.q
	// m stays counted in q.inbox until it is in the buffer (or goes no
	// further): until then senders append behind it, not ahead of it
	// (wqueue.append), whatever the writer does first (take, register a
	// receipt, look at the link).
	counted := true
	defer func() {
		if counted {
			q.mu.Lock()
			q.inbox--
			q.mu.Unlock()
		}
	}()
	if !m.take() {
		// Its caller was answered with an error before it came here: a
		// caller that retries must not find it written as well.
		w.release(m)
		return
	}
	if m.onlyAfter != nil && m.onlyAfter.state.Load() != frameWritten {
		// Undoes a frame that was not written (its caller left first,
		// or it was refused): nothing to undo at the broker, which
		// might end the connection over an id it never saw.
		w.release(m)
		if m.reply != nil {
			m.reply <- nil
		}
		return
	}
	if w.disconnected {
		switch {
		case m.reply != nil || m.entry != nil:
			w.refuse(ctx, m, ErrNotConnected)
		case m.frame != nil && m.frame.Command == frames.CmdSend:
			// A message queued without waiting, behind DISCONNECT: it
			// is not sent, and that is said.
			w.c.stats.Dropped.Add(1)
			w.refuse(ctx, m, &notSentError{dest: m.frame.Header(frames.HdrDestination)})
		default:
			w.release(m) // an ACK or a heart-beat after the end: nothing to say
		}
		return
	}
	if m.frame == nil {
		q.mu.Lock()
		q.buf.WriteRaw(m.raw)
		q.held = true
		q.inbox--
		counted = false
		q.mu.Unlock()
		m.state.Store(frameWritten)
	} else {
		var id string
		switch {
		case m.entry != nil:
			id = w.q.nextReceiptID(w.l.gen)
			m.frame.Headers.Set(frames.HdrReceipt, id)
		case m.receipt > 0:
			var err error
			if id, err = w.receiptID(m); err != nil {
				w.refuse(ctx, m, err)
				return
			}
		}
		q.mu.Lock()
		before := q.buf.Buffered()
		err := q.buf.WriteFrame(m.frame)
		// Where the frame's last byte is in the link's stream: its
		// RECEIPT confirms it once the socket took that byte
		// (receiptheld.go).
		end := q.buf.Written() + int64(q.buf.Buffered())
		switch {
		case err != nil:
			err = encodeError(m.frame, q.buf.Version(), err)
		case m.receipt > 0 && m.entry == nil:
			// Registered before the bytes can leave (q.mu holds every
			// flush back), so the RECEIPT cannot come first; a
			// refused id is never written (and its token is back).
			if err = w.l.awaitReceipt(id, m, end); err != nil {
				q.buf.Truncate(before)
				id = ""
			}
		}
		if err == nil {
			q.held = true
		}
		q.inbox--
		counted = false
		if err == nil && m.frame.Command == frames.CmdDisconnect {
			w.disconnected = true
			q.closed = true
		}
		q.mu.Unlock()
		if err != nil {
			if m.entry != nil {
				w.release(m)
				ctx.Send(w.session, &entryFailed{entry: m.entry, err: err})
				return
			}
			if id != "" && m.receipt > 0 {
				<-w.l.receiptSlots // the token of a frame not encoded
			}
			w.refuse(ctx, m, err)
			return
		}
		if m.entry != nil {
			w.awaitEntry(ctx, m, id, end)
		}
		m.state.Store(frameWritten)
		if id != "" {
			w.c.emit(&ReceiptOutEvent{ReceiptID: id, Command: m.frame.Command})
		}
		if w.c.logFrames.Load() {
			w.c.log(LogDebug, "frame", "> "+m.frame.String())
		}
		// Whether its MessageOutEvent is wanted is decided now, before
		// the bytes leave: a handler registered once the send returned
		// (it may return as soon as its RECEIPT came) is not told of it.
		m.announce = m.frame.Command == frames.CmdSend && !w.c.quietSends.Load()
	}
	w.pending = append(w.pending, m)
	q.mu.Lock()
	full := q.buf.Buffered() >= flushAt
	q.mu.Unlock()
	if full && w.l.maxTransferRate == 0 {
		// A long burst of large frames is written in pieces, so its
		// buffer stays bounded and the first bytes leave early.
		w.flush(ctx, false)
		return
	}
	w.requestFlush(ctx)
}

// notSentError reports a message queued behind DISCONNECT; it wraps
// ErrNotConnected.
type notSentError struct{ dest string }

func (e *notSentError) Error() string {
	return "stomp: a message to " + e.dest + " was queued after DISCONNECT and not sent"
}

func (e *notSentError) Unwrap() error { return ErrNotConnected }

// encodeError names the header that made the encoder refuse f in version
// v; an error that is not about a header is returned as it is.
func encodeError(f *frames.Frame, v frames.Version, err error) error {
	if herr := CheckFrame(f, v); herr != nil {
		return herr
	}
	return err
}

// awaitEntry registers the receipt id of m, an outbox message just
// encoded (its last byte at end of the link's stream), in the session's
// book, which settles the message. The registration is in the session's
// mailbox before the frame's bytes can leave: they are the writer's
// (wqueue.held: no sender writes them through), and it flushes them only
// after this. So the RECEIPT, which the reader hands to the session
// behind it, never comes first. It takes no receipt slot: the outbox's
// own bound (OutboxConfig.Max) bounds its messages, and a message the
// outbox took is never refused for want of a slot.
func (w *writer) awaitEntry(ctx actor.Context, m *writeFrame, id string, end int64) {
	ctx.Send(w.session, &receiptAwaited{entry: m.entry, gen: w.l.gen, id: id, cmd: m.frame.Command, end: end})
}

// receiptID gives m, about to be encoded, its receipt id and a token of
// the receipt slots; its receipt is registered once it is encoded
// (awaitReceipt), before its bytes can leave.
func (w *writer) receiptID(m *writeFrame) (string, error) {
	select {
	case w.l.receiptSlots <- struct{}{}:
	default:
		return "", ErrTooManyReceipts
	}
	id := w.q.nextReceiptID(w.l.gen)
	m.frame.Headers.Set(frames.HdrReceipt, id)
	return id, nil
}

// awaitReceipt registers receipt id of m, which holds a token of the
// receipt slots and whose last byte is at end of the link's stream, in
// the link's book, before m's bytes can leave; on a refusal the token is
// given back. The queue's lock is held.
func (l *link) awaitReceipt(id string, m *writeFrame, end int64) error {
	timeout := m.receipt
	if m.idle != nil {
		// Its caller's wait is an inactivity one: the receipt's
		// deadline starts once the frame is written (writeFrame.written).
		timeout = 0
	}
	if err := l.receipts.add(id, m.reply, timeout, end); err != nil {
		<-l.receiptSlots
		if errors.Is(err, errReceiptsEnded) {
			err = l.lostErr()
		}
		return err
	}
	if m.idle != nil {
		m.idle.rid = id
	} else {
		m.due.Store(time.Now().Add(m.receipt).UnixNano())
	}
	m.taken.Store(true)
	return nil
}

// refuse answers a frame the writer will not write (one it could not
// encode: a header the negotiated version cannot carry, which the
// callers' checks missed, the version having changed on a reconnect, say)
// to its caller, or, when nobody waits for it, to the sink as an
// ErrorEvent: a frame is never dropped unsaid.
func (w *writer) refuse(ctx actor.Context, m *writeFrame, err error) {
	// Before anyone hears of it: the transactions a BEGIN, COMMIT or
	// ABORT would open or end read this (txSet).
	m.state.Store(frameRefused)
	w.release(m)
	if m.frame != nil {
		err = encodeError(m.frame, w.q.version(), err)
	}
	switch {
	case m.reply != nil:
		m.reply <- err
	case m.entry != nil:
		ctx.Send(w.session, &entryFailed{entry: m.entry, err: err})
	default:
		// Nobody waits for this frame: say so rather than drop it.
		w.c.log(LogError, "info", err.Error()+"; the frame was not sent")
		w.c.emit(&ErrorEvent{Err: err})
	}
}

// releaseCredits gives back n tokens of the outgoing queue.
func (w *writer) releaseCredits(n int) { w.l.credits.give(n) }

func (w *writer) release(p *writeFrame) {
	if p.credit {
		p.credit = false
		w.l.credits.give(1)
	}
}
