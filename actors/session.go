package actors

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// session is the connection actor: the only one that changes the
// connection's state. Its children report facts (frameReceived,
// readFailed, writeFailed, heartbeatMissed, actorPanicked); it decides.
// lose is the one place a connection is torn down.
//
// Its work is spread over files by concern: handshake.go (dialing,
// CONNECT, CONNECTED), leave.go (DISCONNECT), subscribe.go
// (subscriptions), reconnect.go (coming back after a loss).
type session struct {
	c        *Conn
	state    State
	stopping bool           // Close began: start nothing new
	gen      uint64         // one per connection attempt; facts of older ones are dropped
	cfg      *ConnectConfig // the last Connect's: its request's copy; nil before the first
	conn     net.Conn
	link     *link
	info     *ConnectInfo // what the last CONNECTED negotiated (Conn.Info's while connected)

	reader, heartbeat, tx *actor.PID  // the writer runs on demand (writerRun)
	subs                  []*subEntry // in subscribe order
	// handingOver lists the subscriptions Unsubscribe ended whose actors
	// still hand on the messages received before (handover.go); made on
	// first use.
	handingOver *handovers

	connectWaiter chan connectResult
	dialing       *dialAttempt
	connectTimer  *time.Timer
	receipts      *receiptBook
	lastServerErr error    // the last ERROR frame, the likely reason for a close after it
	leaving       *leaving // while Disconnecting, else nil

	curAddr string   // the broker of the current attempt
	retry   retrying // between attempts (reconnect.go)
}

// write sends wf to the connection's writer.
func (s *session) write(wf *writeFrame) {
	if s.link == nil {
		// Not connected: the callers check first, so this is a slip;
		// answer rather than drop.
		if wf.reply != nil {
			wf.reply <- ErrNotConnected
		}
		return
	}
	s.link.out.post(wf)
}

type subEntry struct {
	spec  *SubscribeSpec // shared with the subscription actor
	pid   *actor.PID
	route *route
	// sent is its last SUBSCRIBE: its UNSUBSCRIBE is written only if
	// that was (writeFrame.onlyAfter).
	sent *writeFrame
	sub  *subscription // its actor's state, for the handover's flags
	// tookOver is the ended pull subscription of its id whose leftovers
	// this one (a Pull one) took over, for giveBack; nil if none.
	tookOver *route
	// successor is the subscription made with this one's id while its
	// handover ran: it waits until the handover ended (handover.go).
	successor *actor.PID
	// made is the note of its SubscribedEvent (subnotes.go).
	made *subNote
}

func (s *session) Receive(ctx actor.Context) { guard(ctx, s, s.receive) }

