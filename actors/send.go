package actors

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// The send paths of a connection: a frame goes from its caller to the
// writer's buffer (encoded by the caller, writequeue.go) or through the
// writer's mailbox, and the caller waits as asked: for room, for the
// write, for the RECEIPT.

// Send queues a frame for the writer. With wait, it returns once the frame
// is written (or, with receipt > 0, once the broker confirmed it);
// otherwise once it is queued. When the outgoing queue is full it waits
// for room, bounded by ctx. Send does not keep f, nor its body, once it
// returns: a plain frame is encoded into the writer's buffer at once,
// another is copied. A SEND, ACK or NACK whose transaction header names a
// transaction not open on the current connection (begun with Begin; one
// ends with its connection) is refused with ErrUnknownTransaction.
func (c *Conn) Send(ctx context.Context, f *frames.Frame, receipt time.Duration, wait bool) error {
	return c.write(ctx, &writeFrame{frame: f, receipt: receipt}, wait || receipt > 0, false)
}

// TrySend queues f for the writer if the outgoing queue has room right now
// and reports whether it did; it never waits. A frame it queued is
// written later or, if the connection ends first, lost with it, as with
// Send without wait. A frame that cannot be encoded is refused with its
// error (a *HeaderError for a header its version cannot carry), whichever
// way it is queued, so a caller need not check it first; that error comes
// before ErrUnknownTransaction for a frame wrong both ways. Like Send, it
// does not keep f.
func (c *Conn) TrySend(f *frames.Frame) (bool, error) {
	l := c.link.Load()
	if l == nil {
		select {
		case <-c.closed:
			return false, ErrClosed
		default:
		}
		return false, ErrNotConnected
	}
	if err := checkTransaction(l, f); err != nil {
		// A frame wrong both ways is refused for its header, as every
		// other send route refuses it (they check the headers first).
		// Only here, on the way out: the common frame is checked once,
		// as it is encoded.
		if herr := CheckFrame(f, l.version); herr != nil {
			return false, herr
		}
		return false, err
	}
	if !l.credits.tryTake() {
		return false, nil
	}
	if c.direct(f) {
		switch st, err := l.out.append(f, true); st {
		case appendedOK:
			return true, nil
		case appendedFailed:
			l.credits.give(1)
			return false, err
		case appendedFull:
			l.credits.give(1)
			return false, nil
		}
	}
	// The writer encodes a posted frame later, where no caller hears
	// its error: a frame it could not encode is refused here instead.
	if err := CheckFrame(f, l.version); err != nil {
		l.credits.give(1)
		return false, err
	}
	l.out.post(&writeFrame{frame: keep(f), credit: true})
	return true, nil
}

// SendRaw queues bytes to be written exactly as given. Bytes whose receipt
// header names an id of the form the client gives its own frames'
// receipts ("r-1-2", "disconnect-1") are refused with ErrReceiptIDInUse:
// the broker's RECEIPT for them could confirm another caller's frame.
// Another receipt id the bytes name is announced (ReceiptOutEvent) and
// its RECEIPT, if it comes within a minute, taken as expected (nobody
// waits for it: SendRaw returns once the bytes are written).
func (c *Conn) SendRaw(ctx context.Context, raw []byte) error {
	rs := customReceipts(raw)
	for _, r := range rs {
		if id := strings.TrimSpace(r.id); clientReceiptID(id) {
			return receiptIDInUse(id)
		}
	}
	l := c.link.Load()
	var txs map[string]frames.Command
	if l != nil {
		var err error
		if txs, err = rawTransactions(l, raw); err != nil {
			return err
		}
		// Known to the session before the bytes can leave, so before
		// their RECEIPT can come.
		for _, r := range rs {
			c.eng.sys.Root.Send(c.session, &receiptAwaited{gen: l.gen, id: r.id, cmd: r.cmd, timeout: customReceiptWait})
			c.emit(&ReceiptOutEvent{ReceiptID: r.id, Command: r.cmd})
		}
	}
	// On the link the bytes were checked against: were it replaced
	// meanwhile (a reconnect), the bytes go nowhere and the loss is
	// reported, rather than reaching a connection whose transactions
	// they were not checked against.
	err := c.writeOn(ctx, l, &writeFrame{raw: raw}, true, true)
	if txs != nil && (err == nil || errors.Is(err, ErrOutcomeUnknown)) {
		// Written (or taken to be, the caller having left): BEGIN,
		// COMMIT, ABORT count now.
		applyTransactions(l, txs)
	}
	return err
}

// writeAck queues an ACK or NACK the engine made and nobody waits for (a
// handler's return, a dead-lettered message), on l. It holds no token of
// the outgoing queue, as before: an ACK never waits behind sends. These
// ACKs join no transaction (an AckRef's, which may, goes through write,
// which checks it).
func (c *Conn) writeAck(l *link, f *frames.Frame) {
	if c.direct(f) {
		if st, _ := l.out.append(f, false); st == appendedOK {
			return
		}
		// Full or behind writeFrames: the mailbox keeps it in order, a
		// copy (its ids may live in a lent message's memory).
	}
	l.out.post(&writeFrame{frame: f.Clone()})
}

// write queues wf (waiting for a token of the outgoing queue, and with
// wait for the outcome). owned says wf's frame is the engine's: else it
// is copied before it is queued through the writer's mailbox, so that
// the caller may reuse it once write returns.
func (c *Conn) write(ctx context.Context, wf *writeFrame, wait, owned bool) error {
	return c.writeOn(ctx, c.link.Load(), wf, wait, owned)
}

