package api

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// listWait bounds the quick internal requests (listing subscriptions or
// transactions, automatic acknowledgements) when Timeout is 0 or shorter.
const listWait = 5 * time.Second

// receiptWait is how long to wait for a RECEIPT: nine tenths of the time
// left before ctx's deadline (so that a missing receipt is reported as
// ErrReceiptTimeout rather than as the call's timeout), or Timeout, or
// DefaultTimeout when Timeout is 0.
func receiptWait(ctx context.Context, timeout time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d)*9/10, time.Millisecond)
	}
	if timeout > 0 {
		return timeout
	}
	return DefaultTimeout
}

// Connect connects to the broker at host:port (and sets RemoteHost and
// RemotePort to them), sending User, Password, the heart-beats wanted,
// SupportedVersions and VirtualHost. It waits for CONNECTED, bounded by
// ConnectionTimeout when set, else Timeout; with Timeout 0 it returns at
// once and OnConnected tells the outcome (ConnectionTimeout, when set,
// still bounds the attempt). Connect while connected returns
// ErrAlreadyConnected. With a firewall set it goes through the proxy
// (ErrProxyFailed when the proxy fails), with SSLEnabled over TLS
// (ErrCertRejected, ErrTLSFailed). With WebSocketURL set it connects to
// that URL over a WebSocket instead, and host and port are not used (the
// URL's become RemoteHost and RemotePort).
func (s *STOMP) Connect(host string, port int) error {
	return s.ConnectContext(context.Background(), host, port)
}

// ConnectContext is Connect bounded by ctx as well.
func (s *STOMP) ConnectContext(ctx context.Context, host string, port int) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.cfg.optErr != nil {
		s.mu.Unlock()
		return s.cfg.optErr
	}
	if s.eng != nil && s.eng.State() != actors.Disconnected {
		s.mu.Unlock()
		return ErrAlreadyConnected
	}
	if u, ok := s.cfg.webSocketTarget(); ok {
		host, port = u.Host, u.Port // the URL names the server
	}
	if host == "" {
		s.mu.Unlock()
		return invalid("Connect needs a host")
	}
	if err := s.cfg.setRemoteHost(host); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.cfg.setRemotePort(port); err != nil {
		s.mu.Unlock()
		return err
	}
	cc, via, err := s.cfg.connectConfig(s)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	wait := s.cfg.connectWait()
	if s.cfg.timeout == 0 {
		// Connect does not wait, as every call with Timeout 0: the
		// attempt is bounded by cc.ConnectTimeout alone.
		wait = 0
	}
	eng, err := s.engineLocked()
	if err != nil {
		s.mu.Unlock()
		return s.err(err, CodeOther)
	}
	s.tlsState.Store(nil)
	s.serverCert.Store(nil)
	s.mu.Unlock()
	s.logf(actors.LogVerbose, "connecting to "+cc.Addr+via)
	return s.call(ctx, "Connect", wait, CodeConnectFailed, func(ctx context.Context) error {
		_, err := eng.Connect(ctx, cc)
		return err
	})
}

// Disconnect ends the connection gracefully: running message handlers
// finish and their acknowledgements go out, then DISCONNECT, and it waits
// for the broker's RECEIPT before closing the socket. That wait (with the
// handlers') is bounded by DisconnectTimeout (default 5 seconds), not
// Timeout: a broker that never answers holds Disconnect only that long.
// Without the RECEIPT by then the socket is closed all the same and
// Disconnect returns ErrReceiptTimeout (code 301) saying the broker did
// not confirm DISCONNECT, so frames sent just before may not have reached
// it; the DisconnectedEvent carries the same error. A broker that closes
// the connection instead of sending the RECEIPT has answered (many do,
// RabbitMQ's Web-STOMP among them): that is a clean end, logged at the
// info level. Open transactions are aborted by the broker. With Timeout 0
// the call does not wait, as every call. It does nothing when not
// connected.
//
// Called from a MessageIn handler of this client, Disconnect cannot wait
// for that handler, so it does not wait at all: the disconnect goes on
// once the handler returns (its message's ACK first), and OnDisconnected,
// or OnError, tells how it ended; so too, with ProcessIdleEvents false,
// from any handler DoEvents runs. Otherwise, with ProcessIdleEvents
// false, the events queued meanwhile (MessageIn among them) run on the
// goroutine that waits in Disconnect, as they would in DoEvents.
func (s *STOMP) Disconnect() error { return s.DisconnectContext(context.Background()) }

