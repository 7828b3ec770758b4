package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/transport"
)

// sslDialer wraps base (TCP, perhaps through a proxy) with TLS for the
// dials of one Connect: it verifies the server with verifyServer, fires
// SSLStatus along the way, and keeps what was negotiated for the
// SSLNegotiated... settings and SSLServerCertEncoded.
func (s *STOMP) sslDialer(base transport.Dialer, ts *tlsSetup) transport.Dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// The server name is the host dialed: RemoteHost's, or a
		// failover broker's own when reconnecting to one.
		ts := ts
		if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && host != ts.serverName {
			c := *ts
			c.serverName = host
			ts = &c
		}
		cfg := ts.cfg.Clone()
		cfg.ServerName = ts.serverName
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return s.verifyServer(ts, addr, cs) }
		// Go's choice of client certificate, remembered for the error of
		// a broker that refuses it (tls_clientcert.go).
		choice := &clientCertChoice{certs: cfg.Certificates}
		cfg.GetClientCertificate = choice.get
		reached := func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := base(ctx, network, addr)
			if err == nil {
				s.sslStatus("starting the TLS handshake with " + addr + " for " + ts.serverName)
			}
			return conn, err
		}
		conn, err := transport.TLS(reached, cfg)(ctx, network, addr)
		var he *transport.HandshakeError
		if errors.As(err, &he) {
			s.sslStatus("TLS handshake failed: " + he.Err.Error())
		}
		if err != nil {
			return nil, choice.refusal(addr, err)
		}
		st, ok := transport.ConnectionState(conn)
		if ok {
			s.tlsState.Store(&st)
			s.sslStatus("TLS handshake done: " + protocolName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite))
		}
		if ok && st.Version >= tls.VersionTLS13 && choice.wasAsked() {
			// The server checks the certificate after the client's side
			// of the handshake: its refusal comes on the first read.
			return &certAlertConn{Conn: conn, choice: choice, addr: addr}, nil
		}
		return conn, nil
	}
}

// certRejected is the error of a server certificate that neither
// verification nor the SSLServerAuthentication handler accepted.
type certRejected struct {
	addr, subject, issuer, reason string
	err                           error // the verification error, if any
}

func (e *certRejected) Error() string {
	if e.subject == "" {
		return "the server at " + e.addr + " was rejected: " + e.reason
	}
	return "the certificate of " + e.addr + " (" + e.subject + ", issued by " + e.issuer + ") was rejected: " + e.reason
}

func (e *certRejected) Unwrap() error { return e.err }

// verifyServer decides whether the server's certificate is accepted: the
// one SSLAcceptServerCertEncoded names (or any, with "*"), else one that
// chains to the trusted roots and names the host; then the
// SSLServerAuthentication handler, if any, has the last word.
func (s *STOMP) verifyServer(ts *tlsSetup, addr string, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &certRejected{addr: addr, reason: "the server sent no certificate"}
	}
	leaf := cs.PeerCertificates[0]
	s.serverCert.Store(leaf)
	status := "OK"
	var verr error
	switch {
	case ts.acceptAny:
		status = "not verified: SSLAcceptServerCertEncoded is *"
		s.warnf("TLS: the certificate of " + addr + " was not verified (SSLAcceptServerCertEncoded is \"*\"): anyone on the path can impersonate the broker")
	case ts.accept != nil && bytes.Equal(ts.accept, leaf.Raw):
		status = "OK: the certificate of SSLAcceptServerCertEncoded"
	default:
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, verr = leaf.Verify(x509.VerifyOptions{Roots: ts.roots, Intermediates: inter, DNSName: ts.serverName}); verr != nil {
			status = verr.Error()
		}
	}
	accept := verr == nil
	if h := s.handlersNow().sslAuth; h != nil {
		ev := &SSLServerAuthenticationEvent{
			CertEncoded: leaf.Raw, CertSubject: leaf.Subject.String(), CertIssuer: leaf.Issuer.String(),
			Status: status, Accept: accept, Chain: append([]*x509.Certificate(nil), cs.PeerCertificates...), Err: verr,
		}
		if s.guard("SSLServerAuthentication", func() { h(ev) }) != nil {
			ev.Accept, status = false, "the SSLServerAuthentication handler panicked"
		} else if !ev.Accept && accept {
			status = "refused by the SSLServerAuthentication handler"
		}
		accept = ev.Accept
	}
	if !accept {
		return &certRejected{addr: addr, subject: leaf.Subject.String(), issuer: leaf.Issuer.String(), reason: status, err: verr}
	}
	if verr != nil {
		status = "accepted by the SSLServerAuthentication handler despite: " + status
	}
	s.sslStatus("server certificate " + leaf.Subject.String() + ": " + status)
	return nil
}

// sslStatus fires SSLStatus and logs msg at level 2.
func (s *STOMP) sslStatus(msg string) {
	msg = s.scrub(msg)
	s.logf(actors.LogVerbose, msg)
	if h := s.handlersNow().sslStatus; h != nil {
		s.guard("SSLStatus", func() { h(&SSLStatusEvent{Message: msg}) })
	}
}

// SSLServerCertEncoded is the certificate the server presented on the
// last TLS connection (from the handshake on, so also inside
// OnSSLServerAuthentication), PEM encoded; "" until then: Connect clears
// it. Read-only.
func (s *STOMP) SSLServerCertEncoded() string {
	if c := s.serverCert.Load(); c != nil {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return ""
}

// TLSConnectionState returns what the TLS handshake of the last Connect
// negotiated (the SSLNegotiated... settings in Go's terms); ok is false
// when it made none.
func (s *STOMP) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	if st := s.tlsState.Load(); st != nil {
		return *st, true
	}
	return tls.ConnectionState{}, false
}

// dialError maps the typed errors of a TLS or proxy dial to their codes,
// keeping their own words; nil for other errors and for dials a deadline
// or cancellation ended (those are timeouts).
func dialError(err error, scrub func(string) string) *Error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	var (
		cr   *certRejected
		he   *transport.HandshakeError
		pe   *transport.ProxyError
		we   *transport.WSError
		code int
		msg  string
	)
	var ccr *certRefused
	switch {
	case errors.As(err, &cr):
		code, msg = CodeCertRejected, cr.Error()
	case errors.As(err, &ccr):
		code, msg = CodeTLSFailed, ccr.Error()
	case errors.As(err, &he):
		code, msg = CodeTLSFailed, he.Error()
	case errors.As(err, &pe) && pe.Kind == transport.ProxyBadRequest:
		// A request the protocol cannot carry: a setting's fault.
		code, msg = CodeInvalidArgument, pe.Error()
	case errors.As(err, &pe) && pe.Kind == transport.ProxyUnresolved:
		// SOCKS4 found no IPv4 address for the broker's name now: the
		// broker could not be reached, as without a proxy (the name may
		// resolve next time).
		code, msg = CodeConnectFailed, pe.Error()
	case errors.As(err, &pe):
		code, msg = CodeProxyFailed, pe.Error()
	case errors.As(err, &we) && we.Kind == transport.WSTooLarge:
		code, msg = CodeFrameLimit, we.Error()+wsLimitHint
	case errors.As(err, &we):
		code, msg = CodeConnectFailed, we.Error()
	default:
		return nil
	}
	return actors.NewError(code, scrub("stomp: "+msg), err)
}
