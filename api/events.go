package api

import (
	"context"
	"crypto/x509"
	"sync/atomic"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Events. Register a handler with the On... method of its event; a later
// call replaces it and nil removes it. Handlers of every event but
// MessageIn and the two SSL events run one at a time, in the order the
// events happened, on the client's event goroutine (or, with
// ProcessIdleEvents false, inside DoEvents). SSLStatus and
// SSLServerAuthentication run on the goroutine that connects, during the
// TLS handshake, which waits for them (up to the connection's timeout).
// MessageIn handlers run on their subscription's own goroutine:
// messages of one subscription are handled in order, but handlers of
// different subscriptions may run at the same time, and at the same time
// as other events. A handler may call any method of the client except
// Close (Disconnect, called from a MessageIn handler, does not wait for
// that handler: see Disconnect); a slow one delays the events behind it (and, for MessageIn, its
// subscription's messages) but never the connection or its heart-beats.

// ConnectedEvent follows every connection attempt, successful or not.
type ConnectedEvent struct {
	// StatusCode is 0 on success, else the error's Code.
	StatusCode int
	// Description says what happened.
	Description string
	// Err is nil on success, else the *Error.
	Err error
	// Reconnected is true when the Reconnect policy brought a lost
	// connection back: the client has sent every live subscription again
	// already, so a handler that subscribes on OnConnected does so only
	// when it is false (else each reconnect doubles its subscriptions).
	Reconnected bool
}

// ConnectionStatusEvent reports a step in the life of the connection.
type ConnectionStatusEvent struct {
	// ConnectionEvent is the step: "queued" (a reconnect attempt after
	// a lost connection waits for one of the engine's connection slots
	// before it starts, see actors.EngineOptions.MaxConcurrentConnects;
	// "dialing" follows when it has one), "dialing", "connected-tcp", "connecting" (CONNECT
	// sent), "connected", "disconnecting", "lost", and with a Reconnect
	// policy "retrying", "reconnecting", "reconnected" and "gave up".
	ConnectionEvent string
	// StatusCode is 0, or CodeConnectionLost for "lost".
	StatusCode int
	// Description gives detail: the address, the version, the reason.
	Description string
}

// DisconnectedEvent follows the end of a connection.
type DisconnectedEvent struct {
	// StatusCode is 0 after Disconnect, else the Code of the reason.
	StatusCode int
	// Description says why the connection ended.
	Description string
	// Err is nil after Disconnect, else the *Error.
	Err error
}

// ErrorEvent reports an error outside the result of a call: every ERROR
// frame after CONNECTED (the connection may stay open after it: see
// "Server errors" in the package documentation), a failed automatic ACK,
// a call made with Timeout 0.
type ErrorEvent struct {
	// ErrorCode is the error's Code.
	ErrorCode int
	// Description is the error's message.
	Description string
	// Err is the *Error.
	Err error
}

// LogEvent is one log line, delivered when its LogLevel is at most the
// LogLevel setting.
type LogEvent struct {
	// LogLevel is 1 (info and errors), 2 (verbose) or 3 (frames).
	LogLevel int
	// Message is the text, with secrets redacted.
	Message string
	// LogType is "Info", "Ack" or "Frame".
	LogType string
}

// MessageInEvent is one message received on a subscription.
type MessageInEvent struct {
	// SubscriptionID names the subscription.
	SubscriptionID string
	// MessageID is the broker's message-id.
	MessageID string
	// Destination is where the message was sent.
	Destination string
	// ContentType is the content-type header, or "".
	ContentType string
	// Data is the body.
	Data []byte
	// Headers are the message's headers (repeated keys collapsed to the
	// first unless CollapseHeaders is false).
	Headers []Header
	// Redelivered is the broker's redelivered flag.
	Redelivered bool
	// Ack decides what the handler's return sends on a subscription that
	// needs acknowledgements (and without ManualAck): ACK when true (the
	// default), NACK when false. On STOMP 1.0, which has no NACK, false
	// sends nothing, and as an ACK in ack mode client (the only client
	// mode of 1.0) acknowledges every earlier message too, the client
	// then writes no ACK of that subscription on that connection any more
	// (OnError says so at the time, with ErrNackUnsupported's code; an Ack
	// of a later message returns that error): the broker keeps the message
	// and the later ones, and delivers them again once the subscription
	// or the connection ends (Unsubscribe and Subscribe again, or
	// reconnect), the later ones a second time.
	Ack bool

	// settled sits beside the flags and what few events need is behind
	// one pointer, so that an event (one per message received) takes
	// the 160-byte size class, not the 176-byte one.
	// lent: the event serves message after message (a Lent
	// subscription's), so it may be another message's by when a call
	// queued for it runs.
	lent    bool
	settled atomic.Bool
	msg     actors.MessageRef // the engine's, for Ack and Nack
	aux     *eventAux         // nil on most events
}

// eventAux is what only some events carry.
type eventAux struct {
	ctx context.Context // the consumer span's, with tracing on
	// lease is the memory of a message Receive lent (a Lent Pull
	// subscription's), and held says the event is out with a caller:
	// Release gives both back.
	lease *frames.Lease
	held  bool
}

// Context returns the context of the message's handling. With tracing on
// (WithTracing) it holds the message's consumer span, for the handler to
// start spans of its own (a child of trace.SpanFromContext(e.Context())),
// and the baggage the message carried; otherwise it is
// context.Background(). It is not canceled when the handler returns.
func (e *MessageInEvent) Context() context.Context {
	if e.aux == nil || e.aux.ctx == nil {
		return context.Background()
	}
	return e.aux.ctx
}

// Text returns Data as a string.
func (e *MessageInEvent) Text() string { return string(e.Data) }

// NeedsAck reports whether the broker expects an ACK or NACK.
func (e *MessageInEvent) NeedsAck() bool { return e.msg.NeedsAck() }

// MessageOutEvent reports a message as it is written to the connection:
// it fires as the write that carries the message starts, and so always
// before the ReceiptInEvent of that message's RECEIPT. If that write
// fails, the connection is lost (OnDisconnected, or a reconnect, follows)
// and the broker may not have the message: a send still waiting for it
// returns the error.
type MessageOutEvent struct {
	// Destination is where the message went.
	Destination string
	// Headers are the SEND frame's headers.
	Headers []Header
	// Size is the body's length in bytes.
	Size int
}

// ReadyToSendEvent fires when the client is ready to send: once a
// connection is up (after CONNECTED, and again after each reconnect), and
// whenever a full outgoing queue (ErrWouldBlock) has room again.
type ReadyToSendEvent struct{}

// ReceiptInEvent reports a RECEIPT from the server.
type ReceiptInEvent struct {
	// ReceiptID is the receipt-id it confirms.
	ReceiptID string
}

// ReceiptOutEvent reports a frame sent with a receipt header.
type ReceiptOutEvent struct {
	// ReceiptID is the receipt header's value.
	ReceiptID string
	// Command is the frame's command ("SEND", "SUBSCRIBE", ...).
	Command string
}

// SSLServerAuthenticationEvent reports the certificate the server
// presented during the TLS handshake, and what verification found. The
// handshake waits for the handler: it runs on the connecting goroutine
// (not the event goroutine, and even with ProcessIdleEvents false), so
// that a Connect called from another handler cannot deadlock, and it may
// run while another event's handler runs.
type SSLServerAuthenticationEvent struct {
	// CertEncoded is the server's certificate, DER encoded.
	CertEncoded []byte
	// CertSubject and CertIssuer name the certificate's subject and issuer
	// ("CN=broker,O=Example").
	CertSubject, CertIssuer string
	// Status says what verification found: "OK", "OK: the certificate of
	// SSLAcceptServerCertEncoded", "not verified: SSLAcceptServerCertEncoded
	// is *", or the problem (unknown authority, wrong host name, expired).
	Status string
	// Accept is the verdict: true when verification passed. The handler
	// may set it: true accepts a certificate verification refused (for
	// example one pinned by fingerprint), false refuses one it passed.
	// A refused certificate fails Connect with ErrCertRejected.
	Accept bool
	// Chain is what the server sent, its certificate first.
	Chain []*x509.Certificate
	// Err is the verification error, nil when Status starts with "OK" or
	// verification was skipped.
	Err error
}

// SSLStatusEvent reports a step of the TLS handshake: starting it, the
// verdict on the server's certificate, the version and suite negotiated,
// or the failure. Like SSLServerAuthentication it runs on the connecting
// goroutine.
type SSLStatusEvent struct {
	// Message describes the step.
	Message string
}

// SubscribedEvent follows a SUBSCRIBE written (or, with
// RequestSubscriptionReceipts, confirmed). The Subscribed and Unsubscribed
// events of one subscription id come in the order the client made and
// ended its subscriptions, whichever of the calls returns first: after
// Subscribe("x") and an Unsubscribe("x") that took effect, OnUnsubscribed
// for "x" runs after OnSubscribed for "x", and the last event of an id
// says whether Subscriptions lists it. No call waits for another call's
// outcome to tell its own event: when an Unsubscribe of "x" (or a
// Subscribe after it) completes while the Subscribe that made "x" still
// waits for its RECEIPT, the Subscribed event of "x" is told then, as the
// client made the subscription. So a Subscribe that fails (a RECEIPT that
// never comes, say) after a racing Unsubscribe of its id took effect has
// had its Subscribed event, followed by the Unsubscribed one. Otherwise a
// Subscribe that fails has none, and neither has a subscription that
// ended with its connection (Disconnect, a loss without Reconnect, Close)
// before its Subscribe had its outcome: OnDisconnected told that it
// ended, and no Subscribed event of its connection follows that one.
type SubscribedEvent struct {
	SubscriptionID string
	Destination    string
}

// UnsubscribedEvent follows an Unsubscribe that ended a subscription:
// its UNSUBSCRIBE written (or, with RequestSubscriptionReceipts,
// confirmed), or nothing to send (while reconnecting, or the leftovers of
// a Pull subscription after Disconnect). It is told too when the
// Unsubscribe fails after the client ended the subscription (its RECEIPT
// late, the connection lost, the call given up): Subscriptions no longer
// lists it. It never comes before the SubscribedEvent of the subscription
// it ends (see SubscribedEvent), and a subscription whose Subscribe
// failed, and had no SubscribedEvent, has neither.
type UnsubscribedEvent struct {
	SubscriptionID string
	Destination    string
}

type handlers struct {
	connected    func(*ConnectedEvent)
	status       func(*ConnectionStatusEvent)
	disconnected func(*DisconnectedEvent)
	err          func(*ErrorEvent)
	log          func(*LogEvent)
	messageIn    func(*MessageInEvent)
	messageOut   func(*MessageOutEvent)
	readyToSend  func(*ReadyToSendEvent)
	receiptIn    func(*ReceiptInEvent)
	receiptOut   func(*ReceiptOutEvent)
	sslAuth      func(*SSLServerAuthenticationEvent)
	sslStatus    func(*SSLStatusEvent)
	subscribed   func(*SubscribedEvent)
	unsubscribed func(*UnsubscribedEvent)
}

func (s *STOMP) on(set func(*handlers)) {
	s.hmu.Lock()
	h := new(handlers)
	if s.handlers != nil {
		*h = *s.handlers
	}
	set(h)
	s.handlers = h
	s.hmu.Unlock()
}

func (s *STOMP) handlersNow() handlers {
	s.hmu.RLock()
	defer s.hmu.RUnlock()
	if s.handlers == nil {
		return handlers{}
	}
	return *s.handlers
}

// OnConnected registers the handler of ConnectedEvent. With automatic
// events a Connect that waited for its outcome returns once this handler
// has run for it (see the Events section of the package documentation).
func (s *STOMP) OnConnected(f func(*ConnectedEvent)) { s.on(func(h *handlers) { h.connected = f }) }

// OnConnectionStatus registers the handler of ConnectionStatusEvent. With
// automatic events Connect and Disconnect, when they wait for their
// outcome, return once it has run for the statuses they caused (see the
// Events section of the package documentation).
func (s *STOMP) OnConnectionStatus(f func(*ConnectionStatusEvent)) {
	s.on(func(h *handlers) { h.status = f })
}

// OnDisconnected registers the handler of DisconnectedEvent. With
// automatic events a Disconnect that waited for its outcome returns once
// this handler has run for it (see the Events section of the package
// documentation).
func (s *STOMP) OnDisconnected(f func(*DisconnectedEvent)) {
	s.on(func(h *handlers) { h.disconnected = f })
}

// OnError registers the handler of ErrorEvent. Every server ERROR after
// CONNECTED arrives here, and the server may keep the connection open
// after it (see "Server errors" in the package documentation).
func (s *STOMP) OnError(f func(*ErrorEvent)) { s.on(func(h *handlers) { h.err = f }) }

// OnLog registers the handler of LogEvent.
func (s *STOMP) OnLog(f func(*LogEvent)) {
	s.on(func(h *handlers) { h.log = f })
	// Without a handler the engine makes no LogEvent (engineLogLevel).
	s.mu.Lock()
	if s.eng != nil {
		s.eng.SetLogLevel(s.engineLogLevelLocked())
	}
	s.mu.Unlock()
}

// OnMessageIn registers the handler of MessageInEvent for subscriptions
// without a Handler of their own. It runs on the subscription's goroutine
// (see the Events section).
func (s *STOMP) OnMessageIn(f func(*MessageInEvent)) { s.on(func(h *handlers) { h.messageIn = f }) }

// OnMessageOut registers the handler of MessageOutEvent. A send that
// waits for its RECEIPT returns once this handler has run for its message
// (with automatic events; see the Events section of the package
// documentation); one that does not wait may return before.
func (s *STOMP) OnMessageOut(f func(*MessageOutEvent)) {
	s.on(func(h *handlers) { h.messageOut = f })
	// Without a handler the engine does not post an event per SEND. The
	// switch follows the handler registered now, read under s.mu (as
	// engineLocked reads it), not f: of two registrations that race, the
	// one that takes s.mu last reads the table both changed, so the
	// engine ends up as the table says.
	s.mu.Lock()
	if s.eng != nil {
		s.eng.SetMessageOutEvents(s.handlersNow().messageOut != nil)
	}
	s.mu.Unlock()
}

// OnReadyToSend registers the handler of ReadyToSendEvent. With automatic
// events a Connect that waited for its outcome returns once this handler
// has run for the connection's first ReadyToSendEvent (see the Events
// section of the package documentation).
func (s *STOMP) OnReadyToSend(f func(*ReadyToSendEvent)) {
	s.on(func(h *handlers) { h.readyToSend = f })
}

// OnReceiptIn registers the handler of ReceiptInEvent. With automatic
// events a call that waited for a RECEIPT (a send with RequestReceipts or
// at-least-once, Subscribe, Unsubscribe, the transaction calls, Ack and
// Nack, Disconnect) returns once this handler has run for it (see the Events section of the
// package documentation).
func (s *STOMP) OnReceiptIn(f func(*ReceiptInEvent)) { s.on(func(h *handlers) { h.receiptIn = f }) }

// OnReceiptOut registers the handler of ReceiptOutEvent. With automatic
// events a call that waited for its RECEIPT returns once this handler has
// run for the frame that asked for it (see the Events section of the
// package documentation).
func (s *STOMP) OnReceiptOut(f func(*ReceiptOutEvent)) {
	s.on(func(h *handlers) { h.receiptOut = f })
}

// OnSSLServerAuthentication registers the handler of
// SSLServerAuthenticationEvent.
func (s *STOMP) OnSSLServerAuthentication(f func(*SSLServerAuthenticationEvent)) {
	s.on(func(h *handlers) { h.sslAuth = f })
}

// OnSSLStatus registers the handler of SSLStatusEvent.
func (s *STOMP) OnSSLStatus(f func(*SSLStatusEvent)) { s.on(func(h *handlers) { h.sslStatus = f }) }

// OnSubscribed registers the handler of SubscribedEvent. With automatic
// events a Subscribe that waited for its outcome returns once this handler
// has run for it (see the Events section of the package documentation).
func (s *STOMP) OnSubscribed(f func(*SubscribedEvent)) {
	s.on(func(h *handlers) { h.subscribed = f })
}

// OnUnsubscribed registers the handler of UnsubscribedEvent. With
// automatic events an Unsubscribe that waited for its outcome returns
// once this handler has run for it (see the Events section of the package
// documentation).
func (s *STOMP) OnUnsubscribed(f func(*UnsubscribedEvent)) {
	s.on(func(h *handlers) { h.unsubscribed = f })
}
