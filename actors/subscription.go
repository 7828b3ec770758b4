package actors

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// subState is one subscription: it turns MESSAGE frames into Messages for
// its own delivery goroutine, which runs the handler in order, and writes
// the ACK or NACK the handler (or a later Ack call) asks for. A slow
// handler fills only this subscription's queue.
type subState struct {
	c       *Client
	spec    SubscribeSpec
	rt      *route
	l       *link
	queue   chan *Message
	stop    chan struct{}
	started bool

	// Graceful disconnect: pending counts messages queued or being
	// handled; once draining is set, ack-mode messages not yet started are
	// skipped (the broker redelivers them) and the session is told when
	// pending reaches zero, after every ACK the handlers asked for.
	pending  atomic.Int64
	draining atomic.Bool
	waiter   *actor.PID
}

type subscription struct{ *subState }

func newSubscriptionProducer(c *Client, spec SubscribeSpec, rt *route, l *link) actor.Producer {
	st := &subState{c: c, spec: spec, rt: rt, l: l, queue: make(chan *Message, cap(rt.slots)), stop: rt.done}
	return func() actor.Actor { return &subscription{st} }
}

func (s *subscription) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if !s.started {
			s.started = true
			s.c.wg.Add(1)
			go s.deliverLoop(ctx.ActorSystem(), ctx.Self())
		}
	case *messageDelivered:
		msg := s.message(m, ctx.Self())
		if s.draining.Load() {
			// Disconnecting: an ack-mode message will be redelivered; an
			// auto one is lost with the connection, and counted.
			<-s.rt.slots
			if !msg.NeedsAck() {
				s.c.stats.Dropped.Add(1)
			}
			return
		}
		s.pending.Add(1)
		select {
		case s.queue <- msg:
		default: // cannot happen while slots bound the queue; never block
			s.pending.Add(-1)
			<-s.rt.slots
			s.c.stats.Dropped.Add(1)
		}
	case *quiesce:
		s.waiter = m.session
		s.draining.Store(true)
		s.quiesced(ctx)
	case *drained:
		s.quiesced(ctx)
	case *handlerDone:
		if m.panicked && (s.l == nil || s.l.version < frames.V11) {
			return // no NACK in 1.0: leave it unacknowledged; the panic is reported
		}
		if err := s.ack(ctx, m.msg, m.action == AckNack, "", 0, nil); err != nil {
			s.c.disp.post(&ErrorEvent{Err: err})
		}
	case *ackRequest:
		if err := s.ack(ctx, m.msg, m.nack, m.tx, m.receipt, m.reply); err != nil {
			m.reply <- err
		}
	case *linkChanged:
		s.l = m.link
	case *actor.Stopping:
		close(s.stop)
	}
}

func (s *subscription) message(m *messageDelivered, self *actor.PID) *Message {
	f := m.frame
	msg := &Message{
		Subscription: s.spec.ID,
		MessageID:    f.Header(frames.HdrMessageID),
		Destination:  f.Header(frames.HdrDestination),
		ContentType:  f.Header(frames.HdrContentType),
		Headers:      f.Headers,
		Body:         f.Body,
		Redelivered:  f.Header(frames.HdrRedelivered) == "true",
		gen:          m.gen,
		sub:          self,
		subDone:      s.stop,
		mode:         s.spec.Mode,
	}
	msg.AckID = msg.MessageID
	if s.l != nil && s.l.version >= frames.V12 {
		if a, ok := f.Headers.Get(frames.HdrAck); ok {
			msg.AckID = a
		}
	}
	return msg
}

func (s *subscription) deliverLoop(sys *actor.ActorSystem, self *actor.PID) {
	defer s.c.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case msg := <-s.queue:
			select {
			case <-s.stop:
				return
			default:
			}
			action, panicked := AckNone, false
			if !(s.draining.Load() && msg.NeedsAck()) {
				action, panicked = s.handle(msg)
			}
			<-s.rt.slots
			if msg.NeedsAck() && action != AckNone {
				sys.Root.Send(self, &handlerDone{msg: msg, action: action, panicked: panicked})
			}
			if s.pending.Add(-1) == 0 && s.draining.Load() {
				sys.Root.Send(self, &drained{})
			}
		}
	}
}

