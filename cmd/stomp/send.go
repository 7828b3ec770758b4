package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
		dedupHeader string
		window      int
		windowBytes int
	)
	cmd := &cobra.Command{
		Use:   "send DESTINATION [BODY]",
		Short: "Send a message (the body from the argument, --file, or all of standard input)",
		Long:  sendLong,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 {
				return usagef("--count must be at least 1")
			}
			if err := checkSendArgs(args[0], headers); err != nil {
				return err
			}
			if err := checkSendReconnect(cf.reconnect, transaction, dedupHeader, headers, traceIDs); err != nil {
				return err
			}
			// confirmed: each message is confirmed by its own RECEIPT,
			// with --receipt or, at least once, with --reconnect.
			confirmed := receipt || cf.reconnect
			if err := checkWindow(cmd.Flags().Changed("window"), cmd.Flags().Changed("window-bytes"), window, windowBytes, confirmed, transaction); err != nil {
				return err
			}
			// windowed: up to --window of them in flight (sendwindow.go);
			// a transaction's go one at a time.
			windowed := confirmed && transaction == "" && window > 1
			var body []byte
			var records *recordReader
			typed := false // records typed on a terminal
			switch {
			case lines && null:
				return usagef("--lines and --null do not go together: choose how records end")
			case (lines || null) && len(args) == 2:
				return usagef("--lines and --null read the records from standard input or --file, not from BODY")
			case (lines || null) && cmd.Flags().Changed("count"):
				return usagef("--count repeats one body; with --lines or --null each record is sent once")
			case lines || null:
				in := cmd.InOrStdin()
				typed = file == "" && inputIsTerminal(in)
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
			switch {
			case windowed:
				extra = append(extra, windowOption(window, cf.reconnect, dedupHeader))
			case cf.reconnect:
				extra = append(extra, atLeastOnce(dedupHeader))
			}
			if contentType != "" {
				extra = append(extra, api.WithContentType(contentType))
			}
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			for _, h := range hs {
				extra = append(extra, api.WithHeader(h.Key, h.Value))
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
			if confirmed && !windowed {
				// A send that waits for its RECEIPT waits for the handlers
				// of every event queued before (the api package's Events
				// section) only when a handler of one of its own events is
				// registered. With this one, a server ERROR that came
				// before a message's RECEIPT has been seen by the watch
				// when that send returns, and the run stops there instead
				// of sending more and committing its transaction.
				s.OnReceiptIn(func(*api.ReceiptInEvent) {})
			}
			// ctx ends at the first SIGINT or SIGTERM; work, what the run
			// still does then, interruptGrace later.
			ctx := cmd.Context()
			work, endWork := graceAfter(ctx, interruptGrace)
			defer endWork()
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
			var ch <-chan record
			if records != nil {
				count = 0 // not known: no progress bar
				stop := make(chan struct{})
				defer close(stop)
				ch = pump(records, stop)
				// Interrupted, the records the input still holds are
				// sent up to its end, within the grace; typed ones are
				// not waited for.
				readCtx := work
				if typed {
					readCtx = ctx
				}
				more = func(int) (bool, error) {
					var ok bool
					var err error
					body, ok, err = nextRecord(readCtx, ch)
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
			if windowed {
				r := &windowRun{s: s, w: w, stderr: cmd.ErrOrStderr(), p: p, tracer: tracer, dest: args[0],
					size: window, maxBytes: windowBytes, timeout: cf.timeout, reconnect: cf.reconnect,
					body: body, count: count, records: ch, typed: typed, ctx: ctx, work: work, failed: failed}
				return r.run()
			}
			n := 0
			// A signal stops the run gracefully: --count sends no more,
			// --lines and --null read on to the end of the input within
			// the grace (or stop at once for typed input), the message on
			// its way is finished, and DISCONNECT's RECEIPT is asked for
			// (leaveInterrupted).
			cut := interruption{receipt: confirmed, reconnect: cf.reconnect, transaction: transaction}
			drainFrom := -1 // with --receipt, the first record sent without one after the signal
			interrupted := func() error {
				p.done()
				cut.sent = n
				cut.unread = records != nil // stopped before the input's end
				if drainFrom >= 0 {
					cut.sent = drainFrom
					cut.unconfirmed += n - drainFrom
				}
				leaveInterrupted(ctx, w, s, cmd.ErrOrStderr(), cut)
				return ctx.Err()
			}
			for ; ; n++ {
				if ctx.Err() != nil {
					if records == nil || typed {
						return interrupted()
					}
					if receipt && !cf.reconnect && drainFrom < 0 {
						// What the input still holds goes out without a
						// RECEIPT each, or a pipe of small records would
						// take longer than the grace (a round trip each):
						// DISCONNECT's RECEIPT confirms them all. Not with
						// --reconnect: that RECEIPT may come on another
						// connection than theirs, so they stay at least
						// once, each confirmed by its own.
						if err := s.SetRequestReceipts(false); err == nil {
							drainFrom = n
						}
					}
				}
				ok, err := more(n)
				if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
					return interrupted() // the grace is over, or the input typed
				}
				if err != nil {
					p.done()
					if transaction != "" {
						_ = s.AbortTransactionContext(ctx, transaction)
					}
					_ = w.leave(ctx, s, confirmed)
					return fmt.Errorf("%s: %w", sent(n), err)
				}
				if !ok {
					break
				}
				if err := send(work); err != nil {
					if ctx.Err() != nil {
						// Interrupted, and the grace's end (or an error)
						// cut this one short.
						if sentAnyway(err) {
							if confirmed {
								cut.unconfirmed++
							} else {
								n++ // on its way, ahead of DISCONNECT
							}
						} else if !errors.Is(err, api.ErrCanceled) && !errors.Is(err, api.ErrTimeout) {
							fmt.Fprintln(cmd.ErrOrStderr(), "stomp: "+errorLine(w.or(err)))
						}
						return interrupted()
					}
					p.done() // how far it got, before the error
					if cf.reconnect {
						err = unconfirmedAtLeastOnce(err, n+1)
					}
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
			if ctx.Err() != nil {
				return interrupted() // the input ended within the grace: not committed
			}
			p.done()
			if transaction != "" {
				if err := s.CommitTransactionContext(work, transaction); err != nil {
					if ctx.Err() != nil {
						return interrupted()
					}
					return failed(n, w.or(err))
				}
				committed = true
			}
			// A broker that does not confirm DISCONNECT may not have the
			// messages, unless each one's RECEIPT said so (--receipt). A
			// signal now does not cut that wait (DisconnectTimeout bounds
			// it): the run says how it ended, as an interrupted one does.
			err = w.leave(context.WithoutCancel(ctx), s, confirmed)
			if ctx.Err() != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "stomp: "+interruptedLine(interruption{receipt: confirmed, reconnect: cf.reconnect, sent: n}, err))
				return ctx.Err()
			}
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
		"(destination, receipt, transaction, content-length: use the argument and flags), nor the --dedup-header one;\n"+
		"the value is everything after the first colon, as written: STOMP does not trim, so 'name: value' sends \" value\"")
	f.BoolVar(&receipt, "receipt", false, "wait for the broker's receipt of every message (up to --window of them on their way)")
	f.StringVar(&transaction, "transaction", "", "send inside this transaction, committed at the end")
	f.StringVar(&contentType, "content-type", "", "content-type header")
	f.BoolVar(&allowEmpty, "allow-empty", false, "send an empty body when standard input is empty (refused otherwise)")
	f.BoolVar(&traceIDs, "trace", false, "start a trace per message (W3C traceparent header) and print its id")
	f.BoolVar(&lines, "lines", false, "send each line of standard input (or --file) as a message of its own, as it is read\n"+
		"(its newline, LF or CRLF, left out)")
	f.BoolVarP(&null, "null", "0", false, "like --lines, with records ending in a NUL byte (what subscribe -0 prints)")
	f.IntVar(&window, "window", defaultWindow, "with --receipt or --reconnect, keep up to this many messages waiting for their RECEIPT\n"+
		"(1: one at a time; --transaction always sends one at a time)")
	f.IntVar(&windowBytes, "window-bytes", defaultWindowBytes, "and up to this many bytes of message bodies (each one kept until its RECEIPT);\n"+
		"a message larger than this goes alone")
	f.StringVar(&dedupHeader, "dedup-header", "", "with --reconnect, give every message an id of its own in this header, the same in each\n"+
		"copy a resend makes, for consumers that drop copies (e.g. message-key)")
	return cmd
}
