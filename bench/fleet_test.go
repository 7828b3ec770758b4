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
// And two listeners: backlog=128 listens with the listen backlog of a
// broker configured so (RabbitMQ's default; on Linux only), where a
// storm of connections overflows the accept queue and the kernel drops
// SYNs that the clients send again a second later; backlog=system with
// the system's maximum (net.Listen's; /proc/sys/net/core/somaxconn).
//
// On Linux it also reports syn-drops/restart and retrans/restart: how
// many SYNs the machine's listeners dropped for a full accept queue, and
// how many TCP segments it sent again, while the fleet came back (counts
// of the whole machine: other processes add theirs).
//
// The broker runs in the same process and shares its CPU. Run it on its
// own, a few times, and compare medians:
//
//	go test -run '^$' -bench FleetReconnect -benchtime 1x -count 5 ./bench
func BenchmarkFleetReconnect(b *testing.B) {
	for _, backlog := range []int{128, 0} {
		for _, mode := range []string{"drop", "restart"} {
			for _, n := range []int{1000, 3000} {
				name := "backlog=system"
				if backlog > 0 {
					name = "backlog=" + strconv.Itoa(backlog)
				}
				b.Run(name+"/mode="+mode+"/clients="+strconv.Itoa(n), func(b *testing.B) {
					var (
						total, up        time.Duration
						dropped, retrans int64
						counted          = true
					)
					for range b.N {
						r := fleetRestart(b, n, mode == "restart", backlog)
						total += r.all
						up += r.afterUp
						dropped += r.synDrops
						retrans += r.retrans
						counted = counted && r.counted
					}
					b.ReportMetric(total.Seconds()/float64(b.N), "s/restart")
					if mode == "restart" {
						b.ReportMetric(up.Seconds()/float64(b.N), "s/after-up")
					}
					if counted {
						b.ReportMetric(float64(dropped)/float64(b.N), "syn-drops/restart")
						b.ReportMetric(float64(retrans)/float64(b.N), "retrans/restart")
					}
				})
			}
		}
	}
}

// fleetBroker starts a broker on addr ("127.0.0.1:0": a free port) with
// a listen backlog of backlog connections (0: the system's).
func fleetBroker(b *testing.B, addr string, backlog int) *sim.Broker {
	b.Helper()
	if backlog == 0 {
		broker, err := sim.NewBroker(sim.WithListenAddr(addr))
		if err != nil {
			b.Fatal(err)
		}
		return broker
	}
	ln, err := listenBacklog(addr, backlog)
	if err != nil {
		b.Skip(err)
	}
	broker, err := sim.NewBroker(sim.WithListener(ln))
	if err != nil {
		_ = ln.Close()
		b.Fatal(err)
	}
	return broker
}

// fleetTopic is the topic every client of the fleet subscribes to.
const fleetTopic = "/topic/fleet"

// fleetRestart connects n clients to a fresh broker (with a listen
// backlog of backlog, 0: the system's), drops their connections (restart:
// restarts the broker), and returns how long the fleet took to be whole
// again, and how long after the new broker was up.
// fleetResult is what one fleetRestart measured: the time until the
// fleet was whole, and after the new broker was up; and, when counted,
// the SYNs the machine's listeners dropped and the TCP segments it sent
// again meanwhile (tcpStorm).
type fleetResult struct {
	all, afterUp      time.Duration
	synDrops, retrans int64
	counted           bool
}

func fleetRestart(b *testing.B, n int, restart bool, backlog int) fleetResult {
	b.StopTimer()
	eng := actors.NewEngine(actors.EngineOptions{})
	broker := fleetBroker(b, "127.0.0.1:0", backlog)
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
	drops0, retrans0, counted := tcpStorm()
	start := time.Now()
	if restart {
		_ = broker.Close()
		broker = fleetBroker(b, addr, backlog)
	} else if _, err := broker.CloseConnections(); err != nil {
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
	drops1, retrans1, counted1 := tcpStorm()
	diagMu.Lock()
	b.Logf("%d clients, %v (%v after the new broker was up): %v", n, took, time.Since(up), diag)
	clear(diag)
	diagMu.Unlock()
	return fleetResult{all: took, afterUp: took - up.Sub(start),
		synDrops: drops1 - drops0, retrans: retrans1 - retrans0, counted: counted && counted1}
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
