package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

func newDemo(cf *connFlags) *cobra.Command {
	var (
		count int
		size  int
		dest  string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Publish and consume messages end to end (the embedded simulator when no --server is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 1 || size < 0 {
				return usagef("--count must be at least 1 and --size not negative")
			}
			if err := cf.check(); err != nil {
				return err // before the simulator starts
			}
			out := cmd.OutOrStdout()
			if len(cf.servers) == 0 {
				b, err := sim.NewBroker(sim.WithHeartbeat(time.Second, time.Second))
				if err != nil {
					return err
				}
				defer b.Close()
				cf.servers = []string{"stomp://" + b.Addr()}
				if cf.heartbeat == "0,0" {
					cf.heartbeat = "1000,1000"
				}
				fmt.Fprintf(out, "no --server given: started the embedded simulator on %s\n", b.Addr())
			}
			return runDemo(cmd.Context(), cf, out, cmd.ErrOrStderr(), dest, count, size)
		},
	}
	f := cmd.Flags()
	f.IntVar(&count, "count", 5000, "messages to send")
	f.IntVar(&size, "size", 100, "body size in bytes")
	f.StringVar(&dest, "destination", "/queue/stompactor-demo", "destination to use")
	return cmd
}

func runDemo(ctx context.Context, cf *connFlags, out, errw io.Writer, dest string, count, size int) error {
	sub, sv, err := cf.connect(ctx, errw)
	if err != nil {
		return err
	}
	defer sub.Close()
	pub, _, err := cf.connect(ctx, errw)
	if err != nil {
		return err
	}
	defer pub.Close()
	fmt.Fprintf(out, "connected to %s: STOMP %s, server %q, heart-beats out %dms in %dms\n",
		sv, pub.ProtocolVersion(), pub.ServerInfo(), pub.OutgoingHeartbeat(), pub.IncomingHeartbeat())

	var mu sync.Mutex
	lat := make([]time.Duration, 0, count)
	all := make(chan struct{})
	back := make(chan struct{}, 1) // after the burst: a round-trip message arrived
	_, err = sub.SubscribeWith(ctx, dest, api.SubscribeOptions{AckMode: api.AckClientIndividual, QueueSize: 1024, Handler: func(m *api.MessageInEvent) {
		mu.Lock()
		if len(lat) < count {
			sent, _ := strconv.ParseInt(header(m.Headers, "x-sent-ns"), 10, 64)
			lat = append(lat, time.Since(time.Unix(0, sent)))
			if len(lat) == count {
				close(all)
			}
			mu.Unlock()
			return
		}
		mu.Unlock()
		select {
		case back <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		return err
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	p := newProgress(errw, "messages", count)
	start := time.Now()
	for i := 0; i < count; i++ {
		pub.ResetHeaders()
		if err := pub.AddHeader("x-sent-ns", strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
			return err
		}
		if err := pub.SendDataContext(ctx, dest, body); err != nil {
			return err
		}
		p.step(i + 1)
	}
	sendTime := time.Since(start)
	select {
	case <-all:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cf.timeout):
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		return fmt.Errorf("only %d of %d messages arrived within %s", n, count, cf.timeout)
	}
	total := time.Since(start)
	p.done()
	mu.Lock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	fmt.Fprintf(out, "sent %d messages of %d bytes in %s (%.0f msg/s); all received in %s (%.0f msg/s)\n",
		count, size, sendTime.Round(time.Millisecond), float64(count)/sendTime.Seconds(), total.Round(time.Millisecond), float64(count)/total.Seconds())
	fmt.Fprintf(out, "publish->handler during that burst (waiting behind the messages sent before): p50 %s  p90 %s  p99 %s  max %s\n", q(0.5).Round(time.Microsecond), q(0.9).Round(time.Microsecond), q(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	mu.Unlock()
	rt, err := roundTrips(ctx, pub, dest, body, back, cf.timeout)
	if err != nil {
		return err
	}
	r := func(f float64) time.Duration { return rt[int(f*float64(len(rt)-1))].Round(time.Microsecond) }
	fmt.Fprintf(out, "round trip, one message in flight (%d trips, no burst): p50 %s  p90 %s  p99 %s\n", len(rt), r(0.5), r(0.9), r(0.99))
	if err := pub.DisconnectContext(ctx); err != nil {
		return err
	}
	if err := sub.DisconnectContext(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "disconnected cleanly")
	return nil
}

// roundTrips sends demoTrips messages one at a time, each once the
// previous one has reached the handler (back), and returns the sorted
// round-trip times: the client's latency when nothing queues in front.
func roundTrips(ctx context.Context, pub *api.STOMP, dest string, body []byte, back <-chan struct{}, timeout time.Duration) ([]time.Duration, error) {
	const demoTrips = 200
	pub.ResetHeaders()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rt := make([]time.Duration, 0, demoTrips)
	for range demoTrips {
		start := time.Now()
		if err := pub.SendDataContext(wctx, dest, body); err != nil {
			return nil, err
		}
		select {
		case <-back:
			rt = append(rt, time.Since(start))
		case <-wctx.Done():
			return nil, fmt.Errorf("round trip %d of %d: no message back within %s", len(rt)+1, demoTrips, timeout)
		}
	}
	sort.Slice(rt, func(i, j int) bool { return rt[i] < rt[j] })
	return rt, nil
}

func header(hs []api.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}
