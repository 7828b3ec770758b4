package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The mixed soak: producers of every kind (at least once asynchronous
// and synchronous, with receipts, transactional with receipts, some
// transactions aborted, plain) send to four queues, one per consumer:
// client (cumulative ACKs), client-individual (NACKing one first delivery
// in 20), Pull with Receive and Ack, and auto. The broker's connections
// are hurt all along (soakChaos: cut, stalled, receipts withheld,
// messages redelivered and duplicated, fatal ERRORs), or the broker is
// closed and started again. Every message's body is its unique id. Once
// the faults stop, mixedSoak.check verifies:
//   - every confirmed message to a queue whose consumer acknowledges was
//     acknowledged by it (with restarts: those sent to the last broker);
//   - every such queue drains: nothing ready or unacknowledged, one
//     subscriber (no ACK lost, no subscription doubled);
//   - no message of a transaction aborted with a receipt was delivered;
//   - every call returned within its bound (soakCalls);
//   - no panic, every outbox empty;
//   - after Close, each consumer handled or counted in Stats.Dropped
//     every message it received.

// TestSoakMixed runs the mixed soak with chaos on each protocol version,
// with absolute and with inactivity timeouts.
func TestSoakMixed(t *testing.T) {
	for _, cfg := range []mixedConfig{
		{name: "1.2", seed: 1, version: "1.2", absolute: true},
		{name: "1.1-inactivity", seed: 2, version: "1.1"},
		{name: "1.0", seed: 3, version: "1.0", absolute: true},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			cfg.seed = soakSeed(cfg.seed)
			cfg.chaos = true
			runMixedSoak(t, cfg)
		})
	}
}

// TestSoakMixedBrokerRestarts runs it without chaos, the broker closed
// (its messages gone) and started again twice while the clients work.
func TestSoakMixedBrokerRestarts(t *testing.T) {
	runMixedSoak(t, mixedConfig{seed: soakSeed(4), version: "1.2", absolute: true, restarts: 2})
}

type mixedConfig struct {
	name     string
	seed     uint64
	version  string
	absolute bool // AbsoluteTimeout; else inactivity timeouts
	chaos    bool
	restarts int
}

// The soak's queues: one per consumer, in this order.
var mixedQueues = []string{"/queue/soak-cli", "/queue/soak-ind", "/queue/soak-pull", "/queue/soak-auto"}

const mixedAutoQueue = 3 // mixedQueues' auto one: not acknowledged, left out of the loss check

// mixedSoak is one run's state.
type mixedSoak struct {
	cfg     mixedConfig
	front   *soakFront
	calls   soakCalls
	epoch   atomic.Int64 // the broker's incarnation; -1 while it restarts
	sent    atomic.Int64
	clients map[string]*STOMP

	mu        sync.Mutex
	confirmed map[string]string // id -> queue, of the sends the broker confirmed
	epochOf   map[string]int64  // id -> epoch as its send started
	aborted   map[string]bool   // ids of transactions aborted with a receipt
	seen      map[string]int    // id -> deliveries handed to the program
	acked     map[string]int    // id -> deliveries the program acknowledged
	handled   map[string]int64  // consumer -> deliveries handed to it
	chaos     int               // chaos actions (or restarts) made
}

func (m *mixedSoak) confirm(q string, epoch int64, ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.confirmed[id], m.epochOf[id] = q, epoch
	}
}

// got notes a delivery of id to consumer, and whether it was acknowledged.
func (m *mixedSoak) got(consumer, id string, acked bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[id]++
	m.handled[consumer]++
	if acked {
		m.acked[id]++
	}
}

func (m *mixedSoak) handledBy(consumer string) func() int64 {
	return func() int64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.handled[consumer]
	}
}

// client makes a client named name (for the logs) connected through the
// front.
func (m *mixedSoak) client(t *testing.T, name string, opts ...Option) *STOMP {
	s := m.front.connect(t, soakClone(soakClientOptions(m.cfg.version, m.cfg.absolute), opts...)...)
	m.clients[name] = s
	return s
}

