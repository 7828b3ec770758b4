package actors

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// reader owns the read half of one connection. Its goroutine blocks in
// Decode and only forwards what it decodes, so the actor itself never
// blocks. Stopping the actor closes the connection, which ends the
// goroutine; the connection's WaitGroup joins it.
//
// Messages go to their subscription in batches: the reader gathers what
// it decodes from what it has read, each message admitted (its place and
// bytes taken) one by one, and hands each subscription its batch in one
// mailbox message before anything could make it wait: a read from the
// socket, a full queue, a frame for the session, maxBatch messages.
type reader struct {
	c        *Conn
	l        *link
	conn     net.Conn
	session  *actor.PID
	limits   frames.Limits
	versions []frames.Version

	// Touched by the reader's goroutine only: one at a time, each handing
	// on to the next by its go statement, or through the poller's lock
	// while the connection is parked (idlePoller).
	sys     *actor.ActorSystem
	wait    *sockWait      // nil: the decoder's read waits (carryOn)
	batches []batch        // one per route with messages waiting
	free    [][]Message    // empty batch slices, for the next batches
	idle    bool           // the last read did not fill the decoder's buffer
	filled  bool           // the last read filled it (not idle, and not just woken either)
	version frames.Version // the connection's, once CONNECTED named it
	caller  *route         // the pull subscription whose caller reads (readFor)
	// errorsPassed counts the ERROR frames handed to the session, which
	// counts in errorsReported those it has reported (receipt).
	errorsPassed int64
	// What Stats.HeartbeatsIn counts (see serverBeats): wantBeats, the
	// client asked for incoming heart-beats; beats, they were negotiated
	// (set at CONNECTED); framed, the last thing decoded was a frame, or
	// its padding, so an EOL now may be padding (padding). Liveness counts
	// none of this: every byte read is life (link's lastRead, stamped by
	// the socket).
	wantBeats, beats, framed bool
	// padded: the last thing decoded was an EOL of a frame's padding.
	padded bool

	// Who reads, when callers of Receive may (readerrole.go): made
	// the first time the reading is left to them.
	pr atomic.Pointer[pullRole]

	// errorsReported counts the ERROR frames of errorsPassed the session
	// has handled (reported with OnError), set by the session.
	errorsReported atomic.Int64
}

// batch is the messages gathered for one route, in a slice the reader
// reuses: each batch handed on is copied into one of its size class.
type batch struct {
	rt   *route
	msgs []Message
}

// maxBatch bounds the messages handed on at once, so that a subscription
// starts on a burst before the reader has decoded all of it.
const maxBatch = 128

// handOn sends every subscription its batch.
func (r *reader) handOn() {
	for i := range r.batches {
		r.send(&r.batches[i])
	}
	for i := range r.batches {
		r.free = append(r.free, r.batches[i].msgs)
	}
	clear(r.batches)
	r.batches = r.batches[:0]
}

// spare returns an empty slice to gather a batch in: one the reader used
// before, or a new one. A reader that is about to wait for the socket
// keeps none (see handingOn), so an idle connection holds none.
func (r *reader) spare() []Message {
	if n := len(r.free); n > 0 {
		s := r.free[n-1]
		r.free = r.free[:n-1]
		return s
	}
	return make([]Message, 0, 16)
}

// send hands b's messages to its subscription, in a batch of their size
// class (batches.go), and empties b.
func (r *reader) send(b *batch) {
	if len(b.msgs) == 0 {
		return // handed on when it filled up
	}
	out := newBatch(len(b.msgs))
	out.msgs = append(out.msgs, b.msgs...)
	out.version = r.version
	clear(b.msgs) // the reader keeps no message alive
	b.msgs = b.msgs[:0]
	r.sys.Root.Send(b.rt.pid, out)
}

// add puts m in its route's batch, handing the batch on once full.
func (r *reader) add(rt *route, m *Message) {
	var b *batch
	for i := range r.batches {
		if r.batches[i].rt == rt {
			b = &r.batches[i]
			break
		}
	}
	if b == nil {
		r.batches = append(r.batches, batch{rt: rt, msgs: r.spare()})
		b = &r.batches[len(r.batches)-1]
	}
	b.msgs = append(b.msgs, *m)
	if len(b.msgs) >= maxBatch {
		r.send(b)
		// A subscription woken here waits on this P behind the reader
		// (the scheduler keeps a woken goroutine where it was woken): step
		// aside, so that it runs now and the reader goes on on another
		// P, the two in parallel.
		runtime.Gosched()
	}
}

// handingOn is the socket as the decoder reads it: every batch is handed
// on before a read, which may wait.
type handingOn struct{ r *reader }

