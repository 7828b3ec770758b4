package api

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Sending messages: SendMessage and SendData, and what they share.

// SendMessage sends text to destination with ContentType (text/plain when
// ContentType is empty), the custom headers and TransactionID. With
// RequestReceipts it waits for the broker's RECEIPT, so that nil means the
// broker has the message; with AtLeastOnce it waits for that RECEIPT in
// the outbox (see AtLeastOnce); otherwise it returns once the message is
// queued, waiting for room in a full outgoing queue. Each wait is bounded
// by Timeout.
//
// With Timeout 0 (and no deadline on the context) it does not wait, as no
// call does then: with RequestReceipts or AtLeastOnce too, nil means only
// that the message is queued, not that the broker confirmed it (with
// AtLeastOnce it is in the outbox, which keeps it and sends it again
// until its RECEIPT). Its outcome goes to OnError: an ERROR that refuses
// it (naming its receipt), a missing RECEIPT (ErrReceiptTimeout, after
// DefaultTimeout; an at-least-once message has no such deadline) or the
// connection's end before the answer (for good, with AtLeastOnce); an
// at-least-once message's report names its call, destination and
// DedupHeader id. To be told each message's confirmation with
// Timeout 0, send with SendDataAsync (at least once, whatever the
// AtLeastOnce setting), whose done callback hears the RECEIPT, or give the call a context with a deadline
// (SendMessageContext), which it then waits for, Timeout 0 or not. With
// Timeout 0 and a full queue (the outbox, with AtLeastOnce) it returns
// ErrWouldBlock. With Timeout 0 it
// never overtakes the calls queued before it: while one waits or runs
// (BeginTransaction, say, for a message that joins the transaction), the
// message is queued after it, and a failure to send it reaches OnError.
func (s *STOMP) SendMessage(destination, text string) error {
	return s.SendMessageContext(context.Background(), destination, text)
}

// SendMessageContext is SendMessage bounded by ctx as well.
func (s *STOMP) SendMessageContext(ctx context.Context, destination, text string) error {
	return s.send(ctx, sendCall{name: "SendMessage", defType: "text/plain"}, nil, destination, []byte(text))
}

// SendData sends data to destination like SendMessage, with ContentType
// (no content-type header when it is empty). data is copied. As for
// SendMessage, with Timeout 0 and no deadline on the context a nil means
// queued, not confirmed, even with RequestReceipts or AtLeastOnce: the
// outcome goes to OnError, and a full queue (or outbox) is ErrWouldBlock.
func (s *STOMP) SendData(destination string, data []byte) error {
	return s.SendDataContext(context.Background(), destination, data)
}

// SendDataContext is SendData bounded by ctx as well.
func (s *STOMP) SendDataContext(ctx context.Context, destination string, data []byte) error {
	return s.send(ctx, sendCall{name: "SendData", callersBody: true}, nil, destination, data)
}

// sendCall says which call a send is. The options of Send go beside it,
// not in it: a pointer in a struct whose strings reach an error would
// escape with them, and cost Send an allocation.
type sendCall struct {
	name    string // the call, for errors
	defType string // the content-type when none is set ("": none)
	// callersBody: the body is the caller's slice (SendData, Send), not
	// a copy made for the call (SendMessage's text).
	callersBody bool
}

// send sends a message; opts are Send's, for this message alone (nil:
// the properties only).
func (s *STOMP) send(ctx context.Context, c sendCall, opts *SendOptions, destination string, body []byte) error {
	if err := s.endedOnEntry(ctx, c.name); err != nil {
		return err
	}
	f, eng, cfg, err := s.sendFrame(c, opts, destination, body, false)
	if err != nil {
		return err
	}
	// A frame that outlives this call (in the outbox, or in a call that
	// Timeout 0 runs later) keeps a body of its own; otherwise the engine
	// encodes f before it returns (or copies it), so body is the caller's
	// again then and f is free for the next message.
	later := s.sendsLater(ctx, &cfg)
	t := s.tracer.Load()
	// The common send is checked by TrySend as it encodes the frame
	// (sendNow); any other is checked here, before it is kept or traced.
	if cfg.atLeastOnce || later || cfg.requestReceipts || t != nil {
		if err := s.checkSend(c.name, eng, f); err != nil {
			return err
		}
	}
	if (cfg.atLeastOnce || later) && c.callersBody {
		f.Body = bytes.Clone(body)
	}
	if cfg.atLeastOnce {
		if noWait(ctx, cfg.timeout) {
			return s.sendQueued(ctx, eng, f, cfg) // atleastonce_queued.go
		}
		return s.sendReliable(ctx, eng, f, cfg)
	}
	if t != nil {
		err = t.sendNow(ctx, s, eng, f, cfg, later) // tracing_spans.go
	} else {
		err = s.sendNow(ctx, eng, f, cfg)
	}
	if !later {
		freeSendFrame(f)
	}
	return err
}

