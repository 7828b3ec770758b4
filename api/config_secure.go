package api

import (
	"crypto/tls"
	"math"
	"strconv"
	"strings"
)

// The firewall and TLS rows of the configuration table, and the settings
// of the reference this version does not implement.
var secureSettings = []setting{
	firewallSetting("FirewallAutoDetect", func(f *Firewall) string { return strconv.FormatBool(f.AutoDetect) }, func(f *Firewall, v string) error {
		b, err := parseBool("FirewallAutoDetect", v)
		f.AutoDetect = b
		return err
	}),
	firewallSetting("FirewallHost", func(f *Firewall) string { return f.Host }, func(f *Firewall, v string) error { f.Host = v; return nil }),
	firewallSetting("FirewallPassword", func(f *Firewall) string { return f.Password }, func(f *Firewall, v string) error { f.Password = v; return nil }),
	approx(firewallSetting("FirewallPort", func(f *Firewall) string { return strconv.Itoa(f.Port) }, func(f *Firewall, v string) error {
		n, err := firewallPortBound.parse(v)
		f.Port = n
		return err
	}), firewallPortNote),
	firewallSetting("FirewallType", func(f *Firewall) string { return strconv.Itoa(int(f.Type)) }, func(f *Firewall, v string) error {
		n, err := parseInt("FirewallType", v, 0, math.MaxInt32)
		f.Type = FirewallType(n)
		return err
	}),
	firewallSetting("FirewallUser", func(f *Firewall) string { return f.User }, func(f *Firewall, v string) error { f.User = v; return nil }),
	{name: "ProxyExceptionsList", connect: true,
		get: configGet(func(c *config) string { return strings.Join(c.sec.proxyExceptions, ";") }),
		set: func(c *config, v string) error { return c.setProxyExceptions(strings.Split(v, ";")) }},
	{name: "SSLCACerts", connect: true,
		get: configGet(func(c *config) string { return c.sec.sslCACerts }),
		set: (*config).setSSLCACerts},
	{name: "SSLServerCACerts", connect: true,
		get: configGet(func(c *config) string { return c.sec.sslServerCACerts }),
		set: (*config).setSSLServerCACerts},
	{name: "SSLCACertFilePaths", connect: true,
		get: configGet(func(c *config) string { return strings.Join(c.sec.sslCAFiles, "\n") }),
		set: func(c *config, v string) error { return c.setSSLCAFiles(strings.Split(v, "\n")) }},
	{name: "SSLEnabledProtocols", connect: true,
		get: configGet(func(c *config) string { return formatProtocols(c.sec.sslMinVersion, c.sec.sslMaxVersion) }),
		set: func(c *config, v string) error {
			r, err := parseProtocols(v)
			if err != nil {
				return err
			}
			return c.setSSLProtocols(r)
		}},
	{name: "SSLEnabledCipherSuites", connect: true,
		get: configGet(func(c *config) string { return formatCipherSuites(c.sec.sslCipherSuites) }),
		set: func(c *config, v string) error {
			ids, err := parseCipherSuites(v)
			if err != nil {
				return err
			}
			return c.setSSLCipherSuites(ids)
		}},
	negotiated("SSLNegotiatedProtocol", func(st *tls.ConnectionState) string { return protocolName(st.Version) }),
	negotiated("SSLNegotiatedCipherSuite", func(st *tls.ConnectionState) string { return tls.CipherSuiteName(st.CipherSuite) }),
	negotiated("SSLNegotiatedCipher", func(st *tls.ConnectionState) string { _, c, _ := suiteParts(st); return c }),
	negotiated("SSLNegotiatedCipherStrength", func(st *tls.ConnectionState) string {
		_, _, bits := suiteParts(st)
		return strconv.Itoa(bits)
	}),
	negotiated("SSLNegotiatedKeyExchange", func(st *tls.ConnectionState) string { kx, _, _ := suiteParts(st); return kx }),
}

