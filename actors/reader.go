package actors

import (
	"net"
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
	slots           chan struct{} // a token per message queued or being handled
	done            chan struct{} // closed by the session when the subscription ends
	policy          FullPolicy
	delivered       atomic.Int64 // messages handed to the subscription
	// maxBytes bounds the bytes of the messages queued or being handled;
	// bytes counts them. Only the reader adds, only the subscription
	// takes away (and then signals freed), so the reader's check and add
	// need no lock.
	maxBytes int64
	bytes    atomic.Int64
	freed    chan struct{} // capacity 1: bytes were released
	// draining is set by the session when Disconnect begins: messages
	// that need an ACK and have not started are no longer handled (the
	// broker redelivers them).
	draining atomic.Bool
}

// newRoute makes the route of a subscription.
func newRoute(spec *SubscribeSpec) *route {
	return &route{id: spec.ID, destination: spec.Destination, mode: spec.Mode, policy: spec.OnFull,
		slots: make(chan struct{}, spec.QueueSize), maxBytes: int64(spec.QueueBytes),
		done: make(chan struct{}), freed: make(chan struct{}, 1)}
}

// takeBytes counts n more bytes queued if they fit, or if nothing is
// queued: a message larger than the whole bound is taken alone.
func (r *route) takeBytes(n int64) bool {
	if used := r.bytes.Load(); used > 0 && used+n > r.maxBytes {
		return false
	}
	r.bytes.Add(n)
	return true
}

// release gives back a handled message's slot and bytes, and wakes a
// reader waiting for room.
func (r *route) release(n int64) {
	r.bytes.Add(-n)
	<-r.slots
	select {
	case r.freed <- struct{}{}:
	default:
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
	list   []*route
	byID   map[string]*route // with more than fewRoutes
	byDest map[string]*route // STOMP 1.0 messages may lack a subscription header
}

const fewRoutes = 8

func newRoutes(list []*route) *routes {
	r := &routes{list: list}
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
type reader struct {
	c        *Conn
	l        *link
	conn     net.Conn
	session  *actor.PID
	limits   frames.Limits
	versions []frames.Version
	done     chan struct{}
}

func (r *reader) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		r.c.wg.Add(1)
		go r.loop(ctx.ActorSystem())
	case *actor.Stopping:
		close(r.done)
		_ = r.conn.Close()
	}
}

// failed reports a panic to the session and stops the reader.
func (r *reader) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(ctx.Parent(), &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (r *reader) loop(sys *actor.ActorSystem) {
	defer r.c.wg.Done()
	// Until CONNECTED names the version, decode as the newest offered:
	// CONNECTED and ERROR headers are not unescaped anyway.
	v := frames.V10
	for _, o := range r.versions {
		v = max(v, o)
	}
	dec := frames.NewDecoder(r.conn, v, r.limits)
	gen := r.l.gen
	for {
		f, err := dec.Decode()
		if err != nil {
			sys.Root.Send(r.session, &readFailed{gen: gen, err: readError(err)})
			return
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
			if !r.deliver(sys, gen, f) {
				return
			}
		case frames.CmdConnected:
			if nv, err := frames.ParseVersion(f.Header(frames.HdrVersion)); err == nil {
				dec.SetVersion(nv)
			} else {
				dec.SetVersion(frames.V10)
			}
			sys.Root.Send(r.session, &frameReceived{gen: gen, frame: f.Clone()})
		default:
			sys.Root.Send(r.session, &frameReceived{gen: gen, frame: f.Clone()})
		}
	}
}

// deliver hands a MESSAGE to its subscription once its queue has room. It
// returns false when the reader must stop.
func (r *reader) deliver(sys *actor.ActorSystem, gen uint64, f *frames.Frame) bool {
	rt := r.c.lookupRoute(f)
	if rt == nil {
		sys.Root.Send(r.session, &frameReceived{gen: gen, frame: f.Clone()})
		return true
	}
	size := messageBytes(f)
	switch r.admit(rt, size) {
	case dropped:
		r.c.stats.Dropped.Add(1)
		return true
	case overflowed:
		sys.Root.Send(r.session, &readFailed{gen: gen, err: ErrQueueFull})
		return false
	case readerStopping:
		return false
	}
	r.c.stats.MessagesIn.Add(1)
	rt.delivered.Add(1)
	sys.Root.Send(rt.pid, &messageDelivered{gen: gen, frame: f.Clone(), size: size})
	return true
}

// admission is what admit decided for a message.
type admission uint8

const (
	admitted       admission = iota // it has a slot and its bytes
	dropped                         // FullDrop, or the subscription ended while the reader waited
	overflowed                      // FullError: the connection ends with ErrQueueFull
	readerStopping                  // the reader is stopping
)

// admit takes a slot and size bytes of rt's queue. When either is short,
// rt's policy decides: drop, fail, or (FullBlock) stop reading until the
// handler releases enough, so TCP pushes back on the broker; that pause is
// not server silence. The subscription may end while the reader waits
// (Unsubscribe), and its queue may then never drain: the message is
// dropped and reading goes on.
func (r *reader) admit(rt *route, size int64) admission {
	slot := false
	select {
	case rt.slots <- struct{}{}:
		slot = true
		if rt.takeBytes(size) {
			return admitted
		}
	default:
	}
	switch rt.policy {
	case FullDrop, FullError:
		if slot {
			<-rt.slots
		}
		if rt.policy == FullDrop {
			return dropped
		}
		return overflowed
	}
	r.l.stats.readPaused.Store(true)
	defer func() {
		r.l.stats.lastRead.Store(time.Now().UnixNano())
		r.l.stats.readPaused.Store(false)
	}()
	if !slot {
		select {
		case rt.slots <- struct{}{}:
		case <-rt.done:
			return dropped
		case <-r.done:
			return readerStopping
		}
	}
	for !rt.takeBytes(size) {
		select {
		case <-rt.freed:
		case <-rt.done:
			<-rt.slots
			return dropped
		case <-r.done:
			return readerStopping
		}
	}
	return admitted
}
