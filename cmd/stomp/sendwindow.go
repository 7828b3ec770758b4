package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stompactor/stompactor/api"
)

// send --window: with --receipt or --reconnect, up to --window messages
// are in flight at once, each still confirmed by its own RECEIPT. They go
// through the library's at-least-once outbox (api.STOMP.SendDataAsync),
// which writes them in order and calls back once per message with its
// outcome; the run counts those outcomes. Without --reconnect the client
// has no Reconnect policy, so a lost connection fails the messages in
// flight (written ones as outcome unknown) rather than sending them again.
//
// The window is bounded in bytes too (--window-bytes): the outbox keeps a
// copy of each message's body until its outcome, so with big bodies a
// window of messages alone would hold window x body bytes (256 MB for
// 1 MB bodies against a broker slow to confirm). A message is sent once
// the bodies of those in flight leave room for it; one larger than the
// bound goes alone.
//
// --transaction keeps the one-at-a-time path: the outbox refuses a
// message that joins a transaction (resent alone after a reconnect it
// would leave it), and a transaction's messages are delivered at COMMIT
// anyway. --window 1 is that path too.

const (
	// defaultWindow is --window's default: enough to hide a broker's round
	// trip (a RabbitMQ quorum queue answers a few hundred a second one at
	// a time) without holding many messages in memory.
	defaultWindow = 256
	// defaultWindowBytes is --window-bytes' default: the bodies in flight
	// at once, in bytes.
	defaultWindowBytes = 16 << 20
	// maxWindow is the largest --window: the library's bound on its
	// outbox (MaxOutbox).
	maxWindow = 1 << 20
	// outboxDefault is the library's default MaxOutbox.
	outboxDefault = 1024
)

// checkWindow refuses a --window or --window-bytes that cannot apply:
// out of range, given without --receipt or --reconnect (nothing waits for
// a RECEIPT, so nothing is in flight), or a window above 1 with
// --transaction (whose messages go one at a time: --window-bytes is
// taken and has nothing to bound).
func checkWindow(given, bytesGiven bool, window, windowBytes int, confirmed bool, transaction string) error {
	if bytesGiven {
		if windowBytes < 1 {
			return usagef("--window-bytes must be at least 1 (a message larger than it still goes, alone)")
		}
		if !confirmed {
			return usagef("--window-bytes goes with --receipt or --reconnect: without a RECEIPT per message there is no window to keep")
		}
	}
	if !given {
		return nil
	}
	if window < 1 || window > maxWindow {
		return usagef("--window must be between 1 and %d", maxWindow)
	}
	if !confirmed {
		return usagef("--window goes with --receipt or --reconnect: without a RECEIPT per message there is no window to keep")
	}
	if transaction != "" && window > 1 {
		return usagef("--window does not go with --transaction: a transaction's messages are sent one at a time " +
			"(the at-least-once outbox that keeps several in flight refuses a message that joins a transaction)")
	}
	return nil
}

// windowOption sizes the library's outbox for a window: at least the
// window, so a send never waits for room in it (the window is the
// bound), and at least once with --reconnect.
func windowOption(window int, reconnect bool, dedupHeader string) api.Option {
	return api.WithAtLeastOnce(api.AtLeastOnce{Enabled: reconnect, DedupHeader: dedupHeader, MaxOutbox: max(window, outboxDefault)})
}

