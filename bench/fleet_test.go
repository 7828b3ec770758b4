package bench

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// BenchmarkFleetReconnect measures how long a fleet of clients on one
// engine takes to come back after losing its broker, from the loss until
// every client has reconnected and the broker holds every client's
// subscription again, reported as s/restart. Each operation is one loss
// of a fresh fleet (connecting it is not timed). The clients use the
// default Reconnect policy (InitialDelay 100ms) and the engine's default
// options. Two losses:
//
//   - mode=drop: the broker drops every connection at once and keeps
//     listening (sim CloseConnections): the time is the reconnect storm's
//     alone.
//   - mode=restart: the broker is closed (every connection dropped, the
//     listener gone) and another started on the same address once the
//     first has stopped; s/after-up is the time from the new broker's
//     start. Attempts made while no broker listens are refused and back
//     off, so this one includes the backoff.
//
// Run it on its own, a few times, and compare medians:
//
//	go test -run '^$' -bench FleetReconnect -benchtime 1x -count 5 ./bench
func BenchmarkFleetReconnect(b *testing.B) {
	for _, mode := range []string{"drop", "restart"} {
		for _, n := range []int{1000, 3000} {
			b.Run("mode="+mode+"/clients="+strconv.Itoa(n), func(b *testing.B) {
				var total, up time.Duration
				for range b.N {
					all, afterUp := fleetRestart(b, n, mode == "restart")
					total += all
					up += afterUp
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "s/restart")
				if mode == "restart" {
					b.ReportMetric(up.Seconds()/float64(b.N), "s/after-up")
				}
			})
		}
	}
}

// fleetTopic is the topic every client of the fleet subscribes to.
const fleetTopic = "/topic/fleet"

// fleetRestart connects n clients to a fresh broker, drops their
// connections (restart: restarts the broker), and returns how long the
// fleet took to be whole again, and how long after the new broker was up.
func fleetRestart(b *testing.B, n int, restart bool) (all, afterUp time.Duration) {
	b.StopTimer()
	eng := actors.NewEngine(actors.EngineOptions{})
	broker, err := sim.NewBroker()
	if err != nil {
		b.Fatal(err)
	}
	addr := broker.Addr()
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	clients := make([]*api.STOMP, n)
	defer func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			if c != nil {
				wg.Go(c.Close)
			}
		}
		wg.Wait()
		_ = broker.Close()
		if err := eng.Close(); err != nil {
			b.Error(err)
		}
	}()

	// Connect the fleet, 64 at a time (the limit of the test, not the
	// client's).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 64)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	for i := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c := api.NewSTOMP(api.WithEngine(eng),
				api.WithReconnect(api.Reconnect{Enabled: true}), api.WithRequestSubscriptionReceipts(true))
			clients[i] = c
			c.OnConnectionStatus(func(e *api.ConnectionStatusEvent) {
				if e.ConnectionEvent == "reconnecting" {
					diagMu.Lock()
					k := e.Description
					if j := strings.Index(k, "after: "); j >= 0 {
						k = k[j:]
					}
					if len(k) > 60 {
						k = k[:60]
					}
					diag[k]++
					diagMu.Unlock()
				}
			})
			err := c.ConnectContext(ctx, host, port)
			if err == nil {
				_, err = c.SubscribeWith(ctx, fleetTopic, api.SubscribeOptions{})
			}
			if err != nil {
				mu.Lock()
				ferr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ferr != nil {
		b.Fatal(ferr)
	}

	b.StartTimer()
	start := time.Now()
	if restart {
		_ = broker.Close()
		broker, err = sim.NewBroker(sim.WithListenAddr(addr))
	} else {
		_, err = broker.CloseConnections()
	}
	if err != nil {
		b.Fatal(err)
	}
	up := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !fleetWhole(clients, broker) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			b.Fatalf("the fleet of %d did not come back: %v", n, ctx.Err())
		}
	}
	took := time.Since(start)
	b.StopTimer()
	diagMu.Lock()
	b.Logf("%d clients, %v (%v after the new broker was up): %v", n, took, time.Since(up), diag)
	clear(diag)
	diagMu.Unlock()
	return took, took - up.Sub(start)
}

// The causes of the fleet's reconnect waits ("reconnecting" statuses),
// counted for the log: one per client for the loss, and one per failed
// attempt after it.
var (
	diagMu sync.Mutex
	diag   = map[string]int{}
)

// fleetWhole reports whether every client reconnected and the broker
// holds every subscription again.
func fleetWhole(clients []*api.STOMP, broker *sim.Broker) bool {
	d, ok := broker.Destination(fleetTopic)
	if !ok || d.Subscribers < len(clients) {
		return false
	}
	for _, c := range clients {
		if c.Stats().Reconnects < 1 {
			return false
		}
	}
	return true
}
