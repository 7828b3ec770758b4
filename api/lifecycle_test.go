package api

import (
	"strings"
	"testing"

	"github.com/stompactor/stompactor/actors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInterrupt(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	disconnected := collect(s.OnDisconnected)
	s.Interrupt()
	de := recv(t, disconnected)
	assert.Equal(t, CodeInterrupted, de.StatusCode)
	assert.False(t, s.Connected())
	assert.ErrorIs(t, s.SendMessage("/queue/a", "x"), ErrNotConnected)
}

func TestReset(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.1", WithContentType("text/base"))
	require.NoError(t, s.SetContentType("text/changed"))
	require.NoError(t, s.AddHeader("k", "v"))
	require.NoError(t, s.SetTimeout(7))
	_, err := s.Config("CollapseHeaders=false")
	require.NoError(t, err)

	require.NoError(t, s.Reset())
	assert.False(t, s.Connected())
	assert.Equal(t, "text/base", s.ContentType(), "NewSTOMP's options apply again")
	assert.Empty(t, s.Headers())
	assert.Equal(t, 60, s.Timeout())
	v, err := s.Config("CollapseHeaders")
	require.NoError(t, err)
	assert.Equal(t, "true", v)
	v, err = s.Config("SupportedVersions")
	require.NoError(t, err)
	assert.Equal(t, "1.1", v)
}

func TestServerErrorWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	disconnected := collect(s.OnDisconnected)

	require.NoError(t, b.SendError(1, "minor trouble", false))
	ee := recv(t, errs)
	assert.Equal(t, CodeServerError, ee.ErrorCode)
	assert.Contains(t, ee.Description, "minor trouble")
	assert.Equal(t, "minor trouble", headerValue(s.ErrorHeaders(), "message"))
	assert.True(t, s.Connected())

	require.NoError(t, b.SendError(1, "fatal trouble", true))
	de := recv(t, disconnected)
	assert.Equal(t, CodeServerError, de.StatusCode)
	assert.Contains(t, de.Description, "fatal trouble")
	assert.Equal(t, "fatal trouble", headerValue(s.ErrorHeaders(), "message"))
}

func TestCloseEndsEverything(t *testing.T) {
	b := newBroker(t)
	s := NewSTOMP(WithSupportedVersions("1.2"))
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/a", true)
	require.NoError(t, err)
	s.Close()
	s.Close()
	assert.ErrorIs(t, s.Connect(h, p), ErrClosed)
	assert.ErrorIs(t, s.SendMessage("/queue/a", "x"), ErrClosed)
	assert.ErrorIs(t, s.SetTimeout(1), ErrClosed)
	assert.ErrorIs(t, s.DoEvents(), ErrClosed)
	assert.ErrorIs(t, s.Reset(), ErrClosed)
	assert.False(t, s.Connected())
	assert.Contains(t, s.String(), "closed")
}

// Clients share the default engine; closing one stops only its actors.
// An engine of one's own keeps a group apart, and Close of its last client
// leaves it without actors.
func TestEngineShared(t *testing.T) {
	b := newBroker(t)
	e := actors.NewEngine(actors.EngineOptions{})
	h, p := hostPort(t, b.Addr())
	var clients []*STOMP
	for range 3 {
		s := NewSTOMP(WithEngine(e))
		require.NoError(t, s.Connect(h, p))
		clients = append(clients, s)
	}
	for _, s := range clients {
		require.NoError(t, s.SendMessage("/queue/shared", "x"))
	}
	assert.Equal(t, 3, e.Connections())
	clients[0].Close()
	assert.True(t, clients[1].Connected(), "closing one client leaves the others")
	assert.Equal(t, 2, e.Connections())
	for _, s := range clients[1:] {
		s.Close()
	}
	waitFor(t, "the broker to see every client go", func() bool { return b.Stats().Connections == 0 })
	assert.Zero(t, e.Actors(), "Close stops every actor of the client")
	require.NoError(t, e.Close())
}

func TestStringHasNoSecret(t *testing.T) {
	s := newClient(t, WithUser("guest"), WithPassword("hunter22"), WithRemoteHost("broker.example"),
		WithFirewall(Firewall{Type: FirewallSOCKS5, Password: "proxy-pw"}),
		WithSSL(SSLSettings{CertStorePassword: "store-pw"}))
	for _, text := range []string{s.String(), s.Firewall().String(), s.SSL().String()} {
		for _, secret := range []string{"hunter22", "proxy-pw", "store-pw"} {
			assert.NotContains(t, text, secret)
		}
	}
	assert.True(t, strings.Contains(s.String(), "broker.example"))
}
