package api

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Error is the one error type the api package returns. Code is stable
// across releases and groups errors by hundreds:
//
//	1xx  the call itself: a bad argument or setting, a state that forbids it
//	2xx  the connection: not connected, lost, refused, interrupted
//	3xx  waiting: timeouts, a full outgoing queue, a canceled context
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
// No Error ever contains a passcode or a proxy password.
type Error struct {
	// Code is the stable numeric code (see the Code constants).
	Code int
	// Message describes the error; it starts with "stomp: ".
	Message string
	// Headers are the headers of the ERROR frame, for Code 600 only.
	Headers []Header
	// Body is the body of the ERROR frame, for Code 600 only.
	Body []byte

	cause error
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
	CodeClosed              = 105 // Close was called
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
	CodeWouldBlock          = 302 // Timeout is 0 and the outgoing queue is full
	CodeCanceled            = 303 // the caller's context was canceled
	CodeUnknownSubscription = 400 // no subscription has that id
	CodeUnknownTransaction  = 401 // no open transaction has that id
	CodeTransactionExists   = 402 // that transaction is already open
	CodeNoAck               = 403 // the message needs no acknowledgement
	CodeAlreadyAcked        = 404 // the message was already acknowledged
	CodeNackUnsupported     = 405 // NACK needs STOMP 1.1 or later
	CodeProtocol            = 500 // the server broke the STOMP protocol
	CodeFrameLimit          = 501 // a server frame broke a size limit (MaxLineLength, ...)
	CodeServerError         = 600 // the server sent an ERROR frame (see "Server errors" in the package doc)
	CodeOther               = 900 // an error no other code describes
)

// Sentinel errors, one per code, for errors.Is.
var (
	ErrInvalidArgument     = sentinel(CodeInvalidArgument, "invalid argument")
	ErrUnknownSetting      = sentinel(CodeUnknownSetting, "unknown configuration setting")
	ErrSettingAccess       = sentinel(CodeSettingAccess, "setting is read-only or write-only")
	ErrConnectedSetting    = sentinel(CodeConnectedSetting, "setting cannot change while connected")
	ErrUnsupported         = sentinel(CodeUnsupported, "not supported")
	ErrClosed              = sentinel(CodeClosed, "client closed")
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

func sentinel(code int, msg string) *Error { return &Error{Code: code, Message: "stomp: " + msg} }

// newError returns an *Error of code with a message built from the
// sentinel's and detail.
func newError(code int, detail string) *Error {
	return &Error{Code: code, Message: "stomp: " + detail}
}

// wrap returns an *Error of code whose message is the cause's, prefixed
// when the cause does not already speak for stompactor.
func wrap(code int, cause error) *Error {
	msg := cause.Error()
	if !strings.HasPrefix(msg, "stomp: ") {
		msg = "stomp: " + codeText(code) + ": " + msg
	}
	return &Error{Code: code, Message: msg, cause: cause}
}

func codeText(code int) string {
	for _, s := range sentinels {
		if s.Code == code {
			return strings.TrimPrefix(s.Message, "stomp: ")
		}
	}
	return "error " + strconv.Itoa(code)
}

var sentinels = []*Error{
	ErrInvalidArgument, ErrUnknownSetting, ErrSettingAccess, ErrConnectedSetting, ErrUnsupported,
	ErrClosed, ErrNotConnected, ErrAlreadyConnected, ErrConnectFailed, ErrConnectionLost,
	ErrHeartbeatMissed, ErrInterrupted, ErrQueueFull, ErrCertRejected, ErrTLSFailed, ErrProxyFailed, ErrOutcomeUnknown, ErrTimeout, ErrReceiptTimeout, ErrWouldBlock,
	ErrCanceled, ErrUnknownSubscription, ErrUnknownTransaction, ErrTransactionExists, ErrNoAck,
	ErrAlreadyAcked, ErrNackUnsupported, ErrProtocol, ErrFrameLimit, ErrServer, ErrOther,
}

// engineCodes maps the engine's sentinel errors to codes, most specific
// first: a lost connection wraps its cause, and the cause names it better.
var engineCodes = []struct {
	err  error
	code int
}{
	{actors.ErrOutcomeUnknown, CodeOutcomeUnknown},
	{actors.ErrClosed, CodeClosed},
	{actors.ErrHeartbeatMissed, CodeHeartbeatMissed},
	{actors.ErrInterrupted, CodeInterrupted},
	{actors.ErrQueueFull, CodeQueueFull},
	{actors.ErrReceiptTimeout, CodeReceiptTimeout},
	{actors.ErrTimeout, CodeTimeout},
	{context.DeadlineExceeded, CodeTimeout},
	{context.Canceled, CodeCanceled},
	{actors.ErrProtocol, CodeProtocol},
	{actors.ErrInvalidHeader, CodeInvalidArgument},
	{frames.ErrLimit, CodeFrameLimit},
	{frames.ErrSyntax, CodeProtocol},
	{actors.ErrNotConnected, CodeNotConnected},
	{actors.ErrAlreadyConnected, CodeAlreadyConnected},
	{actors.ErrUnknownTransaction, CodeUnknownTransaction},
	{actors.ErrTransactionExists, CodeTransactionExists},
	{actors.ErrUnknownSubscription, CodeUnknownSubscription},
	{actors.ErrNoAck, CodeNoAck},
	{actors.ErrConnectionLost, CodeConnectionLost},
}

// toError maps any error to an *Error; def is the code for an error no
// rule names. Secrets are scrubbed from the message. It returns nil for
// nil.
func toError(err error, def int, scrub func(string) string) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *actors.ServerError
	if errors.As(err, &se) {
		body := append([]byte(nil), se.Body...)
		msg := se.Error()
		if len(body) > 0 && se.Message == "" {
			msg += ": " + firstLine(string(body))
		}
		// A broker may echo what it was sent: keep secrets out of every
		// part of the frame the caller can reach, the cause included (it
		// is replaced by a scrubbed copy only when something was hidden).
		hs := fromFrameHeaders(se.Headers, false)
		changed := false
		for i := range hs {
			if v := scrub(hs[i].Value); v != hs[i].Value {
				hs[i].Value, changed = v, true
			}
		}
		if scrubbed := scrub(string(body)); scrubbed != string(body) {
			body, changed = []byte(scrubbed), true
		}
		var cause error = err
		if changed || scrub(se.Message) != se.Message {
			clean := &actors.ServerError{Message: scrub(se.Message), Body: body, Headers: append(frames.Headers(nil), hs...)}
			cause = clean
		}
		return &Error{Code: CodeServerError, Message: scrub(msg), Headers: hs, Body: body, cause: cause}
	}
	if out := dialError(err, scrub); out != nil {
		return out
	}
	code := def
	for _, m := range engineCodes {
		if errors.Is(err, m.err) {
			code = m.code
			break
		}
	}
	if code == def {
		var ne net.Error
		if def == CodeOther && errors.As(err, &ne) {
			code = CodeConnectionLost
		}
	}
	out := wrap(code, err)
	out.Message = scrub(out.Message) + limitHint(err)
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
