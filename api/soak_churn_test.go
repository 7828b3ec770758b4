package api

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The churn soak: one consumer keeps changing what it subscribes to
// (SubscribeWith in ack mode client or client-individual on three queues,
// auto on a topic, Pull in auto or a client mode on a fourth queue),
// Unsubscribe, and Disconnect followed by Connect, while an at-least-once
// producer sends to the queues, a plain one to the topic and the Pull
// queue, and the broker's connections are cut and stalled. Once it ends,
// the consumer subscribes to every queue again and churnSoak.check
// verifies:
//   - every confirmed message to the three queues was handled;
//   - no client-ack handler started after its Unsubscribe (or the
//     Disconnect that ended it) returned nil;
//   - every call returned within its bound (soakCalls);
//   - the broker's subscriptions of the consumer are its Subscriptions();
//   - no panic; after Close, every message the consumer received was
//     handled (or returned by Receive) or counted in Stats.Dropped.

// TestSoakChurn runs the churn soak on each protocol version.
func TestSoakChurn(t *testing.T) {
	for _, v := range []string{"1.2", "1.1", "1.0"} {
		t.Run(v, func(t *testing.T) { runChurnSoak(t, soakSeed(7), v) })
	}
}

var (
	churnQueues = []string{"/queue/churn-0", "/queue/churn-1", "/queue/churn-2"}
	churnTopic  = "/topic/churn"
	churnPullQ  = "/queue/churn-pull"
)

// churnSub is one subscription the consumer made.
type churnSub struct {
	id      string
	mode    AckMode
	ended   atomic.Bool  // its Unsubscribe (or Disconnect) returned nil
	endedBy atomic.Value // what ended it (a string), set before ended
	handled atomic.Int64 // handler calls
	late    atomic.Int64 // handler calls of a client mode started once ended (2 for one after a failed Subscribe)
}

// churnSoak is one run's state.
type churnSoak struct {
	seed    uint64
	version string
	front   *soakFront
	cons    *STOMP
	calls   soakCalls
	modes   []AckMode // the client modes the version has
	pulled  atomic.Int64

	mu        sync.Mutex
	confirmed map[string]bool
	seen      map[string]int
	live      map[string]*churnSub // by id
	all       []*churnSub
	lateWhy   []string
}

func runChurnSoak(t *testing.T, seed uint64, version string) {
	c := &churnSoak{seed: seed, version: version, modes: []AckMode{AckClient, AckClientIndividual},
		confirmed: map[string]bool{}, seen: map[string]int{}, live: map[string]*churnSub{}}
	if version == "1.0" {
		c.modes = []AckMode{AckClient}
	}
	c.front = newSoakFront(t, seed, 300, 0)
	opts := soakClientOptions(version, true)
	prod := c.front.connect(t, soakClone(opts, WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 64}))...)
	plain := c.front.connect(t, opts...)
	c.cons = c.front.connect(t, opts...)

	stop := make(chan struct{})
	var loops, pending sync.WaitGroup
	run := func(f func()) {
		loops.Add(1)
		go func() { defer loops.Done(); f() }()
	}
	run(func() { c.produce(t, prod, stop, &pending) })
	run(func() { c.producePlain(plain, stop) })
	// Receive goes on until the checks are done: a Pull subscription
	// nobody reads fills its queue and then holds up the connection's
	// reading (backpressure), every other subscription's messages too.
	stopReceive := make(chan struct{})
	var receiving sync.WaitGroup
	receiving.Add(1)
	go func() { defer receiving.Done(); c.receive(stopReceive) }()
	run(func() { c.churn(t, stop) })
	run(func() {
		kinds := []chaosKind{chaosClose, chaosClose, chaosStopReading, chaosStallWrites}
		soakChaos(rand.New(rand.NewPCG(seed, 0xc4a05)), c.front.broker, kinds, stop)
	})
	<-time.After(soakDuration()) // the run's length, not a synchronization
	close(stop)
	if !waitGroupWithin(&loops, 6*soakTimeout) {
		t.Fatal("the loops did not stop")
	}
	c.check(t, prod, plain, &pending, func() { close(stopReceive); receiving.Wait() })
}

// produce sends at least once to the queues in turn until stop closes,
// at most 10 messages a millisecond: faster, the consumer falls behind,
// and the run's end waits for it to catch up.
func (c *churnSoak) produce(t *testing.T, prod *STOMP, stop <-chan struct{}, pending *sync.WaitGroup) {
	for i := 0; ; i++ {
		pause := time.After(0)
		if i%10 == 9 {
			pause = time.After(time.Millisecond)
		}
		select {
		case <-stop:
			return
		case <-pause:
		}
		id := fmt.Sprint("m-", i)
		pending.Add(1)
		var once atomic.Int32
		err := c.calls.call("SendMessageAsync", soakTimeout, func() error {
			return prod.SendMessageAsync(context.Background(), churnQueues[i%len(churnQueues)], id, func(err error) {
				if once.Add(1) > 1 {
					t.Errorf("done of %s called twice", id)
					return
				}
				defer pending.Done()
				if err == nil {
					c.mu.Lock()
					c.confirmed[id] = true
					c.mu.Unlock()
				}
			})
		})
		if err != nil {
			pending.Done()
			select { // a failed send waits a little before the next
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}
}

// producePlain sends to the topic and the Pull queue, paced, unconfirmed.
func (c *churnSoak) producePlain(plain *STOMP, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Microsecond):
		}
		for _, dest := range []string{churnTopic, churnPullQ} {
			_ = c.calls.call("SendMessage "+dest, soakTimeout, func() error { return plain.SendMessage(dest, fmt.Sprint("p-", i)) })
		}
	}
}