// DisconnectContext is Disconnect bounded by ctx as well.
func (s *STOMP) DisconnectContext(ctx context.Context) error {
	eng, err := s.engine()
	if err != nil || eng == nil {
		return err
	}
	cfg := s.snapshot()
	receipt := cfg.disconnectTimeout
	if receipt <= 0 {
		receipt = max(cfg.timeout, listWait)
	}
	// The call outlasts the engine's wait a little, so that a missing
	// RECEIPT is reported as such, not as the call's timeout.
	var wait time.Duration
	if cfg.timeout > 0 {
		wait = receipt + receipt/4
	}
	disconnect := func(ctx context.Context) error {
		return eng.Disconnect(ctx, true, min(receipt, receiptWait(ctx, receipt)))
	}
	if s.inOwnHandler(eng) {
		return s.callLater("Disconnect", ctx, CodeOther, disconnect)
	}
	if cfg.manualEvents {
		return s.callPumping(ctx, "Disconnect", wait, CodeOther, disconnect)
	}
	return s.call(ctx, "Disconnect", wait, CodeOther, disconnect)
}

// inOwnHandler reports whether the caller may be inside a handler that a
// disconnect of this client waits for: a MessageIn handler while this
// client runs one, or, with ProcessIdleEvents false, any handler DoEvents
// runs while it runs this client's events (a MessageIn queued behind it
// could not run). Another client's handler running at the same time as
// one of this client's may be taken for one of these: that call then
// does not wait either.
func (s *STOMP) inOwnHandler(eng *actors.Conn) bool {
	handlers := eng.HandlersRunning() > 0
	q := s.events.Load()
	draining := q != nil && q.draining()
	if !handlers && !draining {
		return false
	}
	message, queued := handlerFrames()
	return handlers && message || draining && queued
}

// Interrupt ends the connection at once, without DISCONNECT; every call
// waiting on it returns ErrInterrupted.
func (s *STOMP) Interrupt() {
	if eng, _ := s.engine(); eng != nil {
		eng.Interrupt()
	}
}

// Reset interrupts any connection and returns every setting to the state
// NewSTOMP left it in: the defaults with NewSTOMP's options applied.
// Custom headers, ParsedHeaders, ErrorHeaders and the last connection's
// TLS results (SSLServerCertEncoded, the SSLNegotiated settings) are
// cleared; event handlers stay registered.
func (s *STOMP) Reset() error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	if eng != nil {
		eng.Interrupt()
	}
	s.mu.Lock()
	s.cfg.init(s.opts)
	s.tracer.Store(s.cfg.tracer)
	s.updateSecrets()
	s.setManualEventsLocked(s.cfg.manualEvents)
	s.pushLogLevelLocked() // the engine outlives Reset
	s.mu.Unlock()
	s.parsed.Store(nil)
	s.errHeader.Store(nil)
	s.tlsState.Store(nil)
	s.serverCert.Store(nil)
	return nil
}

// SendMessage sends text to destination with ContentType (text/plain when
// ContentType is empty), the custom headers and TransactionID. With
// RequestReceipts it waits for the broker's RECEIPT; otherwise it returns
// once the message is queued, waiting for room in a full outgoing queue.
// Either wait is bounded by Timeout; with Timeout 0 and a full queue it
// returns ErrWouldBlock. With Timeout 0 it never overtakes the calls
// queued before it: while one waits or runs (BeginTransaction, say, for a
// message that joins the transaction), the message is queued after it,
// and a failure to send it reaches OnError.
func (s *STOMP) SendMessage(destination, text string) error {
	return s.SendMessageContext(context.Background(), destination, text)
}

