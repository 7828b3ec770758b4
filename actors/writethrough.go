package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// Writing through: a plain frame appended while the writer is idle, on a
// connection that has written nothing for throughGap, is written by its
// sender at once, with one system call that does not wait, instead of
// waking the writer's goroutine to do it. On a connection with one
// message in flight (a request and its reply, a round trip) waking
// another goroutine costs more than the write: the scheduler wakes an
// idle OS thread for it. A burst still goes through the writer, which
// writes it in batches: the second frame of a burst finds the gap too
// short. What the socket does not take at once is left to the writer
// (wqueue.rest), which writes it before anything appended after it.

// throughGap is how long a connection must have written nothing for a
// sender to write through.
const throughGap = 5 * time.Microsecond

// restWrite is what a sender writing through could not write at once, and
// what it owes once written: the queue's tokens and the replies of the
// frames in it.
type restWrite struct {
	b       []byte // the whole detached buffer, recycled once written
	off     int    // b[off:] is still to write
	credits int
	replies []chan error
	watched []*writeFrame // stamped once written (wqueue.watched)
	full    bool          // a sender found the buffer full before it was detached
}

// writeThrough writes the buffer, which holds the frame just appended, on
// the sender's goroutine. q.mu is held, and released.
func (q *wqueue) writeThrough() {
	q.signaled = true // the writer stays out meanwhile; senders append behind
	b := q.buf.DetachAside()
	frameCount, sendCount := q.frames, q.sends
	credits, replies, full := q.credits, q.replies, q.full
	watched := q.watched
	q.frames, q.sends, q.credits, q.full = 0, 0, 0, false
	q.replies, q.watched = nil, nil
	q.mu.Unlock()

	w := q.w
	// Counted before the bytes leave, as the writer does.
	w.c.stats.FramesOut.Add(int64(frameCount))
	w.c.stats.MessagesOut.Add(int64(sendCount))
	w.l.receipts.writing()
	n, err := q.raw.writeNow(b)
	if n > 0 {
		w.l.stats.lastWrite.Store(time.Now().UnixNano())
		w.c.stats.BytesOut.Add(int64(n))
	}
	w.took(n)
	if err != nil {
		w.wrote(b, credits, replies, nil, full, err)
		q.sys.Root.Send(w.session, &writeFailed{gen: w.l.gen, err: err})
		return // signaled stays: nothing more is written on this link
	}
	if n < len(b) {
		// The socket's buffer is full: the writer waits for room.
		q.mu.Lock()
		q.rest = &restWrite{b: b, off: n, credits: credits, replies: replies, watched: watched, full: full}
		pid := q.pidLocked()
		if pid == nil {
			q.rest = nil
		}
		q.mu.Unlock()
		if pid != nil {
			q.sys.Root.Send(pid, flushSignal)
		} else {
			w.wrote(b, credits, replies, nil, full, w.l.lostErr()) // the connection ended meanwhile
		}
		return
	}
	w.wrote(b, credits, replies, watched, full, nil)
	q.mu.Lock()
	if watched != nil && q.watched == nil {
		clear(watched)
		q.watched = watched[:0] // reused by the next
	}
	var pid *actor.PID
	if q.buf.Buffered() > 0 {
		pid = q.pidLocked() // appended during the write: the writer's
	} else {
		q.signaled = false
	}
	q.mu.Unlock()
	if pid != nil {
		q.sys.Root.Send(pid, flushSignal)
	}
}

// wrote settles a write through once its bytes b are written (err nil)
// or cannot be: tokens back, replies answered, and ReadyToSend said if a
// sender found the queue full.
func (w *writer) wrote(b []byte, credits int, replies []chan error, watched []*writeFrame, full bool, err error) {
	frames.Recycle(b)
	if err == nil && len(watched) > 0 {
		now := time.Now().UnixNano()
		for _, p := range watched {
			p.written(w.l, now)
		}
	}
	wasFull := full || w.l.credits.full()
	w.releaseCredits(credits)
	if err != nil {
		// When the session closed the socket, its reason is the
		// better answer.
		select {
		case <-w.l.lost:
			err = w.l.lostErr()
		default:
			err = connectionLost(err)
		}
	}
	for _, reply := range replies {
		reply <- err
	}
	if err == nil && wasFull && w.l.credits.max > 0 {
		w.c.emit(&ReadyToSendEvent{})
	}
}

// settle is wrote for a rest.
func (r *restWrite) settle(w *writer, err error) {
	w.wrote(r.b, r.credits, r.replies, r.watched, r.full, err)
	r.b, r.replies, r.watched = nil, nil, nil
}
