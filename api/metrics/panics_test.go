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

// panics_total is "Panics recovered in handlers and actors" (metrics.go),
// Stats.Panics "panics recovered in handlers and actors" (actors
// stats.go). A MessageIn handler that panics is recovered by the api (the
// message is NACKed and OnError says so), and counted there once.
func TestPanicsTotalCountsAPanickingMessageInHandler(t *testing.T) {
	_, host, port := newBroker(t)
	s := api.NewSTOMP(api.WithTimeout(10 * time.Second))
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan string, 16)
	s.OnError(func(e *api.ErrorEvent) {
		select {
		case errs <- e.Description:
		default:
		}
	})
	require.NoError(t, s.ConnectContext(ctx, host, port))
	_, err := s.SubscribeWith(ctx, "/queue/panic", api.SubscribeOptions{Handler: func(*api.MessageInEvent) { panic("handler bug") }})
	require.NoError(t, err)
	require.NoError(t, s.SendMessageContext(ctx, "/queue/panic", "x"))
	select {
	case d := <-errs:
		t.Logf("OnError: %s", d)
	case <-ctx.Done():
		t.Fatal("no OnError for the panic")
	}
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(NewCollector("p", s)))
	families, err := reg.Gather()
	require.NoError(t, err)
	panics := -1.0
	for _, f := range families {
		if f.GetName() == "stompactor_panics_total" {
			panics = f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	assert.Equal(t, 1.0, panics, "stompactor_panics_total after one handler panic")
	assert.Equal(t, int64(1), s.Stats().Panics)
}
