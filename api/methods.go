package api

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// listWait bounds the quick internal requests (listing subscriptions or
// transactions, automatic acknowledgements) when Timeout is 0 or shorter.
const listWait = 5 * time.Second

// receiptWait is how long to wait for a RECEIPT: with an inactivity wait
// (callWriting), its length, counted from the end of the frame's write as
// that wait is then; else nine tenths of the time left before ctx's
// deadline (so that a missing receipt is reported as ErrReceiptTimeout
// rather than as the call's timeout), or Timeout, or DefaultTimeout when
// Timeout is 0.
func receiptWait(ctx context.Context, timeout time.Duration) time.Duration {
	if d, ok := actors.InactivityWait(ctx); ok {
		// Counted from the end of the frame's write, as the call's
		// inactivity wait is then.
		return d
	}
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
// still bounds the attempt). Connect while connected, or while another
// Connect runs (from the moment that one is called; with Timeout 0 that
// includes the time its attempt waits in the queue of calls), returns
// ErrAlreadyConnected and changes nothing: of Connects made at once one
// goes ahead, and RemoteHost and RemotePort name its broker. With a
// firewall set it goes through the proxy
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
	if s.connectingLocked() {
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
	// This Connect is under way: until the session takes its request
	// (its state then says Connecting) another Connect would pass the
	// check above and change what this one set. The session's taking
	// ends the mark, not this caller's waking, so that a Connect made
	// from the OnConnected handler of a failed attempt goes ahead. Only
	// this Connect's release ends it, once (no other Connect sets it
	// while it is set). The session calls release on its goroutine, and
	// it takes s.mu, as the session's events may (eventQueue): nobody
	// waits for the session while holding s.mu.
	s.connecting = true
	s.mu.Unlock()
	var released atomic.Bool
	release := func() {
		if released.CompareAndSwap(false, true) {
			s.mu.Lock()
			s.connecting = false
			s.mu.Unlock()
		}
	}
	s.logf(actors.LogVerbose, "connecting to "+cc.Addr+via)
	err = s.callCausing(ctx, "Connect", wait, nil, CodeConnectFailed, connectCauses, func(ctx context.Context) error {
		_, err := eng.ConnectTaken(ctx, cc, release)
		release() // the request never reached the session (closed)
		return err
	})
	if err != nil {
		release() // not queued (Timeout 0), or over
	}
	return err
}

// connectingLocked reports whether the client is connected, or a Connect
// is under way (see Connect). s.mu is held.
func (s *STOMP) connectingLocked() bool {
	// The session sets its state before it ends the mark: one of the
	// two says so at every moment.
	return s.connecting || (s.eng != nil && s.eng.State() != actors.Disconnected)
}

// Disconnect ends the connection gracefully: running message handlers
// finish and their acknowledgements go out, then DISCONNECT, and it waits
// for the broker's RECEIPT before closing the socket. Messages of auto
// subscriptions the client already received, which the broker counts
// consumed, are handed to their handlers first, including those of a
// subscription Unsubscribe ended whose handover still runs. On a Pull subscription
// Receive takes them, during the disconnect and after it: once the
// subscription has ended, Receive on its id goes on returning the auto
// messages still queued, in order, and only then ErrUnknownSubscription,
// as a closed channel gives what it holds (however the disconnect ends,
// and also when Disconnect stops a reconnect under way). Close drops
// them, as does Unsubscribe of that id (both count them in
// Stats.Dropped); a later Subscribe with the same id (on the next
// connection) takes them over, ahead of its own messages, whether Receive
// or a handler gets them. If that Subscribe fails (no RECEIPT in time, a
// broker ERROR, its context, the connection ending), a Pull one gives
// back those it still holds: Receive on the id returns them, in order,
// as before the Subscribe (so does the end for good of its connection
// later, other than by Unsubscribe or Close); a handler's has them
// already and its handler still gets them, as after Unsubscribe (those
// not yet handled when the connection ends for good are counted in
// Stats.Dropped). A
// connection lost rather than ended by Disconnect leaves none of its own
// subscriptions' messages. Messages that need an ACK
// and whose handler has not started, or that Receive has not returned,
// are not handled: the broker redelivers them (they are counted in
// Stats.Dropped). That wait (with the handlers') is bounded by
// DisconnectTimeout (default 5 seconds), not Timeout: a broker that never
// answers holds Disconnect only that long. If the handlers have not
// finished by then, the socket is closed without DISCONNECT, the auto-ack
// messages not yet handled are lost, and Disconnect returns
// ErrReceiptTimeout (code 301) saying the handlers did not finish.
// Without the RECEIPT by then the socket is closed all the same and
// Disconnect returns ErrReceiptTimeout saying the broker did not confirm
// DISCONNECT, so frames sent just before may not have reached it; the
// DisconnectedEvent carries the same error. A broker that closes the
// connection instead of sending the RECEIPT has answered (many do,
// RabbitMQ's Web-STOMP among them): that is a clean end, logged at the
// info level; one that hangs up inside a frame, or resets the connection,
// makes it return ErrConnectionLost (code 203), as the DisconnectedEvent
// says. Open transactions are aborted by the broker. With Timeout 0
// the call does not wait, as every call. It does nothing when not
// connected.
//
// Called from a MessageIn handler of this client, Disconnect cannot wait
// for that handler, so it does not wait at all: the disconnect goes on
// once the handler returns (its message's ACK first), and OnDisconnected,
// or OnError, tells how it ended; so too, with ProcessIdleEvents false,
// from any handler DoEvents runs. Otherwise, with ProcessIdleEvents
// false, the events queued meanwhile (MessageIn among them) run on the
// goroutine that waits in Disconnect, as they would in DoEvents. The
// caller's stack tells that it runs a handler, not whose: called from a
// MessageIn handler or DeadLetter hook of another client while one of
// this client's runs (or, with ProcessIdleEvents false, from a handler
// another client's DoEvents runs while this client's DoEvents runs one),
// Disconnect does not wait either.
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
	// Not callCausing: a context already done does not keep the
	// connection up (the engine then closes it without waiting).
	return s.callAnyway(ctx, "Disconnect", wait, nil, CodeOther, disconnectCauses, disconnect)
}

