package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// soak describes one run: producers publish at least once through the
// api (no retry loop of the test's own), consumers take every message in
// client-individual mode, and something keeps breaking the connections.
type soak struct {
	addrs                []string // the brokers, primary first; each gets a proxy when plan is set
	login, pass          string
	dest                 string
	producers, consumers int
	perProducer          int
	plan                 sim.Plan     // faults of the proxies; nil: no proxy
	sendHeaders          []api.Header // on every SEND (persistent:true)
	subHeaders           []api.Header // on every SUBSCRIBE (x-queue-type:quorum)
	// kill and revive, when set, break a broker twice: the producers
	// stop at a third and at two thirds of their messages, the broker is
	// killed, and they go on sending (into the outbox) while it comes back.
	kill, revive func(t *testing.T, k int)
	timeout      time.Duration
}

// soakResult is what a soak counted.
type soakResult struct {
	sent, confirmed, failed int
	received, duplicates    int
	lost                    []string // confirmed and never received: must stay empty
	cuts                    []time.Duration
	elapsed                 time.Duration
	resent                  int64
}

func (r soakResult) String() string {
	p := func(q float64) time.Duration {
		if len(r.cuts) == 0 {
			return 0
		}
		s := slices.Clone(r.cuts)
		slices.Sort(s)
		return s[min(len(s)-1, int(q*float64(len(s))))].Round(time.Millisecond)
	}
	return fmt.Sprintf("sent %d, confirmed %d, failed %d, received %d distinct, lost %d, duplicates %d, resent %d; %d cuts, cut to resubscribed p50 %s p99 %s; %s",
		r.sent, r.confirmed, r.failed, r.received, len(r.lost), r.duplicates, r.resent, len(r.cuts), p(0.5), p(0.99), r.elapsed.Round(time.Millisecond))
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return h, n
}

func (sk soak) run(t *testing.T) soakResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sk.timeout)
	defer cancel()
	addrs := sk.addrs
	if sk.plan != nil {
		addrs = nil
		for _, a := range sk.addrs {
			p, err := sim.NewProxy(a, sk.plan)
			require.NoError(t, err)
			t.Cleanup(func() { _ = p.Close() })
			addrs = append(addrs, p.Addr())
		}
	}
	opts := []api.Option{api.WithUser(sk.login), api.WithPassword(sk.pass), api.WithVirtualHost("/"),
		api.WithTimeout(30 * time.Second), api.WithFailoverServers(addrs[1:]...),
		api.WithReconnect(api.Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 300 * time.Millisecond, StableAfter: 100 * time.Millisecond})}
	host, port := hostPort(t, addrs[0])
	start := time.Now()

	var (
		mu       sync.Mutex
		seen     = map[string]int{}
		cuts     []time.Duration
		clients  []*api.STOMP
		consumed sync.WaitGroup
	)
	t.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})
	for range sk.consumers {
		c := api.NewSTOMP(append(opts, api.WithRequestSubscriptionReceipts(true))...)
		clients = append(clients, c)
		var lostAt time.Time
		c.OnConnectionStatus(func(e *api.ConnectionStatusEvent) {
			switch e.ConnectionEvent {
			case "lost":
				lostAt = time.Now()
			case "reconnected":
				if !lostAt.IsZero() {
					mu.Lock()
					cuts = append(cuts, time.Since(lostAt))
					mu.Unlock()
					lostAt = time.Time{}
				}
			}
		})
		require.NoError(t, c.ConnectContext(ctx, host, port))
		// A bounded prefetch keeps what a cut makes the broker redeliver
		// to a few messages per consumer.
		headers := append([]api.Header{{Key: "prefetch-count", Value: "64"}}, sk.subHeaders...)
		_, err := c.SubscribeWith(ctx, sk.dest, api.SubscribeOptions{AckMode: api.AckClientIndividual, Headers: headers,
			Handler: func(e *api.MessageInEvent) {
				mu.Lock()
				seen[string(e.Data)]++
				mu.Unlock()
			}})
		require.NoError(t, err)
	}

	var (
		confirmed sync.Map
		nConf     atomic.Int64
		nFail     atomic.Int64
		settled   sync.WaitGroup
	)
	publishers := make([]*api.STOMP, sk.producers)
	for i := range publishers {
		c := api.NewSTOMP(append(opts, api.WithAtLeastOnce(api.AtLeastOnce{Enabled: true, MaxOutbox: 256, DedupHeader: "x-soak-id"}))...)
		clients = append(clients, c)
		publishers[i] = c
		require.NoError(t, c.ConnectContext(ctx, host, port))
		for _, h := range sk.sendHeaders {
			require.NoError(t, c.AddHeader(h.Key, h.Value))
		}
	}
	// Phase barriers: producers wait at each third for the kill.
	var phases []*sync.WaitGroup
	var released []chan struct{}
	if sk.kill != nil {
		for range 2 {
			wg := &sync.WaitGroup{}
			wg.Add(sk.producers)
			phases = append(phases, wg)
			released = append(released, make(chan struct{}))
		}
		consumed.Add(1)
		go func() {
			defer consumed.Done()
			for k := range phases {
				phases[k].Wait()
				sk.kill(t, k)
				close(released[k])
				sk.revive(t, k)
			}
		}()
	}
	var producing sync.WaitGroup
	for p, c := range publishers {
		producing.Add(1)
		go func() {
			defer producing.Done()
			for i := range sk.perProducer {
				for k := range phases {
					if i == (k+1)*sk.perProducer/3 {
						phases[k].Done()
						select {
						case <-released[k]:
						case <-ctx.Done():
							return
						}
					}
				}
				body := "p" + strconv.Itoa(p) + "-" + strconv.Itoa(i)
				settled.Add(1)
				err := c.SendMessageAsync(ctx, sk.dest, body, func(err error) {
					defer settled.Done()
					if err != nil {
						nFail.Add(1)
						return
					}
					confirmed.Store(body, true)
					nConf.Add(1)
				})
				if err != nil {
					settled.Done()
					t.Errorf("producer %d: message %d not taken: %v", p, i, err)
					return
				}
			}
		}()
	}
	producing.Wait()
	settled.Wait()
	consumed.Wait()
	res := soakResult{sent: sk.producers * sk.perProducer, confirmed: int(nConf.Load()), failed: int(nFail.Load())}
	for _, c := range publishers {
		res.resent += c.Stats().Resent
	}
	// Every confirmed message must arrive, however long the consumers'
	// reconnections take (bounded by the soak's timeout).
	for {
		res.lost = res.lost[:0]
		mu.Lock()
		confirmed.Range(func(k, _ any) bool {
			if seen[k.(string)] == 0 {
				res.lost = append(res.lost, k.(string))
			}
			return true
		})
		mu.Unlock()
		if len(res.lost) == 0 || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.elapsed = time.Since(start)
	mu.Lock()
	res.received = len(seen)
	for _, n := range seen {
		res.duplicates += n - 1
	}
	res.cuts = slices.Clone(cuts)
	mu.Unlock()
	return res
}

