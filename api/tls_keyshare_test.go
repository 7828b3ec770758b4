//go:build go1.26

package api

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TLS13KeyShareGroups makes the first ClientHello's key share one of its
// groups. (ConnectionState.HelloRetryRequest, which shows it, is Go 1.26.)
func TestTLS13KeyShareGroupsTakeEffect(t *testing.T) {
	// The server takes P-384 only: a key share for it avoids the
	// HelloRetryRequest Go's own first choice (X25519MLKEM768) costs.
	offered := make(chan []tls.CurveID, 16)
	f := newStateFront(t, func(c *tls.Config) {
		c.CurvePreferences = []tls.CurveID{tls.CurveP384}
		c.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if !h.HelloRetryRequest {
				offered <- h.SupportedCurves
			}
			return nil, nil
		}
	})
	s := f.client(t)
	require.NoError(t, s.Connect(f.host, f.port))
	assert.True(t, recv(t, f.states).HelloRetryRequest, "without the setting the share is Go's first choice")
	assert.Contains(t, recv(t, offered), tls.X25519MLKEM768)
	require.NoError(t, s.Disconnect())

	s = f.client(t, WithTLS13KeyShareGroups(tls.CurveP384))
	require.NoError(t, s.Connect(f.host, f.port))
	st := recv(t, f.states)
	assert.False(t, st.HelloRetryRequest, "the first ClientHello shares P-384")
	assert.Equal(t, tls.CurveP384, st.CurveID)
	assert.Equal(t, []tls.CurveID{tls.CurveP384, tls.CurveP521}, recv(t, offered), "the groups Go prefers to P-384 are not offered")
	assert.Equal(t, "ecdhe_secp384r1", readSetting(t, s, "TLS13KeyShareGroups"))
}
