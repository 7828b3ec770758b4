package actors

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// wqueue is the writer's outgoing buffer. The writer owns it and is the
// only one to take bytes out of it and write them to the socket; what
// changes is who encodes. A plain frame (a SEND without receipt, an ACK)
// is encoded into it by whoever sends it, under the lock, and the writer's
// mailbox carries only a flush signal, one per burst: a message then
// costs no mailbox hop, no writeFrame and no envelope. Frames that need
// the writer's bookkeeping (a receipt, a reply, the outbox, DISCONNECT)
// still go through the mailbox as writeFrame, and the writer encodes them
// into the same buffer.
//
// Order: a frame encoded directly must never overtake a writeFrame sent
// before it, so the queue counts the writeFrames on their way (inbox);
// while any is, direct appends are refused and their senders use the
// mailbox too, behind them.
//
// Bounds: every frame in the buffer holds a token of the link's credits
// (the count bound, MaxPendingWrites); direct appends stop at maxQueued
// bytes (the writer may hold one batch that size being written, and the
// buffer as much again plus one frame).
type wqueue struct {
	mu  sync.Mutex
	buf frames.Writer // encodes into its buffer; the writer detaches and writes it
	// Counted for the writer, which moves the counters when it takes
	// the bytes, before they leave.
	frames, sends int
	credits       int          // credit tokens held by the frames encoded directly
	replies       []chan error // of the frames encoded directly whose senders wait
	inbox         int          // writeFrames sent to the writer and not yet encoded
	// watched are the frames encoded directly whose senders' waits are
	// inactivity ones and go on after the write (a receipt): the write
	// that carries them stamps them (writeFrame.written).
	watched []*writeFrame
	// signaled: the writer will look at the buffer again (a flush
	// signal is in its mailbox, or it is flushing); a sender that
	// appends then need not signal.
	signaled bool
	// closed: DISCONNECT is encoded, or the writer stopped. Nothing is
	// appended directly any more; writeFrames get the writer's answer.
	closed bool
	// full: a sender found the buffer full; the writer says
	// ReadyToSend once it took the bytes out.
	full  bool
	ended bool // the connection ended: no writer is started again
	// room has a token when the writer took bytes out: a sender that
	// found the buffer full tries again. Made when a sender first waits.
	room chan struct{}
	// receiptSeq numbers the link's receipts (receiptID), for the
	// writer and for senders of receipted frames (appendReceipted).
	receiptSeq uint64
	// hdrs is where appendReceipted copies a frame's headers, with its
	// receipt, to encode it (reused: nothing is kept in it).
	hdrs frames.Headers
	// through says senders may write through (writethrough.go), on
	// raw, made at the first; rest is what one could not write at once,
	// which the writer writes first.
	through bool
	raw     *rawWrite
	rest    *restWrite
	// held: the buffer holds frames the writer encoded (writer.pending),
	// which only its own flush settles (their replies, their tokens):
	// a sender must not write them through, or that flush would find the
	// buffer empty and leave them unsettled.
	held bool

	sys *actor.ActorSystem
	// writer is the running incarnation of the writer actor, nil while
	// it is retired (idle) or after the end; w is what a new one runs.
	writer *actor.PID
	w      *writer
}

// nextReceiptID returns the id of the link's next receipt.
func (q *wqueue) nextReceiptID(gen uint64) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.nextReceiptIDLocked(gen)
}

// nextReceiptIDLocked is nextReceiptID with q.mu held.
func (q *wqueue) nextReceiptIDLocked(gen uint64) string {
	q.receiptSeq++
	return receiptID(gen, q.receiptSeq)
}

// pidLocked returns the writer's PID, starting an incarnation if it is
// retired; nil after the end. q.mu is held.
func (q *wqueue) pidLocked() *actor.PID {
	if q.writer == nil && !q.ended {
		q.writer = q.w.c.spawn(&writerRun{w: q.w})
	}
	return q.writer
}

// heartbeat sends the writer a heart-beat to write if it is idle, counted
// like a writeFrame so that the writer does not retire with it queued.
func (q *wqueue) heartbeat() { q.send(heartbeatSignal) }

// send hands msg to the writer through its mailbox (starting a writer if
// it is retired), counted in inbox until the writer takes it; after the
// end it goes nowhere.
func (q *wqueue) send(msg any) {
	q.mu.Lock()
	pid := q.pidLocked()
	if pid != nil {
		q.inbox++
	}
	q.mu.Unlock()
	if pid != nil {
		q.sys.Root.Send(pid, msg)
	}
}

// end stops the writer for good: the running incarnation (which cleans
// up as it stops), or, when it is retired, the caller cleans up (clean).
// Only the session calls it, once per connection.
func (q *wqueue) end(ctx actor.Context) {
	q.mu.Lock()
	q.ended = true
	pid := q.writer
	q.mu.Unlock()
	if pid != nil {
		ctx.Stop(pid)
		return
	}
	q.w.stopped()
}

// maxQueued is the most bytes direct appends fill the buffer with.
const maxQueued = flushAt

// flushSignal is the writer's flush message; it carries nothing, so one
// value serves every signal.
var flushSignal = &flushRequested{}