func runMixedSoak(t *testing.T, cfg mixedConfig) {
	m := &mixedSoak{cfg: cfg, clients: map[string]*STOMP{},
		confirmed: map[string]string{}, epochOf: map[string]int64{}, aborted: map[string]bool{},
		seen: map[string]int{}, acked: map[string]int{}, handled: map[string]int64{}}
	m.front = newSoakFront(t, cfg.seed, 700, 200*time.Microsecond)
	stopPull := m.consume(t)
	stopProducing, producing, async := m.produce(t)

	stopChaos := make(chan struct{})
	var chaosDone sync.WaitGroup
	chaosDone.Add(1)
	go func() {
		defer chaosDone.Done()
		if cfg.chaos {
			kinds := []chaosKind{chaosClose, chaosClose, chaosStopReading, chaosStallWrites, chaosWithhold,
				chaosRedeliver, chaosDuplicate, chaosFatalError, chaosDropAfter, chaosDropAfterIn}
			m.chaos = soakChaos(rand.New(rand.NewPCG(cfg.seed, 0xc4a05)), m.front.broker, kinds, stopChaos)
			return
		}
		rng := rand.New(rand.NewPCG(cfg.seed, 0x7e57a7))
		for k := 1; k <= cfg.restarts; k++ {
			select {
			case <-stopChaos:
				return
			case <-time.After(soakDuration() / time.Duration(cfg.restarts+1)):
			}
			m.epoch.Store(-1)
			m.front.restart(t, time.Duration(20+rng.IntN(300))*time.Millisecond)
			m.epoch.Store(int64(k))
			m.chaos++
		}
	}()
	<-time.After(soakDuration()) // the run's length, not a synchronization
	close(stopChaos)
	chaosDone.Wait()
	close(stopProducing)
	if !waitGroupWithin(producing, 4*soakTimeout) {
		t.Fatalf("producers did not return within %v of the stop", 4*soakTimeout)
	}
	m.check(t, stopPull, async)
}

// consume subscribes the four consumers, the Pull one with a goroutine
// of its own that stopPull ends.
func (m *mixedSoak) consume(t *testing.T) (stopPull func()) {
	handler := func(name string, nackEvery int) func(*MessageInEvent) {
		rng := rand.New(rand.NewPCG(m.cfg.seed, uint64(len(name))))
		return func(e *MessageInEvent) {
			if nackEvery > 0 && rng.IntN(nackEvery) == 0 && !e.Redelivered {
				e.Ack = false // NACKed: it comes back, redelivered
				m.got(name, string(e.Data), false)
				return
			}
			m.got(name, string(e.Data), true)
		}
	}
	ctx := context.Background()
	indMode, nackEvery := AckClientIndividual, 20
	if m.cfg.version == "1.0" {
		indMode, nackEvery = AckClient, 0 // no client-individual, no NACK
	}
	cli := m.client(t, "c-cli", WithRequestSubscriptionReceipts(true))
	_, err := cli.SubscribeWith(ctx, mixedQueues[0], SubscribeOptions{ID: "cli", AckMode: AckClient, Prefetch: 16, Handler: handler("c-cli", 0)})
	require.NoError(t, err)
	ind := m.client(t, "c-ind")
	_, err = ind.SubscribeWith(ctx, mixedQueues[1], SubscribeOptions{ID: "ind", AckMode: indMode, Prefetch: 8, Handler: handler("c-ind", nackEvery)})
	require.NoError(t, err)
	pull := m.client(t, "c-pull")
	_, err = pull.SubscribeWith(ctx, mixedQueues[2], SubscribeOptions{ID: "pull", AckMode: indMode, Pull: true, Prefetch: 8})
	require.NoError(t, err)
	auto := m.client(t, "c-auto")
	_, err = auto.SubscribeWith(ctx, mixedQueues[3], SubscribeOptions{ID: "auto", Handler: handler("c-auto", 0)})
	require.NoError(t, err)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		const bound = 300 * time.Millisecond
		for {
			select {
			case <-stop:
				return
			default:
			}
			var ev *MessageInEvent
			err := m.calls.call("c-pull Receive", bound, func() error {
				rctx, cancel := context.WithTimeout(ctx, bound)
				defer cancel()
				var err error
				ev, err = pull.Receive(rctx, "pull")
				return err
			})
			if err != nil {
				continue
			}
			err = m.calls.call("c-pull Ack", soakTimeout, func() error {
				actx, cancel := context.WithTimeout(ctx, soakTimeout)
				defer cancel()
				return pull.Ack(actx, ev)
			})
			m.got("c-pull", string(ev.Data), err == nil)
		}
	}()
	return func() { close(stop); wg.Wait() }
}

