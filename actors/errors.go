package actors

import (
	"errors"
	"fmt"

	"github.com/stompactor/stompactor/frames"
)

// Errors the engine returns. The api package maps each to a numbered code.
var (
	ErrNotConnected        = errors.New("stomp: not connected")
	ErrAlreadyConnected    = errors.New("stomp: already connected or connecting")
	ErrConnectionLost      = errors.New("stomp: connection lost")
	ErrClosed              = errors.New("stomp: client closed")
	ErrTimeout             = errors.New("stomp: timed out")
	ErrReceiptTimeout      = errors.New("stomp: no receipt before the deadline")
	ErrHeartbeatMissed     = errors.New("stomp: server heart-beats stopped")
	ErrUnknownTransaction  = errors.New("stomp: unknown transaction")
	ErrTransactionExists   = errors.New("stomp: transaction already open")
	ErrUnknownSubscription = errors.New("stomp: unknown subscription")
	ErrProtocol            = errors.New("stomp: protocol violation by the server")
	ErrInterrupted         = errors.New("stomp: interrupted")
	ErrNoAck               = errors.New("stomp: message needs no acknowledgement")
	ErrTooManyReceipts     = errors.New("stomp: too many receipts pending")
	ErrQueueFull           = errors.New("stomp: subscription queue full")
	// ErrOutcomeUnknown says the connection ended after a frame that asked
	// for a receipt was written and before its RECEIPT (or an ERROR naming
	// it) came: the broker may or may not have acted on it.
	ErrOutcomeUnknown = errors.New("stomp: connection ended before the broker answered; outcome unknown")
)

// errSubscriptionIDInUse refuses a Subscribe whose id is taken; the
// subscription holding the id is left alone.
var errSubscriptionIDInUse = errors.New("stomp: subscription id is already in use")

// ServerError is an ERROR frame received from the server.
type ServerError struct {
	Message string         // the frame's message header
	Headers frames.Headers // every header of the frame
	Body    []byte         // the frame's body
}

func (e *ServerError) Error() string {
	if e.Message == "" {
		return "stomp: server error"
	}
	return "stomp: server error: " + e.Message
}

// ProtocolError is a server that broke the protocol; it wraps ErrProtocol.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string { return "stomp: protocol violation by the server: " + e.Reason }

// Unwrap returns ErrProtocol.
func (e *ProtocolError) Unwrap() error { return ErrProtocol }

func protocolErr(format string, args ...any) error {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...)}
}

// lostError wraps the cause of a lost connection so that both
// errors.Is(err, ErrConnectionLost) and errors.Is(err, cause) hold.
type lostError struct{ cause error }

func (e *lostError) Error() string {
	if e.cause == nil {
		return ErrConnectionLost.Error()
	}
	return ErrConnectionLost.Error() + ": " + e.cause.Error()
}
func (e *lostError) Unwrap() []error { return []error{ErrConnectionLost, e.cause} }

func connectionLost(cause error) error {
	var se *ServerError
	if errors.As(cause, &se) || errors.Is(cause, ErrConnectionLost) || errors.Is(cause, ErrInterrupted) || errors.Is(cause, ErrClosed) {
		return cause
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

func outcomeUnknown(cause error) error {
	if errors.Is(cause, ErrOutcomeUnknown) {
		return cause
	}
	return &unknownError{cause: cause}
}
