package actors

import (
	"github.com/stompactor/stompactor/frames"
)

// A plain frame that asks for a RECEIPT (a SEND with RequestReceipts, an
// ACK with AckReceipts) is encoded by its sender, as any plain frame, and
// its receipt registered in the link's book before its bytes can leave,
// as the writer would (awaitReceipt): no hop through the writer's
// mailbox, and, on an idle connection, written through by the sender.
// (Its caller waits for the RECEIPT on its reply channel, which the
// reader answers: reading the connection on the caller's goroutine, as
// Receive does, was tried for it and cost RabbitMQ's receipted publishing
// 10-20% where a receipt takes 200 µs to come.)

// appendReceipted encodes wf's frame with a receipt header of the link's
// sequence and registers that receipt for wf.reply. It answers as append
// does; appendedBehind leaves the frame to the writer's mailbox.
func (q *wqueue) appendReceipted(l *link, wf *writeFrame) (appended, string, error) {
	q.mu.Lock()
	switch {
	case q.inbox > 0 || q.closed:
		q.mu.Unlock()
		return appendedBehind, "", nil
	case q.buf.Buffered() >= maxQueued:
		q.full = true
		q.mu.Unlock()
		return appendedFull, "", nil
	}
	select {
	case l.receiptSlots <- struct{}{}:
	default:
		q.mu.Unlock()
		return appendedFailed, "", ErrTooManyReceipts
	}
	id := q.nextReceiptIDLocked(l.gen)
	f := wf.frame
	q.hdrs = append(q.hdrs[:0], f.Headers...)
	q.hdrs.Set(frames.HdrReceipt, id)
	withReceipt := frames.Frame{Command: f.Command, Headers: q.hdrs, Body: f.Body}
	before := q.buf.Buffered()
	err := q.buf.WriteFrame(&withReceipt)
	clear(q.hdrs)
	if err != nil {
		v := q.buf.Version()
		q.mu.Unlock()
		<-l.receiptSlots
		return appendedFailed, "", encodeError(f, v, err)
	}
	// Registered before the bytes can leave (q.mu holds every flush
	// back), so the RECEIPT cannot come first, with where its last byte
	// is in the link's stream: the RECEIPT confirms it once the socket
	// took that byte (receiptheld.go).
	if err := l.awaitReceipt(id, wf, q.buf.Written()+int64(q.buf.Buffered())); err != nil {
		q.buf.Truncate(before)
		q.mu.Unlock()
		return appendedFailed, "", err
	}
	wf.state.Store(frameWritten)
	if wf.idle != nil {
		q.watched = append(q.watched, wf)
	}
	q.frames++
	if f.Command == frames.CmdSend {
		q.sends++
	}
	q.credits++ // the sender's token
	st, err := q.appendedLocked()
	return st, id, err
}