// windowRun is one windowed send: count copies of body, or the records
// of records, to dest.
type windowRun struct {
	s         *api.STOMP
	w         *watch
	stderr    io.Writer
	p         *progress
	tracer    *sendTracer
	dest      string
	size      int
	maxBytes  int           // --window-bytes: the bodies in flight at once, unless one alone is larger
	timeout   time.Duration // --timeout: how long the oldest message waits for its RECEIPT
	reconnect bool

	body    []byte
	count   int
	records <-chan record // nil: count copies of body
	typed   bool          // records typed on a terminal: not waited for once interrupted
	held    []byte        // a record read that waits for room in the window (holding)
	holding bool

	ctx  context.Context // ends at the first signal
	work context.Context // ends interruptGrace after it

	// failed words an error with how far the run got (send.go).
	failed func(n int, err error) error

	results   chan windowResult
	flight    []inFlight // oldest first; the settled at the front are taken off
	accepted  int        // messages the outbox took
	inBytes   int        // the bodies of those not settled
	settled   int        // their outcomes that came
	confirmed int        // their own RECEIPT came
	lost      int        // settled unconfirmed after their frame may have left (outcome unknown)
	firstBad  int        // the first message settled unconfirmed (1-based; 0: none)
	badErr    error      // its outcome
	lastMove  time.Time  // the last outcome, or the start

	// The progress of the writes (sendwindowwrites.go).
	lastLow      int64     // where the last message sent ends, at the least, in the bytes written
	seenOut      int64     // the bytes written when last looked at
	seenConnects int64     // the connections made then
	progressAt   time.Time // the last time bytes were seen leaving while the oldest was not written whole
}

// inFlight is a message the outbox took.
type inFlight struct {
	i       int // 1-based
	at      time.Time
	size    int    // its body's length
	low     int64  // where its frame ends, at the least, in the bytes written (lowEnd)
	traceID string // with --trace
	settled bool
}

// windowResult is a message's outcome, from its done callback.
type windowResult struct {
	i   int
	err error
}

// windowTimeout is the outcome of the oldest message in flight that had
// no answer within --timeout of its send, of the outcome before it, or of
// its write's last progress (sendwindowwrites.go).
type windowTimeout struct{ after time.Duration }

func (e *windowTimeout) Error() string {
	return fmt.Sprintf("stomp: no RECEIPT within %v (--timeout)", e.after)
}
func (e *windowTimeout) Unwrap() error { return api.ErrReceiptTimeout }

// pending counts the messages taken and not settled.
func (r *windowRun) pending() int { return r.accepted - r.settled }

// fits reports whether a body of n bytes may be sent now: the bodies in
// flight leave room for it, or nothing is in flight.
func (r *windowRun) fits(n int) bool {
	return r.pending() == 0 || r.inBytes+n <= r.maxBytes
}