func (s *session) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Stopping:
		// An actor still runs user messages while its children stop; a
		// connect among them would dial after Close and leak the socket.
		s.stopping = true
		s.lose(ctx, ErrClosed)
		// The connection's other actors are not the session's children
		// in the actor system (Conn.spawn): it stops the ones lose left,
		// and drops the pull subscriptions' leftovers.
		s.endSubscriptions(ctx, false)
		if s.tx != nil {
			ctx.Stop(s.tx)
			s.tx = nil
		}
		s.c.down.Done()
	case *connectRequest:
		s.connect(ctx, m)
	case *dialed:
		s.dialed(ctx, m)
	case *connectWithdrawn:
		// The caller gave up waiting and now waits for the answer to its
		// request, which came before this: end the attempt (and any
		// retrying) if it still runs.
		verdict := m.err
		if s.connectWaiter == m.reply {
			if last := s.retry.last; last != nil {
				verdict = &gaveUpWaiting{err: verdict, attempts: int(s.retry.attempt), last: last.err}
			}
			s.connectWaiter = nil
			s.retry = retrying{}
			s.c.emit(&ConnectedEvent{Err: verdict})
			s.lose(ctx, verdict)
		}
		select {
		case m.reply <- connectResult{err: verdict}:
		default: // answered already
		}
	case *reconnectTick:
		s.reconnect(ctx, m)
	case *connectTimedOut:
		if m.gen == s.gen && s.state == Connecting {
			s.lose(ctx, &timeoutError{what: "connecting"})
		}
	case *slotGranted:
		if m.gen == s.gen && s.dialing == m.att && s.state == Connecting {
			s.startAttempt(ctx, m.att)
		}
	case *frameReceived:
		if m.gen == s.gen {
			l := s.link
			s.frame(ctx, m.frame)
			if m.frame.Command == frames.CmdError && l != nil {
				l.rd.errorsReported.Add(1) // reported: the reader answers RECEIPTs again (reader.receipt)
			}
		}
	case *readFailed:
		if m.gen != s.gen {
			return
		}
		if s.state == Disconnecting && errors.Is(m.err, io.EOF) {
			// We said (or were about to say) DISCONNECT and the server
			// hung up between frames (see leave.go).
			s.closedWhileLeaving(ctx)
			return
		}
		s.lose(ctx, s.cause(m.err))
	case *writeFailed:
		if m.gen == s.gen {
			s.lose(ctx, m.err)
		}
	case *heartbeatMissed:
		if m.gen == s.gen {
			s.c.stats.more().HeartbeatsMissed.Add(1)
			s.lose(ctx, &heartbeatError{silence: m.silence})
		}
	case *receiptAwaited:
		s.awaitReceipt(ctx, m)
	case *receiptsWritten:
		if m.gen == s.gen && s.link != nil && s.receipts != nil {
			s.receipts.releaseWritten(s.link, s.c)
		}
	case *receiptTick:
		if s.receipts != nil {
			s.receipts.expire(time.Now(), ctx.Self(), ctx.ActorSystem())
		}
	case *disconnectRequest:
		s.disconnect(ctx, m)
	case *disconnectWritten:
		if m.gen == s.gen && s.state == Disconnecting {
			s.lose(ctx, nil)
		}
	case *subscriptionQuiesced:
		s.quiet(ctx, m.id)
	case *subscriptionHandedOver:
		s.handedOver(ctx, m.pid)
	case *disconnectTimedOut:
		if m.gen == s.gen && s.state == Disconnecting {
			s.disconnectTimedOut(ctx)
		}
	case *interruptRequest:
		s.lose(ctx, ErrInterrupted)
		m.reply <- struct{}{}
	case *subscribeRequest:
		s.subscribe(ctx, m)
	case *unsubscribeRequest:
		s.unsubscribe(ctx, m)
	case *txRequest:
		ctx.Send(s.transactions(ctx), m)
	case *openTransactionsRequest:
		if s.tx == nil {
			// No Begin yet; bytes written by hand may have begun some.
			var ids []string
			if s.link != nil {
				ids = s.link.tx.ids()
			}
			m.reply <- ids
			return
		}
		ctx.Send(s.tx, m)
	case *actorPanicked:
		s.panicked(ctx, m)
	case *reliableSend:
		s.reliable(ctx, m)
	case *entryFailed:
		// Not encoded, so not in the receipt book.
		s.entryAnswered(m.entry, m.err)
	}
}

// failed reports a panic in the session itself, like its children's.
func (s *session) failed(ctx actor.Context, err error, stack string) {
	s.panicked(ctx, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
}

// panicked records an actor's panic and ends the connection it broke: the
// actor's state is whatever the panic left, so nothing of it is trusted.
func (s *session) panicked(ctx actor.Context, m *actorPanicked) {
	s.c.stats.more().Panics.Add(1)
	s.c.log(LogError, "info", "actor "+m.who.Id+" panicked: "+m.err.Error()+"\n"+m.stack)
	s.c.emit(&ErrorEvent{Err: m.err})
	if m.who.Equal(s.tx) {
		s.tx = nil
	}
	if s.conn != nil || s.state == Connecting {
		s.lose(ctx, errors.New("stomp: internal error in the connection's actors; connection closed"))
	}
}

// transactions returns the transactions actor, started on first use.
func (s *session) transactions(ctx actor.Context) *actor.PID {
	if s.tx == nil {
		s.tx = s.c.spawn(&transactions{c: s.c, l: s.link})
	}
	return s.tx
}

// cause turns a read error into the reason the connection ended: an ERROR
// frame the server sent just before closing explains the close better.
func (s *session) cause(err error) error {
	if s.lastServerErr != nil && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)) {
		return s.lastServerErr
	}
	return err
}

