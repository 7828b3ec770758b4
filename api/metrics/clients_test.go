package metrics

import (
	"strconv"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// Clients come and go while the collector is scraped: Add and Remove are
// safe at any time (the race detector checks), and a removed client is
// no longer reported.
func TestClientsComeAndGoWhileScraped(t *testing.T) {
	first := api.NewSTOMP()
	defer first.Close()
	c := NewCollector("c0", first)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(c))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= 50; i++ {
			s := api.NewSTOMP()
			c.Add("c"+strconv.Itoa(i), s)
			c.Remove("c" + strconv.Itoa(i))
			s.Close()
		}
	}()
	for range 20 {
		_, err := reg.Gather()
		require.NoError(t, err)
	}
	wg.Wait()
	c.Remove("c0")
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		require.Empty(t, f.GetMetric(), "%s still reported after every client was removed", f.GetName())
	}
}
