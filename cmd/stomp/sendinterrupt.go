package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/stompactor/stompactor/api"
)

// interruptGrace bounds what send still does after the first SIGINT or
// SIGTERM before it disconnects: finish the message on its way (its
// RECEIPT, with --receipt) and, with --lines or --null from a pipe or a
// file, send the records the input still holds up to its end (the
// program upstream got the same Ctrl-C, so the pipe ends soon), without
// a RECEIPT each (DISCONNECT's confirms them). The
// DISCONNECT after it (with --transaction the ABORT before it too) is
// bounded by DisconnectTimeout. A second signal
// ends the run at once (run restores the default action).
const interruptGrace = 5 * time.Second

// graceAfter returns a context that ends grace after ctx ends (never
// before), for the work a signal lets finish, and the function that
// releases it.
func graceAfter(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return work, func() { stop(); cancel() }
}

// inputIsTerminal reports whether r is a file open on a terminal: input
// typed by hand is not waited for once the run is interrupted.
func inputIsTerminal(r io.Reader) bool {
	f, ok := r.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// interruption is what an interrupted send did, for the line it prints.
type interruption struct {
	receipt     bool   // --receipt or --reconnect: each message confirmed by its own RECEIPT
	reconnect   bool   // --reconnect: DISCONNECT may go out on another connection than the messages, so its RECEIPT confirms none
	transaction string // --transaction: left uncommitted
	sent        int    // confirmed with --receipt or --reconnect; else handed to the client (written or queued)
	unconfirmed int    // with --receipt or --reconnect: written (or taken to be) without their RECEIPT (the message cut short, the input's remainder sent after the signal)
	unread      bool   // --lines or --null cut before the end of the input: what it still holds was not sent
	// firstUnconfirmed (--window): the first message (1-based) sent and
	// not confirmed, 0 for none. Messages after it may have been
	// confirmed, so it, not sent, is where a script resumes.
	firstUnconfirmed int
	// settle, when set, fills in sent and unconfirmed once DISCONNECT is
	// answered (--window: the messages in flight settle by then).
	settle func(*interruption)
}

// sentAnyway reports whether err, from a send whose wait the interrupt or
// the end of the grace cut short, leaves a frame that was written or
// taken to be: the broker may have it.
func sentAnyway(err error) bool {
	return errors.Is(err, api.ErrOutcomeUnknown) || errors.Is(err, api.ErrReceiptTimeout)
}

// leaveInterrupted ends an interrupted send: it aborts the transaction,
// disconnects asking for DISCONNECT's RECEIPT (which comes once the broker
// has taken every frame before it, so "sent" means the broker has them)
// and prints one line on stderr saying how far the run got. The run's
// exit code is the signal's (run), so the line is all a script has to
// resume from.
func leaveInterrupted(ctx context.Context, w *watch, s *api.STOMP, stderr io.Writer, in interruption) {
	// The signal canceled ctx; DISCONNECT is bounded by
	// DisconnectTimeout.
	leaveCtx := context.WithoutCancel(ctx)
	if in.transaction != "" {
		// The ABORT and the DISCONNECT share that bound: behind a
		// socket the broker stopped reading, the ABORT would otherwise
		// wait for its place for the whole --timeout. It is not needed
		// anyway: the broker drops an uncommitted transaction when the
		// connection ends.
		if d := disconnectTimeout(s); d > 0 {
			var cancel context.CancelFunc
			leaveCtx, cancel = context.WithTimeout(leaveCtx, d)
			defer cancel()
		}
		_ = s.AbortTransactionContext(leaveCtx, in.transaction)
	}
	err := w.disconnect(leaveCtx, s)
	if err == nil {
		err = w.serverError()
	}
	if in.settle != nil {
		in.settle(&in)
	}
	fmt.Fprintln(stderr, "stomp: "+interruptedLine(in, err))
}

// disconnectTimeout is the client's DisconnectTimeout (0: none set, the
// client's Timeout bounds DISCONNECT).
func disconnectTimeout(s *api.STOMP) time.Duration {
	v, err := s.Config("DisconnectTimeout")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// interruptedLine is what leaveInterrupted prints, given DISCONNECT's
// outcome (nil: the broker confirmed it), saying when the input's records
// not yet read were not sent.
func interruptedLine(in interruption, disconnect error) string {
	line := cutLine(in, disconnect)
	if in.receipt && in.transaction == "" && in.firstUnconfirmed > 0 {
		line += fmt.Sprintf("; the first not confirmed is message %d", in.firstUnconfirmed)
	}
	if in.unread {
		line += "; the input not yet read was not sent"
	}
	return line
}

func cutLine(in interruption, disconnect error) string {
	if in.transaction != "" {
		return fmt.Sprintf("interrupted: %d messages sent in transaction %s, not committed (none of them is delivered)",
			in.sent+in.unconfirmed, in.transaction)
	}
	why := ""
	if disconnect != nil {
		why = strings.TrimPrefix(errorLine(disconnect), "stomp: ")
	}
	if in.receipt {
		if in.unconfirmed > 0 && disconnect == nil && !in.reconnect {
			return fmt.Sprintf("interrupted: %d confirmed, %d sent but not confirmed by their own RECEIPT (the broker confirmed DISCONNECT, which it answers after the frames before it)",
				in.sent, in.unconfirmed)
		}
		return fmt.Sprintf("interrupted: %d confirmed, %d sent but not confirmed (may or may not have arrived)", in.sent, in.unconfirmed)
	}
	if disconnect == nil {
		return fmt.Sprintf("interrupted: %d sent, all confirmed by the broker's RECEIPT for DISCONNECT", in.sent)
	}
	return fmt.Sprintf("interrupted: %d sent, not confirmed: the broker did not confirm DISCONNECT (%s), so some may not have arrived", in.sent, why)
}