// produce starts the producers, each on a goroutine of its own, until
// stop closes; producing ends when they all returned, async when every
// asynchronous send was settled (a withheld receipt holds one until its
// connection is cut).
func (m *mixedSoak) produce(t *testing.T) (stop chan struct{}, producing, async *sync.WaitGroup) {
	stop = make(chan struct{})
	producing, async = new(sync.WaitGroup), new(sync.WaitGroup)
	ctx := context.Background()
	alo := WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 64, DedupHeader: "x-soak-id"})
	pace := func() bool { // a failed send waits a little before the next
		select {
		case <-stop:
			return false
		case <-time.After(time.Millisecond):
			return true
		}
	}
	loop := func(send func(i int) bool) {
		producing.Add(1)
		go func() {
			defer producing.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !send(i) && !pace() {
					return
				}
			}
		}()
	}
	// sendOne sends id with send, confirmed when it returns nil.
	sendOne := func(who string, send func(q, id string) error) func(i int) bool {
		return func(i int) bool {
			q, id := mixedQueues[i%len(mixedQueues)], fmt.Sprintf("%s-%d", who, i)
			epoch := m.epoch.Load()
			m.sent.Add(1)
			err := m.calls.call(who, soakTimeout, func() error { return send(q, id) })
			if err == nil {
				m.confirm(q, epoch, id)
			}
			return err == nil
		}
	}
	pAsync := m.client(t, "p-async", alo)
	loop(func(i int) bool {
		q, id := mixedQueues[i%len(mixedQueues)], fmt.Sprintf("async-%d", i)
		epoch := m.epoch.Load()
		m.sent.Add(1)
		async.Add(1) // until done
		err := m.calls.call("p-async SendMessageAsync", soakTimeout, func() error {
			return pAsync.SendMessageAsync(ctx, q, id, func(err error) {
				defer async.Done()
				if err == nil {
					m.confirm(q, epoch, id)
				}
			})
		})
		if err != nil {
			async.Done()
		}
		return err == nil
	})
	loop(sendOne("sync", m.client(t, "p-sync", alo).SendMessage))
	loop(sendOne("rcpt", m.client(t, "p-rcpt", WithRequestReceipts(true)).SendMessage))
	plain := m.client(t, "p-plain")
	loop(func(i int) bool {
		q := mixedQueues[i%len(mixedQueues)]
		m.sent.Add(1)
		_ = m.calls.call("p-plain SendMessage", soakTimeout, func() error { return plain.SendMessage(q, fmt.Sprint("plain-", i)) })
		return pace() // unconfirmed: only paced
	})
	loop(m.transactions(m.client(t, "p-tx", WithRequestTransactionReceipts(true))))
	return stop, producing, async
}

// transactions sends 3 messages in a transaction, committed, or one time
// in five aborted.
func (m *mixedSoak) transactions(s *STOMP) func(i int) bool {
	return func(i int) bool {
		q, tx := mixedQueues[i%len(mixedQueues)], fmt.Sprint("tx-", i)
		epoch := m.epoch.Load()
		call := func(what string, f func() error) error { return m.calls.call("p-tx "+what, soakTimeout, f) }
		if call("Begin", func() error { return s.BeginTransaction(tx) }) != nil {
			return false
		}
		var ids []string
		for k := range 3 {
			id := fmt.Sprintf("tx-%d-%d", i, k)
			m.sent.Add(1)
			err := call("Send", func() error {
				ctx, cancel := context.WithTimeout(context.Background(), soakTimeout)
				defer cancel()
				return s.Send(ctx, q, []byte(id), SendOptions{TransactionID: tx})
			})
			if err != nil {
				_ = call("Abort", func() error { return s.AbortTransaction(tx) })
				return false
			}
			ids = append(ids, id)
		}
		if i%5 == 4 {
			if call("Abort", func() error { return s.AbortTransaction(tx) }) == nil {
				m.mu.Lock()
				for _, id := range ids {
					m.aborted[id] = true
				}
				m.mu.Unlock()
			}
			return true
		}
		err := call("Commit", func() error { return s.CommitTransaction(tx) })
		if err == nil {
			m.confirm(q, epoch, ids...)
		}
		return err == nil
	}
}
