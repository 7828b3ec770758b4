// Command simbroker runs the sim package's STOMP broker by hand, for demos
// and manual tests, until it gets SIGINT or SIGTERM.
//
//	go run ./sim/cmd/simbroker --listen 127.0.0.1:61613
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stompactor/stompactor/sim"
)

// users collects repeated --user login:passcode flags.
type users []string

func (u *users) String() string     { return strings.Join(*u, ",") }
func (u *users) Set(s string) error { *u = append(*u, s); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:61613", "TCP address to listen on")
	hbSend := flag.Duration("heartbeat-send", 0, "smallest interval at which the broker sends heart-beats (0: none)")
	hbRecv := flag.Duration("heartbeat-recv", 0, "interval at which the broker wants client heart-beats (0: none)")
	vhosts := flag.String("vhosts", "", "comma-separated virtual hosts to serve (empty: accept any host)")
	stats := flag.Duration("stats", 0, "print broker statistics at this interval (0: never)")
	var us users
	flag.Var(&us, "user", "login:passcode of a user (repeatable; none: no authentication)")
	flag.Parse()

	opts := []sim.Option{sim.WithListenAddr(*listen), sim.WithHeartbeat(*hbSend, *hbRecv)}
	if *vhosts != "" {
		opts = append(opts, sim.WithVirtualHosts(strings.Split(*vhosts, ",")...))
	}
	for _, u := range us {
		login, pass, ok := strings.Cut(u, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "simbroker: --user %q is not login:passcode\n", u)
			os.Exit(2)
		}
		opts = append(opts, sim.WithUser(login, pass))
	}
	b, err := sim.NewBroker(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "simbroker:", err)
		os.Exit(1)
	}
	fmt.Printf("simbroker: listening on %s (Ctrl-C to stop)\n", b.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var tick <-chan time.Time
	if *stats > 0 {
		t := time.NewTicker(*stats)
		defer t.Stop()
		tick = t.C
	}
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-tick:
			s := b.Stats()
			fmt.Printf("simbroker: %d connections, %d queued, sent %d, delivered %d, acked %d\n",
				s.Connections, s.Queued, s.Sent, s.Delivered, s.Acked)
		}
	}
	_ = b.Close()
	fmt.Println("simbroker: stopped")
}
