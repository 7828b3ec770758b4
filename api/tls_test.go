package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsBroker is a sim broker behind a TLS front whose certificate ca
// issued for localhost and 127.0.0.1.
type tlsBroker struct {
	ca      *testCA
	leaf    issued
	host    string
	port    int
	clients <-chan string
}

func newTLSBroker(t *testing.T, mod func(*tls.Config)) *tlsBroker {
	t.Helper()
	b := newBroker(t)
	tb := &tlsBroker{ca: newCA(t, "stompactor test CA")}
	tb.leaf = tb.ca.issue(t, "localhost", false, true, "localhost")
	cfg := &tls.Config{Certificates: []tls.Certificate{tb.leaf.tls}}
	if mod != nil {
		mod(cfg)
	}
	tb.host, tb.port, tb.clients = tlsFront(t, cfg, b.Addr())
	return tb
}

func TestTLSConnectWithTrustedCA(t *testing.T) {
	tb := newTLSBroker(t, nil)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	auths := collect(s.OnSSLServerAuthentication)
	statuses := collect(s.OnSSLStatus)
	require.NoError(t, s.Connect(tb.host, tb.port))
	roundTrip(t, s)

	a := recv(t, auths)
	assert.Equal(t, "OK", a.Status)
	assert.True(t, a.Accept)
	assert.NoError(t, a.Err)
	assert.Equal(t, "CN=localhost,O=stompactor tests", a.CertSubject)
	assert.Equal(t, "CN=stompactor test CA", a.CertIssuer)
	assert.Equal(t, tb.leaf.tls.Certificate[0], a.CertEncoded)
	require.Len(t, a.Chain, 1)

	var msgs []string
	for len(msgs) < 3 {
		msgs = append(msgs, recv(t, statuses).Message)
	}
	assert.Contains(t, msgs[0], "starting the TLS handshake with 127.0.0.1:")
	assert.Equal(t, "server certificate CN=localhost,O=stompactor tests: OK", msgs[1])
	assert.Equal(t, "TLS handshake done: TLS1.3 TLS_AES_128_GCM_SHA256", msgs[2])

	assert.Equal(t, tb.leaf.certPEM, s.SSLServerCertEncoded())
	st, ok := s.TLSConnectionState()
	require.True(t, ok)
	assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
	for name, want := range map[string]string{
		"SSLNegotiatedProtocol": "TLS1.3", "SSLNegotiatedCipherSuite": "TLS_AES_128_GCM_SHA256",
		"SSLNegotiatedCipher": "AES_128_GCM", "SSLNegotiatedCipherStrength": "128",
	} {
		got, err := s.Config(name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	kx, err := s.Config("SSLNegotiatedKeyExchange")
	require.NoError(t, err)
	assert.Contains(t, kx, "X25519", "TLS 1.3 names the group")
}

func TestTLSWrongCAIsRejected(t *testing.T) {
	tb := newTLSBroker(t, nil)
	stranger := newCA(t, "stranger")
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(stranger.pem()))
	statuses := collect(s.OnSSLStatus)
	err := s.Connect(tb.host, tb.port)
	require.ErrorIs(t, err, ErrCertRejected)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeCertRejected, e.Code)
	assert.Contains(t, err.Error(), "stomp: the certificate of 127.0.0.1:")
	assert.Contains(t, err.Error(), "certificate signed by unknown authority")
	var ua x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &ua, "the verification error is the cause")
	var he *transport.HandshakeError
	assert.ErrorAs(t, err, &he)
	assert.False(t, s.Connected())
	assert.NotEmpty(t, s.SSLServerCertEncoded(), "the rejected certificate can be inspected")
	waitFor(t, "the failure status", func() bool {
		for {
			select {
			case ev := <-statuses:
				if strings.HasPrefix(ev.Message, "TLS handshake failed: ") {
					return true
				}
			default:
				return false
			}
		}
	})
}

func TestTLSAcceptedByEvent(t *testing.T) {
	tb := newTLSBroker(t, nil)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}))
	var seen SSLServerAuthenticationEvent
	s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) {
		seen = *e
		e.Accept = e.CertSubject == "CN=localhost,O=stompactor tests"
	})
	require.NoError(t, s.Connect(tb.host, tb.port))
	roundTrip(t, s)
	assert.False(t, seen.Accept, "verification alone refused it")
	assert.Contains(t, seen.Status, "unknown authority")
	assert.Error(t, seen.Err)
}

