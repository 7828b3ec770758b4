package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// pub→sub and the round trip through a path that delivers one MESSAGE
// twice (a broker's redelivery, sim's DuplicateMessage fault on every
// connection): 200 messages are published to a topic with one consumer.
// Each side counts 200 messages, the copy apart as a duplicate, which is
// warned of. Before, pub→sub reported 201 messages delivered and no
// warning (the tally counted frames, not messages: a duplicate inflated
// the rate, and would have hidden a lost message), and a round trip took
// the copy for the next message sent, shifting every later trip.
func TestPubSubCountsADuplicateDeliveryOnce(t *testing.T) {
	for _, scenario := range []string{"pubsub", "latency", "latency-pull"} {
		t.Run(scenario, func(t *testing.T) {
			b, err := sim.NewBroker(sim.WithLimits(peerLimits))
			require.NoError(t, err)
			defer b.Close()
			px, err := sim.NewProxy(b.Addr(), sim.Plan{{Name: "dup", Kind: sim.DuplicateMessage, Nth: 10}})
			require.NoError(t, err)
			defer px.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var progress strings.Builder
			rep, err := Run(ctx, Config{Scenarios: []string{scenario}, Sizes: []int{10}, Messages: 200, NoWarmup: true,
				Duration: 10 * time.Second, Timeout: 5 * time.Second, Broker: &Target{Name: "dup", Addr: px.Addr()}, Progress: &progress})
			require.NoError(t, err)
			r := rep.Results[0]
			t.Logf("raw %d (+%d duplicates), ours %d (+%d) of 200 messages", r.Raw.Messages, r.Raw.Duplicates, r.Ours.Messages, r.Ours.Duplicates)
			assert.Equal(t, int64(200), r.Raw.Messages, "raw: every message once")
			assert.Equal(t, int64(200), r.Ours.Messages, "ours: every message once")
			assert.Equal(t, int64(1), r.Raw.Duplicates, "raw: the copy counted apart")
			assert.Equal(t, int64(1), r.Ours.Duplicates, "ours: the copy counted apart")
			assert.Contains(t, progress.String(), "warning: the broker delivered a message again")
			var table strings.Builder
			require.NoError(t, rep.WriteTable(&table))
			assert.Contains(t, table.String(), "warning: the broker delivered a message again")
		})
	}
}
