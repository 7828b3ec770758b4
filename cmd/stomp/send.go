package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/api"
)

func newSend(cf *connFlags) *cobra.Command {
	var (
		count       int
		file        string
		headers     []string
		receipt     bool
		transaction string
		contentType string
		traceIDs    bool
		allowEmpty  bool
		lines       bool
		null        bool
	)
	cmd := &cobra.Command{
		Use:   "send DESTINATION [BODY]",
		Short: "Send a message (the body from the argument, --file, or all of standard input)",
		Long: "Send a message (the body from the argument, --file, or standard input).\n\n" +
			"Every server ERROR is printed to stderr as it arrives (its message header and body) and ends\n" +
			"the run with exit 1, whether or not the server closes the connection. A broker that does not\n" +
			"confirm DISCONNECT (within --config DisconnectTimeout, 5 seconds by default) may not have the\n" +
			"messages: exit 1, unless --receipt had each one confirmed.\n\n" +
			"Without BODY or --file, all of standard input is one message body, read to its end, a trailing\n" +
			"newline kept (`seq 3 | stomp send Q` sends one message \"1\\n2\\n3\\n\"). An empty standard input\n" +
			"(a producer upstream that failed, a closed one) is refused with exit 2 unless --allow-empty.\n\n" +
			"With --lines each line of standard input (or of --file) is a message of its own, its newline\n" +
			"(\\n, or \\r\\n: one carriage return right before it belongs to it) left out, sent as soon as\n" +
			"it is read: `stomp subscribe --count 10 A | tr a-z A-Z | stomp send --lines B`. With -0/--null\n" +
			"the records end with a NUL byte instead (what `stomp subscribe -0` prints), every other byte\n" +
			"kept. A last record without its end is sent too, whole; an empty input sends nothing.\n\n" +
			"With --trace each message starts a new trace, carried in its traceparent header (W3C trace\n" +
			"context), and its id is printed on standard output (\"trace-id: ID\") once the message is sent.\n" +
			"A valid traceparent given with -H is kept instead (the new span links to it), and the id\n" +
			"printed is that trace's: always the one the message carries.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 {
				return usagef("--count must be at least 1")
			}
			if err := checkSendArgs(args[0], headers); err != nil {
				return err
			}
			var body []byte
			var records *recordReader
			switch {
			case lines && null:
				return usagef("--lines and --null do not go together: choose how records end")
			case (lines || null) && len(args) == 2:
				return usagef("--lines and --null read the records from standard input or --file, not from BODY")
			case (lines || null) && cmd.Flags().Changed("count"):
				return usagef("--count repeats one body; with --lines or --null each record is sent once")
			case lines || null:
				in := cmd.InOrStdin()
				if file != "" {
					f, err := os.Open(file)
					if err != nil {
						return usagef("--file: %v", err)
					}
					defer f.Close()
					in = f
				}
				end := byte('\n')
				if null {
					end = 0
				}
				records = newRecordReader(in, end)
			case len(args) == 2 && file != "":
				return usagef("give the body as an argument or --file, not both")
			case len(args) == 2:
				body = []byte(args[1])
			case file != "":
				b, err := os.ReadFile(file)
				if err != nil {
					return usagef("--file: %v", err)
				}
				body = b
			default:
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil && !(errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EBADF)) {
					return fmt.Errorf("reading standard input: %w", err)
				}
				if len(b) == 0 && !allowEmpty {
					return usagef("standard input is empty: give a BODY, or --allow-empty to send an empty message")
				}
				body = b
			}
			extra := []api.Option{api.WithRequestReceipts(receipt)}
			if contentType != "" {
				extra = append(extra, api.WithContentType(contentType))
			}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok || k == "" {
					return usagef("-H %q: want name:value", h)
				}
				extra = append(extra, api.WithHeader(k, v))
			}
			var tracer *sendTracer
			if traceIDs {
				var opt api.Option
				tracer, opt = newSendTracer(cmd.OutOrStdout(), headers)
				defer tracer.close()
				extra = append(extra, opt)
			}
			s, w, err := cf.connectWatched(cmd.Context(), cmd.ErrOrStderr(), extra...)
			if err != nil {
				return err
			}
			defer s.Close()
			if receipt {
				// A send that waits for its RECEIPT waits for the handlers
				// of every event queued before (the api package's Events
				// section) only when a handler of one of its own events is
				// registered. With this one, a server ERROR that came
				// before a message's RECEIPT has been seen by the watch
				// when that send returns, and the run stops there instead
				// of sending more and committing its transaction.
				s.OnReceiptIn(func(*api.ReceiptInEvent) {})
			}
			ctx := cmd.Context()
			if transaction != "" {
				if err := s.BeginTransactionContext(ctx, transaction); err != nil {
					return w.or(err)
				}
				if err := s.SetTransactionID(transaction); err != nil {
					return err
				}
			}
			send := func(ctx context.Context) error { return s.SendDataContext(ctx, args[0], body) }
			if tracer != nil {
				plain := send
				send = func(ctx context.Context) error { return tracer.send(ctx, plain) }
			}
			more := func(i int) (bool, error) { return i < count, nil }
			if records != nil {
				count = 0 // not known: no progress bar
				stop := make(chan struct{})
				defer close(stop)
				ch := pump(records, stop)
				more = func(int) (bool, error) {
					var ok bool
					var err error
					body, ok, err = nextRecord(ctx, ch)
					return ok, err
				}
			}
			// sent says how far a run that fails got: the messages sent,
			// none of which counts inside a transaction left uncommitted.
			// (The error comes after it: its own text may run on over
			// several lines, of which the last line of a run shows one.)
			committed := false
			sent := func(i int) string {
				if transaction != "" && !committed {
					return fmt.Sprintf("after %d messages sent in transaction %s, not committed (none of them is delivered)", i, transaction)
				}
				return fmt.Sprintf("after %d messages sent", i)
			}
			// failed says how far a run that fails got, where the
			// progress line does not (records of unknown number, or a
			// transaction whose messages none is delivered).
			failed := func(n int, err error) error {
				if records == nil && transaction == "" {
					return err
				}
				return fmt.Errorf("%s: %w", sent(n), err)
			}
			p := newProgress(cmd.ErrOrStderr(), "sent", count)
			n := 0
			for ; ; n++ {
				ok, err := more(n)
				if err != nil {
					p.done()
					if transaction != "" {
						_ = s.AbortTransactionContext(ctx, transaction)
					}
					_ = w.leave(ctx, s, receipt)
					return fmt.Errorf("%s: %w", sent(n), err)
				}
				if !ok {
					break
				}
				if err := send(ctx); err != nil {
					p.done() // how far it got, before the error
					return failed(n, w.or(err))
				}
				p.step(n + 1)
				if se := w.serverError(); se != nil {
					// Printed as it arrived; the connection may stay
					// open: stop sending and leave.
					p.done()
					_ = w.leave(ctx, s, true)
					return failed(n+1, se)
				}
			}
			p.done()
			if transaction != "" {
				if err := s.CommitTransactionContext(ctx, transaction); err != nil {
					return failed(n, w.or(err))
				}
				committed = true
			}
			// A broker that does not confirm DISCONNECT may not have the
			// messages, unless each one's RECEIPT said so (--receipt).
			err = w.leave(ctx, s, receipt)
			if errors.Is(err, api.ErrReceiptTimeout) {
				err = fmt.Errorf("%w: the messages may not have reached it (--receipt confirms each one)", err)
			}
			if err != nil {
				return failed(n, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&count, "count", 1, "send the message this many times")
	f.StringVar(&file, "file", "", "read the body from this file")
	f.StringArrayVarP(&headers, "header", "H", nil, "extra header name:value (repeatable); not one the client writes itself\n"+
		"(destination, receipt, transaction, content-length: use the argument and flags)")
	f.BoolVar(&receipt, "receipt", false, "wait for the broker's receipt of every message")
	f.StringVar(&transaction, "transaction", "", "send inside this transaction, committed at the end")
	f.StringVar(&contentType, "content-type", "", "content-type header")
	f.BoolVar(&allowEmpty, "allow-empty", false, "send an empty body when standard input is empty (refused otherwise)")
	f.BoolVar(&traceIDs, "trace", false, "start a trace per message (W3C traceparent header) and print its id")
	f.BoolVar(&lines, "lines", false, "send each line of standard input (or --file) as a message of its own, as it is read\n"+
		"(its newline, LF or CRLF, left out)")
	f.BoolVarP(&null, "null", "0", false, "like --lines, with records ending in a NUL byte (what subscribe -0 prints)")
	return cmd
}