func (s *session) awaitReceipt(ctx actor.Context, m *receiptAwaited) {
	if m.gen != s.gen || s.link == nil {
		// The connection ended after the writer buffered the frame:
		// it may have left before the end.
		if m.reply != nil {
			m.reply <- outcomeUnknown(ErrConnectionLost)
		}
		return
	}
	if !s.receipts.add(m, ctx.Self(), ctx.ActorSystem()) {
		if m.token {
			<-s.link.receiptSlots
		}
		err := receiptIDInUse(m.id)
		if m.reply != nil {
			m.reply <- err
		}
		if m.entry != nil {
			s.entryAnswered(m.entry, err)
		}
	}
}

// scrub is the last Connect's ConnectConfig.Scrub, nil if none.
func (s *session) scrub() func(string) string {
	if s.cfg == nil {
		return nil
	}
	return s.cfg.Scrub
}

// frame handles a frame the reader passed on: everything but the MESSAGE
// frames of known subscriptions, which go straight to them.
func (s *session) frame(ctx actor.Context, f *frames.Frame) {
	if s.state == Connecting {
		switch f.Command {
		case frames.CmdConnected:
			s.connected(ctx, f)
		case frames.CmdError:
			s.lose(ctx, serverError(f, s.scrub()))
		default:
			s.lose(ctx, protocolErr("expected CONNECTED or ERROR, got %s", f.Command))
		}
		return
	}
	switch f.Command {
	case frames.CmdReceipt:
		id := f.Header(frames.HdrReceiptID)
		if s.link != nil && s.link.receipts.confirm(id, s.c) {
			// One of the link's book the reader passed on behind an
			// ERROR (reader.receipt): answered after it, in order.
			return
		}
		if s.state == Disconnecting && id == s.leaving.receiptID {
			s.receipts.confirm(id, nil, s.c)
			s.lose(ctx, nil)
			return
		}
		// Reported as it confirms its frame (a held one later); one
		// nobody awaits is reported here.
		if !s.receipts.confirm(id, s.link, s.c) {
			if s.c.emitting((*ReceiptInEvent)(nil)) {
				s.c.emit(&ReceiptInEvent{ReceiptID: id})
			}
			if s.link != nil && s.link.receipts.cameLate(id) {
				// Its caller stopped waiting at the deadline: the broker
				// took the frame after all, and did nothing wrong.
				s.c.log(LogInfo, "info", "RECEIPT for receipt id "+peerQuote(id)+" came after its wait ended (ErrReceiptTimeout): the broker has that frame")
				return
			}
			s.c.log(LogInfo, "info", "RECEIPT for an unknown receipt id "+peerQuote(id)+" ignored")
			s.c.emit(&ErrorEvent{Err: protocolErr("RECEIPT for unknown receipt-id %s", peerQuote(id))})
		}
	case frames.CmdError:
		se := serverError(f, s.scrub())
		s.lastServerErr = se
		// A receipt of the link's book was failed by the reader as it
		// decoded the ERROR (reader.refusal), before any later RECEIPT.
		if id, ok := f.Headers.Get(frames.HdrReceiptID); ok && s.receipts.fail(id, se) {
			if s.state == Disconnecting && id == s.leaving.receiptID {
				s.lose(ctx, se)
				return
			}
		}
		s.c.log(LogError, "info", se.Error())
		s.c.emit(&ErrorEvent{Err: se})
	case frames.CmdMessage:
		// No route: a subscription that ended while the broker was
		// already sending to it. That race is normal; the reader
		// counted it dropped.
		s.c.log(LogVerbose, "info", "MESSAGE for subscription "+peerQuote(f.Header(frames.HdrSubscription))+", which has ended, dropped")
	default:
		s.c.emit(&ErrorEvent{Err: protocolErr("unexpected %s frame", f.Command)})
	}
}

