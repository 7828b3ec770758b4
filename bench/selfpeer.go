package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// selfPeerEnv, set to 1 in a process's environment, makes any program
// that imports this package serve a built-in peer in its place (see
// init): how Run puts a peer in a process of its own without
// Config.PeerProcess, by running its own executable again. The name is
// reserved to this package (see the package doc).
const selfPeerEnv = "STOMPACTOR_BENCH_SELF_PEER"

func init() {
	if os.Getenv(selfPeerEnv) == "1" {
		os.Exit(serveSelfPeer(os.Args[1:]))
	}
}

// selfPeerCommand is the command line and environment that run this
// program again as a peer (for startProcess).
func selfPeerCommand() ([]string, []string, error) {
	exe, err := selfExecutable()
	if err != nil {
		return nil, nil, fmt.Errorf("bench: running this program again as a peer: %w", err)
	}
	return []string{exe}, []string{selfPeerEnv + "=1"}, nil
}

// serveSelfPeer is the main of a program run again by selfPeerCommand:
// it takes startProcess's arguments (--kind, --listen,
// --until-stdin-closed), serves until its stdin closes or an interrupt,
// and returns the exit code.
func serveSelfPeer(args []string) int {
	fs := flag.NewFlagSet("bench peer", flag.ContinueOnError)
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
		defer cancel()
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	}
	if err := ServePeer(ctx, *kind, *listen, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
