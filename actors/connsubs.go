package actors

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// The Conn methods of subscriptions and acknowledgements.

// Subscribe registers a subscription and sends SUBSCRIBE. It returns the
// subscription id once the frame is written (or confirmed, with a receipt).
// A Pull subscription with the id of a Disconnect's leftovers takes them
// over, and gives back those it still holds if it fails (pullgiveback.go).
// Its SubscribedEvent, when it succeeds, is queued before it returns, in
// the order the session made and ended the subscriptions of its id; it
// waits for no other call's outcome (subnotes.go).
func (c *Conn) Subscribe(ctx context.Context, spec SubscribeSpec) (string, error) {
	if spec.ID == "" {
		spec.ID = "sub-" + strconv.FormatUint(c.calls().seq.Add(1), 10)
	}
	id := spec.ID
	wf := linked()
	note := newSubNote()
	// The session takes this copy of spec for the subscription's own.
	err := askLinked(ctx, c, &subscribeRequest{spec: &spec, wf: wf, note: note}, wf)
	c.settle(id, note, err == nil)
	if err != nil {
		// End the half-made subscription, unless it was never made: an
		// id in use belongs to a live subscription. Its SUBSCRIBE may
		// have reached the broker (its RECEIPT late, or the caller gone
		// as the writer took it), which would go on delivering to it:
		// UNSUBSCRIBE, which the writer leaves out when that SUBSCRIBE
		// was not written.
		if !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrClosed) && !errors.Is(err, errSubscriptionIDInUse) {
			// A broker that answered the SUBSCRIBE with an ERROR made
			// no subscription: nothing to undo there (unless a
			// reconnect sent another since).
			var refused *writeFrame
			if IsServerError(err) && !errors.Is(err, ErrOutcomeUnknown) {
				refused = wf
			}
			c.forget(id, note, refused)
		}
		return "", err
	}
	return id, nil
}

// forget ends a subscription Subscribe could not make, with an
// UNSUBSCRIBE (no receipt asked) if its SUBSCRIBE was written, unless the
// broker refused that SUBSCRIBE (refused). The leftovers of a Disconnect
// it took over, and still holds, go back to where they were (giveBack).
// made is the failed call's note, by which the session knows its
// subscription: if an Unsubscribe ended that one already, the id may
// name a newer subscription, which is left alone.
func (c *Conn) forget(id string, made *subNote, refused *writeFrame) {
	wf := linkedMustGo()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = ask(ctx, c, &unsubscribeRequest{id: id, refused: refused, undo: true, made: made, wf: wf}, wf.reply)
}

// Unsubscribe stops delivery to a subscription and sends UNSUBSCRIBE. The
// auto-ack messages the subscription already received are handed to its
// handler, in order, after Unsubscribe returned (it does not wait for
// them, so a handler may end its own subscription): the broker counted
// them consumed. Those that need an ACK and have not started are dropped
// (the broker redelivers them); a handover the connection's end for good
// halts drops the rest. Every message dropped so is counted in
// Stats.Dropped (handover.go). A subscription made with the same id
// meanwhile delivers nothing until that handover ended.
// Of a pull subscription a Disconnect ended, it drops the messages left
// to Receive (connected or not), with nothing to send. Its
// UnsubscribedEvent is told whenever the session ended the subscription,
// even if the call then fails (its RECEIPT late, the connection lost): it
// is queued before the call returns, in the order the session made and
// ended the subscriptions of its id, and only if the subscription's
// SubscribedEvent was; it waits for no other call's outcome (subnotes.go).
func (c *Conn) Unsubscribe(ctx context.Context, id string, receipt time.Duration) error {
	if r := c.routes.Load(); r != nil && r.find(id) == nil {
		if rt := r.findLeft(id); rt != nil && c.dropLeftovers(id) {
			c.announce(id, &UnsubscribedEvent{ID: id, Destination: rt.destination})
			return nil
		}
	}
	wf := linkedMustGo()
	note := newSubNote()
	err := askLinked(ctx, c, &unsubscribeRequest{id: id, receipt: receipt, wf: wf, note: note}, wf)
	// Placed, the note is a success whatever err says: the session ended
	// the subscription as it placed it (an UNSUBSCRIBE that fails after
	// leaves it ended on the client).
	c.settle(id, note, true)
	return err
}

// SubscriptionIDInUse reports whether id names a live subscription, or
// an ended Pull subscription whose leftovers Receive still returns (which
// a Subscribe with that id would take over). It reads the routing
// snapshot, so it never waits; a Subscribe under way is not seen.
func (c *Conn) SubscriptionIDInUse(id string) bool {
	r := c.routes.Load()
	return r != nil && (r.find(id) != nil || r.findLeft(id) != nil)
}

