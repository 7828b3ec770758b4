package actors

import (
	"errors"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/frames"
)

// The engine's header rules: which headers of the frames it writes are its
// own, which bytes a frame's headers may carry in the negotiated version,
// and how a subscription's prefetch is said to each broker.

// ErrInvalidHeader is matched by every *HeaderError.
var ErrInvalidHeader = NewError(CodeInvalidArgument, "stomp: header cannot be sent", nil)

// HeaderError refuses a frame before it is queued, or reports one the
// writer could not encode: one of its headers is one the client sets
// itself, or holds bytes the protocol version cannot encode. It names the
// header and wraps ErrInvalidHeader: the caller's input is at fault, not
// the broker.
type HeaderError struct {
	Command frames.Command
	Key     string
	Reason  string
}

func (e *HeaderError) Error() string {
	return "stomp: " + e.Command.String() + " header " + strconv.Quote(e.Key) + " cannot be sent: " + e.Reason
}

// Unwrap returns ErrInvalidHeader.
func (e *HeaderError) Unwrap() error { return ErrInvalidHeader }

// ownHeaders are the headers the client sets on the frames it writes:
// their values come from the call (a destination, an id, an ack mode, a
// transaction) or from the client itself (receipt, content-length).
var ownHeaders = []string{
	frames.HdrDestination, frames.HdrTransaction, frames.HdrReceipt, frames.HdrContentLength,
	frames.HdrSubscription, frames.HdrID, frames.HdrAck, frames.HdrMessageID,
}

// OwnHeader reports whether key is one of the headers the client sets on
// the frames it writes (destination, transaction, receipt, content-length,
// subscription, id, ack, message-id), which an extra header must not
// replace. Names are case-sensitive, as in STOMP.
func OwnHeader(key string) bool {
	for _, k := range ownHeaders {
		if k == key {
			return true
		}
	}
	return false
}

// CheckFrame reports, as a *HeaderError naming the header, the first
// header of f that version v cannot encode on f's command, or nil.
func CheckFrame(f *frames.Frame, v frames.Version) error {
	for _, h := range f.Headers {
		if err := frames.CheckHeader(f.Command, v, h.Key, h.Value); err != nil {
			return headerError(f.Command, h.Key, err)
		}
	}
	return nil
}

func headerError(cmd frames.Command, key string, err error) *HeaderError {
	reason := err.Error()
	var se *frames.SyntaxError
	if errors.As(err, &se) {
		reason = se.Reason
	}
	return &HeaderError{Command: cmd, Key: key, Reason: reason}
}

// checkSubscribe refuses a subscription whose SUBSCRIBE frame f (made from
// spec) could not be written as asked in version v: an extra header that
// would replace one of the client's own, or a header the version cannot
// encode.
func checkSubscribe(spec *SubscribeSpec, f *frames.Frame, v frames.Version) error {
	if spec.Pull && (spec.Handler != nil || spec.MaxDeliveries > 0 || spec.DeadLetter != nil) {
		return errPullSpec
	}
	for _, h := range spec.Headers {
		if OwnHeader(h.Key) {
			return &HeaderError{Command: frames.CmdSubscribe, Key: h.Key, Reason: "the client sets it itself; an extra header cannot replace it"}
		}
	}
	return CheckFrame(f, v)
}

// errPullSpec refuses a pull subscription that also names what only a
// handler's subscription does.
var errPullSpec = NewError(CodeInvalidArgument, "stomp: a Pull subscription takes no Handler, MaxDeliveries or DeadLetter", nil)

// The prefetch headers: how many unacknowledged messages a broker may send
// one subscription.
const (
	// HdrPrefetchCount is RabbitMQ's (and the simulator's).
	HdrPrefetchCount = frames.HdrPrefetchCount
	// HdrActiveMQPrefetch is ActiveMQ 5's.
	HdrActiveMQPrefetch = "activemq.prefetchSize"
)

// prefetchHeaders names the headers that carry a subscription's prefetch
// to the broker whose CONNECTED frame had this server header: RabbitMQ
// ("RabbitMQ/...") and the simulator ("stompactor-sim/...") read
// prefetch-count, ActiveMQ 5 ("ActiveMQ/...") activemq.prefetchSize. Any
// other broker, or one that names none, gets both: a broker ignores a
// SUBSCRIBE header it does not know, so both is the choice that every
// broker understanding either honours. (ActiveMQ Artemis, "ActiveMQ-
// Artemis/...", bounds its consumers in bytes with consumer-window-size
// instead and ignores both.)
func prefetchHeaders(server string) []string {
	switch {
	case strings.HasPrefix(server, "RabbitMQ/"), strings.HasPrefix(server, "stompactor-sim/"):
		return []string{HdrPrefetchCount}
	case strings.HasPrefix(server, "ActiveMQ/"):
		return []string{HdrActiveMQPrefetch}
	}
	return []string{HdrPrefetchCount, HdrActiveMQPrefetch}
}

// hasPrefetchHeader reports whether hs already says the prefetch by hand.
func hasPrefetchHeader(hs frames.Headers) bool {
	return hs.Has(HdrPrefetchCount) || hs.Has(HdrActiveMQPrefetch)
}
