package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A nil Option or ProxyOption is skipped, as package api skips a nil
// option: test helpers that build option lists conditionally (var o
// sim.Option; if tls { o = ... }) get a broker or proxy, not a panic.
func TestNilOptionIsSkipped(t *testing.T) {
	t.Run("NewBroker", func(t *testing.T) {
		var b *Broker
		var err error
		var typedNil optionFunc
		require.NotPanics(t, func() { b, err = NewBroker(WithListenAddr(""), nil, typedNil) })
		require.NoError(t, err)
		require.NoError(t, b.Close())
	})
	t.Run("NewProxy", func(t *testing.T) {
		b := newBroker(t)
		var p *Proxy
		var err error
		var typedNil proxyOptionFunc
		require.NotPanics(t, func() { p, err = NewProxy(b.Addr(), nil, nil, typedNil) })
		require.NoError(t, err)
		require.NoError(t, p.Close())
	})
}