func soakMessages(short int) int {
	if n, err := strconv.Atoi(os.Getenv("STOMPACTOR_SOAK_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return short
}

func rabbit(t *testing.T) (addr, login, pass string) {
	t.Helper()
	addr = os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STOMPACTOR_RABBITMQ_ADDR is not set, and CI=true requires RabbitMQ")
		}
		t.Skip("no RabbitMQ: start the test brokers (scripts/brokers/up.sh) and source their env file")
	}
	login, pass = os.Getenv("STOMPACTOR_RABBITMQ_LOGIN"), os.Getenv("STOMPACTOR_RABBITMQ_PASSCODE")
	if login == "" {
		login, pass = "guest", "guest"
	}
	return addr, login, pass
}

// cutPlan drops every connection after some frames each way, at random
// within seeded bounds, and fragments and delays what passes.
func cutPlan(seed uint64) sim.Plan {
	return sim.Plan{
		{Name: "cut consumers", Kind: sim.DropConn, AfterFrames: 400, Seed: seed},
		{Name: "cut producers", Kind: sim.DropConn, Dir: sim.ToServer, AfterFrames: 300, Seed: seed + 1},
		{Name: "fragments", Kind: sim.RandomChunks, Chunk: 512, Seed: seed + 2},
		{Name: "jitter", Kind: sim.DelayWrites, Jitter: 100 * time.Microsecond, Seed: seed + 3},
	}
}

// Producers at least once and consumers in client-individual mode,
// through proxies that keep cutting connections: no message whose send
// was confirmed is lost. Against the simulator always, RabbitMQ when the
// test scripts started it.
func TestSoakAtLeastOnceThroughCuts(t *testing.T) {
	n := soakMessages(1500)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Run("sim", func(t *testing.T) {
		b, err := sim.NewBroker()
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		res := soak{addrs: []string{b.Addr()}, dest: "/queue/soak-" + run, producers: 2, consumers: 2, perProducer: n,
			plan: cutPlan(1), timeout: 2 * time.Minute}.run(t)
		t.Log(res)
		require.Empty(t, res.lost, "confirmed messages lost")
		require.Positive(t, res.confirmed)
		require.NotEmpty(t, res.cuts, "the plan never cut a consumer")
	})
	t.Run("rabbitmq", func(t *testing.T) {
		addr, login, pass := rabbit(t)
		res := soak{addrs: []string{addr}, login: login, pass: pass, dest: "/queue/soak-" + run, producers: 2, consumers: 2, perProducer: n,
			plan: cutPlan(11), timeout: 2 * time.Minute}.run(t)
		t.Log(res)
		require.Empty(t, res.lost, "confirmed messages lost")
		require.Positive(t, res.confirmed)
		require.NotEmpty(t, res.cuts, "the plan never cut a consumer")
	})
}
