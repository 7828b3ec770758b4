package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// benchResult is what `stomp bench --json` writes.
type benchResult struct {
	Server       string  `json:"server"`
	Publishers   int     `json:"publishers"`
	Consumers    int     `json:"consumers"`
	Messages     int     `json:"messages"`
	Size         int     `json:"size"`
	Receipts     bool    `json:"receipts"`
	Seconds      float64 `json:"seconds"`
	MsgPerSec    float64 `json:"msg_per_sec"`
	MBPerSec     float64 `json:"mb_per_sec"`
	LatencyP50us int64   `json:"latency_p50_us"`
	LatencyP90us int64   `json:"latency_p90_us"`
	LatencyP99us int64   `json:"latency_p99_us"`
	LatencyMaxus int64   `json:"latency_max_us"`
}

func newBench(cf *connFlags) *cobra.Command {
	var (
		publishers, consumers, count, size int
		dest, jsonOut                      string
		receipts                           bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure publish-to-consume throughput and latency (the embedded simulator when no --server is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if publishers < 1 || consumers < 1 || count < 1 || size < 0 {
				return usagef("--publishers, --consumers and --count must be at least 1, --size not negative")
			}
			out := cmd.OutOrStdout()
			server := "embedded simulator"
			if len(cf.servers) == 0 {
				b, err := sim.NewBroker()
				if err != nil {
					return err
				}
				defer b.Close()
				cf.servers = []string{"stomp://" + b.Addr()}
			} else {
				server = redactURL(cf.servers[0])
			}
			r, err := runBench(cmd.Context(), cf, cmd.ErrOrStderr(), dest, publishers, consumers, count, size, receipts)
			if err != nil {
				return err
			}
			r.Server = server
			fmt.Fprintf(out, "%d messages of %d bytes, %d publishers, %d consumers, receipts %v, against %s\n", r.Messages, r.Size, r.Publishers, r.Consumers, r.Receipts, r.Server)
			fmt.Fprintf(out, "throughput: %.0f msg/s, %.1f MB/s in %.2fs\n", r.MsgPerSec, r.MBPerSec, r.Seconds)
			fmt.Fprintf(out, "latency publish->handler: p50 %dus  p90 %dus  p99 %dus  max %dus\n", r.LatencyP50us, r.LatencyP90us, r.LatencyP99us, r.LatencyMaxus)
			if jsonOut != "" {
				b, _ := json.MarshalIndent(r, "", "  ")
				if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&publishers, "publishers", 1, "publishing connections")
	f.IntVar(&consumers, "consumers", 1, "consuming connections (they share the queue)")
	f.IntVar(&count, "count", 20000, "messages in all")
	f.IntVar(&size, "size", 100, "body size in bytes")
	f.StringVar(&dest, "destination", "/queue/stompactor-bench", "destination to use")
	f.BoolVar(&receipts, "receipts", false, "wait for the broker's receipt of every message")
	f.StringVar(&jsonOut, "json", "", "also write the result as JSON to this file")
	return cmd
}

func runBench(ctx context.Context, cf *connFlags, errw io.Writer, dest string, publishers, consumers, count, size int, receipts bool) (*benchResult, error) {
	var clients []*api.STOMP
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	var mu sync.Mutex
	lat := make([]time.Duration, 0, count)
	var got atomic.Int64
	all := make(chan struct{})
	for i := 0; i < consumers; i++ {
		c, _, err := cf.connect(ctx, errw)
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
		_, err = c.SubscribeWith(ctx, dest, api.SubscribeOptions{QueueSize: 4096, Handler: func(m *api.MessageInEvent) {
			sent, _ := strconv.ParseInt(header(m.Headers, "x-sent-ns"), 10, 64)
			d := time.Since(time.Unix(0, sent))
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			if got.Add(1) == int64(count) {
				close(all)
			}
		}})
		if err != nil {
			return nil, err
		}
	}
	pubs := make([]*api.STOMP, publishers)
	for i := range pubs {
		c, _, err := cf.connect(ctx, errw, api.WithRequestReceipts(receipts))
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
		pubs[i] = c
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	p := newProgress(errw, "sent", count)
	var sent atomic.Int64
	start := time.Now()
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for i, c := range pubs {
		n := count / publishers
		if i < count%publishers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < n; j++ {
				c.ResetHeaders()
				err := c.AddHeader("x-sent-ns", strconv.FormatInt(time.Now().UnixNano(), 10))
				if err == nil {
					err = c.SendDataContext(pctx, dest, body)
				}
				if err != nil {
					errs <- err
					stop()
					return
				}
				p.step(int(sent.Add(1)))
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	p.done()
	select {
	case <-all:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(cf.timeout):
		return nil, fmt.Errorf("only %d of %d messages arrived within %s", got.Load(), count, cf.timeout)
	}
	elapsed := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) int64 { return lat[int(f*float64(len(lat)-1))].Microseconds() }
	return &benchResult{
		Publishers: publishers, Consumers: consumers, Messages: count, Size: size, Receipts: receipts,
		Seconds:      elapsed.Seconds(),
		MsgPerSec:    float64(count) / elapsed.Seconds(),
		MBPerSec:     float64(count*size) / elapsed.Seconds() / 1e6,
		LatencyP50us: q(0.5), LatencyP90us: q(0.9), LatencyP99us: q(0.99), LatencyMaxus: lat[len(lat)-1].Microseconds(),
	}, nil
}
