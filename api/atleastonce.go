package api

import (
	"context"
	"errors"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"go.opentelemetry.io/otel/trace"
)

// AtLeastOnce makes publishing survive a lost connection.
//
// What it guarantees: every message whose send returned nil (or whose
// SendDataAsync callback got nil) was confirmed by the broker with its own
// RECEIPT. A message the outbox took is kept there until that RECEIPT
// comes, an ERROR frame names its receipt, or the connection ends for
// good (Close, Disconnect, a lost connection without a Reconnect policy,
// the policy giving up); no timer drops it. When the connection ends
// first and the Reconnect policy brings it back, the message is sent
// again, in order with the others, after every reconnect; a message sent
// while the client reconnects waits in the outbox instead of failing.
//
// What it does not: the outbox lives in memory, so a crash of the process
// loses what it holds; a message can arrive twice (the broker had it and
// its RECEIPT was lost with the connection), so consumers that care drop
// copies by DedupHeader; surviving a broker restart also needs the
// broker's persistence (persistent:true on RabbitMQ and ActiveMQ). A
// message that joins a transaction is refused (resent alone, it would
// leave its transaction): commit transactions with receipts instead.
//
// What it costs: a RECEIPT per message, and the outbox's memory (MaxOutbox
// messages at most). A synchronous send waits for its RECEIPT, a broker
// round trip; SendDataAsync does not, so throughput stays high. A full
// outbox is backpressure: a send waits for room (bounded by Timeout or the
// caller's context, ErrTimeout or ErrCanceled when it ends, and nothing
// was taken), so a broker that stops confirming holds its senders back
// rather than losing their messages.
//
// With Timeout 0 and no deadline on the context a send does not wait, as
// no call does then (see "Calls and timeouts" in the package
// documentation): SendMessage, SendData and Send return nil once the
// outbox took the message, which means queued, not confirmed (it stays in
// the outbox and is sent, again after every reconnect, until its RECEIPT),
// and its failure (an ERROR naming its receipt, the connection's end for
// good) reaches OnError naming it: the call, the destination and, with a
// DedupHeader, the message's id, with the failure's code (and an ERROR's
// headers and body). A full outbox then makes every send, SendDataAsync
// too, return ErrWouldBlock at once, nothing taken. A context with a
// deadline makes a send wait as above, Timeout 0 or not.
//
// A synchronous send whose wait (Timeout or the caller's context) ends
// before the RECEIPT, once the outbox took the message, returns
// ErrReceiptTimeout (the deadline passed) or ErrOutcomeUnknown (the
// context was canceled), as a RequestReceipts send whose frame was
// written does: the message may have reached the broker, and it stays in
// the outbox and is still sent (again, after every reconnect) until one
// of the ends above, so do not send it again; its later outcome is not
// told (use SendDataAsync to hear it). ErrTimeout, ErrCanceled and
// ErrWouldBlock mean the outbox never took it (it was full, say).
type AtLeastOnce struct {
	// Enabled makes SendMessage and SendData at-least-once. Default false.
	Enabled bool
	// MaxOutbox bounds the messages waiting for their RECEIPT; a send
	// waits for room (with Timeout 0 and no context deadline it returns
	// ErrWouldBlock instead). Fixed at the client's first at-least-once
	// send. Default 1024.
	MaxOutbox int
	// DedupHeader, when set, names a header every at-least-once message
	// carries with an id unique to it and kept across resends. It cannot
	// be one of the headers the client writes itself (destination,
	// transaction, receipt, content-length, subscription, id, ack,
	// message-id), which AddHeader refuses too, nor content-type, which
	// the client fills from ContentType: ErrInvalidArgument. Default
	// none.
	DedupHeader string
}

// WithAtLeastOnce sets at-least-once publishing (the AtLeastOnce,
// MaxOutbox and DedupHeader settings). Default off.
func WithAtLeastOnce(a AtLeastOnce) Option {
	return setOpt("AtLeastOnce", func(c *config, a AtLeastOnce) error {
		if err := checkDedupHeader(a.DedupHeader); err != nil {
			return err
		}
		return c.all(
			func(c *config) error { c.rareW().atLeastOnce.Enabled = a.Enabled; return nil },
			func(c *config) error { return c.setMaxOutbox(a.MaxOutbox) },
			func(c *config) error { c.rareW().atLeastOnce.DedupHeader = a.DedupHeader; return nil },
		)
	}, a)
}

