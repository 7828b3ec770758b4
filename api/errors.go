package api

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Error is the one error type of stompactor, returned by every call of
// this package (and by the engine, package actors, where it is defined:
// one vocabulary, owned in one place). Code is stable across releases and
// groups errors by hundreds:
//
//	1xx  the call itself: a bad argument or setting, a state that forbids it
//	2xx  the connection: not connected, lost, refused, interrupted
//	3xx  waiting: timeouts, a full queue, a canceled context
//	4xx  subscriptions, transactions and acknowledgements
//	5xx  the server broke the protocol
//	600  the server sent an ERROR frame (Headers and Body hold it)
//	900  anything else
//
// The full table is in the package documentation and beside each Code
// constant. errors.Is(err, ErrTimeout) compares codes, so it holds for every
// *Error with Code 300 whatever its message; errors.As(err, &e) gives the
// *Error. Unwrap returns the underlying cause (a net.OpError, a
// context error, ...), for logging; match on Code or the sentinels, not on
// the cause.
//
// No Error this package returns ever contains a passcode or a proxy
// password, and its Message quotes a broker's words only escaped and cut
// to MaxQuotedText bytes (see "Server errors" in the package
// documentation); Headers and Body keep them raw.
type Error = actors.Error

// MaxErrorBody is how much of a server ERROR's body an *Error keeps
// (Body; Truncated says the broker sent more).
const MaxErrorBody = actors.MaxErrorBody

// MaxQuotedText is how many bytes of a broker's words the client quotes
// into an error's Message, an event's Description or a log line, with
// control characters escaped (see "Server errors").
const MaxQuotedText = actors.MaxQuotedText

// The error codes (defined with Error in package actors).
const (
	CodeInvalidArgument     = actors.CodeInvalidArgument
	CodeUnknownSetting      = actors.CodeUnknownSetting
	CodeSettingAccess       = actors.CodeSettingAccess
	CodeConnectedSetting    = actors.CodeConnectedSetting
	CodeUnsupported         = actors.CodeUnsupported
	CodeClosed              = actors.CodeClosed
	CodeEngineInUse         = actors.CodeEngineInUse
	CodeNotConnected        = actors.CodeNotConnected
	CodeAlreadyConnected    = actors.CodeAlreadyConnected
	CodeConnectFailed       = actors.CodeConnectFailed
	CodeConnectionLost      = actors.CodeConnectionLost
	CodeHeartbeatMissed     = actors.CodeHeartbeatMissed
	CodeInterrupted         = actors.CodeInterrupted
	CodeQueueFull           = actors.CodeQueueFull
	CodeCertRejected        = actors.CodeCertRejected
	CodeTLSFailed           = actors.CodeTLSFailed
	CodeProxyFailed         = actors.CodeProxyFailed
	CodeOutcomeUnknown      = actors.CodeOutcomeUnknown
	CodeTimeout             = actors.CodeTimeout
	CodeReceiptTimeout      = actors.CodeReceiptTimeout
	CodeWouldBlock          = actors.CodeWouldBlock
	CodeCanceled            = actors.CodeCanceled
	CodeUnknownSubscription = actors.CodeUnknownSubscription
	CodeUnknownTransaction  = actors.CodeUnknownTransaction
	CodeTransactionExists   = actors.CodeTransactionExists
	CodeNoAck               = actors.CodeNoAck
	CodeAlreadyAcked        = actors.CodeAlreadyAcked
	CodeNackUnsupported     = actors.CodeNackUnsupported
	CodeProtocol            = actors.CodeProtocol
	CodeFrameLimit          = actors.CodeFrameLimit
	CodeServerError         = actors.CodeServerError
	CodeOther               = actors.CodeOther
)

// Sentinel errors, one per code, for errors.Is (defined in package actors).
var (
	ErrInvalidArgument     = actors.ErrInvalidArgument
	ErrUnknownSetting      = actors.ErrUnknownSetting
	ErrSettingAccess       = actors.ErrSettingAccess
	ErrConnectedSetting    = actors.ErrConnectedSetting
	ErrUnsupported         = actors.ErrUnsupported
	ErrClosed              = actors.ErrClosed
	ErrEngineClosed        = actors.ErrEngineClosed // code 105: a client of an Engine that Close ended
	ErrEngineInUse         = actors.ErrEngineInUse
	ErrNotConnected        = actors.ErrNotConnected
	ErrAlreadyConnected    = actors.ErrAlreadyConnected
	ErrConnectFailed       = actors.ErrConnectFailed
	ErrConnectionLost      = actors.ErrConnectionLost
	ErrHeartbeatMissed     = actors.ErrHeartbeatMissed
	ErrInterrupted         = actors.ErrInterrupted
	ErrQueueFull           = actors.ErrQueueFull
	ErrCertRejected        = actors.ErrCertRejected
	ErrTLSFailed           = actors.ErrTLSFailed
	ErrProxyFailed         = actors.ErrProxyFailed
	ErrOutcomeUnknown      = actors.ErrOutcomeUnknown
	ErrTimeout             = actors.ErrTimeout
	ErrReceiptTimeout      = actors.ErrReceiptTimeout
	ErrWouldBlock          = actors.ErrWouldBlock
	ErrCanceled            = actors.ErrCanceled
	ErrUnknownSubscription = actors.ErrUnknownSubscription
	ErrUnknownTransaction  = actors.ErrUnknownTransaction
	ErrTransactionExists   = actors.ErrTransactionExists
	ErrNoAck               = actors.ErrNoAck
	ErrAlreadyAcked        = actors.ErrAlreadyAcked
	ErrNackUnsupported     = actors.ErrNackUnsupported
	ErrProtocol            = actors.ErrProtocol
	ErrFrameLimit          = actors.ErrFrameLimit
	ErrServer              = actors.ErrServer
	ErrOther               = actors.ErrOther
)

