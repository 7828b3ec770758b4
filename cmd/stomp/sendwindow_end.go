package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stompactor/stompactor/api"
)

// How a windowed send (sendwindow.go) ends when not every message was
// confirmed: failed, or interrupted.

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
	first, err := r.firstUnconfirmed(stop)
	switch {
	case first > 0 && !serverError && sentAnyway(err):
		err = unconfirmedAtLeastOnce(err, first)
	case first > 0:
		err = &reworded{msg: fmt.Sprintf("message %d not confirmed: %s", first, errorLine(r.w.or(err))), err: err}
	case serverError && r.confirmed == r.accepted:
		// An ERROR that named no message: every one sent was confirmed.
		err = &reworded{msg: fmt.Sprintf("%s (all %d messages sent were confirmed)", errorLine(r.w.or(err)), r.confirmed), err: err}
	default:
		err = r.w.or(err)
	}
	return r.failed(r.confirmed, err)
}

// firstUnconfirmed is the first message (1-based; 0: none) that was sent
// and not confirmed, whether its outcome came or it is still in flight,
// and why (stop for one in flight). With a window the messages after it
// may have been confirmed: a script resumes from it, not from the count.
func (r *windowRun) firstUnconfirmed(stop error) (int, error) {
	first, err := r.firstBad, r.badErr
	if len(r.flight) > 0 && (first == 0 || r.flight[0].i < first) {
		first, err = r.flight[0].i, stop
	}
	if err == nil {
		err = stop
	}
	return first, err
}

// interrupted ends a run a signal stopped: it leaves, letting the
// messages in flight settle (Disconnect waits for the outbox first,
// within DisconnectTimeout), and prints how far it got (leaveInterrupted).
// The progress line ("sent N/M") is printed once the messages in flight
// have settled, so that it counts as confirmed what the line after it
// does.
func (r *windowRun) interrupted(stop error, unread bool) error {
	cut := interruption{receipt: true, reconnect: r.reconnect, unread: r.records != nil && unread}
	cut.settle = func(in *interruption) {
		r.drain()
		r.p.done()
		if stop != nil && !sentAnyway(stop) && !errors.Is(stop, api.ErrCanceled) && !errors.Is(stop, api.ErrTimeout) {
			fmt.Fprintln(r.stderr, "stomp: "+errorLine(r.w.or(stop)))
		}
		in.sent = r.confirmed
		in.unconfirmed = r.lost + r.pending()
		in.firstUnconfirmed, _ = r.firstUnconfirmed(stop)
	}
	leaveInterrupted(r.ctx, r.w, r.s, r.stderr, cut)
	return r.ctx.Err()
}