// sendsLater reports whether sendNow leaves the send to a call that runs
// after it returns, on the queue of calls that do not wait (see call):
// with Timeout 0 and no deadline, one that waits for a RECEIPT, or any
// while calls queued before it wait or run (BEGIN, say, for the message
// that joins its transaction), which it must not overtake. It records the
// latter in cfg.behindCalls. The common send (Timeout set, or nothing
// queued) goes straight to the writer.
func (s *STOMP) sendsLater(ctx context.Context, cfg *sendOptions) bool {
	if cfg.timeout > 0 {
		return false
	}
	if ctx != nil {
		if _, ok := ctx.Deadline(); ok {
			return false
		}
	}
	if cfg.requestReceipts {
		return true
	}
	q := s.calls.Load()
	cfg.behindCalls = q != nil && q.busy()
	return cfg.behindCalls
}

// sendFrame builds the SEND frame of a message from the settings and,
// for Send, the message's own options (opts, checked already by
// SendOptions.check). Its headers are not checked against the
// connection's version yet: see checkSend. An at-least-once message (reliable, or with
// AtLeastOnce) may be sent while the client reconnects: it waits in the
// outbox.
func (s *STOMP) sendFrame(c sendCall, opts *SendOptions, destination string, body []byte, reliable bool) (*frames.Frame, *actors.Conn, sendOptions, error) {
	if destination == "" {
		return nil, nil, sendOptions{}, invalid("a message needs a destination")
	}
	cfg, eng, err := s.sendSettings()
	cfg.call = c.name
	switch {
	case err != nil:
	case eng == nil:
		err = ErrNotConnected
	case !reliable && !cfg.atLeastOnce && eng.State() != actors.Connected:
		err = ErrNotConnected // only the outbox keeps a message until connected
	}
	if err != nil {
		return nil, nil, sendOptions{}, err
	}
	f := newSendFrame(destination)
	if ct := cfg.contentType; ct != "" {
		f.Headers.Add(frames.HdrContentType, ct)
	} else if c.defType != "" {
		f.Headers.Add(frames.HdrContentType, c.defType)
	}
	tx := cfg.transactionID
	if opts != nil {
		tx = opts.TransactionID // Send reads no TransactionID property
	}
	if tx != "" {
		f.Headers.Add(frames.HdrTransaction, tx)
	}
	// Every custom header goes out, in list order, repeats included (the
	// reference's list; STOMP 1.2 receivers keep the first of a key). The
	// first custom content-type takes the place of the client's own.
	typed := false
	for _, h := range cfg.headers {
		if h.Key == frames.HdrContentType && !typed {
			typed = true
			f.Headers.Set(h.Key, h.Value)
			continue
		}
		f.Headers.Add(h.Key, h.Value)
	}
	if opts != nil {
		opts.apply(&f.Headers) // sendwith.go: the message's own win
	}
	f.Body = body
	return f, eng, cfg, nil
}

// checkSend refuses f, a SEND built by sendFrame, when a header cannot be
// written in the connection's version (nothing is checked before the
// version is known: the outbox encodes it once connected).
func (s *STOMP) checkSend(call string, eng *actors.Conn, f *frames.Frame) error {
	if info, ok := eng.Info(); ok {
		return checkFrame(call, info.Version, f)
	}
	return nil
}