// negotiated is a read-only setting of the last TLS handshake; "" before
// one.
func negotiated(name string, f func(*tls.ConnectionState) string) setting {
	return setting{name: name, get: func(s *STOMP) (string, error) {
		if st := s.tlsState.Load(); st != nil {
			return f(st), nil
		}
		return "", nil
	}}
}

// suiteParts splits the negotiated suite into its key exchange, bulk
// cipher and the cipher's key bits. A TLS 1.3 suite names no key
// exchange: the group negotiated stands for it.
func suiteParts(st *tls.ConnectionState) (kx, cipher string, bits int) {
	name := strings.TrimPrefix(tls.CipherSuiteName(st.CipherSuite), "TLS_")
	kx, cipher, found := strings.Cut(name, "_WITH_")
	if !found { // TLS 1.3
		kx, cipher = "", name
		if st.CurveID != 0 {
			kx = st.CurveID.String()
		}
	}
	for _, mac := range []string{"_SHA256", "_SHA384", "_SHA"} {
		if strings.HasSuffix(cipher, mac) {
			cipher = strings.TrimSuffix(cipher, mac)
			break
		}
	}
	switch {
	case strings.HasPrefix(cipher, "AES_128"), strings.HasPrefix(cipher, "RC4_128"):
		bits = 128
	case strings.HasPrefix(cipher, "AES_256"), strings.HasPrefix(cipher, "CHACHA20"):
		bits = 256
	case strings.HasPrefix(cipher, "3DES"):
		bits = 168
	}
	return kx, cipher, bits
}

// unsupportedSettings are settings of the reference class this version
// does not implement, each with the reason; Config answers them with
// ErrUnsupported (104) and the reason rather than "unknown setting".
var unsupportedSettings = map[string]string{}

func init() {
	const (
		goTLS   = "TLS is Go's crypto/tls, not a configurable provider"
		openSSL = "an OpenSSL setting; TLS is Go's crypto/tls (use SSLCACertFilePaths, SSLServerCACerts, SSLEnabledCipherSuites)"
		sigalgs = "Go's crypto/tls chooses the signature algorithms itself: tls.Config has no setting for them"
		na      = "not applicable: no licensing, and strings are UTF-8"
	)
	for reason, names := range map[string]string{
		"TLS records are not logged (LogLevel 3 logs frames)": "LogSSLPackets",
		openSSL: "OpenSSLCADir OpenSSLCAFile OpenSSLCipherList OpenSSLPrngSeedData",
		"revocation lists are not fetched or checked; check the certificate in OnSSLServerAuthentication": "SSLCheckCRL",
		"no minimum strength; choose the suites with SSLEnabledCipherSuites":                              "SSLCipherStrength",
		"not needed: SSLServerAuthenticationEvent always carries the chain the server sent":               "SSLIncludeCertChain",
		goTLS: "SSLProvider UseInternalSecurityAPI",
		"flags cannot relax verification; accept a certificate in OnSSLServerAuthentication or with SSLAcceptServerCertEncoded": "SSLSecurityFlags",
		sigalgs: "TLS12SignatureAlgorithms TLS13SignatureAlgorithms",
		"extra data for the firewall is not sent": "FirewallData",
		na: "CodePage LicenseInfo",
	} {
		for _, n := range strings.Fields(names) {
			unsupportedSettings[strings.ToLower(n)] = reason
		}
	}
}

// firewallPortNote says how FirewallPort differs from the reference's
// (README's reference table shows it, for the property and the setting).
const firewallPortNote = "reads 0 until set, 0 meaning the type's usual port (1080 for SOCKS, 80 for a tunnel), which Connect dials; the reference fills in 80 or 1080 when FirewallType is set"

func firewallSetting(name string, read func(*Firewall) string, write func(*Firewall, string) error) setting {
	return setting{name: name, connect: true,
		get: configGet(func(c *config) string { return read(&c.sec.fw) }),
		set: func(c *config, v string) error {
			fw := c.sec.fw
			if err := write(&fw, v); err != nil {
				return err
			}
			return c.setFirewall(fw)
		}}
}