func TestTLSRefusedByEvent(t *testing.T) {
	tb := newTLSBroker(t, nil)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) { e.Accept = false })
	err := s.Connect(tb.host, tb.port)
	require.ErrorIs(t, err, ErrCertRejected)
	assert.Contains(t, err.Error(), "refused by the SSLServerAuthentication handler")

	s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) { panic("boom") })
	err = s.Connect(tb.host, tb.port)
	require.ErrorIs(t, err, ErrCertRejected)
	assert.Contains(t, err.Error(), "handler panicked")
}

func TestTLSAcceptServerCertEncoded(t *testing.T) {
	tb := newTLSBroker(t, nil)
	other := tb.ca.issue(t, "other", false, true)
	leafDER := base64.StdEncoding.EncodeToString(tb.leaf.tls.Certificate[0])
	for name, c := range map[string]struct {
		accept string
		ok     bool
	}{
		"the server's, PEM":     {tb.leaf.certPEM, true},
		"the server's, base64":  {leafDER, true},
		"another":               {other.certPEM, false},
		"any (insecure)":        {"*", true},
		"none, untrusted chain": {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			s := newClient(t, WithSSL(SSLSettings{Enabled: true, AcceptServerCertEncoded: c.accept}))
			err := s.Connect(tb.host, tb.port)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrCertRejected)
		})
	}
}

func TestTLSHostNameIsChecked(t *testing.T) {
	b := newBroker(t)
	ca := newCA(t, "CA")
	leaf := ca.issue(t, "broker.test", false, false, "broker.test")
	h, p, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{leaf.tls}}, b.Addr())
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(ca.pem()))
	err := s.Connect(h, p)
	require.ErrorIs(t, err, ErrCertRejected)
	assert.Contains(t, err.Error(), "127.0.0.1")
}

func TestTLSClientCertificate(t *testing.T) {
	clientCA := newCA(t, "client CA")
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCA.pool()
	})
	client := clientCA.issue(t, "me", true, false)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "client.key")
	bothFile := filepath.Join(dir, "client.pem")
	require.NoError(t, os.WriteFile(keyFile, []byte(client.keyPEM), 0o600))
	require.NoError(t, os.WriteFile(bothFile, []byte(clientCA.pem()+client.certPEM+client.keyPEM), 0o600))
	for name, ssl := range map[string]SSLSettings{
		"PEM blob in the store":             {CertStore: client.certPEM + client.keyPEM},
		"PEM file with a CA before it":      {CertStore: bothFile, CertStoreType: CertStorePEMFile, CertSubject: "cn=ME"},
		"certificate encoded, key in store": {CertEncoded: client.certPEM, CertStore: keyFile},
		"cert and key both encoded":         {CertEncoded: client.keyPEM + client.certPEM, CertStoreType: CertStorePEMBlob},
	} {
		t.Run(name, func(t *testing.T) {
			ssl.Enabled = true
			s := newClient(t, WithSSL(ssl), WithSSLServerCACerts(tb.ca.pem()))
			require.NoError(t, s.Connect(tb.host, tb.port))
			assert.Equal(t, "me", recv(t, tb.clients))
			roundTrip(t, s)
		})
	}
	t.Run("without one the server refuses", func(t *testing.T) {
		s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
		err := s.Connect(tb.host, tb.port)
		require.Error(t, err)
		assert.False(t, s.Connected())
	})
}

