package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/internal/safetext"
)

// watch follows a client for what a command must not miss. Every server
// ERROR is printed to stderr as it arrives (its message header and body),
// whether or not the server then closes the connection, and the first one
// is kept: send and subscribe end with exit 1 on one. Other errors the
// library reports outside a call (a failed automatic ACK, say) are printed
// too. It also counts the ends of connections, so that a command can wait,
// after Disconnect, until every event before the end was handled.
type watch struct {
	stderr io.Writer
	first  atomic.Pointer[api.Error] // the first server ERROR
	erred  chan struct{}             // closed at the first server ERROR
	ends   atomic.Int64              // DisconnectedEvents handled
	ended  chan *api.DisconnectedEvent
	// status reports --reconnect's retries; nil without --reconnect.
	status *reconnectStatus
}

func newWatch(stderr io.Writer) *watch {
	return &watch{stderr: stderr, erred: make(chan struct{}), ended: make(chan *api.DisconnectedEvent, 1)}
}

// register installs the watch's OnError and OnDisconnected handlers.
func (w *watch) register(s *api.STOMP) {
	s.OnError(func(e *api.ErrorEvent) {
		var ae *api.Error
		if errors.As(e.Err, &ae) && ae.Code == api.CodeServerError {
			fmt.Fprint(w.stderr, serverErrorText(ae))
			if w.first.CompareAndSwap(nil, ae) {
				close(w.erred)
			}
			return
		}
		fmt.Fprintln(w.stderr, "stomp: "+oneLine(strings.TrimPrefix(e.Description, "stomp: ")))
	})
	s.OnDisconnected(func(e *api.DisconnectedEvent) {
		w.ends.Add(1)
		select {
		case w.ended <- e:
		default:
		}
	})
}

// maxErrorBody bounds the part of an ERROR's body printed (ActiveMQ sends
// whole Java stack traces), and of its message header.
const maxErrorBody = 4 << 10

// serverErrorText renders an ERROR frame for stderr: its message header,
// then its body, indented, each line escaped (brokerText) so that the
// broker writes no line of its own and no terminal escape: a line feed in
// the header shows as \n, a CR inside a body line as \r (a CRLF ends a
// line), a tab in the body as four spaces (stack traces keep their shape).
func serverErrorText(e *api.Error) string {
	msg := ""
	for _, h := range e.Headers {
		if h.Key == "message" {
			msg = h.Value
			break
		}
	}
	var b strings.Builder
	b.WriteString("stomp: server ERROR: " + brokerText(msg, maxErrorBody) + "\n")
	body, cut := safetext.Cut(strings.TrimRight(string(e.Body), "\r\n"), maxErrorBody)
	if body != "" {
		for _, line := range strings.Split(body, "\n") {
			line = strings.ReplaceAll(strings.TrimSuffix(line, "\r"), "\t", "    ")
			b.WriteString("    " + brokerText(line, maxErrorBody) + "\n")
		}
	}
	if cut {
		b.WriteString("    ...\n")
	}
	return b.String()
}

// brokerText is a broker's words (or anything quoting them) made fit for
// one line of stderr: control characters written as Go escapes (\n,
// \x1b), at most max bytes, "..." marking a cut.
func brokerText(s string, max int) string { return safetext.Text(s, max) }

// serverError returns the first server ERROR, or nil.
func (w *watch) serverError() error {
	if e := w.first.Load(); e != nil {
		return fmt.Errorf("the server sent an ERROR: %s", strings.TrimPrefix(e.Message, "stomp: server error: "))
	}
	return nil
}

// or returns the first server ERROR, which explains a failed call better
// than the call's own error (the connection it closed, say), or err. A
// call failed by a server ERROR returns before the ERROR's event ran, so
// that event is waited for (it is queued already: it is printed, and
// then explains the failure).
func (w *watch) or(err error) error {
	if errors.Is(err, api.ErrServer) && w.first.Load() == nil {
		select {
		case <-w.erred:
		case <-time.After(settleWait):
		}
	}
	if se := w.serverError(); se != nil {
		return se
	}
	return err
}

// settleWait bounds how long a command waits for the events before the end
// of its connection to be handled.
const settleWait = 5 * time.Second

// settle waits until a DisconnectedEvent beyond the first `before` ones
// was handled: events run in order, so every ERROR before the end has
// been seen by then.
func (w *watch) settle(before int64) {
	deadline := time.After(settleWait)
	for w.ends.Load() <= before {
		select {
		case <-w.ended:
		case <-deadline:
			return
		}
	}
}

// disconnect disconnects s and waits for the events before the end of
// its connection (settle). A --reconnect client that is not connected is
// reconnecting: Disconnect ends its attempts, and no end of a connection
// is to come (the lost one's was told when it was lost), so it is not
// waited for; else every leave during an outage would wait settleWait
// for an event that never comes.
func (w *watch) disconnect(ctx context.Context, s *api.STOMP) error {
	before := w.ends.Load()
	reconnecting := w.status != nil && !s.Connected()
	err := s.DisconnectContext(ctx)
	if !reconnecting {
		w.settle(before)
	}
	return err
}

// leave disconnects s and waits for the events before the end. A broker
// that did not confirm DISCONNECT (code 301) is reported on stderr and,
// when confirmed is true (everything the command was asked for is done and
// known to be), is no failure.
func (w *watch) leave(ctx context.Context, s *api.STOMP, confirmed bool) error {
	err := w.disconnect(ctx, s)
	if err != nil && errors.Is(err, api.ErrReceiptTimeout) && confirmed {
		fmt.Fprintln(w.stderr, "stomp: warning: "+oneLine(strings.TrimPrefix(err.Error(), "stomp: ")))
		return w.serverError()
	}
	if se := w.serverError(); se != nil {
		return se
	}
	return err
}

// gaveUp is a channel that says why a --reconnect client gave up, or nil
// (never ready) without --reconnect.
func (w *watch) gaveUp() <-chan string {
	if w.status == nil {
		return nil
	}
	return w.status.gaveUp
}

// connChanged is a channel that signals a --reconnect client's connection
// was lost or restored (ask s.Connected() which), or nil (never ready)
// without --reconnect.
func (w *watch) connChanged() <-chan struct{} {
	if w.status == nil {
		return nil
	}
	return w.status.changed
}
