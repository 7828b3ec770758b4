package actors

import (
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// route is how the reader reaches a subscription without the session: its
// actor and the bounds of its delivery queue, in messages and in bytes.
type route struct {
	id, destination string
	mode            AckMode
	pid             *actor.PID
	done            chan struct{} // closed by the session when the subscription ends
	delivered       atomic.Int64  // messages handed to the subscription
	// maxMsgs and maxBytes bound the messages queued or being handled
	// (in the reader's batch, the subscription's mailbox, the handler);
	// queued and bytes count them, message by message. Only the reader
	// adds, only the subscription takes away, so the reader's check and
	// add need no lock. A reader that waits for room says so (waiting),
	// and the subscription then signals freed.
	maxMsgs, maxBytes int64
	queued, bytes     atomic.Int64
	freed             wakeup // room was given back
	policy            FullPolicy
	lent              bool // SubscribeSpec.Lent
	waiting           atomic.Bool
	// draining is set by the session when Disconnect begins: messages
	// that need an ACK and have not started are no longer handled (the
	// broker redelivers them).
	draining atomic.Bool
	// (The small fields sit together at the end: the route takes the
	// 128-byte size class, not the 144-byte one.)
}

// newRoute makes the route of a subscription.
func newRoute(spec *SubscribeSpec) *route {
	return &route{id: spec.ID, destination: spec.Destination, mode: spec.Mode, policy: spec.OnFull, lent: spec.Lent,
		maxMsgs: int64(spec.QueueSize), maxBytes: int64(spec.QueueBytes),
		done: make(chan struct{})}
}

// take counts one more message of n bytes queued if both bounds have
// room for it; a message larger than the whole byte bound is taken when
// nothing else is queued.
func (r *route) take(n int64) bool {
	if r.queued.Load() >= r.maxMsgs {
		return false
	}
	if used := r.bytes.Load(); used > 0 && used+n > r.maxBytes {
		return false
	}
	r.queued.Add(1)
	r.bytes.Add(n)
	return true
}

// release gives back a handled message's place and bytes, and wakes a
// reader waiting for room once a quarter of the queue is free (or all
// of it): a reader woken for every place freed would take one message
// per wake-up, hand-offs costing more than the messages.
func (r *route) release(n int64) {
	bytes := r.bytes.Add(-n)
	queued := r.queued.Add(-1)
	// The reader sets waiting before it looks for room again, so either
	// it sees this room or this sees it wait.
	if r.waiting.Load() && (queued == 0 || queued <= r.maxMsgs-max(r.maxMsgs/4, 1) && bytes <= r.maxBytes-r.maxBytes/4) {
		r.freed.signal()
	}
}

// messageBytes is what a message counts against its queue's byte bound:
// its body and header text.
func messageBytes(f *frames.Frame) int64 {
	n := len(f.Body)
	for _, h := range f.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return int64(n)
}

// end marks the subscription ended: a reader waiting for room in its queue
// drops the message and reads on, an Ack of its messages is refused. Only
// the session calls it, once.
func (r *route) end() { close(r.done) }

// routes is an immutable snapshot; the session stores a new one on every
// change.
// A few routes are searched in a slice (a map costs hundreds of bytes
// even for one entry); many get maps.
type routes struct {
	lent   bool // some route lends its messages (the decoder leases large frames)
	list   []*route
	byID   map[string]*route // with more than fewRoutes
	byDest map[string]*route // STOMP 1.0 messages may lack a subscription header
}

const fewRoutes = 8

func newRoutes(list []*route) *routes {
	r := &routes{list: list}
	for _, rt := range list {
		r.lent = r.lent || rt.lent
	}
	if len(list) > fewRoutes {
		r.byID = make(map[string]*route, len(list))
		r.byDest = make(map[string]*route, len(list))
		for _, rt := range list {
			r.byID[rt.id] = rt
			r.byDest[rt.destination] = rt
		}
	}
	return r
}

func (r *routes) find(id string) *route {
	if r.byID != nil {
		return r.byID[id]
	}
	for _, rt := range r.list {
		if rt.id == id {
			return rt
		}
	}
	return nil
}

func (r *routes) findDest(dest string) *route {
	if r.byDest != nil {
		return r.byDest[dest]
	}
	for _, rt := range r.list {
		if rt.destination == dest {
			return rt
		}
	}
	return nil
}

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
	version frames.Version // the connection's, once CONNECTED named it
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
	}
}

// failed reports a panic to the session and stops the reader.
func (r *reader) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(r.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (r *reader) loop(sys *actor.ActorSystem) {
	defer r.c.wg.Done()
	r.sys = sys
	// Until CONNECTED names the version, decode as the newest offered:
	// CONNECTED and ERROR headers are not unescaped anyway.
	v := frames.V10
	for _, o := range r.versions {
		v = max(v, o)
	}
	// Frames are decoded into memory of their own: a message goes to its
	// subscription as it is, with no copy.
	dec := takeDecoder(handingOn{r}, v, r.limits)
	if r.run(dec, r.l.gen, true, false) == runConnected {
		// The handshake grew this goroutine's stack; what an idle
		// connection keeps for its life is a goroutine waiting for the
		// socket, which a fresh goroutine does on its smallest stack.
		r.c.wg.Add(1)
		go r.carryOn(dec)
	}
}

// carryOn reads on after CONNECTED, on a goroutine of its own. Between
// bursts it waits for the socket to become readable here, at the bottom
// of its stack, rather than in a read under the decoder's frames, for at
// most settle: a connection still quiet then rests (rest). Where the
// connection cannot be waited on that way at all (TLS, WebSocket,
// proxies' wrappers), the decoder's read waits.
func (r *reader) carryOn(dec *frames.Decoder) {
	defer r.c.wg.Done()
	if r.wait == nil {
		r.wait = readable(r.conn)
	}
	r.readOn(dec)
}

// rest parks a quiet connection's socket in the engine's poller
// (idlePoller), so that it holds no goroutine; the poller starts resume
// when bytes come. Where the poller cannot take it, a fresh goroutine
// waits (waitAlone), on the smallest stack: a goroutine's stack does not
// shrink below four times what it holds. The decoder, released and
// holding nothing but its settings, is not kept meanwhile: the next
// goroutine takes another once bytes come.
func (r *reader) rest() {
	if r.c.eng.idle.park(r) {
		return
	}
	r.c.wg.Add(1)
	go r.waitAlone()
}

// resume is the reader of a parked connection, started by the poller.
// A wake-up with nothing to read (a stale event, or the poller giving up)
// rests again once quiet, as any reader does.
func (r *reader) resume() {
	defer r.c.wg.Done()
	if !r.wait.settled() {
		r.rest()
		return
	}
	r.idle = false // read what woke it
	r.readOn(takeDecoder(handingOn{r}, r.version, r.limits))
}

// waitAlone waits for the socket on a goroutine of its own, for as long
// as it takes, where the poller could not take it.
func (r *reader) waitAlone() {
	defer r.c.wg.Done()
	r.wait.wait(0)
	r.idle = false // read what woke it
	r.readOn(takeDecoder(handingOn{r}, r.version, r.limits))
}

// readOn decodes and forwards frames with dec until the connection ends
// or, between bursts, stays quiet for settle: then it rests.
func (r *reader) readOn(dec *frames.Decoder) {
	for r.run(dec, r.l.gen, false, r.wait != nil) == runIdle {
		if !r.wait.settled() {
			dec.Reset(nil, 0, frames.Limits{}) // it kept the reader
			decoders.Put(dec)
			r.rest()
			return
		}
		r.idle = false // read what woke it
	}
}

// decoders keeps the decoders that readers of quiet connections let go
// (released, they hold nothing), for the next reader that needs one: each
// connection takes one to start and another each time it wakes from
// quiet, and they would otherwise be garbage among the connections'
// long-lived objects.
var decoders = sync.Pool{New: func() any { return new(frames.Decoder) }}

// takeDecoder returns a decoder of r, from the pool.
func takeDecoder(r io.Reader, v frames.Version, lim frames.Limits) *frames.Decoder {
	d := decoders.Get().(*frames.Decoder)
	d.Reset(r, v, lim)
	return d
}

// settle is how long a reader that handled frames stays ready on its
// goroutine before it moves to a fresh one.
const settle = 20 * time.Millisecond

// runEnd is why run returned.
type runEnd uint8

const (
	runEnded     runEnd = iota // the connection ended, or the reader stops
	runConnected               // CONNECTED was forwarded (handshake)
	runIdle                    // nothing is buffered and the socket was drained (atIdle)
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
		if atIdle && r.idle && !dec.Pending() {
			// About to wait: the connection keeps no buffer meanwhile.
			r.handOn()
			clear(r.free)
			r.free = r.free[:0]
			dec.Release()
			return runIdle
		}
		if rs := r.c.routes.Load(); rs != nil {
			dec.SetLeaseLarge(rs.lent)
		}
		f, err := dec.DecodeOwned()
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
			if !r.deliver(gen, &f, dec.Lease()) {
				return runEnded
			}
		case frames.CmdConnected:
			if nv, err := frames.ParseVersion(f.Header(frames.HdrVersion)); err == nil {
				dec.SetVersion(nv)
			} else {
				dec.SetVersion(frames.V10)
			}
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
// or a RECEIPT for nothing).
func (r *reader) receipt(f *frames.Frame) bool {
	r.handOn()
	return r.l.receipts.confirm(f.Header(frames.HdrReceiptID), r.c)
}

// deliver admits a MESSAGE to its subscription's queue, once it has room,
// and adds it to the subscription's batch. It returns false when the
// reader must stop.
func (r *reader) deliver(gen uint64, f *frames.Frame, lease *frames.Lease) bool {
	rt := r.c.lookupRoute(f)
	if rt == nil {
		r.toSession(gen, *f)
		return true
	}
	size := messageBytes(f)
	switch r.admit(rt, size) {
	case dropped:
		r.c.stats.Dropped.Add(1)
		return true
	case overflowed:
		r.handOn()
		r.sys.Root.Send(r.session, &readFailed{gen: gen, err: ErrQueueFull})
		return false
	case readerStopping:
		return false
	}
	r.c.stats.MessagesIn.Add(1)
	rt.delivered.Add(1)
	// The rest of the Message is read from its headers on the
	// subscription's goroutine (describe), off the reader's.
	m := &Message{Subscription: rt.id, Headers: f.Headers, Body: f.Body, gen: gen, rt: rt, size: size}
	if rt.lent {
		m.lease = lease // given back once handled (subscription.deliver)
	}
	r.add(rt, m)
	return true
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
	switch rt.policy {
	case FullDrop:
		return dropped
	case FullError:
		return overflowed
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
