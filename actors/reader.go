package actors

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"time"

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
			r.c.stats.HeartbeatsIn.Add(1)
			continue
		}
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
			if nv, err := frames.ParseVersion(f.Header(frames.HdrVersion)); err == nil {
				dec.SetVersion(nv)
			} else {
				dec.SetVersion(frames.V10)
			}
			dec.SetLenientErrors(false)
			r.version = dec.Version()
			r.toSession(gen, f)
			if handshake {
				return runConnected
			}
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
		r.l.receipts.fail(id, serverError(f))
	}
}

// delivery is what deliver did with a MESSAGE.
type delivery uint8

const (
	delivered    delivery = iota // queued (or dropped, as its queue's policy says)
	deliveryStop                 // the reader must stop
	deliveryWait                 // a caller reads, and its queue is full: handOff
)

// deliver admits a MESSAGE to its subscription's queue, once it has room,
// and adds it to the subscription's batch, or to a pull subscription's
// queue.
func (r *reader) deliver(gen uint64, f *frames.Frame, lease *frames.Lease) delivery {
	rt := r.c.lookupRoute(f)
	if rt == nil {
		// A subscription that ended while the broker was already
		// sending to it: counted dropped here, not by the session
		// (which only logs it), as the session may have stopped or
		// moved on to a later connection, whose frames alone it reads.
		r.c.stats.Dropped.Add(1)
		r.toSession(gen, *f)
		return delivered
	}
	size := messageBytes(f)
	switch r.admit(rt, size) {
	case dropped:
		r.c.stats.Dropped.Add(1)
		return delivered
	case overflowed:
		r.c.stats.Dropped.Add(1)
		r.handOn()
		r.sys.Root.Send(r.session, &readFailed{gen: gen, err: ErrQueueFull})
		return deliveryStop
	case readerStopping:
		r.c.stats.Dropped.Add(1)
		return deliveryStop
	case mustWait:
		return deliveryWait
	}
	if rt.draining.Load() && rt.pull == nil && ended(rt) {
		// The subscription ended (Unsubscribe, which set draining
		// before the end) after this reader found its route: its actor
		// may have handed on all it held and stopped. Dropped, and the
		// actor told to look at its queue again, in case it waits for
		// this message's place (handover.go). draining, a plain load,
		// keeps the channel's look off the path of every message.
		r.c.dropTaken(rt, size)
		r.sys.Root.Send(rt.pid, &unsubscribed{})
		return delivered
	}
	// Numbered in the order the broker sent them, for cumulative ACKs.
	seq := uint32(rt.delivered.Add(1))
	// The rest of the Message is read from its headers on the
	// subscription's goroutine (describe), off the reader's.
	m := &Message{Subscription: rt.id, Headers: f.Headers, Body: f.Body, gen: gen, rt: rt, size: size, seq: seq}
	if rt.spec.Lent {
		// Given back once handled (subscription.deliver), or by
		// Receive's caller (Message.Release).
		m.lease = lease
	}
	if rt.pull != nil {
		if !rt.pull.push(m, r.version) {
			// Its subscription ended after this reader found its
			// route, and dropped what it held (dropLeft): this one
			// too, counted.
			r.c.dropTaken(rt, size)
			m.Release()
		}
		return delivered
	}
	r.add(rt, m)
	return delivered
}

// dropTaken drops a message the reader took a place for in rt's queue
// as its subscription ended, and counts it dropped, unless the halt of
// the handover (the connection's end) counted its place already
// (haltTurn).
func (c *Conn) dropTaken(rt *route, size int64) {
	if !rt.release(size) {
		c.stats.Dropped.Add(1)
	}
}

// ended reports whether rt's subscription has ended.
func ended(rt *route) bool {
	select {
	case <-rt.done:
		return true
	default:
		return false
	}
}

// describe fills in what m's headers say, for a connection of version v.
func (m *Message) describe(v frames.Version) {
	// One pass over the headers; the first of repeated keys counts.
	const (
		seenID = 1 << iota
		seenDest
		seenType
		seenRedelivered
		seenAck
	)
	var seen uint8
	ack := ""
	first := func(bit uint8) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	for _, h := range m.Headers {
		switch h.Key {
		case frames.HdrMessageID:
			if first(seenID) {
				m.MessageID = h.Value
			}
		case frames.HdrDestination:
			if first(seenDest) {
				m.Destination = h.Value
			}
		case frames.HdrContentType:
			if first(seenType) {
				m.ContentType = h.Value
			}
		case frames.HdrRedelivered:
			if first(seenRedelivered) {
				m.Redelivered = h.Value == "true"
			}
		case frames.HdrAck:
			if first(seenAck) {
				ack = h.Value
			}
		}
	}
	m.AckID = m.MessageID
	if seen&seenAck != 0 && v >= frames.V12 {
		m.AckID = ack
	}
}

// admission is what admit decided for a message.
type admission uint8

const (
	admitted       admission = iota // it has a slot and its bytes
	dropped                         // FullDrop, or the subscription ended while the reader waited
	overflowed                      // FullError: the connection ends with ErrQueueFull
	readerStopping                  // the reader is stopping
	mustWait                        // FullBlock, and a caller reads (handOff)
)

// admit takes a place and size bytes of rt's queue. When either is
// short, rt's policy decides: drop, fail, or (FullBlock) stop reading
// until the handler releases enough, so TCP pushes back on the broker;
// that pause is not server silence. The subscription may end while the
// reader waits (Unsubscribe), and its queue may then never drain: the
// message is dropped and reading goes on.
func (r *reader) admit(rt *route, size int64) admission {
	if rt.take(size) {
		return admitted
	}
	if rt.queued.Load()&haltBit != 0 {
		return dropped // a halted handover's (haltTurn): it takes none
	}
	switch rt.spec.OnFull {
	case FullDrop:
		return dropped
	case FullError:
		return overflowed
	}
	if r.caller != nil {
		return mustWait
	}
	// The queue's room may be held by messages still in a batch here.
	r.handOn()
	r.l.stats.readPaused.Store(true)
	freed := rt.freed.ch() // before waiting says there is someone to signal
	rt.waiting.Store(true)
	defer func() {
		rt.waiting.Store(false)
		r.l.stats.lastRead.Store(time.Now().UnixNano())
		r.l.stats.readPaused.Store(false)
	}()
	for !rt.take(size) {
		select {
		case <-freed:
		case <-rt.done:
			return dropped
		case <-r.l.lost:
			return readerStopping
		}
	}
	return admitted
}
