package api

import (
	"context"
	"sync"
	"time"
)

// Receive returns the next message of a Pull subscription
// (SubscribeOptions.Pull), waiting until one comes or ctx ends (its error,
// with CodeTimeout or CodeCanceled). Any number of goroutines may wait on
// one subscription; each message goes to one of them. A message that
// needs an acknowledgement is acknowledged with Ack or Nack. A
// subscription that ends while Receive waits (Unsubscribe, the connection
// lost for good) returns ErrUnknownSubscription; Close returns ErrClosed.
// An auto subscription that Disconnect ended first hands out the messages
// it had received and nobody had taken, in order, even after Disconnect
// returned (the broker counts them consumed; see Disconnect for what
// drops them), and only then returns ErrUnknownSubscription; on other ack
// modes those messages are not returned (the broker redelivers them).
// While reconnecting, Receive waits for the messages of the new
// connection. On a Lent subscription the message is lent: give it back
// with Release once done with it.
func (s *STOMP) Receive(ctx context.Context, subscriptionID string) (*MessageInEvent, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	if eng == nil {
		return nil, ErrNotConnected
	}
	t := s.tracer.Load()
	var start time.Time
	if t != nil {
		start = time.Now()
	}
	m, err := eng.Receive(ctx, subscriptionID)
	if err != nil {
		if _, cerr := s.engine(); cerr != nil {
			return nil, cerr // closed meanwhile
		}
		return nil, s.err(err, CodeOther)
	}
	var ev *MessageInEvent
	if l := m.Lease(); l != nil {
		ev = lentEvents.Get().(*MessageInEvent)
		aux := ev.aux
		s.messageEvent(&m, ev)
		aux.lease, aux.held = l, true
		ev.aux = aux
	} else {
		ev = s.messageEvent(&m, nil)
	}
	if t != nil {
		t.receive(ctx, s, &m, ev, start)
	}
	return ev, nil
}

// lentEvents are the events of lent messages (Receive on a Lent
// subscription) that Release gave back, each made with its aux in one
// allocation.
var lentEvents = sync.Pool{New: func() any {
	e := new(struct {
		ev  MessageInEvent
		aux eventAux
	})
	e.ev.aux = &e.aux
	return &e.ev
}}

// Release gives a message that Receive lent (a Lent subscription's) back
// to the client, whose later messages then reuse its memory and the event
// itself: neither the event nor its strings, Headers and Data may be used
// afterwards (copy what you keep, and Ack or Nack before), not even for
// another Release: the event may already hold a later message. Release
// once, from the goroutine that has the event. Releasing is optional: a
// message never released is collected as any other, at the cost of its
// garbage. Release on any other event (or nil) does nothing.
func (e *MessageInEvent) Release() {
	if e == nil {
		return
	}
	a := e.aux
	if a == nil || !a.held {
		return
	}
	l := a.lease
	*e = MessageInEvent{aux: a}
	*a = eventAux{}
	l.Release()
	lentEvents.Put(e)
}
