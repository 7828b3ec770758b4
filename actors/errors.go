package actors

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/internal/safetext"
)

// Error is stompactor's one error type, returned by the engine and, as
// api.Error, by the api package. Code is stable across releases and groups
// errors by hundreds:
//
//	1xx  the call itself: a bad argument or setting, a state that forbids it
//	2xx  the connection: not connected, lost, refused, interrupted
//	3xx  waiting: timeouts, a full queue, a canceled context
//	4xx  subscriptions, transactions and acknowledgements
//	5xx  the server broke the protocol
//	600  the server sent an ERROR frame (Headers and Body hold it)
//	900  anything else
//
// errors.Is(err, ErrTimeout) compares codes, so it holds for every *Error
// with Code 300 whatever its message; errors.As(err, &e) gives the *Error.
// Unwrap returns the underlying cause (a net.OpError, a context error, a
// frames.LimitError...), for logging; match on Code or the sentinels, not
// on the cause.
type Error struct {
	// Code is the stable numeric code (see the Code constants).
	Code int
	// Message describes the error; it starts with "stomp: ". Whatever it
	// quotes of the broker's words (an ERROR's message header or the first
	// line of its body, a receipt id, a header value) is at most
	// MaxQuotedText bytes of them, with control characters escaped, so
	// Message is one line a broker cannot add lines to or send terminal
	// escapes through.
	Message string
	// Headers are the headers of the ERROR frame, for Code 600 only, as
	// the broker sent them (raw: a value may hold a line feed or any
	// other byte; escape it before printing it).
	Headers frames.Headers
	// Body is the body of the ERROR frame, for Code 600 only, as the
	// broker sent it (raw, like Headers), up to MaxErrorBody bytes.
	Body []byte
	// Truncated, for Code 600 only, says that Body (or Headers) holds less
	// than the broker sent: its body was longer than MaxErrorBody, or (in
	// an api ErrorEvent) the client's event queue had its byte budget in
	// use when the ERROR came, and the event kept only Message.
	Truncated bool

	cause error
}

// NewError returns an *Error of code with message (which should start
// with "stomp: ") and cause (nil for none).
func NewError(code int, message string, cause error) *Error {
	return &Error{Code: code, Message: message, cause: cause}
}

// Error returns Message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Code, so that every
// error of a code matches its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The error codes. Each has a sentinel of the same meaning below.
const (
	CodeInvalidArgument     = 100 // an argument or setting value is not valid
	CodeUnknownSetting      = 101 // Config names no setting
	CodeSettingAccess       = 102 // the setting is read-only or write-only
	CodeConnectedSetting    = 103 // the setting cannot change while connected
	CodeUnsupported         = 104 // a feature or setting this version does not implement
	CodeClosed              = 105 // Close was called (on the client, or on its engine: ErrEngineClosed)
	CodeEngineInUse         = 106 // Engine.Close while the engine has connections, or of the DefaultEngine
	CodeNotConnected        = 200 // the call needs a connection
	CodeAlreadyConnected    = 201 // Connect while connected or connecting
	CodeConnectFailed       = 202 // the broker could not be reached
	CodeConnectionLost      = 203 // the connection ended during the call
	CodeHeartbeatMissed     = 204 // the server went silent past its heart-beat
	CodeInterrupted         = 205 // Interrupt (or Disconnect) ended the call
	CodeQueueFull           = 206 // a subscription's queue overflowed (OnFull FullError)
	CodeCertRejected        = 207 // the server's TLS certificate was not trusted or accepted
	CodeTLSFailed           = 208 // the TLS handshake failed (versions, ciphers, alerts)
	CodeProxyFailed         = 209 // the firewall (proxy) was unreachable, refused or broke its protocol
	CodeOutcomeUnknown      = 210 // the connection ended before the broker confirmed or refused the frame
	CodeTimeout             = 300 // Timeout (or the context's deadline) passed
	CodeReceiptTimeout      = 301 // the broker's RECEIPT did not come in time
	CodeWouldBlock          = 302 // a queue is full: the outgoing queue with Timeout 0, the receipts awaited, the outbox (NoWait)
	CodeCanceled            = 303 // the caller's context was canceled
	CodeUnknownSubscription = 400 // no subscription has that id
	CodeUnknownTransaction  = 401 // no open transaction has that id
	CodeTransactionExists   = 402 // that transaction is already open
	CodeNoAck               = 403 // the message needs no acknowledgement
	CodeAlreadyAcked        = 404 // the message was already acknowledged
	CodeNackUnsupported     = 405 // NACK needs STOMP 1.1 or later
	CodeProtocol            = 500 // the server broke the STOMP protocol
	CodeFrameLimit          = 501 // a server frame broke a size limit (MaxLineLength, ...)
	CodeServerError         = 600 // the server sent an ERROR frame (see "Server errors" in the api package doc)
	CodeOther               = 900 // an error no other code describes
)