// run sends the messages, keeping up to size (and up to maxBytes of
// bodies) in flight, and ends the run: it disconnects and returns nil
// once every message was confirmed, or says how far it got.
func (r *windowRun) run() error {
	// As many outcomes as messages can be unsettled at once: the window,
	// or fewer with --count.
	unsettled := r.size
	if r.records == nil {
		unsettled = min(unsettled, r.count)
	}
	r.results = make(chan windowResult, unsettled)
	r.lastMove = time.Now()
	r.seenOut, r.seenConnects = r.writeCounts()
	r.lastLow = r.seenOut
	every := progressEvery(r.timeout)
	timer := time.NewTimer(every)
	defer timer.Stop()
	ready := make(chan struct{}) // closed: a message to send now, when now is set to it
	close(ready)
	reading := true // messages still to come
	inputEnded := false
	var stop error // what ended the sending early (not an interruption)
	serverError := false
	sigs, grace, erred := r.ctx.Done(), r.work.Done(), r.w.erred
	i := 0
loop:
	for {
		if r.firstBad > 0 && stop == nil {
			stop = r.badErr // a message failed: send no more
			serverError = errors.Is(stop, api.ErrServer)
			break
		}
		if !reading && len(r.flight) == 0 {
			break
		}
		var take <-chan record  // a record to read
		var now <-chan struct{} // --count's body, or the record held, to send
		if reading && len(r.flight) < r.size {
			switch {
			case r.records == nil:
				if i < r.count && r.fits(len(r.body)) {
					now = ready
				}
			case r.holding:
				if r.fits(len(r.held)) {
					now = ready
				}
			case r.pending() == 0 || r.inBytes < r.maxBytes:
				take = r.records
			}
		}
		select {
		case res := <-r.results:
			r.settle(res)
			continue
		default:
		}
		select {
		case res := <-r.results:
			r.settle(res)
		case <-now:
			i++
			body := r.body
			if r.records != nil {
				body, r.held, r.holding = r.held, nil, false
			}
			if err := r.send(i, body); err != nil {
				stop, reading = err, false
			} else if r.records == nil && i == r.count {
				reading, inputEnded = false, true
			}
		case rec, open := <-take:
			switch {
			case !open:
				reading, inputEnded = false, true
			case rec.err != nil:
				stop, reading = rec.err, false
			case !r.fits(len(rec.body)):
				// No room for it yet: it goes once outcomes make room.
				r.held, r.holding = rec.body, true
			default:
				i++
				if err := r.send(i, rec.body); err != nil {
					stop, reading = err, false
				}
			}
		case now := <-timer.C:
			// Outcomes that came first are taken first: a message the
			// outbox settled does not count as sent again after a
			// reconnect (observe).
			for len(r.results) > 0 {
				r.settle(<-r.results)
			}
			r.observe(now)
			if len(r.flight) == 0 {
				timer.Reset(every)
				continue
			}
			if wait := time.Until(r.deadline()); wait > 0 {
				timer.Reset(min(wait, every))
				continue
			}
			// The oldest message had no answer in time: the run ends.
			r.bad(r.flight[0].i, &windowTimeout{after: r.timeout})
			stop = r.badErr
			break loop
		case <-sigs:
			sigs = nil
			if r.records == nil || r.typed {
				reading = false // --count sends no more; typed input is not waited for
			}
		case <-grace:
			break loop // the grace is over: what is in flight stays unconfirmed
		case <-erred:
			// Printed as it arrived; the connection may stay open: stop
			// sending and leave.
			erred = nil
			serverError = true
			if stop == nil {
				stop = r.w.serverError()
			}
			break loop
		}
	}
	if r.ctx.Err() != nil {
		return r.interrupted(stop, !inputEnded)
	}
	if stop != nil || r.firstBad > 0 {
		return r.fail(stop, serverError)
	}
	r.p.done()
	// As send.go's end: a signal now does not cut the wait for
	// DISCONNECT's RECEIPT, and the run says how it ended.
	err := r.w.leave(context.WithoutCancel(r.ctx), r.s, true)
	if r.ctx.Err() != nil {
		fmt.Fprintln(r.stderr, "stomp: "+interruptedLine(interruption{receipt: true, reconnect: r.reconnect, sent: r.confirmed}, err))
		return r.ctx.Err()
	}
	if err != nil {
		return r.failed(r.confirmed, err)
	}
	return nil
}

// send hands message i (1-based) to the outbox. Its outcome comes on
// r.results.
func (r *windowRun) send(i int, body []byte) error {
	ctx := r.work
	f := inFlight{i: i, size: len(body)}
	var end func()
	if r.tracer != nil {
		ctx, f.traceID, end = r.tracer.start(ctx)
	}
	results := r.results
	err := r.s.SendDataAsync(ctx, r.dest, body, func(err error) { results <- windowResult{i: i, err: err} })
	if end != nil {
		end()
	}
	if err != nil {
		return err
	}
	f.at = time.Now()
	f.low = r.lowEnd(f.size)
	r.flight = append(r.flight, f)
	r.accepted++
	r.inBytes += f.size
	return nil
}

// settle records a message's outcome.
func (r *windowRun) settle(res windowResult) {
	r.lastMove = time.Now()
	r.settled++
	k := res.i - r.flight[0].i
	r.flight[k].settled = true
	r.inBytes -= r.flight[k].size
	if res.err == nil {
		r.confirmed++
		r.p.step(r.confirmed)
		if r.tracer != nil {
			fmt.Fprintf(r.tracer.out, "trace-id: %s\n", r.flight[k].traceID)
		}
	} else {
		if sentAnyway(res.err) {
			r.lost++
		}
		r.bad(res.i, res.err)
	}
	for len(r.flight) > 0 && r.flight[0].settled {
		r.flight = r.flight[1:]
	}
}

// bad records that message i was not confirmed, keeping the first.
func (r *windowRun) bad(i int, err error) {
	if r.firstBad == 0 || i < r.firstBad {
		r.firstBad, r.badErr = i, err
	}
}