func TestTLSClientCertificateErrors(t *testing.T) {
	ca := newCA(t, "CA")
	c := ca.issue(t, "me", true, false)
	other := ca.issue(t, "other", true, false)
	encrypted := "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
	cases := map[string]struct {
		ssl  SSLSettings
		want error
		msg  string
	}{
		"no key":              {SSLSettings{CertEncoded: c.certPEM}, ErrInvalidArgument, "no private key"},
		"key of another cert": {SSLSettings{CertEncoded: c.certPEM, CertStore: other.keyPEM}, ErrInvalidArgument, "matches the private key"},
		"subject mismatch":    {SSLSettings{CertStore: c.certPEM + c.keyPEM, CertSubject: "CN=you"}, ErrInvalidArgument, "SSLCertSubject"},
		"missing PFX file":    {SSLSettings{CertStore: "store.pfx", CertStoreType: CertStorePFXFile}, ErrInvalidArgument, "SSLCertStore: open store.pfx"},
		"encrypted key":       {SSLSettings{CertStore: c.certPEM + encrypted}, ErrInvalidArgument, "encrypted: set SSLCertStorePassword"},
		"missing file":        {SSLSettings{CertStore: "/no/such/file.pem"}, ErrInvalidArgument, "SSLCertStore"},
		"key only":            {SSLSettings{CertStore: c.keyPEM}, ErrInvalidArgument, "no certificate"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.ssl.Enabled = true
			s := newClient(t, WithSSL(tc.ssl))
			err := s.Connect("127.0.0.1", 1)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestTLSProtocolsAndSuites(t *testing.T) {
	tb := newTLSBroker(t, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	_, err := s.Config("SSLEnabledProtocols=TLS1.3")
	require.NoError(t, err)
	err = s.Connect(tb.host, tb.port)
	require.ErrorIs(t, err, ErrTLSFailed)
	assert.Contains(t, err.Error(), "stomp: TLS handshake with 127.0.0.1:")

	_, err = s.Config("SSLEnabledProtocols=TLS1.2")
	require.NoError(t, err)
	_, err = s.Config("SSLEnabledCipherSuites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
	require.NoError(t, err)
	require.NoError(t, s.Connect(tb.host, tb.port))
	for name, want := range map[string]string{
		"SSLNegotiatedProtocol": "TLS1.2", "SSLNegotiatedCipherSuite": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"SSLNegotiatedCipher": "AES_256_GCM", "SSLNegotiatedCipherStrength": "256", "SSLNegotiatedKeyExchange": "ECDHE_ECDSA",
	} {
		got, err := s.Config(name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
}

func TestTLSCACertFilePaths(t *testing.T) {
	tb := newTLSBroker(t, nil)
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, []byte(tb.ca.pem()), 0o600))
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}))
	_, err := s.Config("SSLCACertFilePaths=/no/such/ca.pem\n" + path)
	require.NoError(t, err)
	require.NoError(t, s.Connect(tb.host, tb.port))
	require.NoError(t, s.Disconnect())

	_, err = s.Config("SSLCACertFilePaths=/no/such/ca.pem")
	require.NoError(t, err)
	assert.ErrorIs(t, s.Connect(tb.host, tb.port), ErrInvalidArgument)
	_, err = s.Config("SSLCACertFilePaths=" + os.Args[0])
	require.NoError(t, err)
	assert.ErrorIs(t, s.Connect(tb.host, tb.port), ErrInvalidArgument, "a file without PEM")
}

// A server that never answers the handshake holds Connect only until its
// timeout; one that is not TLS fails it.
func TestTLSHandshakeFailures(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	h, p := relay(t, ln, func(c net.Conn) { _, _ = c.Read(make([]byte, 1<<16)); _, _ = c.Read(make([]byte, 1)) })
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithConnectionTimeout(200*time.Millisecond))
	start := time.Now()
	assert.ErrorIs(t, s.Connect(h, p), ErrTimeout)
	assert.Less(t, time.Since(start), wait)

	b := newBroker(t)
	bh, bp := hostPort(t, b.Addr())
	err = newClient(t, WithSSL(SSLSettings{Enabled: true})).Connect(bh, bp)
	assert.ErrorIs(t, err, ErrTLSFailed, "a plain STOMP server: %v", err)
}

func TestDialErrorCodes(t *testing.T) {
	id := func(s string) string { return s }
	pe := &transport.ProxyError{Proxy: "SOCKS5", Addr: "p:1", Kind: transport.ProxyRefused, Code: 5}
	assert.Equal(t, CodeProxyFailed, toError(pe, CodeConnectFailed, id).Code)
	he := &transport.HandshakeError{Addr: "b:1", Err: errors.New("remote error")}
	assert.Equal(t, CodeTLSFailed, toError(he, CodeConnectFailed, id).Code)
	cr := &transport.HandshakeError{Addr: "b:1", Err: &certRejected{addr: "b:1", reason: "no"}}
	assert.Equal(t, CodeCertRejected, toError(cr, CodeConnectFailed, id).Code)
	late := &transport.ProxyError{Kind: transport.ProxyIO, Err: context.DeadlineExceeded}
	assert.Equal(t, CodeTimeout, toError(late, CodeConnectFailed, id).Code, "a deadline is a timeout, even through a proxy")
}

func TestTLSStateClearedByNextConnect(t *testing.T) {
	tb := newTLSBroker(t, nil)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	require.NoError(t, s.Connect(tb.host, tb.port))
	require.NoError(t, s.Disconnect())
	v, _ := s.Config("SSLNegotiatedProtocol")
	assert.Equal(t, "TLS1.3", v, "kept after Disconnect")

	require.NoError(t, s.SetSSLEnabled(false))
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	v, _ = s.Config("SSLNegotiatedProtocol")
	assert.Equal(t, "", v, "a plain connection negotiated nothing")
	assert.Equal(t, "", s.SSLServerCertEncoded())
}

// Reset returns every setting to NewSTOMP's state, the read-only TLS
// results of the last connection included.
func TestTLSStateClearedByReset(t *testing.T) {
	tb := newTLSBroker(t, nil)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	require.NoError(t, s.Connect(tb.host, tb.port))
	v, _ := s.Config("SSLNegotiatedProtocol")
	require.Equal(t, "TLS1.3", v)
	require.NotEmpty(t, s.SSLServerCertEncoded())

	require.NoError(t, s.Reset())
	require.False(t, s.Connected())
	fresh := newClient(t, WithSSL(SSLSettings{Enabled: true}))
	for _, name := range []string{"SSLNegotiatedProtocol", "SSLNegotiatedCipherSuite", "SSLNegotiatedCipher", "SSLNegotiatedCipherStrength", "SSLNegotiatedKeyExchange", "SSLNegotiatedKeyExchangeStrength"} {
		want, err := fresh.Config(name)
		require.NoError(t, err, name)
		got, err := s.Config(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, "%s after Reset", name)
	}
	assert.Empty(t, s.SSLServerCertEncoded(), "SSLServerCertEncoded after Reset")
}

// The TLS config alone, without the verifier sslDialer installs, refuses
// every certificate: Go's own check is off, so it must never be used bare.
func TestTLSSetupRefusesWithoutVerifier(t *testing.T) {
	tb := newTLSBroker(t, nil)
	c := newConfig([]Option{WithSSLServerCACerts(tb.ca.pem())})
	c.remoteHost = tb.host
	ts, err := c.tlsSetup()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err = transport.TLS(nil, ts.cfg)(ctx, "tcp", net.JoinHostPort(tb.host, strconv.Itoa(tb.port)))
	assert.ErrorIs(t, err, errNoVerifier)
}

// A TLS failover broker is verified against its own host name, not
// RemoteHost's: its certificate names itself.
func TestTLSFailoverVerifiesItsOwnName(t *testing.T) {
	b := newBroker(t)
	ca := newCA(t, "review CA")
	primary := ca.issue(t, "primary", false, false, "localhost")
	failover := ca.issue(t, "failover", false, true)
	_, fport, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{failover.tls}}, b.Addr())

	// The primary serves one connection, then goes away for good.
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{primary.tls}})
	require.NoError(t, err)
	_, pport := hostPort(t, ln.Addr().String())
	served := make(chan net.Conn, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		served <- c
		bc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			_ = c.Close()
			return
		}
		testnet.Forward(c, bc)
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })

	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(ca.pem()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: 2}),
		WithFailoverServers(net.JoinHostPort("127.0.0.1", strconv.Itoa(fport))))
	statuses := collect(s.OnConnectionStatus)
	require.NoError(t, s.Connect("localhost", pport))
	require.NoError(t, ln.Close())
	_ = recv(t, served).Close()
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
		require.NotEqual(t, "gave up", ev.ConnectionEvent, ev.Description)
	}
	roundTrip(t, s)
}
