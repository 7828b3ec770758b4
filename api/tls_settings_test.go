package api

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testnet"
)

// stateFront is a sim broker behind a TLS front that reports the server's
// view of each handshake.
type stateFront struct {
	ca     *testCA
	host   string
	port   int
	states chan tls.ConnectionState
}

func newStateFront(t *testing.T, mod func(*tls.Config)) *stateFront {
	t.Helper()
	b := newBroker(t)
	f := &stateFront{ca: newCA(t, "state CA"), states: make(chan tls.ConnectionState, 16)}
	leaf := f.ca.issue(t, "localhost", false, true, "localhost")
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.tls}}
	if mod != nil {
		mod(cfg)
	}
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	f.host, f.port = relay(t, ln, func(c net.Conn) {
		tc := c.(*tls.Conn)
		_ = tc.SetDeadline(time.Now().Add(wait))
		if tc.Handshake() != nil {
			return
		}
		_ = tc.SetDeadline(time.Time{})
		f.states <- tc.ConnectionState()
		back, err := net.Dial("tcp", b.Addr())
		if err != nil {
			return
		}
		testnet.Forward(tc, back)
	})
	return f
}

func (f *stateFront) client(t *testing.T, opts ...Option) *STOMP {
	t.Helper()
	return newClient(t, append([]Option{WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(f.ca.pem())}, opts...)...)
}

func readSetting(t *testing.T, s *STOMP, name string) string {
	t.Helper()
	v, err := s.Config(name)
	require.NoError(t, err, name)
	return v
}

// ReuseSSLSession (on by default) resumes the session of the last
// connection: the server sees a resumed handshake, and the client still
// verifies the certificate the session carries. Off, every handshake is
// full.
func TestReuseSSLSession(t *testing.T) {
	f := newStateFront(t, nil)
	for _, reuse := range []bool{true, false} {
		s := f.client(t)
		_, err := s.Config("ReuseSSLSession=" + map[bool]string{true: "true", false: "false"}[reuse])
		require.NoError(t, err)
		auths := collect(s.OnSSLServerAuthentication)
		require.NoError(t, s.Connect(f.host, f.port))
		assert.False(t, recv(t, f.states).DidResume, "the first handshake is full")
		roundTrip(t, s)
		require.NoError(t, s.Disconnect())
		require.NoError(t, s.Connect(f.host, f.port))
		assert.Equal(t, reuse, recv(t, f.states).DidResume, "ReuseSSLSession %v", reuse)
		st, ok := s.TLSConnectionState()
		require.True(t, ok)
		assert.Equal(t, reuse, st.DidResume)
		roundTrip(t, s)
		recv(t, auths)
		assert.True(t, recv(t, auths).Accept, "the resumed connection's certificate is verified too")
	}
	assert.Equal(t, "true", readSetting(t, newClient(t), "ReuseSSLSession"), "on by default")
}

// The group settings choose the group negotiated, and
// SSLNegotiatedKeyExchangeStrength reports its size.
func TestTLSGroupsTakeEffect(t *testing.T) {
	t.Run("TLS13SupportedGroups", func(t *testing.T) {
		f := newStateFront(t, nil)
		s := f.client(t)
		_, err := s.Config("TLS13SupportedGroups=ecdhe_secp384r1")
		require.NoError(t, err)
		require.NoError(t, s.Connect(f.host, f.port))
		st := recv(t, f.states)
		assert.Equal(t, tls.CurveP384, st.CurveID)
		assert.Equal(t, "384", readSetting(t, s, "SSLNegotiatedKeyExchangeStrength"))
		assert.Equal(t, "ecdhe_secp384r1", readSetting(t, s, "TLS13SupportedGroups"))
	})
	t.Run("TLS12SupportedGroups", func(t *testing.T) {
		f := newStateFront(t, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
		s := f.client(t, WithTLS12SupportedGroups(tls.CurveP521))
		require.NoError(t, s.Connect(f.host, f.port))
		st := recv(t, f.states)
		assert.Equal(t, uint16(tls.VersionTLS12), st.Version)
		assert.Equal(t, tls.CurveP521, st.CurveID)
		assert.Equal(t, "521", readSetting(t, s, "SSLNegotiatedKeyExchangeStrength"))
	})
}

func TestTLSGroupSettingErrors(t *testing.T) {
	s := newClient(t)
	for value, want := range map[string]error{
		"TLS13SupportedGroups=ecdhe_x448":       ErrUnsupported,
		"TLS12SupportedGroups=ffdhe_2048":       ErrUnsupported,
		"TLS12SupportedGroups=x25519mlkem768":   ErrInvalidArgument,
		"TLS13KeyShareGroups=brainpool":         ErrInvalidArgument,
		"TLS13SupportedGroups=secp256r1,bogus":  ErrInvalidArgument,
		"SSLNegotiatedKeyExchangeStrength=1024": ErrSettingAccess,
	} {
		_, err := s.Config(value)
		assert.ErrorIs(t, err, want, value)
	}
	_, err := s.Config("TLS13SupportedGroups=P-256, X25519,ecdhe_x25519")
	require.NoError(t, err)
	assert.Equal(t, "ecdhe_secp256r1,ecdhe_x25519", readSetting(t, s, "TLS13SupportedGroups"), "names are the reference's, repeats dropped")
	_, err = s.Config("TLS13SupportedGroups=*")
	require.NoError(t, err)
	assert.Equal(t, "", readSetting(t, s, "TLS13SupportedGroups"), "* is Go's own choice")
	assert.ErrorIs(t, newClient(t, WithTLS13SupportedGroups(tls.CurveID(29999))).Connect("h", 1), ErrInvalidArgument)

	// A key share group must be a supported one: checked when connecting,
	// whichever was set last.
	s = newClient(t, WithSSL(SSLSettings{Enabled: true}), WithTLS13KeyShareGroups(tls.X25519), WithTLS13SupportedGroups(tls.CurveP256))
	err = s.Connect("127.0.0.1", 1)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "TLS13KeyShareGroups names no group of TLS13SupportedGroups")
}

