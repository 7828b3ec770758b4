package api

import (
	"context"
	"errors"
	"weak"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// ackNow acknowledges the message ref names. It takes the reference, not
// the event: a call that does not wait (Timeout 0) runs after Ack
// returned, when the event may be released and serve another message.
func (s *STOMP) ackNow(ctx context.Context, eng *actors.Conn, ref actors.MessageRef, nack bool, cfg config) error {
	var receipt = receiptWait(ctx, cfg.timeout)
	if !cfg.requestAckReceipts {
		receipt = 0
	}
	return eng.AckRef(ctx, ref, nack, cfg.ackTransactionID, receipt)
}

// noteTxAck notes, as it is made, an Ack of ev in the transaction cfg
// names, for AbortTransaction to undo: ev is no longer settled, and the
// message may be acknowledged again. The note reaches ev through a weak
// pointer: an open transaction does not keep the events acknowledged in
// it, nor their bodies. A lent event (another message's by then) gets no
// note, nor does an Ack outside a transaction (nil).
func noteTxAck(eng *actors.Conn, ev *MessageInEvent, cfg config) *actors.TxAckNote {
	if cfg.ackTransactionID == "" || ev.lent {
		return nil
	}
	wp := weak.Make(ev)
	return eng.NoteTxAck(cfg.ackTransactionID, func() {
		if ev := wp.Value(); ev != nil {
			ev.settled.Store(false)
		}
	})
}

// Ack acknowledges a message of a subscription that needs
// acknowledgements, from any goroutine, during or after its handler (the
// way with SubscribeOptions.ManualAck). It carries AckTransactionId and,
// with RequestAckReceipts, waits for the broker's RECEIPT, and then for
// the OnReceiptOut and OnReceiptIn handlers of its events, as the other
// calls that wait for a RECEIPT do (see "Events" in the package doc). A
// message is acknowledged once: a second Ack or Nack returns
// ErrAlreadyAcked, and so does one of a message that a cumulative ACK
// (AckClient) of a later message already covered, for good (after a
// reconnect too), unless that ACK was made in a transaction still open,
// whose abort takes the cover back. It is bounded by ctx
// and Timeout. An Ack that failed before its frame was written (ErrTimeout, ErrCanceled, ErrWouldBlock, ErrNotConnected,
// ErrUnknownTransaction ...) acknowledged nothing and may be made again;
// one whose frame was written, or may have been (nil, ErrOutcomeUnknown,
// ErrReceiptTimeout, a server ERROR), counts as made, and Stats.Acks
// counts only those. An Ack in a transaction (AckTransactionId) is undone
// as AbortTransaction of it is called (see there): the broker discards
// it, and the message may be acknowledged (or not) again. One committed
// stays made, and so does one whose transaction was lost with its
// connection (the broker delivers the message again, as a new event).
func (s *STOMP) Ack(ctx context.Context, ev *MessageInEvent) error { return s.ackCall(ctx, ev, false) }

// Nack tells the broker a message was not processed, like Ack. It needs
// STOMP 1.1 or later (ErrNackUnsupported on 1.0).
func (s *STOMP) Nack(ctx context.Context, ev *MessageInEvent) error { return s.ackCall(ctx, ev, true) }

func (s *STOMP) ackCall(ctx context.Context, ev *MessageInEvent, nack bool) error {
	if ev == nil || !ev.msg.NeedsAck() {
		return ErrNoAck
	}
	eng, err := s.connected()
	if err != nil {
		return err
	}
	if nack && s.version() == frames.V10 {
		return ErrNackUnsupported
	}
	if !ev.settled.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	if nack {
		ev.traceNack()
	}
	cfg := s.snapshot()
	ref := ev.msg
	// The event is taken back below unless an Abort undid its note
	// meanwhile (Cancel false): the Abort unsettled it, and an Ack since
	// may have settled it again.
	note := noteTxAck(eng, ev, cfg)
	// A call queued (Timeout 0 without a deadline) runs after Ack
	// returned, and takes the event back there if it failed before
	// writing, unless it is lent (it may be another message's by then).
	// A call that waits is taken back here, once (twice, a concurrent
	// Ack's settling between the two would be undone).
	_, deadline := ctxOrBackground(ctx).Deadline()
	later := cfg.timeout <= 0 && !deadline
	takeBack := later && !ev.lent
	idle := eng // its wait is an inactivity one (callWriting), unless AbsoluteTimeout
	if cfg.absoluteTimeout {
		idle = nil
	}
	// With RequestAckReceipts it causes a ReceiptOut and a ReceiptIn,
	// whose handlers it waits for as the other receipted calls do.
	var kinds eventKinds
	if cfg.requestAckReceipts {
		kinds = receiptCauses
	}
	err = s.callCausing(ctx, "Ack", cfg.timeout, idle, CodeOther, kinds, func(ctx context.Context) error {
		err := s.ackNow(ctx, eng, ref, nack, cfg)
		if takeBack && notMade(err) && note.Cancel() {
			ev.settled.Store(false)
		}
		return err
	})
	if notMade(err) && note.Cancel() { // refused here: the call did not run, or waited
		ev.settled.Store(false)
	}
	return err
}

// notMade reports whether an Ack or Nack that returned err leaves its
// event unsettled, to be acknowledged again: it was refused before
// anything was written (ErrTimeout, ErrCanceled, ErrWouldBlock,
// ErrNotConnected, an AckTransactionID that names no open transaction
// ...), or the engine found the message covered only by the cumulative
// ACK of a later one in a transaction still open (actors.CoveredForNow),
// which an abort of it takes back: the engine is asked again next time.
// Any other ErrAlreadyAcked of the engine (a cover outside transactions,
// or of a committed one) is for good: the event stays settled, and the
// next Ack returns ErrAlreadyAcked even after a reconnect.
func notMade(err error) bool {
	if errors.Is(err, ErrAlreadyAcked) {
		return actors.CoveredForNow(err)
	}
	return !actors.Written(err)
}
