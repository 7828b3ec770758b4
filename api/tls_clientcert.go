package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
)

// A broker that refuses the client's certificate says so with an alert.
// With TLS 1.2 the alert ends the handshake (a *transport.HandshakeError);
// with TLS 1.3 the client has finished its side of the handshake before
// the server checks the certificate, so the alert arrives on the first
// read after it, as a *net.OpError ("remote error") of crypto/tls. Either
// way it is ErrTLSFailed, with a message that says the broker refused the
// client certificate and, when Go did not send the configured one (it
// does not match the CAs the server accepts), that it was not sent.

// clientCertAlerts are the alerts by which a server refuses a client
// certificate.
var clientCertAlerts = []tls.AlertError{
	116, // certificate_required: none was sent
	42,  // bad_certificate
	43,  // unsupported_certificate
	44,  // certificate_revoked
	45,  // certificate_expired
	46,  // certificate_unknown
	48,  // unknown_ca
}

// alertHandshakeFailure is the generic alert a TLS 1.2 server (Go's among
// them) sends when the client sent no certificate it requires.
const alertHandshakeFailure tls.AlertError = 40

// clientCertAlert returns the text of the alert in err by which the
// server refused the client certificate, or "": one of clientCertAlerts,
// or handshake_failure when the server asked for a certificate and none
// was sent (noneSent). crypto/tls reports a received alert as a
// *net.OpError whose Err is its own unexported alert type, whose text is
// that of tls.AlertError of the same number.
func clientCertAlert(err error, noneSent bool) string {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return ""
	}
	text := oe.Err.Error()
	for _, a := range clientCertAlerts {
		if text == a.Error() {
			return text
		}
	}
	if noneSent && text == alertHandshakeFailure.Error() {
		return text + ", after it asked for a certificate"
	}
	return ""
}

// clientCertChoice records, for one TLS dial, whether the server asked
// for a client certificate and what was sent, as Go chooses it: the
// first configured certificate that the request supports, else none.
type clientCertChoice struct {
	certs []tls.Certificate

	mu     sync.Mutex
	asked  bool
	sent   *x509.Certificate // the leaf sent, if any
	unsent *x509.Certificate // the configured leaf not sent, if any
	why    error             // why it was not sent
}

// get is the config's GetClientCertificate: Go's own choice among
// certs (crypto/tls's getClientCertificate), remembered.
func (c *clientCertChoice) get(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = true
	for i := range c.certs {
		if err := cri.SupportsCertificate(&c.certs[i]); err != nil {
			if c.unsent == nil {
				c.unsent, c.why = leafOf(&c.certs[i]), err
			}
			continue
		}
		c.sent = leafOf(&c.certs[i])
		return &c.certs[i], nil
	}
	return new(tls.Certificate), nil
}

func leafOf(c *tls.Certificate) *x509.Certificate {
	if c.Leaf != nil {
		return c.Leaf
	}
	if len(c.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

func (c *clientCertChoice) wasAsked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked
}

// note says what the client sent, for the error of a refusal.
func (c *clientCertChoice) note() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.sent != nil:
		return "; the client sent " + c.sent.Subject.String() + ", issued by " + c.sent.Issuer.String()
	case c.unsent != nil:
		return "; the client sent none: the configured certificate (" + c.unsent.Subject.String() + ", issued by " +
			c.unsent.Issuer.String() + ") was not sent because it does not match the CAs the server accepts (" + c.why.Error() + ")"
	case len(c.certs) == 0:
		return "; no client certificate is configured (SSLCertStore, SSLCertEncoded)"
	}
	return ""
}

// certRefused is the error of a broker that refused the client
// certificate: err is the alert (within a *transport.HandshakeError with
// TLS 1.2, a read error with TLS 1.3).
type certRefused struct {
	addr, alert, note string
	err               error
}

func (e *certRefused) Error() string {
	return "TLS with " + e.addr + ": the broker refused the client certificate (" + e.alert + ")" + e.note
}

func (e *certRefused) Unwrap() error { return e.err }

// refusal returns err as a *certRefused when it is a refusal of the
// client certificate, else err.
func (c *clientCertChoice) refusal(addr string, err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	noneSent := c.asked && c.sent == nil
	c.mu.Unlock()
	if a := clientCertAlert(err, noneSent); a != "" {
		return &certRefused{addr: addr, alert: a, note: c.note(), err: err}
	}
	return err
}

// certAlertConn maps a refusal of the client certificate on a read (TLS
// 1.3: after the handshake) to a *certRefused. Only connections where
// the server asked for a certificate with TLS 1.3 are wrapped.
type certAlertConn struct {
	net.Conn
	choice *clientCertChoice
	addr   string
}

func (c *certAlertConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		err = c.choice.refusal(c.addr, err)
	}
	return n, err
}

// NetConn returns the *tls.Conn (transport.ConnectionState looks through
// it).
func (c *certAlertConn) NetConn() net.Conn { return c.Conn }
