package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// Stats are "a snapshot of a client's counters since NewSTOMP" (api
// stats.go) and the collector exports them as Prometheus counters, which
// must never go down: after Close they keep the values Close left them
// with.
func TestCountersKeepTheirValuesAfterClose(t *testing.T) {
	_, host, port := newBroker(t)
	s := api.NewSTOMP(api.WithTimeout(10 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.ConnectContext(ctx, host, port))
	require.NoError(t, s.SendMessageContext(ctx, "/queue/z", "x"))
	require.NoError(t, s.DisconnectContext(ctx))
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(NewCollector("c", s)))
	before, beforeStats := counters(t, reg), s.Stats()
	s.Close()
	after, afterStats := counters(t, reg), s.Stats()
	t.Logf("before Close: %+v", beforeStats)
	t.Logf("after Close:  %+v", afterStats)
	require.NotZero(t, before["stompactor_connects_total"])
	require.NotZero(t, before["stompactor_messages_out_total"])
	assert.Equal(t, before, after, "every counter keeps its value")
	assert.Equal(t, beforeStats, afterStats)
}

// counters gathers reg's counters by name.
func counters(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if m.Counter != nil {
				out[f.GetName()] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}
