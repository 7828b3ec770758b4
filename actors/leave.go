package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// leaving is a graceful disconnect in progress: the subscriptions finish
// their running handlers and queue those handlers' ACKs, and hand the
// auto-ack messages already received to their handlers (the broker counts
// them consumed), then DISCONNECT goes out behind them and the broker's
// RECEIPT (bounded) ends it.
type leaving struct {
	waiters   []chan error // Disconnect calls waiting for the end
	receipt   bool         // ask for a RECEIPT
	receiptID string       // the DISCONNECT's receipt id, once written
	timeout   time.Duration
	timer     *time.Timer
	quiescing map[string]bool // subscriptions still finishing, by actor (pid.Id)
	// awaitOutbox: the outbox drains (every message confirmed) before
	// the subscriptions quiesce and DISCONNECT goes out.
	awaitOutbox bool
}

// end answers the Disconnect calls, if any: nil for a clean end, else why.
// A nil l (no Disconnect under way) has none.
func (l *leaving) end(err error) {
	if l == nil {
		return
	}
	for _, w := range l.waiters {
		w <- err
	}
	*l = leaving{}
}

func (s *session) disconnect(ctx actor.Context, m *disconnectRequest) {
	switch s.state {
	case Disconnected:
		m.reply <- nil
		return
	case Connecting:
		// Ended by a Disconnect all the same: the subscriptions kept
		// while reconnecting leave their auto-ack messages to Receive.
		s.leaving = &leaving{}
		s.lose(ctx, ErrInterrupted)
		m.reply <- nil
		return
	case Disconnecting:
		// A second Disconnect shares the first one's end.
		s.leaving.waiters = append(s.leaving.waiters, m.reply)
		return
	}
	s.setState(Disconnecting)
	s.leaving = &leaving{waiters: []chan error{m.reply}, receipt: m.receipt, timeout: m.timeout, quiescing: map[string]bool{}}
	s.status("disconnecting", "")
	gen := s.gen
	self, sys := ctx.Self(), ctx.ActorSystem()
	s.leaving.timer = time.AfterFunc(m.timeout, func() { sys.Root.Send(self, &disconnectTimedOut{gen: gen}) })
	if !s.outboxEmpty() {
		s.leaving.awaitOutbox = true // settle continues once it is empty
		return
	}
	s.quiesceSubscriptions()
}

// quiesceSubscriptions lets running handlers finish and their ACKs go out
// before DISCONNECT. (It also runs where the message being handled is
// not at hand: from a settled outbox entry.)
func (s *session) quiesceSubscriptions() {
	for _, e := range s.subs {
		s.leaving.quiescing[e.pid.Id] = true
		e.route.draining.Store(true)
		s.c.eng.sys.Root.Send(e.pid, &quiesce{})
	}
	// Those Unsubscribe ended still hand on their auto-ack messages
	// (handover.go): DISCONNECT waits for them too, unless they finish
	// first (handedOver).
	for _, e := range s.handingOverList() {
		s.leaving.quiescing[e.pid.Id] = true
		s.c.eng.sys.Root.Send(e.pid, &quiesce{})
	}
	if len(s.leaving.quiescing) == 0 {
		s.writeDisconnect()
	}
}

// quiet records that a subscription (its actor's pid.Id) has nothing left
// to handle.
func (s *session) quiet(ctx actor.Context, id string) {
	if s.state != Disconnecting || s.leaving.quiescing == nil {
		return
	}
	delete(s.leaving.quiescing, id)
	if len(s.leaving.quiescing) == 0 {
		s.writeDisconnect()
	}
}

// writeDisconnect sends DISCONNECT once every subscription is quiet.
func (s *session) writeDisconnect() {
	gen := s.gen
	s.leaving.quiescing = nil
	f := frames.New(frames.CmdDisconnect)
	wf := &writeFrame{frame: f}
	if s.leaving.receipt {
		s.leaving.receiptID = disconnectReceiptID(gen)
		f.Headers.Add(frames.HdrReceipt, s.leaving.receiptID)
		s.receipts.add(&receiptAwaited{gen: gen, id: s.leaving.receiptID, cmd: frames.CmdDisconnect, timeout: s.leaving.timeout}, s.c.session, s.c.eng.sys)
		s.c.emit(&ReceiptOutEvent{ReceiptID: s.leaving.receiptID, Command: frames.CmdDisconnect})
	} else {
		wf.then = &disconnectWritten{gen: gen}
	}
	s.write(wf)
}

// disconnectTimedOut ends a disconnect whose RECEIPT did not come in time:
// the socket closes all the same, and the caller hears why it was not
// clean.
func (s *session) disconnectTimedOut(ctx actor.Context) {
	what := "the broker did not confirm DISCONNECT"
	switch {
	case s.leaving.awaitOutbox:
		what = "the broker did not confirm every message of the outbox"
	case s.leaving.receiptID == "":
		what = "the subscriptions' handlers did not finish"
	}
	s.lose(ctx, &disconnectTimeoutError{what: what, after: s.leaving.timeout})
}

// closedWhileLeaving ends a disconnect whose server hung up between
// frames. That is how many brokers answer DISCONNECT, even one that asked
// for a RECEIPT (RabbitMQ's Web-STOMP closes the WebSocket without it), so
// it is a clean end; a close without the RECEIPT asked for is logged, so
// that it is not unsaid.
func (s *session) closedWhileLeaving(ctx actor.Context) {
	if s.leaving.receipt {
		what := "the broker closed the connection without the RECEIPT of DISCONNECT; taken as its answer"
		if s.leaving.receiptID == "" {
			what = "the broker closed the connection before DISCONNECT was sent"
		}
		s.c.log(LogInfo, "info", what)
	}
	s.lose(ctx, nil)
}

// disconnectTimeoutError says a disconnect ended at its deadline; it
// wraps ErrReceiptTimeout.
type disconnectTimeoutError struct {
	what  string
	after time.Duration
}

func (e *disconnectTimeoutError) Error() string {
	return "stomp: " + e.what + " within " + e.after.String() + "; connection closed"
}

func (e *disconnectTimeoutError) Unwrap() error { return ErrReceiptTimeout }
