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
// --transaction keeps the one-at-a-time path: the outbox refuses a
// message that joins a transaction (resent alone after a reconnect it
// would leave it), and a transaction's messages are delivered at COMMIT
// anyway. --window 1 is that path too.

const (
	// defaultWindow is --window's default: enough to hide a broker's round
	// trip (a RabbitMQ quorum queue answers a few hundred a second one at
	// a time) without holding many messages in memory.
	defaultWindow = 256
	// maxWindow is the largest --window: the library's bound on its
	// outbox (MaxOutbox).
	maxWindow = 1 << 20
	// outboxDefault is the library's default MaxOutbox.
	outboxDefault = 1024
)

// checkWindow refuses a --window that cannot apply: out of range, given
// without --receipt or --reconnect (nothing waits for a RECEIPT, so
// nothing is in flight), or above 1 with --transaction.
func checkWindow(given bool, window int, confirmed bool, transaction string) error {
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
	timeout   time.Duration // --timeout: how long the oldest message waits for its RECEIPT
	reconnect bool

	body    []byte
	count   int
	records <-chan record // nil: count copies of body
	typed   bool          // records typed on a terminal: not waited for once interrupted

	ctx  context.Context // ends at the first signal
	work context.Context // ends interruptGrace after it

	// failed words an error with how far the run got (send.go).
	failed func(n int, err error) error

	results   chan windowResult
	flight    []inFlight // oldest first; the settled at the front are taken off
	accepted  int        // messages the outbox took
	settled   int        // their outcomes that came
	confirmed int        // their own RECEIPT came
	lost      int        // settled unconfirmed after their frame may have left (outcome unknown)
	firstBad  int        // the first message settled unconfirmed (1-based; 0: none)
	badErr    error      // its outcome
	lastMove  time.Time  // the last outcome, or the start
}

// inFlight is a message the outbox took.
type inFlight struct {
	i       int // 1-based
	at      time.Time
	traceID string // with --trace
	settled bool
}

// windowResult is a message's outcome, from its done callback.
type windowResult struct {
	i   int
	err error
}

// windowTimeout is the outcome of the oldest message in flight that had
// no answer within --timeout of its send or of the outcome before it.
type windowTimeout struct{ after time.Duration }

func (e *windowTimeout) Error() string {
	return fmt.Sprintf("stomp: no RECEIPT within %v (--timeout)", e.after)
}
func (e *windowTimeout) Unwrap() error { return api.ErrReceiptTimeout }

// run sends the messages, keeping up to size in flight, and ends the run:
// it disconnects and returns nil once every message was confirmed, or
// says how far it got.
func (r *windowRun) run() error {
	r.results = make(chan windowResult, r.size)
	r.lastMove = time.Now()
	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	var ready chan struct{} // closed: --count has a message to send now
	if r.records == nil {
		ready = make(chan struct{})
		close(ready)
	}
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
		var take <-chan record
		var now <-chan struct{}
		if reading && len(r.flight) < r.size {
			if r.records != nil {
				take = r.records
			} else if i < r.count {
				now = ready
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
			if err := r.send(i, r.body); err != nil {
				stop, reading = err, false
			} else if i == r.count {
				reading, inputEnded = false, true
			}
		case rec, open := <-take:
			switch {
			case !open:
				reading, inputEnded = false, true
			case rec.err != nil:
				stop, reading = rec.err, false
			default:
				i++
				if err := r.send(i, rec.body); err != nil {
					stop, reading = err, false
				}
			}
		case <-timer.C:
			if len(r.flight) == 0 {
				timer.Reset(r.timeout)
				continue
			}
			deadline := r.flight[0].at
			if r.lastMove.After(deadline) {
				deadline = r.lastMove
			}
			deadline = deadline.Add(r.timeout)
			if wait := time.Until(deadline); wait > 0 {
				timer.Reset(wait)
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
	f := inFlight{i: i}
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
	r.flight = append(r.flight, f)
	r.accepted++
	return nil
}

// settle records a message's outcome.
func (r *windowRun) settle(res windowResult) {
	r.lastMove = time.Now()
	r.settled++
	k := res.i - r.flight[0].i
	r.flight[k].settled = true
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

// drain waits, bounded by settleWait, for the outcomes of the messages
// still in flight once the connection was left or closed, which settles
// them all.
func (r *windowRun) drain() {
	deadline := time.NewTimer(settleWait)
	defer deadline.Stop()
	for len(r.flight) > 0 {
		select {
		case res := <-r.results:
			r.settle(res)
		case <-deadline.C:
			return
		}
	}
}

// pending counts the messages taken and not settled.
func (r *windowRun) pending() int { return r.accepted - r.settled }

// fail ends a run that stopped at an error (stop, or a message's own
// outcome): it leaves (after a server ERROR, as send.go does, or with
// nothing in flight) or closes the client, which settles the messages in
// flight at once, and says which was the first not confirmed.
func (r *windowRun) fail(stop error, serverError bool) error {
	if serverError || r.pending() == 0 {
		_ = r.w.leave(r.ctx, r.s, true)
	} else {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), settleWait)
		_ = r.s.CloseContext(cctx)
		cancel()
	}
	r.drain()
	r.p.done()
	first, err := r.firstBad, r.badErr
	if len(r.flight) > 0 && (first == 0 || r.flight[0].i < first) {
		first, err = r.flight[0].i, stop
	}
	if err == nil {
		err = stop
	}
	switch {
	case first > 0 && !serverError && sentAnyway(err):
		err = unconfirmedAtLeastOnce(err, first)
	case first > 0:
		err = &reworded{msg: fmt.Sprintf("message %d not confirmed: %s", first, errorLine(r.w.or(err))), err: err}
	default:
		err = r.w.or(err)
	}
	return r.failed(r.confirmed, err)
}

// interrupted ends a run a signal stopped: it leaves, letting the
// messages in flight settle (Disconnect waits for the outbox first,
// within DisconnectTimeout), and prints how far it got (leaveInterrupted).
func (r *windowRun) interrupted(stop error, unread bool) error {
	r.p.done()
	if stop != nil && !sentAnyway(stop) && !errors.Is(stop, api.ErrCanceled) && !errors.Is(stop, api.ErrTimeout) {
		fmt.Fprintln(r.stderr, "stomp: "+errorLine(r.w.or(stop)))
	}
	cut := interruption{receipt: true, reconnect: r.reconnect, unread: r.records != nil && unread}
	cut.settle = func(in *interruption) {
		r.drain()
		in.sent = r.confirmed
		in.unconfirmed = r.lost + r.pending()
	}
	leaveInterrupted(r.ctx, r.w, r.s, r.stderr, cut)
	return r.ctx.Err()
}
