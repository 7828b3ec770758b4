package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSHandshakeAndState(t *testing.T) {
	ca := newCA(t, "test CA")
	addr := tlsEcho(t, ca)
	for _, name := range []string{"", "localhost"} {
		t.Run("ServerName "+name, func(t *testing.T) {
			conn, err := TLS(nil, &tls.Config{RootCAs: ca.pool, ServerName: name})(ctxFor(t, wait), "tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			st, ok := ConnectionState(conn)
			require.True(t, ok)
			assert.True(t, st.HandshakeComplete)
			assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
			require.NotEmpty(t, st.PeerCertificates)
			assert.Equal(t, "localhost", st.PeerCertificates[0].Subject.CommonName)
			_, err = conn.Write([]byte("hi"))
			require.NoError(t, err)
			assert.Equal(t, []byte("hi"), readN(conn, 2))
		})
	}
}

func TestTLSWrongCA(t *testing.T) {
	addr := tlsEcho(t, newCA(t, "real CA"))
	other := newCA(t, "other CA")
	_, err := TLS(nil, &tls.Config{RootCAs: other.pool})(ctxFor(t, wait), "tcp", addr)
	var he *HandshakeError
	require.True(t, errors.As(err, &he), "%v", err)
	assert.Equal(t, addr, he.Addr)
	assert.Equal(t, "127.0.0.1", he.ServerName)
	var ve *tls.CertificateVerificationError
	require.True(t, errors.As(err, &ve), "%v", err)
	var ua x509.UnknownAuthorityError
	assert.True(t, errors.As(err, &ua))
	assert.Contains(t, err.Error(), "TLS handshake with "+addr+" failed")
}

func TestTLSVerifyConnectionErrorIsKept(t *testing.T) {
	ca := newCA(t, "CA")
	addr := tlsEcho(t, ca)
	mine := errors.New("not this one")
	_, err := TLS(nil, &tls.Config{RootCAs: ca.pool, VerifyConnection: func(tls.ConnectionState) error { return mine }})(ctxFor(t, wait), "tcp", addr)
	assert.ErrorIs(t, err, mine)
}

// A server that accepts and says nothing holds the handshake only until
// the context's deadline.
func TestTLSHandshakeBoundedByContext(t *testing.T) {
	silent := fakeProxy(t, drain)
	start := time.Now()
	_, err := TLS(silent, &tls.Config{})(ctxFor(t, short), "tcp", "127.0.0.1:1")
	var he *HandshakeError
	require.True(t, errors.As(err, &he), "%v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), wait)
}

func TestTLSBaseErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	_, err := TLS(func(context.Context, string, string) (net.Conn, error) { return nil, boom }, nil)(ctxFor(t, wait), "tcp", "h:1")
	assert.Same(t, boom, err)
}

func TestTLSNotTLS(t *testing.T) {
	plain := fakeProxy(t, func(c net.Conn) {
		done := make(chan struct{})
		go func() { defer close(done); drain(c) }()
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		<-done
	})
	_, err := TLS(plain, &tls.Config{})(ctxFor(t, wait), "tcp", "h:1")
	var he *HandshakeError
	require.True(t, errors.As(err, &he), "%v", err)
}

func TestConnectionStateOfPlainConn(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	_, ok := ConnectionState(c1)
	assert.False(t, ok)
	_, ok = ConnectionState(&prefixConn{Conn: c1})
	assert.False(t, ok, "unwrapped through NetConn, still plain")
}
