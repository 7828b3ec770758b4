package main

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/bench"
)

func newBenchPeer() *cobra.Command {
	var (
		kind, listen string
		untilStdin   bool
	)
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Serve one of the benchmark's peers (sink, firehose, sim) and print its address",
		Long: "Serves a built-in peer until Ctrl-C, printing the address it listens on as the first line of\n" +
			"output. `stomp bench --peer-process` runs peers this way, so that they do not share the\n" +
			"measured process. sink answers CONNECT and receipts and discards SENDs; firehose streams\n" +
			"MESSAGE frames after a SUBSCRIBE (headers " + bench.HdrCount + ", " + bench.HdrSize + ", " + bench.HdrInflight + "); sim is\n" +
			"the simulator broker.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(bench.Kinds, kind) {
				return usagef("--kind %q: want one of %s", kind, strings.Join(bench.Kinds, ", "))
			}
			ctx := cmd.Context()
			if untilStdin {
				var cancel context.CancelFunc
				ctx, cancel = untilClosed(ctx, cmd.InOrStdin())
				defer cancel()
			}
			return bench.ServePeer(ctx, kind, listen, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "", "peer kind: "+strings.Join(bench.Kinds, ", "))
	f.StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	f.BoolVar(&untilStdin, "until-stdin-closed", false, "also stop when stdin closes (how a parent process stops it)")
	return cmd
}

// untilClosed returns a context that also ends once r reaches its end or
// fails: a parent process holds a child's stdin open, so its end (even a
// SIGKILL) ends the child's work.
func untilClosed(ctx context.Context, r io.Reader) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = io.Copy(io.Discard, r)
		cancel()
	}()
	return ctx, cancel
}
