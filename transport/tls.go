package transport

import (
	"context"
	"crypto/tls"
	"net"
)

// HandshakeError is the error of a TLS handshake that failed: the server
// sent an alert, spoke something else, or its certificate was refused
// (errors.As finds a *tls.CertificateVerificationError, or whatever the
// config's VerifyConnection returned), or the context ended it.
type HandshakeError struct {
	// Addr is the address dialed, ServerName the name verified.
	Addr, ServerName string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *HandshakeError) Error() string {
	return "TLS handshake with " + e.Addr + " failed: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *HandshakeError) Unwrap() error { return e.Err }

// TLS returns a dialer that opens a connection with base (nil: plain
// TCP), through whatever proxies base goes through, and runs a TLS client
// handshake over it, bounded by the dial's context. cfg is cloned for
// each dial; when its ServerName is empty, the host of the address dialed
// is used (an IP address is then checked against the certificate's IP
// SANs). A failed handshake closes the connection and returns a
// *HandshakeError; a failure of base is returned as it is. The connection
// returned is a *tls.Conn: ConnectionState gives what was negotiated.
func TLS(base Dialer, cfg *tls.Config) Dialer {
	if base == nil {
		base = TCP(TCPOptions{NoDelay: true})
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := base(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		var c *tls.Config
		if cfg != nil {
			c = cfg.Clone()
		} else {
			c = &tls.Config{}
		}
		if c.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				c.ServerName = host
			} else {
				c.ServerName = addr
			}
		}
		tc := tls.Client(raw, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, &HandshakeError{Addr: addr, ServerName: c.ServerName, Err: err}
		}
		return tc, nil
	}
}

// ConnectionState returns the TLS state of conn, looking through wrappers
// that expose the connection they wrap with a NetConn method (as
// *tls.Conn does). ok is false when no TLS connection is found.
func ConnectionState(conn net.Conn) (state tls.ConnectionState, ok bool) {
	for range 8 {
		switch c := conn.(type) {
		case interface{ ConnectionState() tls.ConnectionState }:
			return c.ConnectionState(), true
		case interface{ NetConn() net.Conn }:
			conn = c.NetConn()
		default:
			return tls.ConnectionState{}, false
		}
	}
	return tls.ConnectionState{}, false
}
