package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
)

func newSubscribe(cf *connFlags) *cobra.Command {
	var (
		count    int
		ack      string
		verbose  bool
		asJSON   bool
		traceIDs bool
		wait     time.Duration
		null     bool
		headers  []string
	)
	cmd := &cobra.Command{
		Use:   "subscribe DESTINATION",
		Short: "Print the messages of a destination (until --count or Ctrl-C)",
		Long: "Print the messages of a destination (until --count or Ctrl-C).\n\n" +
			"Every server ERROR is printed to stderr as it arrives (its message header and body) and ends\n" +
			"the run with exit 1, whether or not the server closes the connection. Once --count messages\n" +
			"are printed, a broker that does not confirm DISCONNECT (within --config DisconnectTimeout,\n" +
			"5 seconds by default) is only a warning.\n\n" +
			"With --count N the run ends once N messages are printed, and the broker keeps the others: each\n" +
			"message is acknowledged once printed, so with --ack auto (the default) --count and --wait\n" +
			"subscribe in client mode under the hood (in auto mode the broker would count every message it\n" +
			"pushed as consumed), with a prefetch of N (else 255). The ACK of the last message counted waits\n" +
			"for the broker's RECEIPT; otherwise, once messages were acknowledged, a broker that does not\n" +
			"confirm DISCONNECT fails the run (exit 1): the acknowledgements may not have reached it, and\n" +
			"the messages printed may come again. With --reconnect each ACK waits for the broker's RECEIPT,\n" +
			"with a prefetch of at most 16: a message whose ACK was lost with its connection is said (a\n" +
			"warning) and counted all the same. The broker may give it again, printed and counted again\n" +
			"(so the N messages of --count may hold a copy, named by the warning, and a message may stay on\n" +
			"the broker in its place), or it may have taken the ACK, and the message never comes again: a\n" +
			"run that waited for it would never end.\n\n" +
			"The plain output is for people: each body is followed by a newline, so a body with newlines\n" +
			"reads as several messages and one that ends with a newline gains a blank line. For scripts use\n" +
			"--json (one object a line, every byte kept) or -0/--null (each body as it is, then a NUL byte,\n" +
			"for `xargs -0` and `read -d ''`; not with -v or --trace, whose lines would be part of the record:\n" +
			"--json has them). -0 refuses a body that holds a NUL byte, which would read as two: it says\n" +
			"which message on stderr and the run ends with exit 1, the message not printed nor\n" +
			"acknowledged, as after a failed write (the broker keeps it, unless it was pushed in auto mode:\n" +
			"--ack auto without --count or --wait).\n\n" +
			"-H name:value (repeatable) adds a header to SUBSCRIBE, for what a broker reads there: a queue's\n" +
			"arguments on RabbitMQ (x-queue-type:quorum to consume a quorum queue through /queue/NAME), a\n" +
			"selector (\"selector:color = 'red'\"), a durable topic subscription (durable:true with\n" +
			"auto-delete:false on RabbitMQ; ActiveMQ's activemq.subscriptionName is keyed by the CONNECT\n" +
			"client-id too: give it with --connect-header client-id:NAME). With\n" +
			"--reconnect they go again on every resubscription. A header the client writes itself on the\n" +
			"frames it sends (destination, id, ack, receipt, transaction, content-length, subscription,\n" +
			"message-id, and the prefetch, activemq.prefetchSize or prefetch-count, which subscribe sets) is\n" +
			"refused with exit 2, as is one that is not name:value or that the negotiated STOMP version\n" +
			"cannot carry. The value is everything after the first colon, as written: STOMP does not trim\n" +
			"it, so -H 'x-queue-type: quorum' sends \" quorum\".\n\n" +
			"--wait D ends the run once no message has come for D: with --count N and fewer than N messages\n" +
			"printed, it fails (exit 1, \"no message within --wait D\" on stderr); without --count it is the\n" +
			"normal end (exit 0, also when no message came at all). With --reconnect the wait does not run\n" +
			"while the client is reconnecting: an outage is not a quiet destination, and the wait starts again,\n" +
			"whole, once the connection is back. --timeout does not bound the waiting for messages, only each\n" +
			"call to the broker.\n\n" +
			"Once the reader of a pipe on standard output has gone (`stomp subscribe ... | head -3`), the run\n" +
			"ends with exit 141, as SIGPIPE would end it, even when no more messages come (on Linux). The\n" +
			"messages written into the pipe and not read are lost, though: prefer --count N to `| head -N`.\n\n" +
			"With --trace each message is preceded by the trace id its traceparent header carries (W3C trace\n" +
			"context), \"trace-id: ID\", or \"trace-id: none\" when it carries no valid one; --json puts it in\n" +
			"\"trace_id\".",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode := api.AckMode(ack)
			switch mode {
			case api.AckAuto, api.AckClient, api.AckClientIndividual:
			default:
				return usagef("--ack must be auto, client or client-individual, not %q", ack)
			}
			if count < 0 {
				return usagef("--count must not be negative")
			}
			if null && asJSON {
				return usagef("--null and --json do not go together: --json is one object a line already")
			}
			if null && (traceIDs || verbose) {
				// Printed inside the NUL-ended record, they would become
				// part of the body `send -0` sends on.
				return usagef("--null prints the body alone: for its trace id or headers use --json (trace_id, headers)")
			}
			if wait < 0 {
				return usagef("--wait must not be negative")
			}
			hs, err := checkSubscribeArgs(args[0], headers)
			if err != nil {
				return err
			}
			s, w, err := cf.connectWatched(cmd.Context(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer s.Close()
			out := cmd.OutOrStdout()
			var mu sync.Mutex
			seen := 0
			failed := false // a message could not be written
			// idle fires once no message has come for --wait.
			var idle <-chan time.Time
			var idleTimer *time.Timer
			if wait > 0 {
				idleTimer = time.NewTimer(wait)
				defer idleTimer.Stop()
				idle = idleTimer.C
			}
			enough := make(chan struct{})
			lost := make(chan error, 1)
			end := func(err error) {
				select {
				case lost <- err:
				default:
				}
			}
			// In auto mode the broker counts every MESSAGE it pushes as
			// consumed, and it may push the whole backlog at once: when
			// the run ends with --count or --wait, the messages pushed
			// and not printed would be lost. So both subscribe in client
			// mode under the hood. In the client modes each message is
			// acknowledged once printed; the others are left
			// unacknowledged, and the broker keeps them once the
			// connection ends. The prefetch bounds what the broker pushes
			// ahead of the acknowledgements (what a run that stops holds
			// back from other consumers): the count, else the engine's
			// queue.
			subMode := mode
			if mode == api.AckAuto && (count > 0 || wait > 0) {
				subMode = api.AckClient
			}
			manual := subMode != api.AckAuto
			opts := api.SubscribeOptions{AckMode: subMode, ManualAck: manual, Headers: hs}
			if manual {
				opts.Prefetch = actors.DefaultQueueSize - 1
				if count > 0 {
					opts.Prefetch = count
				}
				if cf.reconnect {
					// The handler waits for each ACK's RECEIPT, which
					// comes behind the messages the broker sends as the
					// ACK arrives: the queue must hold them all beside
					// the message being handled, in number and in bytes,
					// or the reader stops in front of the RECEIPT. The
					// prefetch bounds them; one message at a time is
					// acknowledged, so a few ahead are as fast as many.
					opts.Prefetch = min(opts.Prefetch, reconnectPrefetch)
					opts.QueueSize = opts.Prefetch + 1
					opts.QueueBytes = math.MaxInt
				}
			}
			if manual && cf.reconnect {
				// Every ACK waits for its RECEIPT: one lost with a
				// connection is then known, and said (the message may
				// come again), never counted twice in silence.
				if _, err := s.Config("RequestAckReceipts=true"); err != nil {
					return err
				}
			}
			acked := false     // an ACK went out: DISCONNECT's RECEIPT confirms it
			confirmed := false // or the RECEIPT of the ACK that completed --count did
			// Without --reconnect, the ACK that completes --count is
			// made off the handler, and its outcome comes here: the
			// handler then returns, the messages the broker sends as
			// the ACK arrives go through the queue (left
			// unacknowledged), and the reader reaches the RECEIPT.
			finalAck := make(chan error, 1)
			finalID := ""
			var last time.Time // when the last message was handled
			opts.Handler = func(m *api.MessageInEvent) {
				mu.Lock()
				defer mu.Unlock()
				if count > 0 && seen >= count {
					return // not ours to consume: left unacknowledged, the broker keeps it
				}
				if failed {
					return // the run is ending: left unacknowledged
				}
				// A slow write is no idle time: the wait starts again once
				// the message is handled.
				if idleTimer != nil {
					idleTimer.Stop()
					defer func() {
						last = time.Now()
						idleTimer.Reset(wait)
					}()
				}
				if err := printMessage(out, m, printOptions{verbose: verbose, asJSON: asJSON, traceID: traceIDs, null: null}); err != nil {
					failed = true
					if errors.Is(err, errNulInBody) {
						end(fmt.Errorf("message %s not printed nor acknowledged: %w", brokerText(m.MessageID, api.MaxQuotedText), err))
					} else {
						end(fmt.Errorf("writing message %s: %w", brokerText(m.MessageID, api.MaxQuotedText), err))
					}
					return // not acknowledged: the broker keeps it
				}
				seen++
				if manual {
					final := count > 0 && seen == count
					if final {
						// The ACK that completes the count waits for its
						// RECEIPT: the broker, which takes ACKs in order,
						// then has them all.
						_, _ = s.Config("RequestAckReceipts=true")
						if !cf.reconnect {
							finalID = m.MessageID
							go func() { finalAck <- s.Ack(cmd.Context(), m) }()
							acked = true
							close(enough)
							return
						}
					}
					switch err := s.Ack(cmd.Context(), m); {
					case err == nil:
						acked = true
						confirmed = final
					case cf.reconnect && (errors.Is(err, api.ErrConnectionLost) || errors.Is(err, api.ErrNotConnected) || errors.Is(err, api.ErrOutcomeUnknown)):
						// Its connection was lost before the ACK was
						// confirmed: the broker may give it again, or
						// may have taken the ACK and never give it
						// again. Said, and counted as printed: a run
						// that waited for it to come again could wait
						// for ever. A copy that comes counts too.
						fmt.Fprintf(cmd.ErrOrStderr(), "stomp: warning: message %s was printed but its connection was lost before its ACK was confirmed: it may come again (counted each time it is printed)\n", brokerText(m.MessageID, api.MaxQuotedText))
						// Its outcome is said; DISCONNECT's RECEIPT,
						// on another connection, would not tell it.
						confirmed = final
					default:
						failed = true
						end(fmt.Errorf("acknowledging message %s: %w (it may come again)", brokerText(m.MessageID, api.MaxQuotedText), err))
						return
					}
				}
				if count > 0 && seen == count {
					close(enough)
				}
			}
			// countDone ends a run whose every message asked for is
			// printed. Their ACKs are confirmed by the RECEIPT of the
			// last (made off the handler: finalAck, bounded by
			// --timeout), else by DISCONNECT's RECEIPT (acked): without
			// it they may not have reached the broker, which would then
			// give the messages again.
			countDone := func(acked bool) error {
				if manual && !cf.reconnect {
					if err := <-finalAck; err != nil {
						_ = s.DisconnectContext(cmd.Context())
						return fmt.Errorf("acknowledging message %s: %w (it may come again)", brokerText(finalID, api.MaxQuotedText), err)
					}
					acked = false // the last ACK's RECEIPT confirmed them all
				}
				return leaveAcked(cmd.Context(), w, s, acked)
			}
			_, err = s.SubscribeWith(cmd.Context(), args[0], opts)
			if err != nil {
				// A -H header the negotiated version cannot carry, say:
				// the invocation's fault (exit 2).
				err, _ = asUsage(err)
				return err
			}
			// Without --reconnect the end of the connection ends the run.
			var gone <-chan *api.DisconnectedEvent
			if !cf.reconnect {
				gone = w.ended
			}
			// A pipe whose reader has gone (`| head -3`) ends the run, as
			// SIGPIPE would at the next write: silently, exit 141.
			readerGone, stopWatch := watchReader(out)
			defer stopWatch()
			changed := w.connChanged()
			for {
				select {
				case <-readerGone:
					mu.Lock()
					failed = true // nothing more is printed nor acknowledged
					mu.Unlock()
					_ = s.DisconnectContext(cmd.Context())
					return &silentExit{code: exitReaderGone}
				case <-changed:
					// --wait is for a quiet destination, not an outage:
					// its timer stops while the client reconnects and
					// starts again, whole, once the connection is back.
					mu.Lock()
					if idleTimer != nil {
						idleTimer.Stop()
						if s.Connected() {
							last = time.Time{}
							idleTimer.Reset(wait)
						}
					}
					mu.Unlock()
				case <-idle:
					mu.Lock()
					if cf.reconnect && !s.Connected() {
						// It fired as the connection was lost (a message
						// handled just before restarted it): the wait
						// starts again with the connection (changed).
						mu.Unlock()
						continue
					}
					if quiet := time.Since(last); !last.IsZero() && quiet < wait {
						// A message was handled as the timer fired.
						idleTimer.Reset(wait - quiet)
						mu.Unlock()
						continue
					}
					n, a := seen, acked && !confirmed
					failed = true // nothing more is printed nor acknowledged
					mu.Unlock()
					if count > 0 && n >= count {
						return countDone(a)
					}
					if err := leaveAcked(cmd.Context(), w, s, a); err != nil {
						return err
					}
					switch {
					case count == 0:
						return nil // until the destination went quiet, or all asked for: done
					case n == 0:
						return fmt.Errorf("no message within --wait %s", wait)
					}
					return fmt.Errorf("no message within --wait %s after %d of the %d asked for", wait, n, count)
				case <-enough:
					mu.Lock()
					a := acked && !confirmed
					mu.Unlock()
					return countDone(a)
				case why := <-w.gaveUp():
					// With --reconnect a lost connection is restored (and
					// reported on stderr); only giving up ends the run.
					return errors.New(why)
				case err := <-lost:
					_ = s.DisconnectContext(cmd.Context())
					return err
				case e := <-gone:
					if se := w.serverError(); se != nil {
						return se
					}
					return fmt.Errorf("disconnected: %s", e.Description)
				case <-w.erred:
					// Printed as it arrived; the connection may stay open
					// (ActiveMQ keeps it after some errors): leave it.
					_ = w.leave(cmd.Context(), s, true)
					return w.serverError()
				case <-cmd.Context().Done():
					// A signal: run reports it by the exit code alone.
					_ = s.Disconnect()
					return cmd.Context().Err()
				}
			}
		},
	}
	f := cmd.Flags()
	f.IntVar(&count, "count", 0, "exit after this many messages printed (0: until Ctrl-C); the others stay on the broker\n"+
		"(with --ack auto, --count subscribes in client mode and acknowledges each message printed; with --reconnect\n"+
		"a message whose ACK was lost with its connection counts too, and a copy of it that comes again too, warned)")
	f.DurationVar(&wait, "wait", 0, "end once no message has come for this long, e.g. 5s (0: wait for ever);\n"+
		"exit 1 when --count was not reached (with --ack auto, --wait subscribes in client mode; with --reconnect\n"+
		"it does not run while reconnecting, and starts again once the connection is back)")
	f.StringVar(&ack, "ack", "auto", "ack mode: auto, client or client-individual")
	f.StringArrayVarP(&headers, "header", "H", nil, "extra SUBSCRIBE header name:value (repeatable), e.g. x-queue-type:quorum, selector:...;\n"+
		"sent again on every resubscription with --reconnect; not one the client writes itself (destination, id,\n"+
		"ack, receipt, transaction, content-length, subscription, message-id, the prefetch: use the argument and flags);\n"+
		"the value is everything after the first colon, as written (not trimmed)")
	_ = cmd.RegisterFlagCompletionFunc("ack", cobra.FixedCompletions(
		[]string{string(api.AckAuto), string(api.AckClient), string(api.AckClientIndividual)}, cobra.ShellCompDirectiveNoFileComp))
	f.BoolVarP(&verbose, "verbose", "v", false, "print the headers too, one name:value a line, escaped as STOMP escapes them\n"+
		"(\\\\ \\n \\r, \\c for ':' in a name; \\t, and \\xNN for other control bytes and bytes that are not UTF-8;\n"+
		"--json -v gives the exact bytes)")
	f.BoolVarP(&null, "null", "0", false, "end each body with a NUL byte, not a newline (the body's bytes as they are, alone:\n"+
		"not with -v, --trace or --json; a body that holds a NUL byte ends the run with exit 1, not printed nor acknowledged)")
	f.BoolVar(&traceIDs, "trace", false, "print the trace id each message carries (W3C traceparent header), or none")
	f.BoolVar(&asJSON, "json", false, "one JSON object per message; \"body\" is text when the body is valid UTF-8,\n"+
		"else base64, as \"body_encoding\" (utf-8 or base64) says; \"header_encoding\": \"base64\" when a header\n"+
		"is not valid UTF-8: then every string from a header (names and values of \"headers\", \"destination\",\n"+
		"\"message_id\", \"subscription\", \"content_type\") is base64; left out when they are text")
	return cmd
}

// reconnectPrefetch bounds the prefetch of subscribe --reconnect, whose
// every ACK waits for its RECEIPT from the handler.
const reconnectPrefetch = 16

type jsonMessage struct {
	Subscription string            `json:"subscription"`
	MessageID    string            `json:"message_id"`
	Destination  string            `json:"destination"`
	ContentType  string            `json:"content_type,omitempty"`
	Redelivered  bool              `json:"redelivered,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	Body         string            `json:"body"`
	// BodyEncoding says how Body holds the body's bytes: "utf-8" (as
	// text) when they are valid UTF-8, else "base64" (standard, padded),
	// so that a binary body survives a pipe into jq and back.
	BodyEncoding string `json:"body_encoding"`
	// HeaderEncoding is "base64" when a string that comes from a header
	// (Subscription, MessageID, Destination, ContentType, and the names
	// and values of Headers) is not valid UTF-8: every one of them is
	// then base64 (standard, padded), so that no byte is lost. Left out
	// when they are all text, as almost always.
	HeaderEncoding string `json:"header_encoding,omitempty"`
	// TraceID is the trace id the message carries, or "none" (--trace).
	TraceID string `json:"trace_id,omitempty"`
}

// Body encodings of jsonMessage.
const (
	bodyUTF8   = "utf-8"
	bodyBase64 = "base64"
)

// encodeBody returns the body as text when it is valid UTF-8, else in
// base64, and which of the two it is.
func encodeBody(b []byte) (body, encoding string) {
	if utf8.Valid(b) {
		return string(b), bodyUTF8
	}
	return base64.StdEncoding.EncodeToString(b), bodyBase64
}

// printOptions say how subscribe prints a message.
type printOptions struct {
	verbose bool // the headers too
	asJSON  bool // one JSON object
	traceID bool // the trace id it carries
	null    bool // end the body with a NUL, not a newline
}

// errNulInBody refuses a body -0 cannot print: its NUL would end it early,
// and `send -0` would make two messages of it.
var errNulInBody = errors.New("its body holds a NUL byte, which -0 would print as the end of the body (use --json)")

// printMessage writes a message to w in one write, and returns the write's
// error: a message that could not be written must not be acknowledged.
// With o.null, a body that holds a NUL byte is not written (errNulInBody).
func printMessage(w io.Writer, m *api.MessageInEvent, o printOptions) error {
	if o.null && bytes.IndexByte(m.Data, 0) >= 0 {
		return errNulInBody
	}
	var b bytes.Buffer
	if o.asJSON {
		j := jsonMessage{Subscription: m.SubscriptionID, MessageID: m.MessageID, Destination: m.Destination,
			ContentType: m.ContentType, Redelivered: m.Redelivered}
		j.Body, j.BodyEncoding = encodeBody(m.Data)
		if o.traceID {
			j.TraceID = receivedTraceID(m.Headers)
		}
		if o.verbose {
			j.Headers = map[string]string{}
			for _, h := range m.Headers {
				if _, dup := j.Headers[h.Key]; !dup {
					j.Headers[h.Key] = h.Value
				}
			}
		}
		encodeHeaderStrings(&j)
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // XML and HTML bodies stay readable
		if err := enc.Encode(j); err != nil {
			return err
		}
	} else {
		if o.verbose {
			for _, h := range m.Headers {
				b.WriteString(headerLine(h.Key, h.Value))
				b.WriteByte('\n')
			}
			b.WriteByte('\n')
		}
		if o.traceID {
			fmt.Fprintf(&b, "trace-id: %s\n", receivedTraceID(m.Headers))
		}
		b.Write(m.Data)
		if o.null {
			b.WriteByte(0)
		} else {
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// leaveAcked disconnects once the run is done. When messages were
// acknowledged, DISCONNECT's RECEIPT is what confirms their ACKs reached
// the broker: without it the run fails, saying so.
func leaveAcked(ctx context.Context, w *watch, s *api.STOMP, acked bool) error {
	err := w.leave(ctx, s, !acked)
	if err != nil && acked && errors.Is(err, api.ErrReceiptTimeout) {
		return fmt.Errorf("%w: the acknowledgements of the messages printed may not have reached it, which may give them again", err)
	}
	return err
}