func (h handingOn) Read(p []byte) (int, error) {
	r := h.r
	if len(r.batches) > 0 {
		r.handOn()
		// Let the subscription just woken run here and now: a read that
		// finds nothing goes through the poller, long enough for an idle
		// thread to be woken and take it away, which costs more.
		runtime.Gosched()
	}
	if r.idle {
		// The last read did not fill the buffer: this one may wait.
		clear(r.free)
		r.free = r.free[:0]
	}
	n, err := r.conn.Read(p)
	for n == 0 && r.wait.expired(err) {
		// The deadline the idle wait left armed passed in this read:
		// nothing was lost, read again.
		n, err = r.conn.Read(p)
	}
	r.idle = n < len(p)
	r.filled = n == len(p)
	return n, err
}

func (r *reader) Receive(ctx actor.Context) { guard(ctx, r, r.receive) }

func (r *reader) receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		r.c.wg.Add(1)
		go r.loop(ctx.ActorSystem())
	case *actor.Stopping:
		// The session ended the link first (lose), which also ends a
		// wait for room in a queue (admit).
		_ = r.conn.Close()
		r.c.eng.idle.unpark(r)
		r.endRole()
	}
}

// failed reports a panic to the session and stops the reader.
func (r *reader) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(r.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

// drained reports whether the socket has nothing more to read now, the
// decoder having nothing either: the last read did not fill the buffer,
// or it did, ending at a frame's end, and a look finds the socket empty
// (a frame that ends exactly at the end of the buffer read into, a
// 512-byte one read into the idle buffer, say).
func (r *reader) drained() bool {
	if r.idle {
		return true
	}
	if !r.filled || r.wait == nil || !r.wait.drained() {
		return false // woken and not read yet, or more may come
	}
	r.idle, r.filled = true, false
	return true
}

// runEnd is why run returned.
type runEnd uint8

const (
	runEnded     runEnd = iota // the connection ended, or the reader stops
	runConnected               // CONNECTED was forwarded (handshake)
	runIdle                    // nothing is buffered and the socket was drained (atIdle)
	runYield                   // the caller reading (readFor) has its message
	runHandedOff               // the caller's reading went to a reader goroutine, or ended (handOff)
	runCut                     // the caller's read was cut short (cutWaitLocked)
)

// run decodes and forwards frames until the connection ends; during the
// handshake, until CONNECTED; with atIdle, until it would wait for the
// socket, after handing everything on.
func (r *reader) run(dec *frames.Decoder, gen uint64, handshake, atIdle bool) (end runEnd) {
	defer func() {
		if end == runEnded {
			r.handOn() // what was decoded before the end
		}
	}()
	for {
		if r.caller != nil && r.caller.reached() {
			r.handOn()
			return runYield
		}
		if atIdle && !dec.Pending() && r.drained() {
			// About to wait: the connection keeps no buffer meanwhile.
			r.handOn()
			clear(r.free)
			r.free = r.free[:0]
			dec.Release()
			return runIdle
		}
		if rs := r.c.routes.Load(); rs != nil {
			dec.SetLeasing(rs.lent)
		}
		// An EOL already buffered came in the read of what precedes it
		// (padding).
		buffered := dec.Buffered() > 0
		f, err := dec.DecodeOwned()
		if err != nil && r.caller != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline cutWaitLocked set: the frame under way
			// stays in dec (which decodes it again from its start).
			r.handOn()
			return runCut
		}
		if err != nil {
			r.handOn()
			r.sys.Root.Send(r.session, &readFailed{gen: gen, err: readError(err)})
			return runEnded
		}
		if f.Command == frames.Heartbeat {
			if r.padding(buffered) {
				continue
			}
			if r.beats {
				r.c.stats.HeartbeatsIn.Add(1)
			}
			continue
		}
		r.framed, r.padded = true, false
		r.c.stats.FramesIn.Add(1)
		if r.c.logFrames.Load() {
			r.c.log(LogDebug, "frame", "< "+f.String())
		}
		switch f.Command {
		case frames.CmdMessage:
			// Counted once, here, whatever becomes of it: dropped
			// messages are among those received.
			r.c.stats.MessagesIn.Add(1)
			switch r.deliver(gen, &f, dec.Lease()) {
			case deliveryStop:
				return runEnded
			case deliveryWait:
				r.handOff(gen, f, dec)
				return runHandedOff
			}
		case frames.CmdConnected:
			if !handshake {
				// A CONNECTED after the handshake changes nothing: the
				// session reports it (ErrProtocol) and the decoder keeps
				// the version negotiated, or every later frame would be
				// read by the rules of a version the broker did not
				// agree to.
				r.toSession(gen, f)
				continue
			}
			if nv, err := frames.ParseVersion(f.Header(frames.HdrVersion)); err == nil {
				dec.SetVersion(nv)
			} else {
				dec.SetVersion(frames.V10)
			}
			dec.SetLenientErrors(false)
			r.version = dec.Version()
			r.beats = r.wantBeats && r.version >= frames.V11 && serverBeats(&f)
			r.toSession(gen, f)
			return runConnected
		case frames.CmdReceipt:
			if !r.receipt(&f) {
				r.toSession(gen, f)
			}
		default:
			if f.Command == frames.CmdError {
				// Tested here rather than as a case of its own,
				// so that the MESSAGE path stays as it was.
				r.refusal(&f)
				r.errorsPassed++
			}
			r.toSession(gen, f)
		}
	}
}

// serverBeats reports whether CONNECTED says the server sends heart-beats
// (the first count of its heart-beat header is not 0). The session
// negotiates the interval (negotiated); a header it refuses ends the
// connection there.
//
// Stats.HeartbeatsIn counts an EOL only when it can be a heart-beat:
// incoming heart-beats were negotiated (the client asked for them, the
// server offers them, and the version is 1.1 or later), and the EOL does
// not directly follow a frame's NUL. STOMP lets a frame's NUL be followed
// by EOLs, and RabbitMQ and ActiveMQ end every frame with one: that EOL
// is the frame's padding, not a heart-beat. So the first EOL after a frame
// is never counted, whatever the read it came in (a broker that does not
// pad has the first heart-beat after each frame left out), and the EOLs
// after it are.
func serverBeats(connected *frames.Frame) bool {
	sx, _, err := parseHeartBeat(connected.Header(frames.HdrHeartBeat))
	return err == nil && sx > 0
}

// toSession hands a frame to the session, after the messages decoded
// before it.
func (r *reader) toSession(gen uint64, f frames.Frame) {
	r.handOn()
	r.sys.Root.Send(r.session, &frameReceived{gen: gen, frame: &f})
}

// receipt answers a RECEIPT whose caller waits for it in the link's book
// (receiptWaiters) here, with no hop through the session, after the
// messages decoded before it. It returns false for a receipt id the book
// does not hold, which the session handles (an outbox message, DISCONNECT,
// or a RECEIPT for nothing). A RECEIPT behind an ERROR the session has
// not reported yet goes through the session too (false), which answers
// it from the link's book after the ERROR: its ReceiptInEvent, and the
// return of the call that waits for it, then come after the ERROR's
// ErrorEvent, in the order the broker sent them (an ERROR that names no
// receipt is the session's to report, and its mailbox is behind).
func (r *reader) receipt(f *frames.Frame) bool {
	if r.errorsReported.Load() != r.errorsPassed {
		return false
	}
	r.handOn()
	return r.l.receipts.confirm(f.Header(frames.HdrReceiptID), r.c)
}

// refusal fails, here and now, the caller in the link's book whose
// receipt an ERROR names, before the ERROR goes on to the session (which
// reports it, and fails a receipt of its own book). The reader so
// answers a receipt in the order the broker did: a RECEIPT for the same
// id after the ERROR finds nobody waiting and goes to the session as one
// for an id it does not know, and a frame the broker refused is never
// reported confirmed. The receipts of the session's book (outbox
// messages, DISCONNECT) hear both frames in order through its mailbox.
func (r *reader) refusal(f *frames.Frame) {
	if id, ok := f.Headers.Get(frames.HdrReceiptID); ok {
		r.handOn() // the messages decoded before it, as for a RECEIPT
		// Unscrubbed: the error goes to the caller that waits, whose api
		// scrubs the headers and makes the message again; the session
		// logs and reports the same ERROR scrubbed (ConnectConfig.Scrub).
		r.l.receipts.fail(id, serverError(f, nil))
	}
}

// padding tells whether an EOL the reader decoded (buffered: it was read
// with the bytes before it) pads the frame before it rather than being a
// heart-beat, for Stats.HeartbeatsIn. Padding is the first EOL after a
// frame's NUL, however the reads split them, and the EOLs that follow it
// in the same read; an EOL that starts a read after padding, or follows
// a heart-beat, is a heart-beat. A heart-beat the broker sends in the
// same read as a frame's padding is thus taken for padding, and padding
// split across reads past its first EOL for heart-beats: the stream
// cannot tell them apart, and a broker sends heart-beats when it has
// nothing else to send.
func (r *reader) padding(buffered bool) bool {
	switch {
	case r.framed && !r.padded:
		r.padded = true
		return true
	case r.padded && buffered:
		return true
	}
	r.framed, r.padded = false, false
	return false
}
