package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/sim"
	"github.com/stompactor/stompactor/transport"
)

// targetCheckTimeout bounds the dial that checks the target at start.
const targetCheckTimeout = 5 * time.Second

func newProxy() *cobra.Command {
	var (
		listen string
		target string
		faults faultFlags
	)
	cmd := &cobra.Command{
		Use:   "proxy --target HOST:PORT [--listen ADDR] [--fault KIND[,key=value...]]...",
		Short: "Put planned faults between any STOMP client and a real broker",
		Long: "Listens on --listen and forwards each connection to the broker at --target (plain STOMP\n" +
			"over TCP: the proxy reads the broker's frames, so TLS and WebSocket targets are refused),\n" +
			"applying the planned faults, until Ctrl-C (exit 130) or SIGTERM (exit 143). Point a client\n" +
			"written in any language at the listening address to rehearse a broker failure.\n\n" + faultHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := parseTarget(target)
			if err != nil {
				return &usageError{err: err}
			}
			plan, err := faults.plan()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			printer := newFaultPrinter(w)
			p, err := sim.NewProxy(addr, plan, sim.ProxyListenAddr(listen), sim.ProxyFaultHook(printer.hook))
			if err != nil {
				printer.stop()
				return fmt.Errorf("proxy: %w", err)
			}
			fmt.Fprintf(w, "proxy listening on %s for %s (%d faults planned, seed %d); Ctrl-C stops it\n", p.Addr(), addr, len(plan), faults.seed)
			if err := checkTarget(cmd.Context(), addr); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "stomp: warning: the target does not answer now (%v); connections are closed until it does\n", err)
			}
			<-cmd.Context().Done()
			_ = p.Close()
			fmt.Fprintf(w, "stopping: %s\n", printer.stop())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on (port 0: a free one, printed at start)")
	f.StringVar(&target, "target", "", "the broker's plain STOMP address, HOST:PORT (required)")
	faults.register(cmd)
	return cmd
}

// parseTarget reads --target: HOST:PORT, or stomp://HOST:PORT. TLS and
// WebSocket URLs are refused with the reason.
func parseTarget(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("--target HOST:PORT is required")
	}
	hostport := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", badURL("--target", s)
		}
		switch u.Scheme {
		case "stomp", "tcp":
		case "stomp+ssl", "stomp+tls", "ssl", "tls":
			return "", fmt.Errorf("--target %s: TLS targets are not supported: the proxy reads the broker's frames, so it forwards plain STOMP over TCP only (use the broker's plain STOMP port)", u.Scheme+"://")
		case "ws", "wss":
			return "", fmt.Errorf("--target %s: WebSocket targets are not supported: the proxy forwards plain STOMP over TCP only (use the broker's plain STOMP port)", u.Scheme+"://")
		default:
			return "", fmt.Errorf("--target: unknown scheme %q (want HOST:PORT or stomp://HOST:PORT)", u.Scheme)
		}
		if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return "", fmt.Errorf("--target %q: only HOST:PORT: the proxy does not log in, the client does", transport.RedactURL(s))
		}
		hostport = u.Host
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return "", fmt.Errorf("--target %q: want HOST:PORT", transport.RedactURL(s))
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("--target: bad port %q", port)
	}
	return hostport, nil
}

// checkTarget dials the target once, so that a wrong --target is seen at
// start rather than as connections that close at once.
func checkTarget(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: targetCheckTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}