// quiesced tells the session once nothing is left to handle. The ACKs of
// finished handlers were sent to the writer before, so they precede the
// DISCONNECT the session writes next.
func (s *subscription) quiesced(ctx actor.Context) {
	if s.waiter != nil && s.pending.Load() == 0 {
		ctx.Send(s.waiter, &subscriptionQuiesced{id: s.spec.ID})
		s.waiter = nil
	}
}

// handle runs the user's handler; a panic in it is reported and the
// message is NACKed (or left unacknowledged on 1.0) so the broker can
// redeliver it.
func (s *subscription) handle(msg *Message) (action AckAction, panicked bool) {
	s.c.callbacks.Add(1)
	defer s.c.callbacks.Add(-1)
	defer func() {
		if r := recover(); r != nil {
			s.c.stats.Panics.Add(1)
			err := errors.New("stomp: message handler panicked: " + panicString(r))
			s.c.log(LogError, "info", err.Error()+"\n"+string(debug.Stack()))
			s.c.disp.post(&ErrorEvent{Err: err})
			action, panicked = AckNack, true
		}
	}()
	if s.spec.Handler == nil {
		return AckAck, false
	}
	return s.spec.Handler(msg), false
}

// ack writes ACK or NACK for msg; reply (if any) is answered by the writer.
func (s *subscription) ack(ctx actor.Context, msg *Message, nack bool, tx string, receipt time.Duration, reply chan error) error {
	if !msg.NeedsAck() {
		return ErrNoAck
	}
	l := s.l
	if l == nil || l.gen != msg.gen {
		return connectionLost(errors.New("the message came on an earlier connection; the broker will redeliver it"))
	}
	f, err := ackFrame(l.version, msg, nack, tx)
	if err != nil {
		return err
	}
	if nack {
		s.c.stats.Nacks.Add(1)
	} else {
		s.c.stats.Acks.Add(1)
	}
	s.c.log(LogVerbose, "ack", f.Command.String()+" "+msg.AckID)
	ctx.Send(l.writer, &writeFrame{frame: f, receipt: receipt, reply: reply})
	return nil
}

func ackFrame(v frames.Version, msg *Message, nack bool, tx string) (*frames.Frame, error) {
	cmd := frames.CmdAck
	if nack {
		if v < frames.V11 {
			return nil, errors.New("stomp: NACK needs STOMP 1.1 or later")
		}
		cmd = frames.CmdNack
	}
	var f *frames.Frame
	switch {
	case v >= frames.V12:
		f = frames.New(cmd, frames.HdrID, msg.AckID)
	case v == frames.V11:
		f = frames.New(cmd, frames.HdrMessageID, msg.MessageID, frames.HdrSubscription, msg.Subscription)
	default:
		f = frames.New(cmd, frames.HdrMessageID, msg.MessageID)
	}
	if tx != "" {
		f.Headers.Add(frames.HdrTransaction, tx)
	}
	return f, nil
}

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
	rt := &route{id: spec.ID, destination: spec.Destination, slots: make(chan struct{}, spec.QueueSize), done: make(chan struct{}), policy: spec.OnFull}
	rt.pid = ctx.Spawn(s.c.props(newSubscriptionProducer(s.c, spec, rt, s.link)))
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

func (s *session) publishRoutes() {
	r := &routes{byID: make(map[string]*route, len(s.subs)), byDest: make(map[string]*route, len(s.subs))}
	for id, e := range s.subs {
		r.byID[id] = e.route
		r.byDest[e.spec.Destination] = e.route
	}
	s.c.setRoutes(r)
}
