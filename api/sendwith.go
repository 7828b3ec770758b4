package api

import (
	"context"

	"github.com/stompactor/stompactor/frames"
)

// Send and SendAsync: a message with headers and a transaction of its own.

// SendOptions are the choices of Send and SendAsync for one message,
// beyond its destination and body. They belong to that message alone:
// goroutines that send at once with different options never see each
// other's, as they would through the client-wide properties (AddHeader,
// ContentType, TransactionID), which every message reads.
type SendOptions struct {
	// Headers are extra SEND headers of this message (a correlation-id,
	// a reply-to, a selector's property), sent beside the client's custom
	// headers (AddHeader, WithHeader). Every entry is sent, in order,
	// repeated keys included (a STOMP 1.2 receiver keeps the first of a
	// repeated key). A key given here replaces every custom header of
	// that key: only this message's entries of it are sent. They
	// follow AddHeader's rules, and a header the client sets itself
	// (destination, transaction, receipt, content-length and the others
	// AddHeader lists) is refused with ErrInvalidArgument: TransactionID
	// below, RequestReceipts and the call set them. A content-type here
	// is this message's content type, like ContentType below (setting
	// both is an error). Default none.
	Headers []Header
	// ContentType is this message's content-type, in place of the
	// client's (the ContentType property, or a content-type custom
	// header). Default "": the client's, and none when it has none.
	ContentType string
	// TransactionID is the transaction this message joins, which must be
	// open on the current connection (BeginTransaction; else
	// ErrUnknownTransaction, before anything is written). Send does not
	// read the TransactionID property: "" joins no transaction, whatever
	// another goroutine set there. Default "".
	TransactionID string
}

// Send sends body to destination with the options of this message alone
// (see SendOptions), otherwise like SendDataContext: the client's custom
// headers and ContentType apply unless opts says otherwise; with
// RequestReceipts it waits for the broker's RECEIPT; with AtLeastOnce it
// waits in the outbox for it (and, as SendData, refuses a message that
// joins a transaction); with tracing on it is a "send" span whose context
// goes out in the message's headers (a traceparent of opts.Headers is
// kept, and the span links to it). It is bounded by ctx and Timeout, and
// with Timeout 0 it behaves as SendData does: without a deadline on ctx
// it does not wait, and nil means queued, not confirmed, even with
// RequestReceipts or AtLeastOnce (the outcome goes to OnError; a full
// queue or outbox is ErrWouldBlock); with a deadline on ctx it waits for
// the RECEIPT. Invalid options are refused
// with ErrInvalidArgument before anything is sent, connected or not. body
// is copied (or encoded) before Send returns.
func (s *STOMP) Send(ctx context.Context, destination string, body []byte, opts SendOptions) error {
	const name = "Send"
	if err := opts.check(name); err != nil {
		return err
	}
	return s.send(ctx, sendCall{name: name, callersBody: true}, &opts, destination, body)
}

// SendAsync is SendDataAsync with the options of this message alone (see
// SendOptions and Send): it returns once the message is in the outbox and
// calls done once with its outcome. Like SendDataAsync it is
// at-least-once, so opts must not name a transaction. body is copied.
func (s *STOMP) SendAsync(ctx context.Context, destination string, body []byte, opts SendOptions, done func(error)) error {
	const name = "SendAsync"
	if err := opts.check(name); err != nil {
		return err
	}
	return s.sendAsync(ctx, sendCall{name: name}, &opts, destination, append([]byte(nil), body...), done)
}

// check applies AddHeader's rules to the options, when they are given;
// the negotiated version's rules apply when the frame is made.
func (o *SendOptions) check(where string) error {
	typed := false
	for _, h := range o.Headers {
		if h.Key == frames.HdrTransaction {
			return invalid("%s: header %q is set by the client from SendOptions.TransactionID; an extra header cannot replace it", where, h.Key)
		}
		if err := checkExtraHeader(where, frames.CmdSend, h); err != nil {
			return err
		}
		typed = typed || h.Key == frames.HdrContentType
	}
	if o.ContentType != "" {
		if typed {
			return invalid("%s: set SendOptions.ContentType or a content-type header in Headers, not both", where)
		}
		if err := checkValue("SendOptions.ContentType", frames.CmdSend, frames.HdrContentType, o.ContentType); err != nil {
			return err
		}
	}
	if o.TransactionID != "" {
		if err := checkValue("SendOptions.TransactionID", frames.CmdSend, frames.HdrTransaction, o.TransactionID); err != nil {
			return err
		}
	}
	return nil
}

// apply writes the message's own headers over those of the client: the
// first of a key takes the place of the client's headers of that key
// (custom ones, or its content-type), the later ones of the key follow
// it, so every header of the message goes out, in its order.
func (o *SendOptions) apply(h *frames.Headers) {
	if o.ContentType != "" {
		h.Set(frames.HdrContentType, o.ContentType)
	}
	for i, x := range o.Headers {
		if o.keyBefore(i) {
			h.Add(x.Key, x.Value)
		} else {
			h.Set(x.Key, x.Value)
		}
	}
}

// keyBefore reports whether o.Headers names the key of its i-th header
// before i.
func (o *SendOptions) keyBefore(i int) bool {
	for _, x := range o.Headers[:i] {
		if x.Key == o.Headers[i].Key {
			return true
		}
	}
	return false
}
