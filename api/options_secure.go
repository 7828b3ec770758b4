package api

import (
	"crypto/tls"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The TLS and proxy settings: validating setters, their options, and the
// text forms Config reads and writes.

// WithSSLCACerts sets SSLCACerts: PEM CA certificates sent after the
// client certificate, for servers that want its whole chain. Default "".
func WithSSLCACerts(pem string) Option { return setOpt("SSLCACerts", (*config).setSSLCACerts, pem) }

// WithSSLServerCACerts sets SSLServerCACerts: PEM CA certificates trusted
// to sign the server's certificate, beside the system's roots (or those of
// SSLCACertFilePaths). Default "".
func WithSSLServerCACerts(pem string) Option {
	return setOpt("SSLServerCACerts", (*config).setSSLServerCACerts, pem)
}

// WithSSLCACertFilePaths sets SSLCACertFilePaths: PEM files whose
// certificates are the trusted roots in place of the system's; files that
// do not exist are skipped, but one must. Default none: the system's roots.
func WithSSLCACertFilePaths(paths ...string) Option {
	return setOpt("SSLCACertFilePaths", (*config).setSSLCAFiles, paths)
}

// WithSSLEnabledProtocols sets SSLEnabledProtocols, the TLS versions
// offered, from min to max (tls.VersionTLS10 to tls.VersionTLS13).
// Default TLS 1.2 to 1.3.
func WithSSLEnabledProtocols(min, max uint16) Option {
	return setOpt("SSLEnabledProtocols", (*config).setSSLProtocols, [2]uint16{min, max})
}

// WithSSLEnabledCipherSuites sets SSLEnabledCipherSuites, the TLS 1.0-1.2
// cipher suites offered (tls.TLS_ECDHE_...), in order of preference; TLS
// 1.3 suites are not configurable in Go and always on. Default none: Go's
// own list.
func WithSSLEnabledCipherSuites(ids ...uint16) Option {
	return setOpt("SSLEnabledCipherSuites", (*config).setSSLCipherSuites, ids)
}

// WithProxyExceptions sets ProxyExceptionsList, the hosts reached directly
// although a firewall is set: names ("broker" also covers its subdomains,
// ".example.com" or "*.example.com" only them), IP addresses, CIDR ranges,
// any of them with ":port" ("10.0.0.0/8:61613"; an IPv6 address or range
// in brackets: "[2001:db8::/32]:61613"), or "*" for all. A bad range or
// port is ErrInvalidArgument. Default none.
func WithProxyExceptions(hosts ...string) Option {
	return setOpt("ProxyExceptionsList", (*config).setProxyExceptions, hosts)
}

func (c *config) setSSLCACerts(pem string) error {
	return setCerts(&c.secW().sslCACerts, "SSLCACerts", pem)
}

func (c *config) setSSLServerCACerts(pem string) error {
	return setCerts(&c.secW().sslServerCACerts, "SSLServerCACerts", pem)
}

// setCerts stores pem ("" clears) once it holds certificates.
func setCerts(field *string, name, pem string) error {
	pem = strings.TrimSpace(pem)
	if pem != "" {
		if _, err := certBlocks(name, pem); err != nil {
			return err
		}
	}
	*field = pem
	return nil
}

func (c *config) setSSLCAFiles(paths []string) error {
	var out []string
	for _, p := range paths {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	c.secW().sslCAFiles = out
	return nil
}

// tlsVersion is a version SSLEnabledProtocols names, with the bits that
// stand for it in the reference's numeric form.
type tlsVersion struct {
	name string
	v    uint16
	bits int
}

var tlsVersions = []tlsVersion{
	{"TLS1.0", tls.VersionTLS10, 0xC0},
	{"TLS1.1", tls.VersionTLS11, 0x300},
	{"TLS1.2", tls.VersionTLS12, 0xC00},
	{"TLS1.3", tls.VersionTLS13, 0x3000},
}

// sslBits are the reference's bits of SSL 2 and SSL 3, which Go lacks;
// dtlsBits those of DTLS 1.0 and 1.2, which are ignored: STOMP runs over
// TCP.
const (
	sslBits  = 0x3C
	dtlsBits = 0x3C000
)

func (c *config) setSSLProtocols(v [2]uint16) error {
	lo, hi := v[0], v[1]
	if lo < tls.VersionTLS10 || hi > tls.VersionTLS13 || lo > hi {
		return invalid("SSLEnabledProtocols: %s to %s is not a range of TLS 1.0 to 1.3", tls.VersionName(lo), tls.VersionName(hi))
	}
	sec := c.secW()
	sec.sslMinVersion, sec.sslMaxVersion = lo, hi
	return nil
}

// parseProtocols reads SSLEnabledProtocols: names ("TLS1.2,TLS1.3";
// "TLSv1.2" and "TLS 1.2" too) or the reference's bit mask (3072 or
// 0x3C00 for TLS 1.2 and 1.3). The versions must be contiguous.
func parseProtocols(s string) ([2]uint16, error) {
	var on []uint16
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64); err == nil {
		known := int64(sslBits | dtlsBits)
		for _, tv := range tlsVersions {
			known |= int64(tv.bits)
		}
		if n < 0 || n&^known != 0 {
			return [2]uint16{}, invalid("SSLEnabledProtocols: %s sets bits that name no protocol (0x%X are the known ones)", strings.TrimSpace(s), known)
		}
		if n&sslBits != 0 {
			return [2]uint16{}, invalid("SSLEnabledProtocols: SSL 2 and SSL 3 are not supported")
		}
		for _, tv := range tlsVersions {
			if n&int64(tv.bits) != 0 {
				on = append(on, tv.v)
			}
		}
	} else {
		for _, f := range strings.Split(s, ",") {
			name := strings.NewReplacer(" ", "", "v", "", "V", "").Replace(strings.TrimSpace(f))
			if strings.EqualFold(name, "TLS1") {
				name = "TLS1.0"
			}
			i := slices.IndexFunc(tlsVersions, func(tv tlsVersion) bool { return strings.EqualFold(tv.name, name) })
			if i < 0 {
				return [2]uint16{}, invalid("SSLEnabledProtocols: %q is not TLS1.0, TLS1.1, TLS1.2 or TLS1.3", strings.TrimSpace(f))
			}
			on = append(on, tlsVersions[i].v)
		}
	}
	if len(on) == 0 {
		return [2]uint16{}, invalid("SSLEnabledProtocols names no TLS version")
	}
	slices.Sort(on)
	on = slices.Compact(on)
	if int(on[len(on)-1]-on[0]) != len(on)-1 {
		return [2]uint16{}, invalid("SSLEnabledProtocols: the versions must be contiguous (Go offers a range)")
	}
	return [2]uint16{on[0], on[len(on)-1]}, nil
}

func formatProtocols(lo, hi uint16) string {
	var names []string
	for _, tv := range tlsVersions {
		if tv.v >= lo && tv.v <= hi {
			names = append(names, tv.name)
		}
	}
	return strings.Join(names, ",")
}

// protocolName is the SSLEnabledProtocols name of a version.
func protocolName(v uint16) string {
	for _, tv := range tlsVersions {
		if tv.v == v {
			return tv.name
		}
	}
	return tls.VersionName(v)
}

func (c *config) setSSLCipherSuites(ids []uint16) error {
	for _, id := range ids {
		cs := suiteByID(id)
		if cs == nil {
			return invalid("SSLEnabledCipherSuites: 0x%04x is not a cipher suite Go implements", id)
		}
		if !slices.ContainsFunc(cs.SupportedVersions, func(v uint16) bool { return v < tls.VersionTLS13 }) {
			return invalid("SSLEnabledCipherSuites: %s is a TLS 1.3 suite, which Go always enables and cannot choose", cs.Name)
		}
	}
	c.secW().sslCipherSuites = slices.Clone(ids)
	if len(ids) == 0 {
		c.secW().sslCipherSuites = nil
	}
	return nil
}

func allSuites() []*tls.CipherSuite { return append(tls.CipherSuites(), tls.InsecureCipherSuites()...) }

func suiteByID(id uint16) *tls.CipherSuite {
	for _, cs := range allSuites() {
		if cs.ID == id {
			return cs
		}
	}
	return nil
}

// parseCipherSuites reads Go's suite names, separated by commas or
// spaces; "" or "*" is Go's own list.
func parseCipherSuites(s string) ([]uint16, error) {
	var ids []uint16
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == ':' }) {
		if name == "*" {
			continue
		}
		i := slices.IndexFunc(allSuites(), func(cs *tls.CipherSuite) bool { return strings.EqualFold(cs.Name, name) })
		if i < 0 {
			return nil, invalid("SSLEnabledCipherSuites: %q is not the Go name of a cipher suite (like TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)", name)
		}
		ids = append(ids, allSuites()[i].ID)
	}
	return ids, nil
}

func formatCipherSuites(ids []uint16) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tls.CipherSuiteName(id)
	}
	return strings.Join(names, ",")
}

func (c *config) setProxyExceptions(hosts []string) error {
	var out []string
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, " \t\r\n") {
			return invalid("ProxyExceptionsList: %q contains white space", h)
		}
		host := h
		if hh, p, err := net.SplitHostPort(h); err == nil { // as bypass splits it
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return invalid("ProxyExceptionsList: %q has a bad port (1-65535)", h)
			}
			host = hh
		}
		if host = strings.Trim(host, "[]"); strings.Contains(host, "/") {
			if _, err := netip.ParsePrefix(host); err != nil {
				return invalid("ProxyExceptionsList: %q is not a CIDR range", h)
			}
		}
		out = append(out, h)
	}
	c.secW().proxyExceptions = out
	return nil
}
