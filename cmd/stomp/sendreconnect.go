package main

import (
	"fmt"
	"strings"

	"github.com/stompactor/stompactor/api"
)

// send --reconnect: the messages go through the library's at-least-once
// outbox (api.AtLeastOnce). Each one is kept until its own RECEIPT comes
// and is sent again on the next connection when its own was lost first, so
// the run goes on across reconnects, and what it counts as sent is what
// the broker confirmed. A message whose RECEIPT was lost with its
// connection is sent again: the broker may get it twice (--dedup-header
// names a header that tells the copies apart). DISCONNECT's RECEIPT, which
// may come on another connection than the messages it follows, confirms
// nothing then.

// checkSendReconnect refuses the flags that do not go with send
// --reconnect, or need it.
func checkSendReconnect(reconnect bool, transaction, dedupHeader string, headers []string, trace bool) error {
	if reconnect && transaction != "" {
		return usagef("--transaction does not go with --reconnect: a transaction ends with its connection, " +
			"and a message sent again on the next one would be outside it")
	}
	if dedupHeader != "" && !reconnect {
		return usagef("--dedup-header goes with --reconnect, whose messages may be sent twice")
	}
	if dedupHeader != "" {
		// The id would replace the -H value, or the trace context.
		for _, h := range headers {
			if k, _, _ := strings.Cut(h, ":"); k == dedupHeader {
				return usagef("-H %s and --dedup-header %s: the id --dedup-header puts in that header would replace the value -H gives", k, k)
			}
		}
		if trace && dedupHeader == "traceparent" {
			return usagef("--dedup-header traceparent does not go with --trace, which puts the trace context in that header")
		}
	}
	return nil
}

// atLeastOnce is the option that makes send --reconnect's messages at
// least once, each with an id of its own in dedupHeader ("": none). The
// library refuses a header it writes itself, or content-type, as bad
// usage (ErrInvalidArgument, before it dials).
func atLeastOnce(dedupHeader string) api.Option {
	return api.WithAtLeastOnce(api.AtLeastOnce{Enabled: true, DedupHeader: dedupHeader})
}

// outboxKept is how the library's error of an at-least-once send whose
// wait ended says the message stays in the outbox: true of the library,
// not of a run that ends there.
const outboxKept = "; the message stays in the outbox"

// unconfirmedAtLeastOnce words the error that ends a send --reconnect run
// at message i (1-based), whose RECEIPT did not come within --timeout
// (ErrReceiptTimeout) or whose wait a signal ended (ErrOutcomeUnknown):
// the message was handed to the broker, perhaps more than once, and may
// or may not have arrived. The run ends there, and the outbox with it, so
// what the library says of the outbox keeping the message is left out.
// Other errors are returned as they are.
func unconfirmedAtLeastOnce(err error, i int) error {
	if !sentAnyway(err) {
		return err
	}
	msg := errorLine(err)
	if k := strings.Index(msg, outboxKept); k >= 0 {
		msg = msg[:k]
	}
	return &reworded{msg: fmt.Sprintf("message %d not confirmed (it may or may not have arrived): %s", i, msg), err: err}
}

// reworded is err with a message of its own, still err in its chain.
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }
