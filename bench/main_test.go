package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"testing"

	"go.uber.org/goleak"
)

// peerEnv makes the test binary serve as a peer process (the way `stomp
// bench peer` does), so the tests exercise Config.PeerProcess.
const peerEnv = "STOMPACTOR_BENCH_TEST_PEER"

func TestMain(m *testing.M) {
	if os.Getenv(peerEnv) == "1" {
		os.Exit(peerMain(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

func peerMain(args []string) int {
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	kind := fs.String("kind", "", "peer kind")
	listen := fs.String("listen", "127.0.0.1:0", "address")
	untilStdin := fs.Bool("until-stdin-closed", false, "end when stdin closes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *untilStdin {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	}
	if err := ServePeer(ctx, *kind, *listen, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
