package api

// The firewall and SSL properties. Connect reads them (see connectConfig:
// TCP, then the proxy, then TLS over both), so none can change while
// connected. SSLServerCertEncoded, read-only, is in ssl.go.

func (s *STOMP) setFirewallField(name string, f func(*Firewall)) error {
	return s.setConnectTime(name, func(c *config) error {
		fw := c.sec.fw
		f(&fw)
		return c.setFirewall(fw)
	})
}

func (s *STOMP) setSSLField(name string, f func(*SSLSettings)) error {
	return s.setConnectTime(name, func(c *config) error {
		ssl := c.sec.ssl
		f(&ssl)
		return c.setSSL(ssl)
	})
}

// Firewall returns every firewall property. Default: no firewall.
func (s *STOMP) Firewall() Firewall { return get(s, func(c *config) Firewall { return c.sec.fw }) }

// FirewallAutoDetect takes the proxy from HTTPS_PROXY or ALL_PROXY when
// the environment names one (see Firewall.AutoDetect). Default false.
func (s *STOMP) FirewallAutoDetect() bool { return s.Firewall().AutoDetect }

// SetFirewallAutoDetect sets FirewallAutoDetect.
func (s *STOMP) SetFirewallAutoDetect(on bool) error {
	return s.setFirewallField("FirewallAutoDetect", func(f *Firewall) { f.AutoDetect = on })
}

// FirewallType is the kind of proxy. Default FirewallNone.
func (s *STOMP) FirewallType() FirewallType { return s.Firewall().Type }

// SetFirewallType sets FirewallType.
func (s *STOMP) SetFirewallType(t FirewallType) error {
	return s.setFirewallField("FirewallType", func(f *Firewall) { f.Type = t })
}

// FirewallHost is the proxy's host. Default "".
func (s *STOMP) FirewallHost() string { return s.Firewall().Host }

// SetFirewallHost sets FirewallHost.
func (s *STOMP) SetFirewallHost(h string) error {
	return s.setFirewallField("FirewallHost", func(f *Firewall) { f.Host = h })
}

// FirewallPort is the proxy's port; 0 means the type's usual one.
// Default 0.
func (s *STOMP) FirewallPort() int { return s.Firewall().Port }

// SetFirewallPort sets FirewallPort (0 to 65535).
func (s *STOMP) SetFirewallPort(p int) error {
	return s.setFirewallField("FirewallPort", func(f *Firewall) { f.Port = p })
}

// FirewallUser is the proxy login. Default "".
func (s *STOMP) FirewallUser() string { return s.Firewall().User }

// SetFirewallUser sets FirewallUser.
func (s *STOMP) SetFirewallUser(u string) error {
	return s.setFirewallField("FirewallUser", func(f *Firewall) { f.User = u })
}

// FirewallPassword is the proxy password; it never appears in a log, an
// error or a String. Default "".
func (s *STOMP) FirewallPassword() string { return s.Firewall().Password }

// SetFirewallPassword sets FirewallPassword.
func (s *STOMP) SetFirewallPassword(p string) error {
	return s.setFirewallField("FirewallPassword", func(f *Firewall) { f.Password = p })
}

// SSL returns every SSL property. Default: TLS disabled.
func (s *STOMP) SSL() SSLSettings { return get(s, func(c *config) SSLSettings { return c.sec.ssl }) }

// SSLEnabled turns TLS on. Default false.
func (s *STOMP) SSLEnabled() bool { return s.SSL().Enabled }

// SetSSLEnabled sets SSLEnabled.
func (s *STOMP) SetSSLEnabled(on bool) error {
	return s.setSSLField("SSLEnabled", func(x *SSLSettings) { x.Enabled = on })
}

// SSLAcceptServerCertEncoded is a server certificate (PEM or base64 DER)
// accepted when the server presents exactly it, trusted or not; "*"
// accepts any certificate unverified, which is insecure (see
// SSLSettings). Default "".
func (s *STOMP) SSLAcceptServerCertEncoded() string { return s.SSL().AcceptServerCertEncoded }

// SetSSLAcceptServerCertEncoded sets SSLAcceptServerCertEncoded.
func (s *STOMP) SetSSLAcceptServerCertEncoded(cert string) error {
	return s.setSSLField("SSLAcceptServerCertEncoded", func(x *SSLSettings) { x.AcceptServerCertEncoded = cert })
}

// SSLCertEncoded is the client certificate (PEM or base64 DER); its key is
// in the same PEM or in SSLCertStore. Default "".
func (s *STOMP) SSLCertEncoded() string { return s.SSL().CertEncoded }

// SetSSLCertEncoded sets SSLCertEncoded.
func (s *STOMP) SetSSLCertEncoded(cert string) error {
	return s.setSSLField("SSLCertEncoded", func(x *SSLSettings) { x.CertEncoded = cert })
}

// SSLCertStore holds the client certificate and key as PEM or PKCS#12, or
// names the file that does (see SSLCertStoreType and SSLSettings).
// Default "".
func (s *STOMP) SSLCertStore() string { return s.SSL().CertStore }

// SetSSLCertStore sets SSLCertStore.
func (s *STOMP) SetSSLCertStore(store string) error {
	return s.setSSLField("SSLCertStore", func(x *SSLSettings) { x.CertStore = store })
}

// SSLCertStorePassword opens a PKCS#12 store and decrypts an encrypted
// PEM key; it never appears in a log, an error or a String. Default "".
func (s *STOMP) SSLCertStorePassword() string { return s.SSL().CertStorePassword }

// SetSSLCertStorePassword sets SSLCertStorePassword.
func (s *STOMP) SetSSLCertStorePassword(p string) error {
	return s.setSSLField("SSLCertStorePassword", func(x *SSLSettings) { x.CertStorePassword = p })
}

// SSLCertStoreType says what SSLCertStore holds: PEM or PKCS#12, inline
// or in a file, numbered as in the reference (2 PKCS#12 file, 3 PKCS#12
// blob, 6 PEM file, 7 PEM blob, 99 automatic). Default CertStoreAuto (0,
// automatic, where the reference's 0 is a Windows store). The
// reference's kinds this version cannot read are refused with
// ErrUnsupported, unknown numbers with ErrInvalidArgument (see
// CertStoreType).
func (s *STOMP) SSLCertStoreType() CertStoreType { return s.SSL().CertStoreType }

// SetSSLCertStoreType sets SSLCertStoreType.
func (s *STOMP) SetSSLCertStoreType(t CertStoreType) error {
	return s.setSSLField("SSLCertStoreType", func(x *SSLSettings) { x.CertStoreType = t })
}

// SSLCertSubject picks the client certificate by its subject, written as
// fields as the reference writes one ("CN=me, O=Example,
// E=me@example.org": each field given must be one of the certificate's,
// its value compared whole) or as a partial value without '=' ("me": a
// field of that value first, else a subject holding it); "" or "*" takes
// the one matching the key. See SSLSettings.CertSubject.
// Default "".
func (s *STOMP) SSLCertSubject() string { return s.SSL().CertSubject }

// SetSSLCertSubject sets SSLCertSubject.
func (s *STOMP) SetSSLCertSubject(subject string) error {
	return s.setSSLField("SSLCertSubject", func(x *SSLSettings) { x.CertSubject = subject })
}