// writeOn is write on l, the connection's link at some moment (nil when
// it had none).
func (c *Conn) writeOn(ctx context.Context, l *link, wf *writeFrame, wait, owned bool) error {
	if l == nil {
		select {
		case <-c.closed:
			return ErrClosed
		default:
		}
		return ErrNotConnected
	}
	if wf.frame != nil {
		if err := checkTransaction(l, wf.frame); err != nil {
			return err
		}
	}
	switch l.credits.take(ctx, l.lost, c.closed) {
	case tookLost:
		return l.lostErr()
	case tookCtx:
		return ctxErr(ctx)
	case tookClosed:
		return ErrClosed
	}
	wf.credit = true
	// A caller whose wait is an inactivity one (InactivityContext) waits
	// as long as the bytes ahead of its frame, and then its own, leave,
	// counted from now that it holds its place: the tokens are not handed
	// out in order, so the bytes written while it waited for one are not
	// of frames ahead of it, and its wait for one is absolute.
	trackWrite(ctx, l, wf)
	if wait {
		wf.reply = make(chan error, 1)
	}
	queued := false
	if wf.frame != nil && c.direct(wf.frame) {
		done, err := c.writeDirect(ctx, l, wf)
		if err != nil {
			return err
		}
		queued = done
	}
	if !queued {
		if !owned && wf.frame != nil {
			wf.frame = keep(wf.frame)
		}
		l.out.post(wf)
	}
	if !wait {
		return nil
	}
	select {
	case err := <-wf.reply:
		return err
	case <-l.lost:
		return l.outcome(ctx, wf.reply, &wf.taken)
	case <-ctx.Done():
		return receiptOrCtxErr(ctx, l, wf)
	}
}

// receiptOrCtxErr is the answer of a caller whose context ended while it
// waited: its frame's own answer if that came meanwhile; the connection's
// outcome if the connection ended too; the context's error, the frame
// withdrawn, if the writer had not taken it yet (it is then never
// written); the writer's refusal if it took the frame and refused it;
// ErrReceiptTimeout if the writer registered the frame's
// receipt and its deadline (which callers set short of their context's)
// has passed, since a loaded machine may run the deadline's timer after
// the context ends; or else ErrOutcomeUnknown wrapping the context's
// error (the frame is written, or on its way).
func receiptOrCtxErr(ctx context.Context, l *link, wf *writeFrame) error {
	select {
	case err := <-wf.reply:
		return err
	default:
	}
	select {
	case <-l.lost:
		return l.outcome(ctx, wf.reply, &wf.taken)
	default:
	}
	if wf.abandon() {
		return ctxErr(ctx)
	}
	if wf.state.Load() == frameRefused && wf.reply != nil {
		// The writer refused it, and is telling its caller why right
		// now (refuse): nothing was written, and that answer says so.
		select {
		case err := <-wf.reply:
			return err
		case <-l.lost:
			return l.outcome(ctx, wf.reply, &wf.taken)
		}
	}
	if due := wf.due.Load(); due != 0 && time.Now().UnixNano() >= due {
		return ErrReceiptTimeout
	}
	// Written, or about to be: whether the broker has it is not known,
	// and a caller told only that its context ended might send it twice.
	// The context's own error, not ctxErr's ErrTimeout: that one says
	// nothing was written.
	return &waitEndedError{cause: ctx.Err()}
}

// writeDirect encodes wf's frame into l's writer buffer for a sender
// holding a token of the outgoing queue (with its receipt registered,
// appendReceipted, when it asks for one), waiting (bounded by ctx) while
// the buffer is full; wf.reply, when set, hears the outcome of the write
// or the RECEIPT. done false: writeFrames are on their way, so the frame
// must follow them through the mailbox. On an error the token is given
// back.
func (c *Conn) writeDirect(ctx context.Context, l *link, wf *writeFrame) (done bool, err error) {
	waited := false
	for {
		var st appended
		var id string
		if wf.receipt > 0 {
			st, id, err = l.out.appendReceipted(l, wf)
		} else {
			st, err = l.out.appendReply(wf.frame, true, wf.reply)
		}
		switch st {
		case appendedOK:
			// In the buffer: a caller whose context ends now is not
			// told it was withdrawn (receiptOrCtxErr).
			wf.state.Store(frameWritten)
			if waited {
				l.out.passRoom()
			}
			if id != "" {
				c.emit(&ReceiptOutEvent{ReceiptID: id, Command: wf.frame.Command})
			}
			return true, nil
		case appendedFailed:
			l.credits.give(1)
			return true, err
		case appendedBehind:
			return false, nil
		}
		waited = true
		if err := c.awaitRoom(ctx, l); err != nil {
			return true, err
		}
	}
}

// awaitRoom waits until the writer's buffer has room for a sender that
// found it full (nil: try again), or the connection, ctx or the client
// ends; on ctx's end the sender's token is given back.
func (c *Conn) awaitRoom(ctx context.Context, l *link) error {
	select {
	case <-l.out.roomSignal():
		return nil
	case <-l.lost:
		return l.lostErr()
	case <-ctx.Done():
		l.credits.give(1)
		return ctxErr(ctx)
	case <-c.closed:
		return ErrClosed
	}
}