// Subscriptions lists the live subscriptions. It reads the routing
// snapshot the session publishes, so it never waits.
func (c *Conn) Subscriptions() []SubscriptionInfo {
	r := c.routes.Load()
	if r == nil {
		return nil
	}
	out := make([]SubscriptionInfo, 0, len(r.list))
	for _, rt := range r.list {
		out = append(out, SubscriptionInfo{ID: rt.id, Destination: rt.destination, Mode: rt.spec.Mode, Delivered: rt.delivered.Load()})
	}
	return out
}

// Ack sends ACK (or NACK) for a message, optionally inside a transaction.
// It goes to the writer straight from the caller; it returns once the
// frame is written (or confirmed, with receipt > 0).
func (c *Conn) Ack(ctx context.Context, m *Message, nack bool, tx string, receipt time.Duration) error {
	if m == nil {
		return ErrNoAck
	}
	return c.AckRef(ctx, m.Ref(), nack, tx, receipt)
}

// AckRef is Ack for a message named by its MessageRef. In ack mode
// client, one in transaction tx covers the earlier messages while tx is
// open and once it is committed; aborted, it covers nothing (txacks.go).
// What the caller keeps of it (the api: its event settled) is undone
// through NoteTxAck and AbortingTransaction.
func (c *Conn) AckRef(ctx context.Context, m MessageRef, nack bool, tx string, receipt time.Duration) error {
	if !m.NeedsAck() {
		return ErrNoAck
	}
	// A message of an ended connection, or of an ended subscription, has
	// nobody left to acknowledge it to: say so now.
	l := c.link.Load()
	if l == nil || uint32(l.gen) != m.gen {
		select {
		case <-c.closed:
			return ErrClosed
		default:
		}
		return connectionLost(errEarlierConnection)
	}
	select {
	case <-m.rt.done:
		return ErrUnknownSubscription
	default:
	}
	f, err := ackFrame(l.version, &m, nack, tx)
	if err != nil {
		return err
	}
	// Ack mode client: an ACK or NACK covers the earlier messages too. One
	// an earlier one covered is not written (the broker no longer has its
	// message); the turn keeps the check and the write of each in order.
	k := m.rt.cum
	if k != nil {
		if err := k.acquire(ctx, l, c.closed); err != nil {
			return err
		}
		defer k.release()
		if err := ackCovered(l, m.rt, m.seq); err != nil {
			return err
		}
		if k.holds(l.gen) {
			// It would acknowledge a message that must stay with the
			// broker (leaveUnacked): nothing is written.
			return errAcksHeld(m.rt.id, m.ackID)
		}
	}
	// In a transaction, the cover counts from before the write (txacks.go):
	// a COMMIT written just after it must find it, to fold it.
	var unwritten func()
	if k != nil && tx != "" {
		unwritten = l.tx.coverIn(tx, m.rt, m.seq)
	}
	// On the link checked: a reconnect meanwhile (the turn may wait)
	// must not carry the ACK to a connection that never delivered the
	// message, whose broker would end it for an unknown ack id.
	err = c.writeOn(ctx, l, &writeFrame{frame: f, receipt: receipt}, true, true)
	if !Written(err) {
		if unwritten != nil {
			unwritten()
		}
		return err
	}
	c.countAck(f.Command, m.ackID)
	if k != nil && tx == "" {
		k.cover(m.seq)
	}
	return err
}

// Written reports whether a call that wrote one frame and returned err
// wrote it, or may have: it succeeded (nil), its outcome is unknown
// (ErrOutcomeUnknown: the connection or the caller's wait ended after the
// write), its RECEIPT did not come in time (ErrReceiptTimeout), or the
// broker answered it with an ERROR. Any other error (ErrTimeout,
// ErrCanceled, ErrWouldBlock, ErrNotConnected, ErrUnknownTransaction, a
// connection lost before the write ...) means nothing was written, so an
// Ack that returned it may be made again.
func Written(err error) bool {
	return err == nil || errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrReceiptTimeout) || IsServerError(err)
}

func (c *Conn) countAck(cmd frames.Command, id string) {
	if cmd == frames.CmdNack {
		c.stats.Nacks.Add(1)
	} else {
		c.stats.Acks.Add(1)
	}
	if c.logs(LogVerbose) {
		c.log(LogVerbose, "ack", cmd.String()+" "+peerText(id))
	}
}