// checkDedupHeader refuses a DedupHeader that cannot be encoded, or that
// names one of the client's own headers (actors.OwnHeader, the rule
// AddHeader applies) or content-type: the de-duplication id would replace
// the message's destination or its content type, say, or be replaced by
// each transmission's receipt id.
func checkDedupHeader(name string) error {
	if actors.OwnHeader(name) || name == frames.HdrContentType {
		return invalid("DedupHeader %q is set by the client; a de-duplication id cannot replace it", name)
	}
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case 0, '\r', '\n', ':':
			return invalid("DedupHeader %q cannot be a header name", name)
		}
	}
	return nil
}

// outboxConfig is the engine's view of the at-least-once settings.
func (c *config) outboxConfig() actors.OutboxConfig {
	return actors.OutboxConfig{Max: c.rare.atLeastOnce.MaxOutbox, DedupHeader: c.rare.atLeastOnce.DedupHeader}
}

// SendDataAsync sends data to destination like SendData, but returns once
// the message is in the outbox (waiting for room, bounded by ctx and
// Timeout: a full outbox holds its senders back; ErrTimeout or ErrCanceled
// then, and done is never called; with Timeout 0 and no deadline on ctx
// it does not wait: a full outbox is ErrWouldBlock at once, and done is
// never called) and calls done once with its outcome:
//   - nil when the broker confirmed it with its own RECEIPT;
//   - ErrServer (code 600) when an ERROR frame named its receipt;
//   - ErrOutcomeUnknown (210) when the connection ended for good (Close,
//     Disconnect, a loss without a Reconnect policy, the policy giving up)
//     after the message was written and before its answer;
//   - the reason the connection ended (ErrConnectionLost, ErrClosed,
//     ErrInterrupted, a broker's ERROR) when it ended for good before the
//     message was written, or ErrNotConnected when it was sent while the
//     client was neither connected nor reconnecting, or disconnecting;
//   - ErrInvalidArgument when the negotiated version cannot carry one of
//     its headers.
//
// Until then the message stays in the outbox, whatever the time it takes
// (no deadline ends it), and is sent again after every reconnect. It is
// at-least-once whatever the AtLeastOnce setting.
// done runs on a goroutine of the engine, in the order the broker
// answers, and must return quickly: hand the outcome on (to a channel,
// say) rather than call the client from it. A done that panics or ends
// its goroutine (runtime.Goexit) is reported with OnError and counted in
// Stats.Panics; the client goes on. data is copied.
func (s *STOMP) SendDataAsync(ctx context.Context, destination string, data []byte, done func(error)) error {
	return s.sendAsync(ctx, sendCall{name: "SendDataAsync"}, nil, destination, append([]byte(nil), data...), done)
}

// SendMessageAsync is SendDataAsync for text, with ContentType (text/plain
// when empty), like SendMessage.
func (s *STOMP) SendMessageAsync(ctx context.Context, destination, text string, done func(error)) error {
	return s.sendAsync(ctx, sendCall{name: "SendMessageAsync", defType: "text/plain"}, nil, destination, []byte(text), done)
}

// sendAsync hands a message to the outbox; body is the message's own (a
// copy of the caller's).
func (s *STOMP) sendAsync(ctx context.Context, c sendCall, opts *SendOptions, destination string, body []byte, done func(error)) error {
	if err := s.endedOnEntry(ctx, c.name); err != nil {
		return err
	}
	f, eng, cfg, err := s.sendFrame(c, opts, destination, body, true)
	if err != nil {
		return err
	}
	if err := s.checkSend(c.name, eng, f); err != nil {
		return err
	}
	return s.reliable(ctx, eng, f, cfg, s.tracer.Load(), func(err error) {
		if done != nil {
			done(s.err(err, CodeOther))
		}
	})
}