// Sentinel errors, one per code, for errors.Is; a few codes have more
// than one, each saying more exactly what happened.
var (
	ErrInvalidArgument     = sentinel(CodeInvalidArgument, "invalid argument")
	ErrUnknownSetting      = sentinel(CodeUnknownSetting, "unknown configuration setting")
	ErrSettingAccess       = sentinel(CodeSettingAccess, "setting is read-only or write-only")
	ErrConnectedSetting    = sentinel(CodeConnectedSetting, "setting cannot change while connected")
	ErrUnsupported         = sentinel(CodeUnsupported, "not supported")
	ErrClosed              = sentinel(CodeClosed, "client closed")
	ErrEngineInUse         = sentinel(CodeEngineInUse, "engine in use")
	ErrNotConnected        = sentinel(CodeNotConnected, "not connected")
	ErrAlreadyConnected    = sentinel(CodeAlreadyConnected, "already connected or connecting")
	ErrConnectFailed       = sentinel(CodeConnectFailed, "connect failed")
	ErrConnectionLost      = sentinel(CodeConnectionLost, "connection lost")
	ErrHeartbeatMissed     = sentinel(CodeHeartbeatMissed, "server heart-beats stopped")
	ErrInterrupted         = sentinel(CodeInterrupted, "interrupted")
	ErrQueueFull           = sentinel(CodeQueueFull, "subscription queue full")
	ErrCertRejected        = sentinel(CodeCertRejected, "server certificate rejected")
	ErrTLSFailed           = sentinel(CodeTLSFailed, "TLS handshake failed")
	ErrProxyFailed         = sentinel(CodeProxyFailed, "proxy failed")
	ErrOutcomeUnknown      = sentinel(CodeOutcomeUnknown, "connection ended before the broker answered; outcome unknown")
	ErrTimeout             = sentinel(CodeTimeout, "timed out")
	ErrReceiptTimeout      = sentinel(CodeReceiptTimeout, "no receipt before the deadline")
	ErrWouldBlock          = sentinel(CodeWouldBlock, "outgoing queue full")
	ErrTooManyReceipts     = sentinel(CodeWouldBlock, "too many receipts pending")
	ErrCanceled            = sentinel(CodeCanceled, "canceled")
	ErrUnknownSubscription = sentinel(CodeUnknownSubscription, "unknown subscription")
	ErrUnknownTransaction  = sentinel(CodeUnknownTransaction, "unknown transaction")
	ErrTransactionExists   = sentinel(CodeTransactionExists, "transaction already open")
	ErrNoAck               = sentinel(CodeNoAck, "message needs no acknowledgement")
	ErrAlreadyAcked        = sentinel(CodeAlreadyAcked, "message already acknowledged")
	ErrNackUnsupported     = sentinel(CodeNackUnsupported, "NACK needs STOMP 1.1 or later")
	ErrProtocol            = sentinel(CodeProtocol, "protocol violation by the server")
	ErrFrameLimit          = sentinel(CodeFrameLimit, "server frame exceeds a limit")
	ErrServer              = sentinel(CodeServerError, "server error")
	ErrOther               = sentinel(CodeOther, "error")
)

// ErrEngineClosed (code 105, so errors.Is(err, ErrClosed) holds) refuses
// a client of an Engine that Close ended: the client itself was not
// closed.
var ErrEngineClosed = sentinel(CodeClosed, "engine closed")

// ErrReceiptIDInUse (code 100) refuses a frame whose receipt id is
// already awaited, or is of the form the client gives its own frames'
// receipts: the broker's RECEIPT for it would confirm another frame.
var ErrReceiptIDInUse = sentinel(CodeInvalidArgument, "receipt id already in use")

