package api

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSSLEnabledProtocolsSetting(t *testing.T) {
	s := newClient(t)
	get := func() string {
		v, err := s.Config("SSLEnabledProtocols")
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, "TLS1.2,TLS1.3", get(), "default")
	for in, want := range map[string]string{
		"TLS1.3": "TLS1.3", "tls1.1, TLSv1.2": "TLS1.1,TLS1.2", "TLS 1.0,TLS1,TLS1.1": "TLS1.0,TLS1.1",
		"3072": "TLS1.2", "0x3C00": "TLS1.2,TLS1.3", "0x3FFC0": "TLS1.0,TLS1.1,TLS1.2,TLS1.3", "0x800": "TLS1.2",
	} {
		_, err := s.Config("SSLEnabledProtocols=" + in)
		require.NoError(t, err, in)
		assert.Equal(t, want, get(), in)
	}
	for _, bad := range []string{"TLS1.0,TLS1.2", "0x30", "0x3C", "SSL3", "", "0x1"} {
		_, err := s.Config("SSLEnabledProtocols=" + bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
	s2 := newClient(t, WithSSLEnabledProtocols(tls.VersionTLS11, tls.VersionTLS12))
	v, err := s2.Config("SSLEnabledProtocols")
	require.NoError(t, err)
	assert.Equal(t, "TLS1.1,TLS1.2", v)
	assert.ErrorIs(t, newClient(t, WithSSLEnabledProtocols(tls.VersionTLS13, tls.VersionTLS12)).Connect("h", 1), ErrInvalidArgument)
	assert.ErrorIs(t, newClient(t, WithSSLEnabledProtocols(0x0300, tls.VersionTLS12)).Connect("h", 1), ErrInvalidArgument)
}

func TestSSLEnabledCipherSuitesSetting(t *testing.T) {
	s := newClient(t)
	_, err := s.Config("SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls_ecdhe_ecdsa_with_chacha20_poly1305_sha256")
	require.NoError(t, err)
	v, err := s.Config("SSLEnabledCipherSuites")
	require.NoError(t, err)
	assert.Equal(t, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", v)
	_, err = s.Config("SSLEnabledCipherSuites=*")
	require.NoError(t, err)
	v, _ = s.Config("SSLEnabledCipherSuites")
	assert.Equal(t, "", v, "Go's own list")
	for _, bad := range []string{"TLS_AES_128_GCM_SHA256", "AES128-SHA", "TLS_NOPE"} {
		_, err := s.Config("SSLEnabledCipherSuites=" + bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
	s2 := newClient(t, WithSSLEnabledCipherSuites(tls.TLS_RSA_WITH_AES_128_CBC_SHA))
	v, _ = s2.Config("SSLEnabledCipherSuites")
	assert.Equal(t, "TLS_RSA_WITH_AES_128_CBC_SHA", v, "insecure suites may be named")
	assert.ErrorIs(t, newClient(t, WithSSLEnabledCipherSuites(0xfefe)).Connect("h", 1), ErrInvalidArgument)
}

func TestCASettings(t *testing.T) {
	ca := newCA(t, "CA")
	s := newClient(t, WithSSLCACertFilePaths(" /a.pem ", "", "/b.pem"))
	v, err := s.Config("SSLCACertFilePaths")
	require.NoError(t, err)
	assert.Equal(t, "/a.pem\n/b.pem", v)
	for _, name := range []string{"SSLServerCACerts", "SSLCACerts"} {
		_, err := s.Config(name + "=" + ca.pem())
		require.NoError(t, err, name)
		v, _ := s.Config(name)
		assert.Equal(t, ca.pem()[:len(ca.pem())-1], v, name)
		_, err = s.Config(name + "=-----BEGIN CERTIFICATE-----\nbroken")
		assert.ErrorIs(t, err, ErrInvalidArgument, name)
		_, err = s.Config(name + "=")
		require.NoError(t, err, "empty clears "+name)
	}
	assert.ErrorIs(t, newClient(t, WithSSLServerCACerts("not a cert")).Connect("h", 1), ErrInvalidArgument)
	assert.ErrorIs(t, newClient(t, WithSSLCACerts("-----BEGIN X-----\n-----END X-----")).Connect("h", 1), ErrInvalidArgument)
}

func TestNegotiatedSettingsBeforeTLS(t *testing.T) {
	s := newClient(t)
	for _, name := range []string{"SSLNegotiatedProtocol", "SSLNegotiatedCipher", "SSLNegotiatedCipherSuite", "SSLNegotiatedCipherStrength", "SSLNegotiatedKeyExchange", "SSLNegotiatedKeyExchangeStrength"} {
		v, err := s.Config(name)
		require.NoError(t, err)
		assert.Equal(t, "", v, name)
		_, err = s.Config(name + "=x")
		assert.ErrorIs(t, err, ErrSettingAccess, name)
	}
	_, ok := s.TLSConnectionState()
	assert.False(t, ok)
	assert.Equal(t, "", s.SSLServerCertEncoded())
}

func TestUnsupportedSettingsSayWhy(t *testing.T) {
	s := newClient(t)
	for name, why := range map[string]string{
		"SSLCheckCRL": "revocation", "sslprovider": "crypto/tls", "OpenSSLCAFile=x": "SSLCACertFilePaths",
		"FirewallData=x": "not sent", "TLS13SignatureAlgorithms": "signature algorithms", "CodePage": "UTF-8",
	} {
		_, err := s.Config(name)
		require.ErrorIs(t, err, ErrUnsupported, name)
		assert.Contains(t, err.Error(), why, name)
	}
}

func TestSuiteParts(t *testing.T) {
	cases := []struct {
		st         tls.ConnectionState
		kx, cipher string
		bits       int
	}{
		{tls.ConnectionState{CipherSuite: tls.TLS_AES_256_GCM_SHA384, CurveID: tls.X25519}, "X25519", "AES_256_GCM", 256},
		{tls.ConnectionState{CipherSuite: tls.TLS_CHACHA20_POLY1305_SHA256}, "", "CHACHA20_POLY1305", 256},
		{tls.ConnectionState{CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}, "ECDHE_RSA", "AES_128_CBC", 128},
		{tls.ConnectionState{CipherSuite: tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}, "RSA", "3DES_EDE_CBC", 168},
		{tls.ConnectionState{CipherSuite: tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA}, "ECDHE_RSA", "RC4_128", 128},
	}
	for _, c := range cases {
		kx, cipher, bits := suiteParts(&c.st)
		assert.Equal(t, []any{c.kx, c.cipher, c.bits}, []any{kx, cipher, bits}, tls.CipherSuiteName(c.st.CipherSuite))
	}
}

// RemotePort follows SSLEnabled (61612 with TLS, 61613 without) until the
// user sets it, by whichever way.
func TestRemotePortDefaultFollowsSSL(t *testing.T) {
	s := newClient(t)
	assert.Equal(t, 61613, s.RemotePort())
	require.NoError(t, s.SetSSLEnabled(true))
	assert.Equal(t, 61612, s.RemotePort())
	require.NoError(t, s.SetSSLEnabled(false))
	assert.Equal(t, 61613, s.RemotePort())

	assert.Equal(t, 61612, newClient(t, WithSSL(SSLSettings{Enabled: true})).RemotePort())
	for name, s := range map[string]*STOMP{
		"option before":  newClient(t, WithRemotePort(61613), WithSSL(SSLSettings{Enabled: true})),
		"option after":   newClient(t, WithSSL(SSLSettings{Enabled: true}), WithRemotePort(61613)),
		"property first": newClient(t),
	} {
		if name == "property first" {
			require.NoError(t, s.SetRemotePort(61613))
			require.NoError(t, s.SetSSLEnabled(true))
		}
		assert.Equal(t, 61613, s.RemotePort(), name+": a port the user set stays")
	}

	// Connect sets the port it is given.
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s = newClient(t)
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, s.Disconnect())
	require.NoError(t, s.SetSSLEnabled(true))
	assert.Equal(t, p, s.RemotePort())
}

// The TLS, proxy and WebSocket settings start as one shared value of
// defaults: a client that sets them (by option, setter or Config) writes
// its own copy, never the shared one, and a failed option changes nothing.
func TestSecureSettingsAreNotShared(t *testing.T) {
	pristine := defaultSecure
	s := NewSTOMP(WithFirewall(Firewall{Type: FirewallSOCKS5, Host: "proxy", Port: 1080}),
		WithSSLEnabledProtocols(tls.VersionTLS13, tls.VersionTLS13), WithProxyExceptions("a.example"),
		WithWebSocketURL("ws://broker.example/stomp"))
	t.Cleanup(s.Close)
	require.NoError(t, s.SetSSLEnabled(true))
	_, err := s.Config("SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	require.NoError(t, err)
	_, err = s.Config("TLS12SupportedGroups=x25519")
	require.NoError(t, err)
	assert.Equal(t, pristine, defaultSecure, "the shared defaults are unchanged")
	assert.Equal(t, "proxy", s.Firewall().Host)

	fresh := NewSTOMP()
	t.Cleanup(fresh.Close)
	assert.Same(t, &defaultSecure, fresh.snapshot().sec, "a client that set nothing shares the defaults")
	assert.Equal(t, Firewall{}, fresh.Firewall())
	assert.False(t, fresh.SSL().Enabled)
}