// lose ends the current connection attempt or connection, with err as the
// reason (nil after a clean disconnect), and answers everyone waiting.
func (s *session) lose(ctx actor.Context, err error) {
	prev := s.state
	if prev == Disconnected && s.conn == nil && s.link == nil {
		return
	}
	s.gen++
	resilient := s.keepsTrying(prev, err)
	var leavingTimer *time.Timer
	if s.leaving != nil {
		leavingTimer = s.leaving.timer
	}
	for _, t := range []*time.Timer{s.connectTimer, leavingTimer, s.retry.timer} {
		if t != nil {
			t.Stop()
		}
	}
	s.connectTimer, s.retry.timer = nil, nil
	if resilient && prev == Connected {
		s.lostWhileUp(err)
	}
	att := s.dialing
	if att != nil {
		att.abandon()
		s.dialing = nil
	}
	lostErr := err
	if lostErr == nil {
		lostErr = ErrNotConnected
	} else {
		lostErr = connectionLost(err)
	}
	// End the link before closing the socket, so that whoever sees the
	// socket fail (the writer, mid-flush) can tell the real reason.
	var out *wqueue
	ended := s.link
	if s.link != nil {
		out = s.link.out
		s.link.end(lostErr)
		s.c.link.CompareAndSwap(s.link, nil)
		s.link = nil
	}
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
	if att != nil {
		// Given back once its socket is closed: the broker never sees
		// more attempts at once than the limit.
		s.c.eng.gate.leave(att)
	}
	for _, pid := range []*actor.PID{s.heartbeat, s.reader} {
		if pid != nil {
			ctx.Stop(pid)
		}
	}
	s.heartbeat, s.reader = nil, nil
	if out != nil {
		out.end(ctx)
	}
	s.outboxLost(resilient, err)
	if s.receipts != nil {
		s.receipts.failAll(lostErr)
	}
	if s.tx != nil {
		ctx.Send(s.tx, &connectionEnded{err: lostErr})
	}
	// With another connection coming, subscriptions outlive this one:
	// they are resubscribed on the next, and their routes stay in place.
	// A Disconnect (s.leaving) leaves the auto-ack messages of pull
	// subscriptions to Receive (pullleft.go).
	if !resilient {
		s.endSubscriptions(ctx, s.leaving != nil && !s.stopping)
		s.retry = retrying{}
	}
	s.setState(Disconnected)
	s.c.info.Store(nil)
	if ended != nil {
		// The receipts callers wait for are answered once the state
		// says the connection ended: a caller told so may connect again.
		ended.receipts.end(lostErr)
	}
	if s.connectWaiter != nil && !resilient {
		cerr := err
		if cerr == nil {
			cerr = ErrInterrupted
		}
		// The event before the answer, as in connected.
		s.c.emit(&ConnectedEvent{Err: cerr})
		s.connectWaiter <- connectResult{err: cerr}
		s.connectWaiter = nil
	}
	if prev == Connected || prev == Disconnecting {
		s.c.stats.Disconnects.Add(1)
		if err != nil {
			s.status("lost", err.Error())
			s.c.log(LogError, "info", "connection lost: "+err.Error())
		}
		s.c.emit(&DisconnectedEvent{Err: err})
	}
	// The Disconnect callers hear the end after its event is queued, by
	// the code the event has (leaveErr).
	s.leaving.end(leaveErr(err))
	s.leaving = nil
	if resilient {
		s.scheduleReconnect(ctx, err)
	}
}

func (s *session) setState(st State) {
	s.state = st
	s.c.state.Store(int32(st))
}

func (s *session) status(status, detail string) {
	if s.c.emitting((*ConnectionStatusEvent)(nil)) {
		s.c.emit(&ConnectionStatusEvent{Status: status, Detail: detail})
	}
	switch {
	case !s.c.logs(LogVerbose): // a line nobody wants is not made
	case detail != "":
		s.c.log(LogVerbose, "info", status+": "+detail)
	default:
		s.c.log(LogVerbose, "info", status)
	}
}

// leaveErr is what a Disconnect call hears of an end for err: err itself
// when it is nil or carries a code (a RECEIPT's timeout, a server's
// ERROR, a protocol violation), else, a bare error of the socket (an EOF
// inside the broker's answer, a reset), the connection lost
// (ErrConnectionLost with err as its cause), as its DisconnectedEvent
// reports it, rather than an error of no code, which the facade would
// give the code of anything else.
func leaveErr(err error) error {
	if err == nil || CodeOf(err) != 0 {
		return err
	}
	return connectionLost(err)
}