// Sentinels lists one sentinel per code, in code order.
var Sentinels = []*Error{
	ErrInvalidArgument, ErrUnknownSetting, ErrSettingAccess, ErrConnectedSetting, ErrUnsupported,
	ErrClosed, ErrEngineInUse, ErrNotConnected, ErrAlreadyConnected, ErrConnectFailed, ErrConnectionLost,
	ErrHeartbeatMissed, ErrInterrupted, ErrQueueFull, ErrCertRejected, ErrTLSFailed, ErrProxyFailed, ErrOutcomeUnknown,
	ErrTimeout, ErrReceiptTimeout, ErrWouldBlock, ErrCanceled,
	ErrUnknownSubscription, ErrUnknownTransaction, ErrTransactionExists, ErrNoAck, ErrAlreadyAcked, ErrNackUnsupported,
	ErrProtocol, ErrFrameLimit, ErrServer, ErrOther,
}

func sentinel(code int, msg string) *Error { return &Error{Code: code, Message: "stomp: " + msg} }

// CodeText is the short meaning of a code ("timed out").
func CodeText(code int) string {
	for _, s := range Sentinels {
		if s.Code == code {
			return strings.TrimPrefix(s.Message, "stomp: ")
		}
	}
	return fmt.Sprintf("error %d", code)
}

// errSubscriptionIDInUse refuses a Subscribe whose id is taken; the
// subscription holding the id is left alone.
var errSubscriptionIDInUse = NewError(CodeInvalidArgument, "stomp: subscription id is already in use", nil)

// MaxQuotedText is how many bytes of a broker's words (an ERROR's
// message, the server header, a receipt or message id) the engine quotes
// into an error's Message, an event's description or a log line. Control
// characters in them (C0, DEL, C1, line separators, bidirectional
// formatting, bytes that are not UTF-8) are written as Go escapes (\n,
// \x1b, \u0085, \xff), so that quoted text is one line with no terminal
// escapes; escapes can make it up to four times as long. Text cut short
// ends in "...". The data fields that hold the same words (Error.Headers
// and Body, ConnectInfo.Server and Headers, a Message's headers) keep
// them raw.
const MaxQuotedText = safetext.Max

// peerText is a broker's words made fit for a message (MaxQuotedText).
func peerText(s string) string { return safetext.Text(s, MaxQuotedText) }

// peerQuote is peerText, quoted as strconv.Quote does.
func peerQuote(s string) string { return safetext.Quote(s, MaxQuotedText) }

// serverError is an ERROR frame received from the server, as an *Error
// of CodeServerError: its message header (or the first line of its body)
// in Message, scrubbed (scrub, when not nil: ConnectConfig.Scrub), escaped
// and cut (peerText), every header and the body kept as they came.
//
// The headers are copied into memory of their own: the frame's strings
// point into the memory the reader decoded it into, body included, which
// an error kept in a queue would otherwise hold whole. The body is kept up
// to MaxErrorBody bytes.
func serverError(f *frames.Frame, scrub func(string) string) *Error {
	var body []byte
	if len(f.Body) > 0 {
		body = f.Body[:min(len(f.Body), MaxErrorBody)]
	}
	keep := &frames.Frame{Headers: f.Headers, Body: body}
	c := keep.Clone()
	return &Error{Code: CodeServerError, Message: serverErrorMessage(f.Headers, f.Body, scrub),
		Headers: c.Headers, Body: c.Body, Truncated: len(body) < len(f.Body)}
}

// MaxErrorBody is how much of an ERROR frame's body an *Error keeps
// (Error.Body; Truncated says when there was more): brokers send a reason
// or a stack trace, and a hostile one could send MaxBody-sized ERRORs
// faster than a handler reads them.
const MaxErrorBody = 64 << 10

// ServerErrorMessage is the Message of the *Error an ERROR frame with
// these headers and body becomes: "stomp: server error: " and its
// message header, or else the first line of its body, escaped and cut to
// MaxQuotedText bytes. (The api, which scrubs secrets from the headers
// and body, makes the message again from what it scrubbed.)
func ServerErrorMessage(headers frames.Headers, body []byte) string {
	return serverErrorMessage(headers, body, nil)
}