// heartbeatSignal is the writer's heart-beat message.
var heartbeatSignal = &writeHeartbeat{}

func (q *wqueue) init(sys *actor.ActorSystem, enc frames.Encoder) {
	q.sys = sys
	q.buf = *frames.NewWriter(nil, enc)
}

// roomSignal returns the channel that says the writer took bytes out.
func (q *wqueue) roomSignal() chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.room == nil {
		q.room = make(chan struct{}, 1)
	}
	return q.room
}

// signalRoom tells a sender waiting for room, if any, to try again.
// The caller holds q.mu.
func (q *wqueue) signalRoom() {
	if q.room != nil {
		select {
		case q.room <- struct{}{}:
		default:
		}
	}
}

// appended is what append did with a frame.
type appended uint8

const (
	appendedOK     appended = iota // encoded; the writer flushes it
	appendedFull                   // no room: the buffer holds maxQueued bytes
	appendedBehind                 // writeFrames are on their way, or the writer must see the frame: use the mailbox
	appendedFailed                 // the frame cannot be encoded (err says why)
)

// append encodes f into the buffer. credit says the sender holds a token
// of the outgoing queue, which the frame keeps until it is written. f is
// not kept.
func (q *wqueue) append(f *frames.Frame, credit bool) (appended, error) {
	return q.appendReply(f, credit, nil)
}

// appendReply is append for a sender that waits: reply (when not nil)
// hears the outcome of the write that carries f.
func (q *wqueue) appendReply(f *frames.Frame, credit bool, reply chan error) (appended, error) {
	q.mu.Lock()
	switch {
	case q.inbox > 0 || q.closed:
		q.mu.Unlock()
		return appendedBehind, nil
	case q.buf.Buffered() >= maxQueued:
		q.full = true
		q.mu.Unlock()
		return appendedFull, nil
	}
	if err := q.buf.WriteFrame(f); err != nil {
		v := q.buf.Version()
		q.mu.Unlock()
		return appendedFailed, encodeError(f, v, err)
	}
	q.frames++
	if f.Command == frames.CmdSend {
		q.sends++
	}
	if credit {
		q.credits++
	}
	if reply != nil {
		q.replies = append(q.replies, reply)
	}
	return q.appendedLocked()
}

// appendedLocked has a frame just encoded leave: written through by its
// sender when the connection is idle (writethrough.go), else flushed by
// the writer, signaled unless it is already. q.mu is held, and released.
func (q *wqueue) appendedLocked() (appended, error) {
	signal := !q.signaled
	if signal && q.through && q.rest == nil && !q.held &&
		time.Now().UnixNano()-q.w.l.stats.lastWrite.Load() >= int64(throughGap) {
		if q.raw == nil {
			q.raw = rawWriter(q.w.conn)
		}
		if q.raw != nil {
			q.writeThrough()
			return appendedOK, nil
		}
		q.through = false
	}
	var pid *actor.PID
	if signal {
		q.signaled = true
		pid = q.pidLocked()
	}
	q.mu.Unlock()
	if pid != nil {
		q.sys.Root.Send(pid, flushSignal)
	}
	return appendedOK, nil
}

// post sends a writeFrame to the writer through its mailbox, counted so
// that no direct append overtakes it.
func (q *wqueue) post(wf *writeFrame) {
	q.send(wf)
	// After the end a writeFrame goes nowhere, as it went to a stopped
	// writer's dead letters before: the end of the connection answers
	// for it (link.outcome).
}

// passRoom hands the room token on to the next sender waiting for room,
// when there is room left.
func (q *wqueue) passRoom() {
	q.mu.Lock()
	if q.buf.Buffered() < maxQueued {
		q.signalRoom()
	}
	q.mu.Unlock()
}

// hasRoom reports whether a sender would find room in the buffer.
func (q *wqueue) hasRoom() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.buf.Buffered() < maxQueued
}

// version is the version frames are encoded in.
func (q *wqueue) version() frames.Version {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.buf.Version()
}

// setVersion sets the version frames are encoded in from now on.
func (q *wqueue) setVersion(v frames.Version) {
	q.mu.Lock()
	q.buf.SetVersion(v)
	q.mu.Unlock()
}

// keep copies a sender's frame for the writer's mailbox, so that the
// sender may reuse it once its call returns: the header list (with room
// for a receipt) and the body. Header strings are immutable and shared.
func keep(f *frames.Frame) *frames.Frame {
	out := &frames.Frame{Command: f.Command, Headers: make(frames.Headers, len(f.Headers), len(f.Headers)+1)}
	copy(out.Headers, f.Headers)
	if f.Body != nil {
		out.Body = append(make([]byte, 0, len(f.Body)), f.Body...)
	}
	return out
}

// direct reports whether frames may be appended by their senders: not
// while frames are logged, nor SENDs while each is reported with a
// MessageOutEvent (the writer does both, so it must see the frame).
func (c *Conn) direct(f *frames.Frame) bool {
	if c.logFrames.Load() {
		return false
	}
	switch f.Command {
	case frames.CmdSend:
		return c.quietSends.Load() || c.sink == nil
	case frames.CmdAck, frames.CmdNack:
		return true
	}
	return false
}
