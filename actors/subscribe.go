package actors

import (
	"fmt"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// The session's side of subscriptions: it starts and stops their actors,
// publishes the routing snapshot the reader uses, and writes SUBSCRIBE and
// UNSUBSCRIBE.

func (s *session) subscribe(ctx actor.Context, m *subscribeRequest) {
	if s.state != Connected {
		m.reply <- ErrNotConnected
		return
	}
	spec := m.spec
	if _, dup := s.subs[spec.ID]; dup {
		m.reply <- fmt.Errorf("%w: %s", errSubscriptionIDInUse, strconv.Quote(spec.ID))
		return
	}
	if spec.Mode == "" {
		spec.Mode = AckAuto
	}
	if spec.QueueSize <= 0 {
		spec.QueueSize = 256
	}
	rt := &route{id: spec.ID, destination: spec.Destination, mode: spec.Mode, slots: make(chan struct{}, spec.QueueSize), done: make(chan struct{}), policy: spec.OnFull}
	rt.pid = s.c.eng.spawn(ctx, &subscription{c: s.c, spec: spec, rt: rt, l: s.link})
	if s.subs == nil {
		s.subs = map[string]*subEntry{}
	}
	s.subs[spec.ID] = &subEntry{spec: spec, pid: rt.pid, route: rt}
	s.publishRoutes()
	ctx.Send(s.writer, &writeFrame{frame: subscribeFrame(spec), receipt: spec.Receipt, reply: m.reply})
}

func (s *session) unsubscribe(ctx actor.Context, m *unsubscribeRequest) {
	e, ok := s.subs[m.id]
	if !ok {
		m.reply <- ErrUnknownSubscription
		return
	}
	delete(s.subs, m.id)
	s.publishRoutes()
	defer s.quiet(ctx, m.id)
	e.route.end()
	ctx.Stop(e.pid)
	if m.local {
		m.reply <- nil
		return
	}
	if s.state != Connected {
		m.reply <- ErrNotConnected
		return
	}
	f := frames.New(frames.CmdUnsubscribe, frames.HdrID, m.id)
	if s.link.version == frames.V10 {
		f.Headers.Add(frames.HdrDestination, e.spec.Destination)
	}
	ctx.Send(s.writer, &writeFrame{frame: f, receipt: m.receipt, reply: m.reply})
}

// endSubscriptions stops every subscription: the connection ended for good.
func (s *session) endSubscriptions(ctx actor.Context) {
	for id, e := range s.subs {
		e.route.end()
		ctx.Stop(e.pid)
		delete(s.subs, id)
	}
	s.c.routes.Store(nil)
}

func (s *session) publishRoutes() {
	r := &routes{byID: make(map[string]*route, len(s.subs)), byDest: make(map[string]*route, len(s.subs))}
	for id, e := range s.subs {
		r.byID[id] = e.route
		r.byDest[e.spec.Destination] = e.route
	}
	s.c.routes.Store(r)
}

// subscribeFrame is the SUBSCRIBE frame of a subscription.
func subscribeFrame(spec SubscribeSpec) *frames.Frame {
	f := frames.New(frames.CmdSubscribe, frames.HdrDestination, spec.Destination, frames.HdrID, spec.ID, frames.HdrAck, string(spec.Mode))
	for _, h := range spec.Headers {
		f.Headers.Set(h.Key, h.Value)
	}
	return f
}
