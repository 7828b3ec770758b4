package metrics

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newBroker starts a simulator for the test and gives its host and port.
func newBroker(t *testing.T) (*sim.Broker, string, int) {
	t.Helper()
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	host, ps, err := net.SplitHostPort(b.Addr())
	require.NoError(t, err)
	port, err := strconv.Atoi(ps)
	require.NoError(t, err)
	return b, host, port
}

func TestCollectorReportsClientCounters(t *testing.T) {
	_, host, p := newBroker(t)
	s := api.NewSTOMP(api.WithTimeout(10 * time.Second))
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.ConnectContext(ctx, host, p))
	got := make(chan struct{}, 3)
	id, err := s.SubscribeWith(ctx, "/queue/m", api.SubscribeOptions{Handler: func(*api.MessageInEvent) { got <- struct{}{} }})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, s.SendMessage("/queue/m", "x"))
	}
	for i := 0; i < 3; i++ {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("message not delivered")
		}
	}

	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(NewCollector("test", s)))
	families, err := reg.Gather()
	require.NoError(t, err)
	values := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				if l.GetName() == "subscription" {
					key += "/" + l.GetValue()
				}
			}
			if m.Counter != nil {
				values[key] = m.GetCounter().GetValue()
			} else {
				values[key] = m.GetGauge().GetValue()
			}
		}
	}
	require.Equal(t, 3.0, values["stompactor_messages_out_total"])
	require.Equal(t, 3.0, values["stompactor_messages_in_total"])
	require.Equal(t, 3.0, values["stompactor_subscription_messages_total/"+id])
	require.Equal(t, 1.0, values["stompactor_connects_total"])
	require.Greater(t, values["stompactor_bytes_out_total"], 0.0)
	require.NoError(t, s.Disconnect())
}
