package chaos

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func soakSize() int {
	if n, err := strconv.Atoi(os.Getenv("STOMPACTOR_SOAK_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// TestSoakNoConfirmedMessageLost publishes with receipts and consumes with
// client-individual acks, both through a proxy that keeps dropping and
// fragmenting connections. The publisher resends what was not confirmed;
// the consumer reconnects by itself. Every confirmed message must arrive.
func TestSoakNoConfirmedMessageLost(t *testing.T) {
	n := soakSize()
	b, err := sim.NewBroker()
	require.NoError(t, err)
	defer b.Close()
	plan := sim.Plan{
		{Name: "drop-consumer-side", Kind: sim.DropConn, AfterFrames: 150, Seed: 1},
		{Name: "drop-publisher-side", Kind: sim.DropConn, Dir: sim.ToServer, AfterFrames: 120, Seed: 2},
		{Name: "fragments", Kind: sim.RandomChunks, Chunk: 48, Seed: 3},
		{Name: "jitter", Kind: sim.DelayWrites, Jitter: 200 * time.Microsecond, Seed: 4},
	}
	proxy, err := sim.NewProxy(b.Addr(), plan)
	require.NoError(t, err)
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	policy := actors.ReconnectPolicy{Enabled: true, InitialDelay: 2 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	cfg := actors.ConnectConfig{Addr: proxy.Addr(), Reconnect: policy, ConnectTimeout: 10 * time.Second}

	var mu sync.Mutex
	seen := make(map[int]int, n)
	all := make(chan struct{})
	consumer := mustConn(t, actors.ConnOptions{})
	defer consumer.Close()
	_, err = consumer.Connect(ctx, cfg)
	require.NoError(t, err)
	_, err = consumer.Subscribe(ctx, actors.SubscribeSpec{Destination: "/queue/soak", Mode: actors.AckClientIndividual, Receipt: 10 * time.Second,
		Handler: func(m *actors.Message) actors.AckAction {
			i, err := strconv.Atoi(string(m.Body))
			if err != nil {
				return actors.AckNack
			}
			mu.Lock()
			seen[i]++
			if len(seen) == n {
				select {
				case <-all:
				default:
					close(all)
				}
			}
			mu.Unlock()
			return actors.AckAck
		}})
	require.NoError(t, err)

	publisher := mustConn(t, actors.ConnOptions{})
	defer publisher.Close()
	_, err = publisher.Connect(ctx, cfg)
	require.NoError(t, err)
	resends := 0
	for i := 0; i < n; i++ {
		for {
			f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/soak")
			f.Body = []byte(strconv.Itoa(i))
			err := publisher.Send(ctx, f, 5*time.Second, true)
			if err == nil {
				break // confirmed by the broker
			}
			require.NoError(t, ctx.Err(), "soak ran out of time at message %d", i)
			require.False(t, errors.Is(err, actors.ErrClosed), "publisher closed: %v", err)
			resends++
			waitConnected(ctx, t, publisher)
		}
	}
	select {
	case <-all:
	case <-ctx.Done():
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		t.Fatalf("only %d of %d confirmed messages arrived", got, n)
	}
	mu.Lock()
	dup := 0
	for _, c := range seen {
		dup += c - 1
	}
	mu.Unlock()
	faults := len(proxy.FaultEvents())
	t.Logf("%d messages confirmed and received; %d resends, %d duplicates (at-least-once), %d faults fired, %d consumer reconnects, %d publisher reconnects",
		n, resends, dup, faults, consumer.Stats().Reconnects, publisher.Stats().Reconnects)
	require.Greater(t, consumer.Stats().Reconnects+publisher.Stats().Reconnects, int64(0), "the plan never dropped a connection")
	require.NoError(t, consumer.Disconnect(ctx, true, 5*time.Second))
	require.NoError(t, publisher.Disconnect(ctx, true, 5*time.Second))
}

// waitConnected polls until c is connected again (it reconnects by itself).
func waitConnected(ctx context.Context, t *testing.T, c *actors.Conn) {
	t.Helper()
	for c.State() != actors.Connected {
		select {
		case <-ctx.Done():
			t.Fatalf("client did not reconnect: %v", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// mustConn adds a connection to the default engine.
func mustConn(t testing.TB, opts actors.ConnOptions) *actors.Conn {
	t.Helper()
	c, err := actors.NewConn(nil, opts)
	require.NoError(t, err)
	return c
}
