package main

import "time"

// The windowed run's --timeout counts as the one-at-a-time path's does
// (the library's inactivity wait, api.STOMP's AbsoluteTimeout false):
// while the oldest message in flight is not yet written whole, every byte
// the socket takes is progress (of the frames ahead of it, or its own,
// which the outbox writes in order), and its --timeout counts from the
// last such progress; once it is written, from then. The outbox tells
// nothing of a message's write, so the run follows the client's socket
// writes (Stats.BytesOut, counted as each socket write returns, a large
// frame in 256 KiB pieces) and knows where each message's frame ends at
// the least: at its body's length past the bytes written before it was
// sent, or past where the message before it ends, whichever is further.
// While the bytes written fall short of that, the frame is not written
// whole. The run looks every quarter of --timeout, so a deadline comes
// at most that much later than the library's would.
//
// The invariant that keeps the deadline honest: a message's least end
// never lies past where its frame really ends (its last write, after a
// reconnect), and heart-beats are not counted as bytes written (they are
// one byte each, Stats.HeartbeatsOut, taken off Stats.BytesOut). So the
// bytes that count as its progress are those of the frames ahead of it
// and its own; once its own frame is written whole, no byte (a later
// message's, a heart-beat) moves its deadline. Bytes ahead of it are
// bounded (the window), and heart-beats never count.

// progressEvery is how often the run looks at the bytes written.
func progressEvery(timeout time.Duration) time.Duration {
	return max(timeout/4, time.Millisecond)
}

// writeCounts reads the client's bytes written, heart-beats not
// counted, and connections made. The counts are read one after the
// other, bytes first: bytes counted at a look that still saw the old
// number of connections were all written before the new connection's
// first frame.
func (r *windowRun) writeCounts() (bytesOut, connects int64) {
	st := r.s.Stats()
	return st.BytesOut - st.HeartbeatsOut, st.Connects
}

// lowEnd returns where a frame of a body of size bytes, sent now, ends
// at the least in the stream of bytes written: past the bytes written
// when last looked at (fewer than now: still a least), or past the
// message before it. Nothing is read per message: the bytes of this
// run's messages that left since the last look are counted by the
// messages before it (all but their headers).
func (r *windowRun) lowEnd(size int) int64 {
	r.lastLow = max(r.seenOut, r.lastLow) + int64(size)
	return r.lastLow
}

// observe looks at the bytes written: bytes that left while the oldest
// message in flight was not written whole are its progress. After a new
// connection (a reconnect) the messages in flight are sent again, in
// order, so each ends at the least past the bytes of those up to it
// counted from the last look (r.seenOut, still the previous one's), not
// from now: by now the outbox may have written them again already, and
// a least end placed past its real one would take foreign bytes for its
// progress until the count got there.
func (r *windowRun) observe(now time.Time) {
	out, connects := r.writeCounts()
	if connects != r.seenConnects {
		r.seenConnects, r.lastLow = connects, r.seenOut
		for k := range r.flight {
			if !r.flight[k].settled {
				r.lastLow += int64(r.flight[k].size)
				r.flight[k].low = r.lastLow
			}
		}
	}
	// A heart-beat is counted as it is queued, its byte once written: the
	// count can dip for a moment (or for good, a beat lost with its
	// connection), which is no progress.
	if out > r.seenOut {
		if len(r.flight) > 0 && r.seenOut < r.flight[0].low {
			r.progressAt = now
		}
		r.seenOut = out
	}
}

// deadline is when the oldest message in flight times out unless it is
// answered or its write makes progress before.
func (r *windowRun) deadline() time.Time {
	from := r.flight[0].at
	for _, t := range []time.Time{r.lastMove, r.progressAt} {
		if t.After(from) {
			from = t
		}
	}
	return from.Add(r.timeout)
}
