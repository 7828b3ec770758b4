package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// Many broker-side kills while at-least-once sends flow and a subscription
// lives: events must alternate (Disconnected then Connected), every
// confirmed message must reach the queue, and Close must leave no
// goroutine (goleak in TestMain).
func TestManyReconnectsKeepEventsInOrderAndSettleTheOutbox(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithSupportedVersions("1.2"),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, StableAfter: time.Millisecond}),
		WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 64}), WithTimeout(10*time.Second))
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	s.OnConnected(func(e *ConnectedEvent) { add("C:" + strconv.Itoa(e.StatusCode)) })
	s.OnDisconnected(func(e *DisconnectedEvent) { add("D") })
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		if e.ConnectionEvent == "reconnected" || e.ConnectionEvent == "lost" || e.ConnectionEvent == "reconnecting" {
			add("S:" + e.ConnectionEvent)
		}
	})
	// Handlers first: the first connection's events are then all seen
	// (registered after Connect, whether its OnConnected was seen
	// depended on when the event ran).
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/topic/keep", false)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cmu sync.Mutex
	confirmed := map[string]bool{}
	failed := 0
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		i := 0
		defer func() { sent <- i }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			body := strconv.Itoa(i)
			err := s.SendDataAsync(ctx, "/queue/aol", []byte(body), func(err error) {
				cmu.Lock()
				if err == nil {
					confirmed[body] = true
				} else {
					failed++
				}
				cmu.Unlock()
			})
			if err != nil {
				return
			}
			i++
		}
	}()
	const kills = 25
	for k := 1; k <= kills; k++ {
		waitFor(t, fmt.Sprintf("connection %d", k), func() bool {
			ci, ok := b.Connection(k)
			return ok && ci.Connected && len(ci.Subscriptions) == 1
		})
		require.NoError(t, b.CloseConnection(k))
	}
	waitFor(t, "the last reconnection", func() bool {
		ci, ok := b.Connection(kills + 1)
		return ok && ci.Connected && len(ci.Subscriptions) == 1
	})
	close(stop)
	n := <-sent
	waitFor(t, "every send to settle", func() bool { cmu.Lock(); defer cmu.Unlock(); return len(confirmed)+failed == n })
	require.NoError(t, s.Disconnect())
	// Events run on their own goroutine: Disconnect's may come after it
	// returned.
	waitFor(t, "Disconnect's OnDisconnected", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(log) > 0 && log[len(log)-1] == "D"
	})
	d, _ := b.Destination("/queue/aol")
	cmu.Lock()
	t.Logf("sent %d, confirmed %d, failed %d; broker enqueued %d", n, len(confirmed), failed, d.Enqueued)
	require.Zero(t, failed)
	require.GreaterOrEqual(t, int(d.Enqueued), len(confirmed))
	cmu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	// The expected order: C:0, then per loss S:lost, D, S:reconnecting,
	// S:reconnected, C:0.
	joined := strings.Join(log, " ")
	require.Equal(t, kills+1, strings.Count(joined, "D"), joined) // the last: Disconnect
	require.Equal(t, kills+1, strings.Count(joined, "C:0"), joined)
	require.Equal(t, "C:0", log[0], joined)
	last := ""
	for _, e := range log {
		if e == "D" || e == "C:0" {
			require.NotEqual(t, last, e, "two in a row: %s", joined)
			last = e
		}
	}
}

// A withheld SUBSCRIBE RECEIPT: Subscribe fails (receipt timeout) and
// unsubscribes what the broker may have made, so a user who subscribes
// again gets every message published to the queue.
func TestAWithheldSubscribeReceiptLosesNoMessage(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1}}))
	s := connectTo(t, b, "1.2", WithRequestSubscriptionReceipts(true), WithTimeout(time.Second))
	msgs := collect(s.OnMessageIn)
	_, err := s.Subscribe("/queue/zz", false)
	require.ErrorIs(t, err, ErrReceiptTimeout)
	_, err = s.Subscribe("/queue/zz", false)
	require.NoError(t, err)
	p := connectTo(t, b, "1.2")
	for i := range 4 {
		require.NoError(t, p.SendMessage("/queue/zz", strconv.Itoa(i)))
	}
	var got []string
	deadline := time.After(2 * time.Second)
	for len(got) < 4 {
		select {
		case m := <-msgs:
			got = append(got, m.Text())
		case <-deadline:
			d, _ := b.Destination("/queue/zz")
			ci, _ := b.Connection(1)
			t.Fatalf("received %v of 4; broker destination %+v, broker subscriptions of the client %+v, client's %+v, client dropped %d",
				got, d, ci.Subscriptions, s.Subscriptions(), s.Stats().Dropped)
		}
	}
}

// Unsubscribe while the client reconnects ends the subscription: the next
// connection does not restore it.
func TestUnsubscribeWhileReconnecting(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2",
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 200 * time.Millisecond, MaxDelay: 200 * time.Millisecond}))
	status := collect(s.OnConnectionStatus)
	id, err := s.Subscribe("/queue/u", false)
	require.NoError(t, err)
	require.NoError(t, b.CloseConnection(1))
	for e := recv(t, status); e.ConnectionEvent != "reconnecting"; e = recv(t, status) {
	}
	require.NoError(t, s.Unsubscribe(id))
	for e := recv(t, status); e.ConnectionEvent != "reconnected"; e = recv(t, status) {
	}
	require.Empty(t, s.Subscriptions())
	// A RECEIPT: the broker has read everything written before it.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/other", "x"))
	ci, ok := b.Connection(2)
	require.True(t, ok)
	require.Empty(t, ci.Subscriptions)
}