// sentinels lists one sentinel per code.
var sentinels = actors.Sentinels

// newError returns an *Error of code with a message built from detail.
func newError(code int, detail string) *Error {
	return actors.NewError(code, "stomp: "+detail, nil)
}

// wrap returns an *Error of code whose message is the cause's, prefixed
// when the cause does not already speak for stompactor.
func wrap(code int, cause error) *Error {
	msg := cause.Error()
	if !strings.HasPrefix(msg, "stomp: ") {
		msg = "stomp: " + actors.CodeText(code) + ": " + msg
	}
	return actors.NewError(code, msg, cause)
}

// toError gives any error its *Error: the code of the first *Error it
// holds (the engine's errors carry their codes, the most specific first),
// else context and network errors' codes, else def. Secrets are scrubbed
// from the message and, for a server ERROR, from its headers and body. It
// returns nil for nil.
func toError(err error, def int, scrub func(string) string) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.Code == CodeServerError {
		return scrubServerError(e, scrub)
	}
	var la lastAttempter
	if errors.As(err, &la) {
		return lastAttemptError(err, la, def, scrub)
	}
	if e, ok := err.(*Error); ok && scrub(e.Message) == e.Message && limitHint(err) == "" {
		return e // already one of ours, and clean
	}
	if out := dialError(err, scrub); out != nil {
		return out
	}
	code := def
	var ne net.Error
	switch {
	case e != nil:
		code = actors.CodeOf(err)
	case errors.Is(err, context.DeadlineExceeded):
		code = CodeTimeout
	case errors.Is(err, context.Canceled):
		code = CodeCanceled
	case errors.Is(err, frames.ErrLimit):
		code = CodeFrameLimit
	case errors.Is(err, frames.ErrSyntax):
		code = CodeProtocol
	case def == CodeOther && (errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)):
		// The socket's end (an EOF between frames or inside one, a
		// reset, a closed socket): the connection was lost, whatever
		// the call.
		code = CodeConnectionLost
	}
	out := wrap(code, err)
	out.Message = scrub(out.Message) + limitHint(err)
	return out
}

// lastAttempter is an error that carries, beside its own, the failure of
// the last of several attempts: the engine's answer to a first Connect
// whose Timeout or context ended while its Reconnect policy was retrying.
type lastAttempter interface {
	LastAttempt() (attempts int, own, last error)
}

// lastAttemptError is err (its code: a timeout, a cancellation) with the
// last attempt's failure, mapped as a single attempt's would be (a
// rejected certificate, a proxy's refusal, a TLS failure), named in the
// message and kept in the chain, so that errors.Is and errors.As find it
// as they do when MaxAttempts runs out.
func lastAttemptError(err error, la lastAttempter, def int, scrub func(string) string) *Error {
	attempts, own, last := la.LastAttempt()
	mine, cause := toError(own, def, scrub), toError(last, CodeConnectFailed, scrub)
	msg := mine.Message + " after " + strconv.Itoa(attempts) + " attempts; the last failed: " + strings.TrimPrefix(cause.Message, "stomp: ")
	return actors.NewError(mine.Code, msg, errors.Join(err, cause))
}

// scrubServerError returns a server ERROR with every known secret hidden:
// a broker may echo what it was sent. It is e itself when nothing was
// hidden; otherwise a copy, whose cause is not the original. Its message
// is made again from the scrubbed headers and body, or, for an ERROR
// kept without them (errorOnly), is its own message scrubbed.
func scrubServerError(e *Error, scrub func(string) string) *Error {
	changed := scrub(e.Message) != e.Message
	hs := e.Headers.Clone()
	for i := range hs {
		if v := scrub(hs[i].Value); v != hs[i].Value {
			hs[i].Value, changed = v, true
		}
	}
	body := e.Body
	if scrubbed := scrub(string(body)); scrubbed != string(body) {
		body, changed = []byte(scrubbed), true
	}
	if !changed {
		return e
	}
	if e.Headers == nil && e.Body == nil {
		// Nothing to make the message again from (an ERROR's event past
		// the queue's byte budget, errorOnly): its own message, scrubbed.
		out := actors.NewError(CodeServerError, scrub(e.Message), nil)
		out.Truncated = e.Truncated
		return out
	}
	// The message again, from what was scrubbed and then cut
	// (MaxQuotedText): a secret the cut went through leaves no piece.
	out := actors.NewError(CodeServerError, scrub(actors.ServerErrorMessage(hs, body)), nil)
	out.Headers, out.Body, out.Truncated = hs, body, e.Truncated
	return out
}