// SSLEnableRenegotiation decides what a TLS 1.2 server's renegotiation
// request meets. Go's server never renegotiates, so the test reads the
// TLS configuration Connect uses.
func TestSSLEnableRenegotiation(t *testing.T) {
	for value, want := range map[string]tls.RenegotiationSupport{
		"": tls.RenegotiateNever, "false": tls.RenegotiateNever, "true": tls.RenegotiateOnceAsClient,
	} {
		s := newClient(t)
		if value != "" {
			_, err := s.Config("SSLEnableRenegotiation=" + value)
			require.NoError(t, err)
		}
		c := s.snapshot()
		ts, err := c.tlsSetup()
		require.NoError(t, err)
		assert.Equal(t, want, ts.cfg.Renegotiation, "SSLEnableRenegotiation=%q", value)
	}
}

func TestKeyExchangeBits(t *testing.T) {
	rsaCert := &x509.Certificate{PublicKey: &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 3071), E: 65537}}
	for want, st := range map[int]tls.ConnectionState{
		255:  {CurveID: tls.X25519},
		256:  {CurveID: tls.CurveP256},
		768:  {CurveID: tls.X25519MLKEM768},
		3072: {CipherSuite: tls.TLS_RSA_WITH_AES_128_GCM_SHA256, PeerCertificates: []*x509.Certificate{rsaCert}},
		0:    {CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, PeerCertificates: []*x509.Certificate{rsaCert}},
	} {
		assert.Equal(t, want, keyExchangeBits(&st))
	}
}

func TestBuildInfo(t *testing.T) {
	v := readSetting(t, newClient(t), "BuildInfo")
	assert.True(t, strings.HasPrefix(v, "github.com/stompactor/stompactor "), v)
	assert.True(t, strings.HasSuffix(v, ", built with "+runtime.Version()), v)
	_, err := newClient(t).Config("BuildInfo=x")
	assert.ErrorIs(t, err, ErrSettingAccess)

	mod := "github.com/stompactor/stompactor"
	for want, bi := range map[string]*debug.BuildInfo{
		mod + " v1.4.0, built with go1.26.8": {GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: "other", Version: "v9"}, {Path: mod, Version: "v1.4.0"}}},
		mod + " v1.4.0 => ../stompactor, built with go1.26.8": {GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: mod, Version: "v1.4.0", Replace: &debug.Module{Path: "../stompactor"}}}},
		mod + " (devel) revision abc123 (modified), built with go1.26.8": {GoVersion: "go1.26.8", Main: debug.Module{Path: mod, Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}},
		mod + " (version unknown), built with go1.26.8": {GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/app"}},
	} {
		assert.Equal(t, want, describeBuild(bi, true))
	}
	assert.Contains(t, describeBuild(nil, false), "without module support")
}

// How the group settings make Go's one list of groups, by the versions
// enabled.
func TestCurvePreferences(t *testing.T) {
	const (
		mlkem = tls.X25519MLKEM768
		x     = tls.X25519
		p256  = tls.CurveP256
		p384  = tls.CurveP384
		p521  = tls.CurveP521
	)
	all12 := []tls.CurveID{x, p256, p384, p521}
	cases := []struct {
		name          string
		min, max      uint16
		g12, g13, ks  []tls.CurveID
		want          []tls.CurveID
		wantErrSubstr string
	}{
		{name: "none set: Go's own", want: nil},
		{name: "TLS 1.3 list, both versions follow it", g13: []tls.CurveID{p384}, want: []tls.CurveID{p384}},
		{name: "TLS 1.2 list, TLS 1.3 adds the hybrid", g12: []tls.CurveID{p521}, want: []tls.CurveID{mlkem, p521}},
		{name: "both lists: either", g12: []tls.CurveID{p256}, g13: []tls.CurveID{x}, want: []tls.CurveID{x, p256}},
		{name: "TLS 1.3 list, TLS 1.2 only", max: tls.VersionTLS12, g13: []tls.CurveID{p384}, want: all12},
		{name: "TLS 1.2 list, TLS 1.3 only", min: tls.VersionTLS13, g12: []tls.CurveID{p521}, want: []tls.CurveID{mlkem, x, p256, p384, p521}},
		{name: "key share P-384: nothing Go prefers to it", ks: []tls.CurveID{p384}, want: []tls.CurveID{p384, p521}},
		{name: "key share of Go's first choice", ks: []tls.CurveID{p521, mlkem}, want: []tls.CurveID{mlkem, x, p256, p384, p521}},
		{name: "key share not supported", ks: []tls.CurveID{x}, g13: []tls.CurveID{p256}, wantErrSubstr: "TLS13KeyShareGroups names no group"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newConfig([]Option{WithTLS12SupportedGroups(tc.g12...), WithTLS13SupportedGroups(tc.g13...), WithTLS13KeyShareGroups(tc.ks...)})
			require.Nil(t, c.optErr)
			if tc.min != 0 {
				c.secW().sslMinVersion = tc.min
			}
			if tc.max != 0 {
				c.secW().sslMaxVersion = tc.max
			}
			got, err := c.curvePreferences()
			if tc.wantErrSubstr != "" {
				require.ErrorIs(t, err, ErrInvalidArgument)
				assert.Contains(t, err.Error(), tc.wantErrSubstr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
