package actors

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// The session's side of subscriptions: it starts and stops their actors,
// publishes the routing snapshot the reader uses, and writes SUBSCRIBE and
// UNSUBSCRIBE.

// DefaultQueueSize is a subscription's queue bound when its spec gives
// none, in messages.
const DefaultQueueSize = 256

// DefaultQueueBytes is a subscription's queue bound when its spec gives
// none, in bytes of headers and bodies.
const DefaultQueueBytes = 16 << 20

func (s *session) subscribe(ctx actor.Context, m *subscribeRequest) {
	if s.state != Connected {
		m.wf.reply <- ErrNotConnected
		return
	}
	// One copy of the spec (the request's), shared by the subscription
	// and its entry.
	spec := m.spec
	if s.findSub(spec.ID) >= 0 {
		m.wf.reply <- fmt.Errorf("%w: %s", errSubscriptionIDInUse, strconv.Quote(spec.ID))
		return
	}
	if spec.Mode == "" {
		spec.Mode = AckAuto
	}
	if spec.QueueSize <= 0 {
		spec.QueueSize = DefaultQueueSize
	}
	// The frame that is checked is the one written.
	f := subscribeFrame(*spec, s.info.Server)
	if err := checkSubscribe(spec, f, s.link.version); err != nil {
		m.wf.reply <- err
		return
	}
	if spec.QueueBytes <= 0 {
		spec.QueueBytes = DefaultQueueBytes
	}
	rt := newRoute(spec)
	sub := &subscription{c: s.c, spec: spec, rt: rt}
	// A subscription with this id still handing over messages goes first
	// (handover.go).
	prev := s.handingOverID(spec.ID)
	sub.waits = prev != nil && !spec.Pull
	rt.pid = s.c.spawn(sub)
	if sub.waits {
		prev.successor = rt.pid
	}
	e := &subEntry{spec: spec, pid: rt.pid, route: rt, sent: m.wf, sub: sub, made: m.note}
	s.subs = append(s.subs, e)
	// Its event is told in this order among those of its id, once its
	// caller has the outcome (subnotes.go).
	s.c.place(spec.ID, m.note, &SubscribedEvent{ID: spec.ID, Destination: spec.Destination}, nil)
	// The leftovers of an ended subscription with this id, if any, are
	// the new one's (pullleft.go).
	var old *route
	s.c.setRoutes(s.liveRoutes(), func(left []*route) []*route {
		old = nil
		if i := slices.IndexFunc(left, func(rt *route) bool { return rt.id == spec.ID }); i >= 0 {
			old = left[i]
			return slices.Delete(slices.Clone(left), i, i+1)
		}
		return left
	})
	if old != nil {
		s.takeOver(old, rt)
		if rt.pull != nil {
			e.tookOver = old // given back if this one fails
		}
	}
	m.wf.frame, m.wf.receipt = f, spec.Receipt
	s.write(m.wf)
}

func (s *session) unsubscribe(ctx actor.Context, m *unsubscribeRequest) {
	i := s.findSub(m.id)
	if i < 0 || (m.undo && s.subs[i].made != m.made) {
		// With undo: the failed Subscribe's subscription has ended
		// already (an Unsubscribe took it), and the id, if in use,
		// is a newer subscription's.
		m.wf.reply <- ErrUnknownSubscription
		return
	}
	e := s.subs[i]
	s.subs = slices.Delete(s.subs, i, i+1)
	if !m.undo {
		s.c.place(m.id, m.note, &UnsubscribedEvent{ID: m.id, Destination: e.spec.Destination}, e.made)
	}
	if old := s.giveBackIf(m.undo, e); old != nil {
		// Published before the route ends: a caller of Receive that
		// the end wakes finds them.
		s.c.setRoutes(s.liveRoutes(), func(left []*route) []*route { return append(slices.Clip(left), old) })
	} else {
		s.publishRoutes()
	}
	s.handOver(ctx, e)
	if m.refused != nil && m.refused == e.sent {
		m.wf.reply <- nil
		return
	}
	if s.state != Connected {
		// Between connections (reconnecting) the broker's side ended
		// with the last one, and the next does not restore it; while
		// disconnecting, DISCONNECT ends it: nothing to write.
		m.wf.reply <- nil
		return
	}
	f := frames.New(frames.CmdUnsubscribe, frames.HdrID, m.id)
	if s.link.version == frames.V10 {
		f.Headers.Add(frames.HdrDestination, e.spec.Destination)
	}
	m.wf.frame, m.wf.receipt, m.wf.onlyAfter = f, m.receipt, e.sent
	s.write(m.wf)
}

// wakeReadingCaller wakes a caller of Receive that reads the connection
// (readerrole.go): its subscription may have ended.
func (s *session) wakeReadingCaller() {
	if s.link != nil && s.link.rd != nil {
		s.link.rd.wakeCaller()
	}
}

// findSub returns the index of the subscription id, or -1.
func (s *session) findSub(id string) int {
	return slices.IndexFunc(s.subs, func(e *subEntry) bool { return e.spec.ID == id })
}

func (s *session) publishRoutes() { s.c.setRoutes(s.liveRoutes(), nil) }

// liveRoutes lists the subscriptions' routes.
func (s *session) liveRoutes() []*route {
	list := make([]*route, 0, len(s.subs))
	for _, e := range s.subs {
		list = append(list, e.route)
	}
	return list
}

// subscribeFrame is the SUBSCRIBE frame of a subscription to the broker
// whose CONNECTED frame named server: its own headers, the extra ones
// (which checkSubscribe made sure replace none of them), and the prefetch
// in the headers that broker reads, unless the extra headers say it by
// hand.
func subscribeFrame(spec SubscribeSpec, server string) *frames.Frame {
	f := frames.New(frames.CmdSubscribe, frames.HdrDestination, spec.Destination, frames.HdrID, spec.ID, frames.HdrAck, string(spec.Mode))
	f.Headers = append(f.Headers, spec.Headers...)
	if spec.Prefetch > 0 && spec.Mode != AckAuto && !hasPrefetchHeader(spec.Headers) {
		n := strconv.Itoa(spec.Prefetch)
		for _, k := range prefetchHeaders(server) {
			f.Headers.Add(k, n)
		}
	}
	return f
}