// sendNow queues f for the writer (waiting for its RECEIPT with
// RequestReceipts).
func (s *STOMP) sendNow(ctx context.Context, eng *actors.Conn, f *frames.Frame, cfg sendOptions) error {
	if cfg.behindCalls {
		// Timeout 0, calls queued: queued after them. There it waits for
		// room in the outgoing queue, as long as a receipt would.
		return s.call(ctx, cfg.call, 0, CodeOther, reporting(cfg.outcome, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
			defer cancel()
			return eng.Send(ctx, f, 0, false)
		}))
	}
	if !cfg.requestReceipts {
		// The common case: room in the outgoing queue, nothing to wait for.
		// TrySend refuses a frame it cannot encode, as checkSend would.
		if queued, err := eng.TrySend(f); err != nil {
			return s.sendRefused(cfg.call, err)
		} else if queued {
			return nil
		}
		if err := s.checkSend(cfg.call, eng, f); err != nil {
			return err
		}
	}
	if cfg.requestReceipts {
		// Not cfg itself in the closure: it would move cfg to the heap,
		// and cost every send an allocation.
		timeout := cfg.timeout
		return s.callCausing(ctx, cfg.call, timeout, cfg.idle(eng), CodeOther, sendCauses, reporting(cfg.outcome, func(ctx context.Context) error {
			return eng.Send(ctx, f, receiptWait(ctx, timeout), true)
		}))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if _, ok := ctx.Deadline(); !ok && cfg.timeout == 0 {
		// Do not wait: queue it if there is room, else say so.
		done, cancel := context.WithCancel(ctx)
		cancel()
		if err := eng.Send(done, f, 0, false); err != nil {
			if ctx.Err() == nil && err == context.Canceled {
				return newError(CodeWouldBlock, "the outgoing queue is full (Timeout is 0); wait for OnReadyToSend")
			}
			return s.err(err, CodeOther)
		}
		return nil
	}
	return s.callWriting(ctx, cfg.call, cfg.timeout, cfg.idle(eng), CodeOther, func(ctx context.Context) error {
		return eng.Send(ctx, f, 0, false)
	})
}

// sendFrames holds SEND frames between messages, each with the room for
// headers it grew to: a message that the engine encodes at once costs no
// allocation. A frame goes back once the engine is done with it, which is
// when Send or TrySend returns (the engine encodes a plain frame into the
// writer's buffer, and copies any frame it must keep); one that goes to
// the outbox is the outbox's and never comes back.
var sendFrames = sync.Pool{New: func() any { return new(frames.Frame) }}

// newSendFrame returns a SEND frame to destination, from sendFrames.
func newSendFrame(destination string) *frames.Frame {
	f := sendFrames.Get().(*frames.Frame)
	f.Command = frames.CmdSend
	f.Headers = append(f.Headers[:0], frames.Header{Key: frames.HdrDestination, Value: destination})
	return f
}

// freeSendFrame gives f back to sendFrames: nothing may use it afterwards.
func freeSendFrame(f *frames.Frame) {
	clear(f.Headers[:cap(f.Headers)]) // keep no header strings alive
	f.Headers = f.Headers[:0]
	f.Body = nil
	sendFrames.Put(f)
}

// sendOptions are the settings a send reads: a few fields, read under the
// lock, rather than a copy of the whole configuration per message.
type sendOptions struct {
	call                       string // SendMessage, SendData, Send...: for the errors of a send that runs later
	contentType, transactionID string
	headers                    []Header // only ever appended to or replaced, so safe to range over
	timeout                    time.Duration
	absoluteTimeout            bool
	requestReceipts            bool
	atLeastOnce                bool
	outbox                     actors.OutboxConfig
	// behindCalls: with Timeout 0, calls that do not wait were queued
	// before this send, so it goes on their queue (set by sendsLater).
	behindCalls bool
	// outcome, when set, hears how a send left to a later call ended
	// (the message's producer span ends there).
	outcome func(error)
}

// reporting returns fn, which sends a message, telling outcome (a
// sendOptions') how it ended when there is an outcome to tell.
func reporting(outcome func(error), fn func(context.Context) error) func(context.Context) error {
	if outcome == nil {
		return fn
	}
	return func(ctx context.Context) error {
		err := fn(ctx)
		outcome(err)
		return err
	}
}

// sendSettings returns, under one lock, the settings a send reads and the
// client's connection (as engine does: ErrClosed once closed, nil before
// the first Connect).
func (s *STOMP) sendSettings() (sendOptions, *actors.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sendOptions{}, nil, ErrClosed
	}
	c := &s.cfg
	return sendOptions{contentType: c.contentType, transactionID: c.transactionID, headers: c.headers, timeout: c.timeout,
		absoluteTimeout: c.absoluteTimeout, requestReceipts: c.requestReceipts, atLeastOnce: c.rare.atLeastOnce.Enabled, outbox: c.outboxConfig()}, s.eng, nil
}

// idle returns eng when a send's wait is an inactivity one (AbsoluteTimeout
// false), for callWriting; else nil.
func (o *sendOptions) idle(eng *actors.Conn) *actors.Conn {
	if o.absoluteTimeout {
		return nil
	}
	return eng
}