// serverErrorMessage is ServerErrorMessage with the broker's words passed
// through scrub (when not nil) before they are cut: a secret the broker
// echoed is then hidden whole, where a scrub after the cut would find
// only a piece of it.
func serverErrorMessage(headers frames.Headers, body []byte, scrub func(string) string) string {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	msg := "stomp: server error"
	if m := headers.Value(frames.HdrMessage); m != "" {
		msg += ": " + peerText(scrub(m))
	} else if len(body) > 0 {
		msg += ": " + peerText(scrub(firstLine(body)))
	}
	return msg
}

// firstLine is the first line of body (without a CR before its LF), at
// most 4*MaxQuotedText bytes of it: more than a message quotes.
func firstLine(body []byte) string {
	s := string(body[:min(len(body), 4*MaxQuotedText)])
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// CodeOf is the code err is known by: the most specific code of the
// *Errors it holds (a lost connection's cause says more than "connection
// lost", whatever the order they were wrapped in), or 0 when it holds none.
func CodeOf(err error) int {
	code := 0
	var walk func(error) bool
	walk = func(err error) bool {
		if err == nil {
			return false
		}
		if e, ok := err.(*Error); ok {
			if e.Code != CodeConnectionLost && e.Code != CodeOther {
				code = e.Code
				return true
			}
			if code == 0 {
				code = e.Code
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	walk(err)
	return code
}

// IsServerError reports whether err holds an ERROR frame from the server.
func IsServerError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeServerError
}

// ProtocolError is a server that broke the protocol; it wraps ErrProtocol.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string { return "stomp: protocol violation by the server: " + e.Reason }

// Unwrap returns ErrProtocol.
func (e *ProtocolError) Unwrap() error { return ErrProtocol }

func protocolErr(format string, args ...any) error {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...)}
}

// readError gives what the decoder refused its code: a frame over a limit,
// or bytes that break the grammar (the server's fault).
func readError(err error) error {
	var le *frames.LimitError
	var se *frames.SyntaxError
	switch {
	case errors.As(err, &le):
		return NewError(CodeFrameLimit, le.Error(), le)
	case errors.As(err, &se):
		return NewError(CodeProtocol, "stomp: protocol violation by the server: "+strings.TrimPrefix(se.Error(), "stomp: "), se)
	}
	return err
}

// lostError wraps the cause of a lost connection so that both
// errors.Is(err, ErrConnectionLost) and errors.Is(err, cause) hold; the
// cause comes first, so its code (a missed heart-beat's, a limit's) is the
// one the error is known by.
type lostError struct{ cause error }

func (e *lostError) Error() string {
	if e.cause == nil {
		return ErrConnectionLost.Error()
	}
	return ErrConnectionLost.Error() + ": " + e.cause.Error()
}
func (e *lostError) Unwrap() []error { return []error{e.cause, ErrConnectionLost} }

func connectionLost(cause error) error {
	if IsServerError(cause) || errors.Is(cause, ErrConnectionLost) || errors.Is(cause, ErrInterrupted) || errors.Is(cause, ErrClosed) {
		return cause
	}
	if cause == nil {
		return ErrConnectionLost
	}
	return &lostError{cause: cause}
}

// unknownError is ErrOutcomeUnknown with the reason the connection ended.
type unknownError struct{ cause error }

func (e *unknownError) Error() string {
	if e.cause == nil {
		return ErrOutcomeUnknown.Error()
	}
	return ErrOutcomeUnknown.Error() + ": " + e.cause.Error()
}

func (e *unknownError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrOutcomeUnknown}
	}
	return []error{ErrOutcomeUnknown, e.cause}
}

// waitEndedError: a caller stopped waiting (its context ended) once its
// frame was written, or taken to be: whether the broker has it is not
// known.
type waitEndedError struct{ cause error }

func (e *waitEndedError) Error() string {
	return "stomp: the wait ended after the frame was written; outcome unknown: " + e.cause.Error()
}

func (e *waitEndedError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.cause} }

func outcomeUnknown(cause error) error {
	if errors.Is(cause, ErrOutcomeUnknown) {
		return cause
	}
	return &unknownError{cause: cause}
}
