package bench

import (
	"context"
	"fmt"
	"io"

	"github.com/stompactor/stompactor/sim"
)

// Target is a peer the scenarios connect to.
type Target struct {
	// Name says what the peer is and where it runs, for the report.
	Name     string
	Addr     string // host:port
	Login    string
	Passcode string
	VHost    string // the CONNECT host header; "" sends "/"
}

func (t *Target) vhost() string {
	if t.VHost == "" {
		return "/"
	}
	return t.VHost
}

// The kinds of built-in peer, for ServePeer and `stomp bench peer`.
const (
	KindSink     = "sink"
	KindFirehose = "firehose"
	KindSim      = "sim"
)

// Kinds lists the built-in peer kinds.
var Kinds = []string{KindSink, KindFirehose, KindSim}

// startLocal starts a built-in peer in this process and returns its
// address and how to stop it.
func startLocal(kind, listen string) (string, func() error, error) {
	switch kind {
	case KindSink:
		s, err := NewSink(listen)
		if err != nil {
			return "", nil, err
		}
		return s.Addr(), s.Close, nil
	case KindFirehose:
		h, err := NewFirehose(listen, FirehoseConfig{Size: 100})
		if err != nil {
			return "", nil, err
		}
		return h.Addr(), h.Close, nil
	case KindSim:
		// The simulator takes the bodies of every size the harness
		// measures (its default limit is 4 MiB), as the sink and the
		// firehose do.
		opts := []sim.Option{sim.WithServerName("stompactor-sim (bench)"), sim.WithLimits(peerLimits)}
		if listen != "" {
			opts = append(opts, sim.WithListenAddr(listen))
		}
		b, err := sim.NewBroker(opts...)
		if err != nil {
			return "", nil, err
		}
		return b.Addr(), b.Close, nil
	}
	return "", nil, fmt.Errorf("bench: unknown peer kind %q (want sink, firehose or sim)", kind)
}

// ServePeer runs a built-in peer of the given kind on listen ("127.0.0.1:0"
// picks a free port), writes the address it listens on to out as one line,
// and serves until ctx ends. It is what `stomp bench peer` runs, and how
// Config.PeerProcess puts a peer in a process of its own.
func ServePeer(ctx context.Context, kind, listen string, out io.Writer) error {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	addr, stop, err := startLocal(kind, listen)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(out, addr); err != nil {
		_ = stop()
		return err
	}
	<-ctx.Done()
	return stop()
}