// sendReliable is SendMessage and SendData with AtLeastOnce: they wait for
// the outcome, bounded by ctx and Timeout (with Timeout 0 and no deadline
// they do not wait: sendQueued). A send whose wait ends first
// stays in the outbox: its message may still be confirmed later
// (waitEndedInOutbox).
func (s *STOMP) sendReliable(ctx context.Context, eng *actors.Conn, f *frames.Frame, cfg sendOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	outcome := make(chan error, 1)
	// Its done only hands the outcome on, so the engine calls it itself,
	// never behind other senders' done callbacks. The span, with tracing,
	// is this goroutine's to end (user code: the TracerProvider's).
	cfg.outbox.InlineDone = true
	if err := checkReliable(f); err != nil {
		return err // refused before any span starts
	}
	var span trace.Span
	t := s.tracer.Load()
	if t != nil {
		span = t.startReliable(ctx, s, f, &cfg)
	}
	end := func(err error) error {
		if span != nil {
			endSend(span, err, s.scrub)
		}
		return s.err(err, CodeOther)
	}
	if err := s.reliable(ctx, eng, f, cfg, nil, func(err error) { outcome <- err }); err != nil {
		return end(err)
	}
	select {
	case err := <-outcome:
		s.awaitHandlers(ctx, sendCauses)
		return end(err)
	case <-ctx.Done():
		select {
		case err := <-outcome: // the outcome came too
			return end(err)
		default:
		}
		if span != nil {
			// The span ends with the message's outcome, which comes
			// with its RECEIPT or ERROR, or when the connection ends
			// for good, at the latest when the client closes (Close
			// settles the outbox, then waits for it: tracer.late).
			t.late.add()
			go func() {
				defer t.late.done()
				_ = end(<-outcome)
			}()
		}
		return waitEndedInOutbox(ctx.Err())
	}
}

// waitEndedInOutbox is the error of an at-least-once send whose wait
// (Timeout or the caller's context) ended after the outbox took its
// message, which may be written already and is sent (again) until its
// RECEIPT comes: like a RequestReceipts send whose wait ends once its
// frame was written, ErrReceiptTimeout when the deadline passed,
// ErrOutcomeUnknown when the context was canceled. Neither is ErrTimeout
// nor ErrCanceled, which say nothing was written: sending the message
// again would make another copy.
func waitEndedInOutbox(cause error) *Error {
	const kept = "; the message stays in the outbox and is sent until the broker confirms it"
	if errors.Is(cause, context.DeadlineExceeded) {
		return actors.NewError(CodeReceiptTimeout, "stomp: no receipt before the deadline"+kept, cause)
	}
	return actors.NewError(CodeOutcomeUnknown, "stomp: the wait ended after the outbox took the message ("+cause.Error()+"); outcome unknown"+kept, cause)
}

// checkReliable refuses an at-least-once message that joins a
// transaction.
func checkReliable(f *frames.Frame) error {
	if f.Headers.Has(frames.HdrTransaction) {
		return invalid("an at-least-once message cannot join transaction %q: resent alone it would leave it (commit transactions with receipts instead)", f.Header(frames.HdrTransaction))
	}
	return nil
}

// reliable hands f to the outbox, waiting for room bounded by ctx and
// Timeout, or not at all with Timeout 0 and no deadline (a full outbox is
// ErrWouldBlock then); a transacted message is refused. With t
// (the tracer, read once by the caller) the message has a span that ends
// at done.
func (s *STOMP) reliable(ctx context.Context, eng *actors.Conn, f *frames.Frame, cfg sendOptions, t *tracer, done func(error)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if cfg.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
			defer cancel()
		}
	} else if noWait(ctx, 0) {
		// Timeout 0 and no deadline: the call does not wait, for room
		// either; a full outbox is ErrWouldBlock.
		cfg.outbox.NoWait = true
	}
	if err := checkReliable(f); err != nil {
		return err
	}
	if t != nil {
		return t.sendReliable(ctx, s, eng, f, cfg, done) // its span ends at done
	}
	return s.err(eng.SendReliable(ctx, f, cfg.outbox, done), CodeOther)
}

// Settings beyond the reference: at-least-once publishing. AtLeastOnce
// and DedupHeader may change while connected: each send reads them, and
// a message in the outbox keeps the id it was given. MaxOutbox sizes the
// outbox, made at the first at-least-once send.
var atLeastOnceSettings = []setting{
	rareBoolSetting("AtLeastOnce", false, func(r *rareConfig) *bool { return &r.atLeastOnce.Enabled }),
	intSetting(maxOutboxBound, true, func(c *config) int { return c.rare.atLeastOnce.MaxOutbox }, (*config).setMaxOutbox),
	{name: "DedupHeader",
		get: configGet(func(c *config) string { return c.rare.atLeastOnce.DedupHeader }),
		set: func(c *config, v string) error {
			if err := checkDedupHeader(v); err != nil {
				return err
			}
			c.rareW().atLeastOnce.DedupHeader = v
			return nil
		}},
}

// maxOutboxBound bounds MaxOutbox (0: the default, 1024).
var maxOutboxBound = intBound{name: "MaxOutbox", min: 0, max: 1 << 20, meaning: "a number of messages (0: 1024)"}

func (c *config) setMaxOutbox(n int) error {
	return setInt(&c.rareW().atLeastOnce.MaxOutbox, maxOutboxBound, n)
}
