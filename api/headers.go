package api

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// The facade's header rules. Which headers are the client's own is the
// engine's rule (actors.OwnHeader), which bytes each version can encode
// the codec's (frames.CheckHeader); here they are applied at every entry
// point, so that input that cannot be sent is refused when it is given,
// or, for the rules of one version, when the frame is made, never queued
// and dropped later.
//
// Two kinds of check:
//   - when a header or a value is given (AddHeader, WithHeader, the
//     properties and settings that become headers): the rules of every
//     version. An extra header may not be one of the client's own; a name
//     holds no colon, line break or NUL; a value holds no NUL, and the
//     values of ContentType, TransactionID, AckTransactionId, User,
//     Password and VirtualHost hold no line break either.
//   - when a frame is made (SendMessage, SendData, Subscribe,
//     BeginTransaction and its kin): the rules of the negotiated version,
//     on everything the frame carries, destination included. STOMP 1.0
//     escapes nothing, so a header value there cannot hold a line feed;
//     1.1 cannot carry a carriage return.
//
// Every refusal is ErrInvalidArgument (code 100) and names the header.
// What is left to the engine's writer (an ACK naming an id the broker
// chose, a frame whose connection changed version on a reconnect) fails
// the call, or reaches OnError, with the same code: never a silent drop.

// ownHints says where the value of each of the client's own headers
// comes from, by the frame a caller's header would go on.
var ownHints = map[frames.Command]map[string]string{
	frames.CmdSend: {
		frames.HdrDestination:   "the destination argument",
		frames.HdrTransaction:   "TransactionID",
		frames.HdrReceipt:       "RequestReceipts",
		frames.HdrContentLength: "the body's length",
	},
	frames.CmdSubscribe: {
		frames.HdrDestination: "the destination argument",
		frames.HdrID:          "SubscribeOptions.ID",
		frames.HdrAck:         "SubscribeOptions.AckMode",
		frames.HdrReceipt:     "RequestSubscriptionReceipts",
	},
}

// checkExtraHeader checks a header a caller adds to the frames of cmd
// (AddHeader and WithHeader for SEND, SubscribeOptions.Headers for
// SUBSCRIBE) when it is given. where names the entry point.
func checkExtraHeader(where string, cmd frames.Command, h Header) error {
	if actors.OwnHeader(h.Key) {
		msg := fmt.Sprintf("%s: header %q is set by the client", where, h.Key)
		if hint := ownHints[cmd][h.Key]; hint != "" {
			msg += " from " + hint
		}
		return invalid("%s; an extra header cannot replace it", msg)
	}
	if h.Key == "" {
		return invalid("%s: a header needs a name", where)
	}
	if strings.ContainsAny(h.Key, ":\r\n") {
		return invalid("%s: header name %q holds a colon or a line break, which the client does not put in a header name", where, h.Key)
	}
	return checkHeader(where, cmd, frames.V12, h.Key, h.Value)
}

// checkValue checks a value the client puts in header key of cmd (an id,
// a content type, a login) when it is given: no line break, and nothing
// the most lenient version cannot encode.
func checkValue(where string, cmd frames.Command, key, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return invalid("%s contains a line break", where)
	}
	return checkHeader(where, cmd, frames.V12, key, value)
}

// checkHeader applies version v's encoding rules to one header.
func checkHeader(where string, cmd frames.Command, v frames.Version, key, value string) error {
	if err := frames.CheckHeader(cmd, v, key, value); err != nil {
		reason := err.Error()
		var se *frames.SyntaxError
		if errors.As(err, &se) {
			reason = se.Reason
		}
		return refused(where, cmd, key, reason, err)
	}
	return nil
}

// checkFrame applies version v's encoding rules to every header of f, just
// before it is queued.
func checkFrame(where string, v frames.Version, f *frames.Frame) error {
	if err := actors.CheckFrame(f, v); err != nil {
		var he *actors.HeaderError
		if errors.As(err, &he) {
			return refused(where, he.Command, he.Key, he.Reason, err)
		}
		return invalid("%s: %v", where, err)
	}
	return nil
}

// sendRefused is the error of a send the engine refused: a header it could
// not encode as checkFrame words it, anything else as the engine's error.
func (s *STOMP) sendRefused(where string, err error) error {
	var he *actors.HeaderError
	if errors.As(err, &he) {
		return refused(where, he.Command, he.Key, he.Reason, err)
	}
	return s.err(err, CodeOther)
}

// refused is the error of a header that cannot be sent.
func refused(where string, cmd frames.Command, key, reason string, cause error) *Error {
	return actors.NewError(CodeInvalidArgument, fmt.Sprintf("stomp: %s: %s header %q cannot be sent: %s", where, cmd, key, reason), cause)
}

// checkSubscribe refuses, before anything is sent, a subscription whose
// SUBSCRIBE could not be written as asked in version v.
func checkSubscribe(v frames.Version, destination, id string, headers []Header) error {
	const where = "Subscribe"
	for _, h := range headers {
		if err := checkExtraHeader(where, frames.CmdSubscribe, h); err != nil {
			return err
		}
		if err := checkHeader(where, frames.CmdSubscribe, v, h.Key, h.Value); err != nil {
			return err
		}
	}
	if err := checkHeader(where, frames.CmdSubscribe, v, frames.HdrDestination, destination); err != nil {
		return err
	}
	return checkHeader(where, frames.CmdSubscribe, v, frames.HdrID, id)
}

// prefetchFor is the prefetch a subscription asks the broker for (0:
// none), given the client's Prefetch setting def, and the room its queue
// gets (0: the default); see SubscribeOptions.Prefetch.
func prefetchFor(opts SubscribeOptions, def int) (prefetch, room int, err error) {
	byHand := hasKey(opts.Headers, actors.HdrPrefetchCount) || hasKey(opts.Headers, actors.HdrActiveMQPrefetch)
	if opts.Prefetch != 0 && byHand {
		return 0, 0, invalid("Subscribe: set Prefetch or a prefetch header in Headers, not both")
	}
	n := opts.Prefetch
	if n == 0 {
		n = def
	}
	switch {
	case n > 0:
		return n, opts.QueueSize, nil
	case n < 0, opts.ManualAck:
		return 0, opts.QueueSize, nil
	}
	size := opts.QueueSize
	if size == 0 {
		size = actors.DefaultQueueSize
	}
	if opts.Pull {
		// Receive gives a message's place back as it takes it.
		return size, opts.QueueSize, nil
	}
	// The message being handled keeps its place until its handler
	// returns, acknowledged or not: one less leaves it room beside the
	// messages the broker may send ahead of the ACKs. With as many as
	// the queue holds, the one the broker sends as an ACK from inside a
	// handler arrives finds the queue full; the reader stops in front of
	// what follows, a RECEIPT that handler may be waiting for among it.
	if size == 1 && opts.AckMode != AckAuto && !byHand {
		// No prefetch below 1 bounds the broker (0 means none): the
		// queue gets the one place more instead, the handled message's.
		return 1, 2, nil
	}
	return max(size-1, 1), opts.QueueSize, nil
}