// receive takes the Pull subscription's messages, while there is one.
func (c *churnSoak) receive(stop <-chan struct{}) {
	const bound = 100 * time.Millisecond
	for {
		select {
		case <-stop:
			return
		default:
		}
		var ev *MessageInEvent
		err := c.calls.call("Receive", bound, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			var err error
			ev, err = c.cons.Receive(ctx, "sp")
			return err
		})
		if err != nil {
			if !errors.Is(err, ErrTimeout) { // no such subscription now
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
			}
			continue
		}
		c.pulled.Add(1)
		if ev.NeedsAck() {
			_ = c.calls.call("Ack", soakTimeout, func() error {
				ctx, cancel := context.WithTimeout(context.Background(), soakTimeout)
				defer cancel()
				return c.cons.Ack(ctx, ev)
			})
		}
	}
}

// subscribe subscribes the consumer as id to dest in mode (with a
// handler, or for Receive with pull).
func (c *churnSoak) subscribe(id, dest string, mode AckMode, pull bool) {
	cs := &churnSub{id: id, mode: mode}
	opts := SubscribeOptions{ID: id, AckMode: mode, Prefetch: 4, Pull: pull}
	if !pull {
		opts.Handler = func(e *MessageInEvent) {
			if cs.ended.Load() && cs.mode != AckAuto {
				// The one message whose delivery was under way as
				// Unsubscribe or Disconnect ended the subscription may
				// reach the handler just after it returned; a second
				// one, or any after a failed Subscribe, may not.
				if n := cs.late.Add(1); n == 1 && cs.endedBy.Load() != "Unsubscribe" && cs.endedBy.Load() != "Disconnect" {
					cs.late.Add(1)
				}
				c.mu.Lock()
				c.lateWhy = append(c.lateWhy, fmt.Sprintf("%s (%s) ended by %v got %s (redelivered %v)", id, mode, cs.endedBy.Load(), e.Data, e.Redelivered))
				c.mu.Unlock()
			}
			cs.handled.Add(1)
			c.mu.Lock()
			c.seen[string(e.Data)]++
			c.mu.Unlock()
		}
	}
	err := c.calls.call("SubscribeWith", soakTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), soakTimeout)
		defer cancel()
		_, err := c.cons.SubscribeWith(ctx, dest, opts)
		return err
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, cs)
	if err == nil {
		c.live[id] = cs
	} else {
		cs.endedBy.Store("failed Subscribe: " + err.Error())
		cs.ended.Store(true)
	}
}

// churn changes the consumer's subscriptions at random until stop closes.
// Ids s0-s2 are the queues', s3 the topic's, sp the Pull queue's.
func (c *churnSoak) churn(t *testing.T, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(c.seed, 0xc4))
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(5+rng.IntN(40)) * time.Millisecond):
		}
		k := rng.IntN(len(churnQueues) + 2)
		id, dest, mode, pull := fmt.Sprint("s", k), churnTopic, AckAuto, false
		switch {
		case k < len(churnQueues):
			dest, mode = churnQueues[k], c.modes[rng.IntN(len(c.modes))]
		case k == len(churnQueues)+1:
			id, dest, pull = "sp", churnPullQ, true
			mode = []AckMode{AckAuto, c.modes[len(c.modes)-1]}[rng.IntN(2)]
		}
		c.mu.Lock()
		cs := c.live[id]
		c.mu.Unlock()
		switch op := rng.IntN(10); {
		case op < 5 && cs == nil:
			c.subscribe(id, dest, mode, pull)
		case op < 8 && cs != nil:
			err := c.calls.call("Unsubscribe", soakTimeout, func() error {
				ctx, cancel := context.WithTimeout(context.Background(), soakTimeout)
				defer cancel()
				return c.cons.UnsubscribeContext(ctx, id)
			})
			if err == nil {
				cs.endedBy.Store("Unsubscribe")
				cs.ended.Store(true)
				c.mu.Lock()
				delete(c.live, id)
				c.mu.Unlock()
			}
		case op == 9:
			c.reconnect(t)
		}
	}
}

// reconnect disconnects the consumer, which ends its subscriptions, and
// connects it again.
func (c *churnSoak) reconnect(t *testing.T) {
	err := c.calls.call("Disconnect", soakTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), soakTimeout)
		defer cancel()
		return c.cons.DisconnectContext(ctx)
	})
	if err == nil {
		c.mu.Lock()
		for id, cs := range c.live {
			cs.endedBy.Store("Disconnect")
			cs.ended.Store(true)
			delete(c.live, id)
		}
		c.mu.Unlock()
	}
	err = c.calls.call("Connect", 2*soakTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*soakTimeout)
		defer cancel()
		return c.cons.ConnectContext(ctx, c.front.host, c.front.port)
	})
	if err != nil && !c.cons.Connected() {
		t.Logf("Connect: %v (the Reconnect policy goes on)", err)
	}
}
