package api

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// subscriptionsMatch reports whether the broker's subscriptions (all of
// them the consumer's: the producers subscribe to nothing) are the
// client's Subscriptions().
func (c *churnSoak) subscriptionsMatch() (bool, string) {
	var client, broker []string
	for _, s := range c.cons.Subscriptions() {
		client = append(client, s.ID)
	}
	var detail []string
	for _, conn := range c.front.broker().Connections() {
		for _, s := range conn.Subscriptions {
			broker = append(broker, s.ID)
			detail = append(detail, fmt.Sprintf("conn %d %s %s %s unacked %d", conn.Conn, s.ID, s.Destination, s.Ack, s.Unacked))
		}
	}
	slices.Sort(client)
	slices.Sort(broker)
	return slices.Equal(client, broker), fmt.Sprintf("client %v, broker %v", client, detail)
}

// check settles the churn soak once its loops returned, and verifies what
// must hold (see above).
func (c *churnSoak) check(t *testing.T, prod, plain *STOMP, pending *sync.WaitGroup, stopReceive func()) {
	require.True(t, waitUntil(wait, c.cons.Connected), "the consumer is connected again")
	for k, q := range churnQueues {
		id := fmt.Sprint("s", k)
		c.mu.Lock()
		cs := c.live[id]
		c.mu.Unlock()
		if cs == nil {
			c.subscribe(id, q, c.modes[len(c.modes)-1], false)
		}
	}
	if !waitGroupWithin(pending, wait) {
		t.Errorf("asynchronous sends not settled within %v: outbox %d", wait, prod.Stats().Outbox)
	}
	missing := func() []string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for id := range c.confirmed {
			if c.seen[id] == 0 {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out
	}
	waitUntil(15*time.Second, func() bool { return len(missing()) == 0 })
	waitUntil(5*time.Second, func() bool { ok, _ := c.subscriptionsMatch(); return ok })

	st := c.cons.Stats()
	c.mu.Lock()
	var late []string
	for _, cs := range c.all {
		if n := cs.late.Load(); n > 1 {
			late = append(late, fmt.Sprintf("%s (%s): %d", cs.id, cs.mode, n))
		}
	}
	t.Logf("seed %d, STOMP %s: confirmed %d, %d subscriptions made; consumer in %d dropped %d acks %d connects %d reconnects %d; producer resent %d",
		c.seed, c.version, len(c.confirmed), len(c.all), st.MessagesIn, st.Dropped, st.Acks, st.Connects, st.Reconnects, prod.Stats().Resent)
	c.mu.Unlock()
	if lost := missing(); len(lost) > 0 {
		t.Errorf("%d confirmed messages never handled: %v", len(lost), head(lost, 20))
		_, why := c.subscriptionsMatch()
		t.Logf("subscriptions: %s; client %+v", why, c.cons.Subscriptions())
		for _, q := range churnQueues {
			d, _ := c.front.broker().Destination(q)
			t.Logf("%s: %+v", q, d)
		}
	}
	if ok, why := c.subscriptionsMatch(); !ok {
		t.Errorf("subscriptions differ: %s", why)
	}
	if len(late) > 0 {
		c.mu.Lock()
		t.Errorf("client-ack handlers called more than once after their Unsubscribe or Disconnect returned, or after a failed Subscribe: %v: %v", late, head(c.lateWhy, 10))
		c.mu.Unlock()
	}
	stopReceive()
	c.calls.check(t)
	for _, s := range []*STOMP{c.cons, prod, plain} {
		if n := s.Stats().Panics; n != 0 {
			t.Errorf("%d panics", n)
		}
	}
	closeAndCheckDropped(t, "consumer", c.cons, func() int64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := c.pulled.Load()
		for _, cs := range c.all {
			n += cs.handled.Load()
		}
		return n
	})
}
