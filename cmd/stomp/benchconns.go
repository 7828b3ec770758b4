package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/bench"
)

// newBenchConns is `stomp bench conns`: one side of the connections
// scenario, measured in this process and printed as JSON. `stomp bench
// --scenario connections --peer-process` runs it in a fresh process for
// each side, so that the process's memory before the first connection is
// the baseline.
func newBenchConns() *cobra.Command {
	var (
		t          bench.Target
		p          bench.ConnsParams
		raw        bool
		untilStdin bool
	)
	cmd := &cobra.Command{
		Use:   "conns",
		Short: "Open N idle subscribed connections from this process and print what they cost, as JSON",
		Long: "Opens --n connections to --target (heart-beats off), each subscribed to one topic, and prints\n" +
			"one line of JSON: resident memory, heap, stack and goroutines per connection (the process after\n" +
			"the last connection less the process before the first, after a GC each time), the time to connect\n" +
			"them all, and the rate at which --fanout topic messages reached every one of them. --raw uses a\n" +
			"minimal hand-written client (a socket and a goroutine) instead of the library, as the reference.\n" +
			"The login and passcode come from STOMP_LOGIN and STOMP_PASSCODE.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if t.Addr == "" {
				return usagef("--target is required")
			}
			if p.N < 1 || p.Fanout < 1 {
				return usagef("--n and --fanout must be at least 1")
			}
			t.Login, t.Passcode = os.Getenv("STOMP_LOGIN"), os.Getenv("STOMP_PASSCODE")
			if err := t.Check(); err != nil {
				return &usageError{err: err}
			}
			ctx := cmd.Context()
			if untilStdin {
				// The parent holds our stdin open: its end, even a
				// SIGKILL, closes it, and the measurement ends with it.
				var cancel context.CancelFunc
				ctx, cancel = untilClosed(ctx, cmd.InOrStdin())
				defer cancel()
			}
			m, err := bench.MeasureConns(ctx, &t, p, raw)
			if jerr := json.NewEncoder(cmd.OutOrStdout()).Encode(m); jerr != nil && err == nil {
				err = jerr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&t.Addr, "target", "", "broker address, host:port")
	f.StringVar(&t.VHost, "vhost", "/", "virtual host (CONNECT host header)")
	f.IntVar(&p.N, "n", 1000, "connections to open")
	f.IntVar(&p.Fanout, "fanout", 3, "topic messages to fan out to all of them")
	f.IntVar(&p.Concurrency, "concurrency", 64, "connects in flight")
	f.StringVar(&p.Topic, "topic", "", "topic to subscribe to (default a new one)")
	f.DurationVar(&p.Timeout, "timeout", time.Minute, "bound on each connect and on the fan-out")
	f.BoolVar(&raw, "raw", false, "measure minimal raw clients instead of the library")
	f.BoolVar(&untilStdin, "until-stdin-closed", false, "also stop when stdin closes (how a parent process ties the run to its own life)")
	return cmd
}