// SendMessageContext is SendMessage bounded by ctx as well.
func (s *STOMP) SendMessageContext(ctx context.Context, destination, text string) error {
	return s.send(ctx, "SendMessage", destination, []byte(text), "text/plain")
}

// SendData sends data to destination like SendMessage, with ContentType
// (no content-type header when it is empty). data is copied.
func (s *STOMP) SendData(destination string, data []byte) error {
	return s.SendDataContext(context.Background(), destination, data)
}

// SendDataContext is SendData bounded by ctx as well.
func (s *STOMP) SendDataContext(ctx context.Context, destination string, data []byte) error {
	return s.send(ctx, "SendData", destination, data, "")
}

func (s *STOMP) send(ctx context.Context, name, destination string, body []byte, defType string) error {
	f, eng, cfg, err := s.sendFrame(name, destination, body, defType, false)
	if err != nil {
		return err
	}
	// A frame that outlives this call (in the outbox, or in a call that
	// Timeout 0 runs later) keeps a body of its own; otherwise the engine
	// encodes f before it returns (or copies it), so body is the caller's
	// again then and f is free for the next message.
	later := s.sendsLater(ctx, &cfg)
	if (cfg.atLeastOnce || later) && name == "SendData" {
		f.Body = bytes.Clone(body)
	}
	if cfg.atLeastOnce {
		return s.sendReliable(ctx, eng, f, cfg)
	}
	if t := s.tracer.Load(); t != nil {
		err = t.sendNow(ctx, s, eng, f, cfg) // tracing.go
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

// sendFrame builds the SEND frame of a message from the settings. An
// at-least-once message (reliable, or with AtLeastOnce) may be sent while
// the client reconnects: it waits in the outbox.
func (s *STOMP) sendFrame(name, destination string, body []byte, defType string, reliable bool) (*frames.Frame, *actors.Conn, sendOptions, error) {
	if destination == "" {
		return nil, nil, sendOptions{}, invalid("a message needs a destination")
	}
	cfg := s.sendSettings()
	var eng *actors.Conn
	var err error
	if reliable || cfg.atLeastOnce {
		if eng, err = s.engine(); err == nil && eng == nil {
			err = ErrNotConnected
		}
	} else {
		eng, err = s.connected()
	}
	if err != nil {
		return nil, nil, sendOptions{}, err
	}
	f := newSendFrame(destination)
	if ct := cfg.contentType; ct != "" {
		f.Headers.Add(frames.HdrContentType, ct)
	} else if defType != "" {
		f.Headers.Add(frames.HdrContentType, defType)
	}
	if cfg.transactionID != "" {
		f.Headers.Add(frames.HdrTransaction, cfg.transactionID)
	}
	for _, h := range cfg.headers {
		f.Headers.Set(h.Key, h.Value)
	}
	if info, ok := eng.Info(); ok {
		if err := checkFrame(name, info.Version, f); err != nil {
			return nil, nil, sendOptions{}, err
		}
	}
	f.Body = body
	return f, eng, cfg, nil
}

// sendNow queues f for the writer (waiting for its RECEIPT with
// RequestReceipts).
func (s *STOMP) sendNow(ctx context.Context, eng *actors.Conn, f *frames.Frame, cfg sendOptions) error {
	if cfg.behindCalls {
		// Timeout 0, calls queued: queued after them. There it waits for
		// room in the outgoing queue, as long as a receipt would.
		return s.call(ctx, "SendMessage", 0, CodeOther, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
			defer cancel()
			return eng.Send(ctx, f, 0, false)
		})
	}
	if !cfg.requestReceipts {
		// The common case: room in the outgoing queue, nothing to wait for.
		if queued, err := eng.TrySend(f); err != nil {
			return s.err(err, CodeOther)
		} else if queued {
			return nil
		}
	}
	if cfg.requestReceipts {
		return s.call(ctx, "SendMessage", cfg.timeout, CodeOther, func(ctx context.Context) error {
			return eng.Send(ctx, f, receiptWait(ctx, cfg.timeout), true)
		})
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
	return s.call(ctx, "SendMessage", cfg.timeout, CodeOther, func(ctx context.Context) error {
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
	contentType, transactionID string
	headers                    []Header // only ever appended to or replaced, so safe to range over
	timeout                    time.Duration
	requestReceipts            bool
	atLeastOnce                bool
	outbox                     actors.OutboxConfig
	// behindCalls: with Timeout 0, calls that do not wait were queued
	// before this send, so it goes on their queue (set by sendsLater).
	behindCalls bool
}

func (s *STOMP) sendSettings() sendOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.cfg
	return sendOptions{contentType: c.contentType, transactionID: c.transactionID, headers: c.headers, timeout: c.timeout,
		requestReceipts: c.requestReceipts, atLeastOnce: c.rare.atLeastOnce.Enabled, outbox: c.outboxConfig()}
}

// BeginTransaction opens transaction id on the broker. Set TransactionID
// to id for messages to join it. With RequestTransactionReceipts it waits
// for the broker's RECEIPT. It is bounded by Timeout.
func (s *STOMP) BeginTransaction(id string) error {
	return s.BeginTransactionContext(context.Background(), id)
}

// BeginTransactionContext is BeginTransaction bounded by ctx as well.
func (s *STOMP) BeginTransactionContext(ctx context.Context, id string) error {
	return s.tx(ctx, "BeginTransaction", id, (*actors.Conn).Begin)
}

// CommitTransaction commits transaction id: the broker then delivers its
// messages and applies its acknowledgements. Like BeginTransaction.
func (s *STOMP) CommitTransaction(id string) error {
	return s.CommitTransactionContext(context.Background(), id)
}

// CommitTransactionContext is CommitTransaction bounded by ctx as well.
func (s *STOMP) CommitTransactionContext(ctx context.Context, id string) error {
	return s.tx(ctx, "CommitTransaction", id, (*actors.Conn).Commit)
}

// AbortTransaction aborts transaction id: the broker discards its messages
// and acknowledgements. Like BeginTransaction.
func (s *STOMP) AbortTransaction(id string) error {
	return s.AbortTransactionContext(context.Background(), id)
}

// AbortTransactionContext is AbortTransaction bounded by ctx as well.
func (s *STOMP) AbortTransactionContext(ctx context.Context, id string) error {
	return s.tx(ctx, "AbortTransaction", id, (*actors.Conn).Abort)
}

type txFunc func(*actors.Conn, context.Context, string, time.Duration) error

func (s *STOMP) tx(ctx context.Context, name, id string, op txFunc) error {
	if id == "" {
		return invalid("%s needs a transaction id", name)
	}
	eng, err := s.connected()
	if err != nil {
		return err
	}
	if info, ok := eng.Info(); ok {
		if err := checkHeader(name, frames.CmdBegin, info.Version, frames.HdrTransaction, id); err != nil {
			return err
		}
	}
	cfg := s.snapshot()
	return s.call(ctx, name, cfg.timeout, CodeOther, func(ctx context.Context) error {
		var receipt time.Duration
		if cfg.requestTransactionReceipts {
			receipt = receiptWait(ctx, cfg.timeout)
		}
		return op(eng, ctx, id, receipt)
	})
}

// sendCustomFrame writes raw bytes as they are (the SendCustomFrame
// setting), bounded by Timeout.
func (s *STOMP) sendCustomFrame(raw []byte) error {
	eng, err := s.connected()
	if err != nil {
		return err
	}
	return s.call(context.Background(), "SendCustomFrame", s.snapshot().timeout, CodeOther, func(ctx context.Context) error {
		return eng.SendRaw(ctx, raw)
	})
}
