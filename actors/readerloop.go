package actors

import (
	"io"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// The reader's goroutines: the one that reads the handshake, and those
// that read on after it, each ending when its connection stays quiet
// (rest) and the next started when bytes come.

// loop is the reader's first goroutine: it reads until CONNECTED, then
// hands on to a fresh one (carryOn).
func (r *reader) loop(sys *actor.ActorSystem) {
	defer r.c.wg.Done()
	r.sys = sys
	// Until CONNECTED names the version, decode as the newest offered:
	// CONNECTED's headers are never escaped, and an ERROR refusing the
	// connection (from a server of any version) keeps an escape that
	// version does not define as it came, rather than losing the
	// server's reason to a malformed frame.
	v := frames.V10
	for _, o := range r.versions {
		v = max(v, o)
	}
	// Frames are decoded into memory of their own: a message goes to its
	// subscription as it is, with no copy.
	dec := takeDecoder(handingOn{r}, v, r.limits)
	dec.SetLenientErrors(true)
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
		if r.vacate() {
			// Callers wait in Receive: the next one reads.
			dec.Reset(nil, 0, frames.Limits{})
			decoders.Put(dec)
			return
		}
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