// inOwnHandler reports whether the caller may be inside a handler that a
// disconnect of this client waits for: a MessageIn handler while this
// client runs one, or, with ProcessIdleEvents false, any handler DoEvents
// runs while it runs this client's events (a MessageIn queued behind it
// could not run). Another client's handler running at the same time as
// one of this client's is taken for one of these: that call then does not
// wait either.
func (s *STOMP) inOwnHandler(eng *actors.Conn) bool {
	handlers := eng.HandlersRunning() > 0
	q := s.events.Load()
	draining := q != nil && q.draining()
	if !handlers && !draining {
		return false
	}
	message, queued, _ := handlerFrames()
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
	s.parsed = nil
	s.mu.Unlock()
	s.errHeader.Store(nil)
	s.tlsState.Store(nil)
	s.serverCert.Store(nil)
	return nil
}

// BeginTransaction opens transaction id on the broker. Set TransactionID
// to id for messages to join it. With RequestTransactionReceipts it waits
// for the broker's RECEIPT. It is bounded by Timeout; the BEGIN is
// written even when the wait ends first (ErrOutcomeUnknown). A BEGIN the
// client refuses before writing it (ErrWouldBlock: too many receipts
// pending) leaves id unknown, free to begin again.
func (s *STOMP) BeginTransaction(id string) error {
	return s.BeginTransactionContext(context.Background(), id)
}

// BeginTransactionContext is BeginTransaction bounded by ctx as well.
func (s *STOMP) BeginTransactionContext(ctx context.Context, id string) error {
	return s.tx(ctx, "BeginTransaction", id, (*actors.Conn).Begin)
}

