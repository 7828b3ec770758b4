package actors

import (
	"net"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// writer is the write half of one connection. It batches: frames are
// encoded into one buffer as they arrive and flushed with a single write
// once the mailbox has no more of them (a flushRequested message queued
// behind the burst).
type writer struct {
	c            *Conn
	l            *link
	conn         net.Conn
	w            *frames.Writer
	session      *actor.PID
	pending      []*writeFrame
	flushPending bool
	rateTimer    *time.Timer
	nextFlush    time.Time // earliest flush allowed by MaxTransferRate
	receiptSeq   uint64
	// disconnected is set once DISCONNECT is queued: nothing may follow
	// it on the wire, not even a heart-beat.
	disconnected bool
}

func newWriter(c *Conn, l *link, conn net.Conn, session *actor.PID) *writer {
	w := &writer{c: c, l: l, conn: conn, session: session}
	w.w = frames.NewWriter(conn, frames.Encoder{Version: frames.V10, OmitTextContentLength: l.omitContentLength})
	return w
}

func (w *writer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *writeFrame:
		w.enqueue(ctx, m)
	case *flushRequested, *rateTick:
		w.flushPending = false
		w.flush(ctx)
	case *writeHeartbeat:
		if w.w.Buffered() == 0 && !w.flushPending && !w.disconnected {
			w.w.WriteHeartbeat()
			w.c.stats.HeartbeatsOut.Add(1)
			w.requestFlush(ctx)
		}
	case *versionNegotiated:
		w.w.SetVersion(m.v)
	case *actor.Stopping:
		if w.rateTimer != nil {
			w.rateTimer.Stop()
		}
		// Frames never written: give their queue tokens back and say so
		// (a receipt's waiter is answered by the session's book).
		for _, p := range w.pending {
			w.release(p)
			if p.reply != nil && p.receipt == 0 {
				p.reply <- w.l.lostErr()
			}
		}
		w.pending = nil
		close(w.l.writerDone)
	}
}

// failed reports a panic to the session and stops the writer.
func (w *writer) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(ctx.Parent(), &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (w *writer) enqueue(ctx actor.Context, m *writeFrame) {
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
		w.w.WriteRaw(m.raw)
	} else {
		var id string
		if m.receipt > 0 {
			select {
			case w.l.receiptSlots <- struct{}{}:
			default:
				w.refuse(ctx, m, ErrTooManyReceipts)
				return
			}
			w.receiptSeq++
			id = "r-" + strconv.FormatUint(w.l.gen, 10) + "-" + strconv.FormatUint(w.receiptSeq, 10)
			m.frame.Headers.Set(frames.HdrReceipt, id)
		}
		if err := w.w.WriteFrame(m.frame); err != nil {
			if m.receipt > 0 {
				<-w.l.receiptSlots
			}
			w.refuse(ctx, m, err)
			return
		}
		w.disconnected = m.frame.Command == frames.CmdDisconnect
		if m.receipt > 0 {
			// Registered before the bytes leave, so the RECEIPT can never
			// reach the session first.
			m.taken.Store(true)
			ctx.Send(w.session, &receiptAwaited{entry: m.entry, gen: w.l.gen, id: id, token: true, tx: m.frame.Header(frames.HdrTransaction), cmd: m.frame.Command, reply: m.reply, timeout: m.receipt})
			w.c.emit(&ReceiptOutEvent{ReceiptID: id, Command: m.frame.Command})
		}
		if w.c.logFrames.Load() {
			w.c.log(LogDebug, "frame", "> "+m.frame.String())
		}
	}
	w.pending = append(w.pending, m)
	if w.w.Buffered() >= flushAt && w.l.maxTransferRate == 0 {
		// A long burst of large frames is written in pieces, so its
		// buffer stays bounded and the first bytes leave early.
		w.flush(ctx)
		return
	}
	w.requestFlush(ctx)
}

// refuse reports a frame the writer could not encode (a header the
// negotiated version cannot carry, which the callers' checks missed: the
// version changed on a reconnect, say) to its caller, or, when nobody
// waits for it, to the sink as an ErrorEvent: a frame is never dropped
// unsaid.

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

// flushAt is how many buffered bytes make the writer flush before its
// mailbox is empty.
const flushAt = 1 << 20

func (w *writer) requestFlush(ctx actor.Context) {
	if !w.flushPending {
		w.flushPending = true
		ctx.Send(ctx.Self(), &flushRequested{})
	}
}

func (w *writer) flush(ctx actor.Context) {
	if w.w.Buffered() == 0 {
		return
	}
	if rate := w.l.maxTransferRate; rate > 0 {
		now := time.Now()
		if now.Before(w.nextFlush) {
			w.flushPending = true
			self, sys := ctx.Self(), ctx.ActorSystem()
			w.rateTimer = time.AfterFunc(w.nextFlush.Sub(now), func() { sys.Root.Send(self, &rateTick{}) })
			return
		}
		w.nextFlush = now.Add(time.Duration(float64(w.w.Buffered()) / float64(rate) * float64(time.Second)))
	}
	// Count before the bytes leave: the broker may deliver a message to
	// another connection before Flush returns, and whoever sees it
	// arrive must find it counted.
	for _, p := range w.pending {
		if p.frame != nil {
			w.c.stats.FramesOut.Add(1)
			if p.frame.Command == frames.CmdSend {
				w.c.stats.MessagesOut.Add(1)
			}
		}
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(w.l.writeTimeout))
	err := w.w.Flush()
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
	wasFull := len(w.l.credits) == cap(w.l.credits)
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
		if p.frame != nil && p.frame.Command == frames.CmdSend && !w.c.quietSends.Load() {
			w.c.emit(&MessageOutEvent{Destination: p.frame.Header(frames.HdrDestination), Headers: p.frame.Headers, Size: len(p.frame.Body)})
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
	if wasFull && cap(w.l.credits) > 0 {
		w.c.emit(&ReadyToSendEvent{})
	}
}

// refuse answers a frame the writer will not write.
func (w *writer) refuse(ctx actor.Context, m *writeFrame, err error) {
	w.release(m)
	if m.frame != nil {
		err = encodeError(m.frame, w.w.Version(), err)
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

func (w *writer) release(p *writeFrame) {
	if p.credit {
		p.credit = false
		select {
		case <-w.l.credits:
		default:
		}
	}
}