// CommitTransaction commits transaction id: the broker then delivers its
// messages and applies its acknowledgements. With
// RequestTransactionReceipts it waits for the broker's RECEIPT. It is
// bounded by Timeout. An error that says nothing was written (ErrTimeout,
// ErrCanceled, ErrWouldBlock) leaves the transaction open: commit it
// again, or abort it. Once the COMMIT was written the transaction is over
// for the client, whatever the error (ErrOutcomeUnknown,
// ErrReceiptTimeout, ErrServer: the broker may or may not have committed
// it).
func (s *STOMP) CommitTransaction(id string) error {
	return s.CommitTransactionContext(context.Background(), id)
}

// CommitTransactionContext is CommitTransaction bounded by ctx as well.
func (s *STOMP) CommitTransactionContext(ctx context.Context, id string) error {
	return s.tx(ctx, "CommitTransaction", id, (*actors.Conn).Commit)
}

// AbortTransaction aborts transaction id: the broker discards its messages
// and acknowledgements. Like BeginTransaction, the ABORT is written even
// when the wait ends first; one the client refuses before writing it
// (ErrWouldBlock) leaves the transaction open.
//
// The client forgets the Acks and Nacks made in the transaction
// (AckTransactionId), by the program or at a handler's return, as
// AbortTransaction is called, before it queues or waits: their messages
// may be acknowledged again at once, for a retry in a new transaction or
// none, and with Timeout 0 such an Ack, queued after the ABORT, is
// written after it. Once the call is made those Acks cannot take effect
// whatever comes next: the ABORT is written and the broker discards them,
// or the connection ends first and the broker aborts the transaction
// with it. Two cases leave them at the broker while the client has
// forgotten them:
//   - the ABORT is refused before it is written (ErrWouldBlock,
//     ErrUnknownTransaction while a COMMIT of id is on its way): the
//     transaction stays open; abort it again rather than commit it;
//   - the broker answers the ABORT with an ERROR (an unknown
//     transaction, say): it knew no such transaction, so it refused the
//     ACKs that named it as well, and most brokers end the connection
//     with the ERROR, whose messages it delivers again.
//
// A call refused as it is made (an empty id, not connected, ctx done)
// forgets nothing. An open transaction keeps no message it acknowledged:
// the client notes each Ack without holding its event.
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
	var kinds eventKinds
	if cfg.requestTransactionReceipts {
		kinds = receiptCauses
	}
	if err := s.endedOnEntry(ctx, name); err != nil {
		return err // refused as made: nothing undone, nothing written
	}
	committed := func(bool) {}
	switch name {
	case "AbortTransaction":
		// Undone now, before the call is queued or waits: whatever comes
		// next, the transaction's Acks will not take effect (see
		// AbortTransaction), and a call made after this one (an Ack of the
		// same message) must find them undone.
		eng.AbortingTransaction(id)
	case "CommitTransaction":
		committed = eng.CommittingTransaction(id)
	}
	err = s.callCausing(ctx, name, cfg.timeout, nil, CodeOther, kinds, func(ctx context.Context) error {
		var receipt time.Duration
		if cfg.requestTransactionReceipts {
			receipt = receiptWait(ctx, cfg.timeout)
		}
		err := op(eng, ctx, id, receipt)
		committed(actors.Written(err))
		return err
	})
	if !actors.Written(err) {
		committed(false) // the call did not run, or nothing was written
	}
	return err
}

// sendCustomFrame writes raw bytes as they are (the SendCustomFrame
// setting), bounded by Timeout.
func (s *STOMP) sendCustomFrame(raw []byte) error {
	eng, err := s.connected()
	if err != nil {
		return err
	}
	cfg := s.snapshot()
	idle := eng
	if cfg.absoluteTimeout {
		idle = nil
	}
	return s.callWriting(context.Background(), "SendCustomFrame", cfg.timeout, idle, CodeOther, func(ctx context.Context) error {
		return eng.SendRaw(ctx, raw)
	})
}
