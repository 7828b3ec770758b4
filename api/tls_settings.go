package api

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// TLS settings Go honours in its own way: session resumption,
// renegotiation, and the key exchange groups.

// tlsGroup is a key exchange group Go implements, as the TLS12/TLS13
// group settings name it.
type tlsGroup struct {
	id        tls.CurveID
	name      string   // the reference's name, as Config reads it
	aliases   []string // other names Config takes
	tls13Only bool
}

// tlsGroups are the groups this module offers, in the order Go prefers
// them (crypto/tls ignores the order of CurvePreferences and uses its
// own: the hybrid first, then X25519, then the NIST curves by size).
var tlsGroups = []tlsGroup{
	{tls.X25519MLKEM768, "x25519mlkem768", nil, true},
	{tls.X25519, "ecdhe_x25519", []string{"x25519"}, false},
	{tls.CurveP256, "ecdhe_secp256r1", []string{"secp256r1", "prime256v1", "p-256", "p256", "curvep256"}, false},
	{tls.CurveP384, "ecdhe_secp384r1", []string{"secp384r1", "p-384", "p384", "curvep384"}, false},
	{tls.CurveP521, "ecdhe_secp521r1", []string{"secp521r1", "p-521", "p521", "curvep521"}, false},
}

// groupRank is g's place in Go's preference, or -1 for a group this
// module does not offer.
func groupRank(id tls.CurveID) int {
	return slices.IndexFunc(tlsGroups, func(g tlsGroup) bool { return g.id == id })
}

// parseGroups reads a group setting: names separated by commas, spaces or
// colons; "" or "*" is Go's own choice (nil).
func parseGroups(setting, v string) ([]tls.CurveID, error) {
	var ids []tls.CurveID
	for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ':' || r == '\n' }) {
		if name == "*" {
			continue
		}
		n := strings.ToLower(name)
		i := slices.IndexFunc(tlsGroups, func(g tlsGroup) bool {
			return n == g.name || slices.Contains(g.aliases, n) || n == strings.ToLower(g.id.String())
		})
		switch {
		case i >= 0:
			ids = append(ids, tlsGroups[i].id)
		case strings.Contains(n, "x448") || strings.HasPrefix(n, "ffdhe"):
			return nil, newError(CodeUnsupported, setting+": "+name+" is not a group Go's crypto/tls implements (no X448, no finite-field groups)")
		default:
			return nil, invalid("%s: %q is not a group (ecdhe_x25519, ecdhe_secp256r1, ecdhe_secp384r1, ecdhe_secp521r1, x25519mlkem768)", setting, name)
		}
	}
	return ids, nil
}

func formatGroups(ids []tls.CurveID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tlsGroups[groupRank(id)].name
	}
	return strings.Join(names, ",")
}

// setGroups writes a group setting: every id one this module offers, no
// TLS 1.3 group among TLS 1.2's, no repeats; empty is Go's choice.
func setGroups(field *[]tls.CurveID, setting string, tls12 bool, ids []tls.CurveID) error {
	var out []tls.CurveID
	for _, id := range ids {
		r := groupRank(id)
		if r < 0 {
			return invalid("%s: %v is not a group this version offers", setting, id)
		}
		if tls12 && tlsGroups[r].tls13Only {
			return invalid("%s: %s is a TLS 1.3 group", setting, tlsGroups[r].name)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	*field = out
	return nil
}

func (c *config) setTLS12Groups(ids []tls.CurveID) error {
	return setGroups(&c.secW().tls12Groups, "TLS12SupportedGroups", true, ids)
}

func (c *config) setTLS13Groups(ids []tls.CurveID) error {
	return setGroups(&c.secW().tls13Groups, "TLS13SupportedGroups", false, ids)
}

func (c *config) setTLS13KeyShares(ids []tls.CurveID) error {
	return setGroups(&c.secW().tls13KeyShares, "TLS13KeyShareGroups", false, ids)
}

// curvePreferences is tls.Config.CurvePreferences for the group
// settings: nil (Go's choice) when none is set. Go offers one list of
// groups whatever the version: it is the list set for each version
// enabled (TLS13SupportedGroups for TLS 1.3, TLS12SupportedGroups for 1.2
// and older), and a version whose list is not set takes the other's
// (TLS 1.3 adding the groups TLS 1.2 cannot use). So with one list set
// both versions follow it; with both set, each version may negotiate a
// group of either. Go sends a key share only for the group it prefers
// most among those offered (two for X25519MLKEM768, which also shares
// X25519): so that it is a TLS13KeyShareGroups group, the groups Go
// prefers to every one of them are not offered.
func (c *config) curvePreferences() ([]tls.CurveID, error) {
	if c.sec.tls12Groups == nil && c.sec.tls13Groups == nil && c.sec.tls13KeyShares == nil {
		return nil, nil
	}
	on13, on12 := c.sec.sslMaxVersion >= tls.VersionTLS13, c.sec.sslMinVersion <= tls.VersionTLS12
	var out []tls.CurveID
	add := func(keep func(tlsGroup) bool) {
		for _, g := range tlsGroups {
			if keep(g) && !slices.Contains(out, g.id) {
				out = append(out, g.id)
			}
		}
	}
	in := func(ids []tls.CurveID) func(tlsGroup) bool {
		return func(g tlsGroup) bool { return slices.Contains(ids, g.id) }
	}
	switch {
	case on13 && c.sec.tls13Groups != nil:
		add(in(c.sec.tls13Groups))
	case on13 && on12 && c.sec.tls12Groups != nil:
		add(func(g tlsGroup) bool { return g.tls13Only || slices.Contains(c.sec.tls12Groups, g.id) })
	case on13:
		add(func(tlsGroup) bool { return true })
	}
	switch {
	case on12 && c.sec.tls12Groups != nil:
		add(in(c.sec.tls12Groups))
	case on12 && !(on13 && c.sec.tls13Groups != nil):
		add(func(g tlsGroup) bool { return !g.tls13Only })
	}
	if c.sec.tls13KeyShares != nil && on13 {
		best := -1
		for _, id := range c.sec.tls13KeyShares {
			if r := groupRank(id); slices.Contains(out, id) && (best < 0 || r < best) {
				best = r
			}
		}
		if best < 0 {
			return nil, invalid("TLS13KeyShareGroups names no group of TLS13SupportedGroups")
		}
		out = slices.DeleteFunc(out, func(id tls.CurveID) bool { return groupRank(id) < best })
	}
	return out, nil
}

// renegotiation is tls.Config.Renegotiation for SSLEnableRenegotiation.
func (c *config) renegotiation() tls.RenegotiationSupport {
	if c.sslRenegotiation {
		return tls.RenegotiateOnceAsClient
	}
	return tls.RenegotiateNever
}

// sessionCache is tls.Config.ClientSessionCache for ReuseSSLSession: the
// client's own cache (made on first use, dropped by Reset), nil when
// sessions are not reused. Sessions are kept apart by the client
// certificate, so that a session made with one identity is never resumed
// after the certificate changed.
func (c *config) sessionCache(cert *tls.Certificate) tls.ClientSessionCache {
	if !c.sslReuseSession {
		return nil
	}
	if c.sslSessions == nil {
		c.sslSessions = tls.NewLRUClientSessionCache(0)
	}
	h := sha256.New()
	if cert != nil {
		for _, der := range cert.Certificate {
			h.Write(der)
		}
	}
	return identityCache{cache: c.sslSessions, identity: hex.EncodeToString(h.Sum(nil)[:8]) + "|"}
}

// identityCache is a session cache seen through one client identity.
type identityCache struct {
	cache    tls.ClientSessionCache
	identity string
}

func (ic identityCache) Get(key string) (*tls.ClientSessionState, bool) {
	return ic.cache.Get(ic.identity + key)
}

func (ic identityCache) Put(key string, cs *tls.ClientSessionState) {
	ic.cache.Put(ic.identity+key, cs)
}

// keyExchangeBits is SSLNegotiatedKeyExchangeStrength: the size of the
// negotiated group's key in bits (255 for X25519, 256, 384 and 521 for
// the NIST curves; hybrids read the number of their ML-KEM parameter
// set, 768 or 1024), or for a TLS 1.2 RSA key exchange the size of the
// server's RSA key; 0 when unknown.
func keyExchangeBits(st *tls.ConnectionState) int {
	switch st.CurveID {
	case 0:
	case tls.X25519:
		return 255
	case tls.CurveP256:
		return 256
	case tls.CurveP384:
		return 384
	case tls.CurveP521:
		return 521
	case tls.X25519MLKEM768, 4587: // SecP256r1MLKEM768 (Go 1.26)
		return 768
	case 4589: // SecP384r1MLKEM1024 (Go 1.26)
		return 1024
	default:
		return 0
	}
	if len(st.PeerCertificates) > 0 && strings.HasPrefix(tls.CipherSuiteName(st.CipherSuite), "TLS_RSA_") {
		if k, ok := st.PeerCertificates[0].PublicKey.(*rsa.PublicKey); ok {
			return k.N.BitLen()
		}
	}
	return 0
}

// tlsSettings are the rows of the settings above.
var tlsSettings = []setting{
	approx(boolSetting("ReuseSSLSession", true, func(c *config) *bool { return &c.sslReuseSession }),
		"on by default; each client keeps its own sessions, apart for each client certificate; Go resumes by session ticket only, not by TLS 1.2 session id"),
	approx(boolSetting("SSLEnableRenegotiation", true, func(c *config) *bool { return &c.sslRenegotiation }),
		"renegotiation_info is always sent; true lets a TLS 1.2 server renegotiate once per connection, false (the default) refuses"),
	approx(groupSetting("TLS12SupportedGroups", func(c *config) []tls.CurveID { return c.sec.tls12Groups }, (*config).setTLS12Groups),
		"Go offers one list of groups for every version: with TLS 1.3 enabled too, TLS 1.3 follows this list unless TLS13SupportedGroups is set, and then either version may take a group of either list; no X448 or ffdhe groups"),
	approx(groupSetting("TLS13SupportedGroups", func(c *config) []tls.CurveID { return c.sec.tls13Groups }, (*config).setTLS13Groups),
		"one list of groups for every version: with TLS 1.2 enabled too, TLS 1.2 follows this list unless TLS12SupportedGroups is set, and then either version may take a group of either list; no X448 or ffdhe groups"),
	approx(groupSetting("TLS13KeyShareGroups", func(c *config) []tls.CurveID { return c.sec.tls13KeyShares }, (*config).setTLS13KeyShares),
		"Go sends one key share, for the group it prefers most among those offered: the groups it prefers to every key share group are not offered"),
	approx(negotiated("SSLNegotiatedKeyExchangeStrength", func(st *tls.ConnectionState) string {
		return strconv.Itoa(keyExchangeBits(st))
	}), "bits of the group's key (255 for X25519), of the server's RSA key for TLS 1.2 RSA key exchange; hybrids read their ML-KEM set (768)"),
}

func approx(row setting, how string) setting {
	row.approx = how
	return row
}

func groupSetting(name string, read func(*config) []tls.CurveID, set func(*config, []tls.CurveID) error) setting {
	return setting{name: name, connect: true,
		get: configGet(func(c *config) string { return formatGroups(read(c)) }),
		set: func(c *config, v string) error {
			ids, err := parseGroups(name, v)
			if err != nil {
				return err
			}
			return set(c, ids)
		}}
}

// WithReuseSSLSession sets ReuseSSLSession: resume the TLS session of an
// earlier connection to the same server, which saves the server's
// certificate exchange and signature. Go resumes by session ticket (TLS
// 1.3, or TLS 1.2 with RFC 5077 tickets), not by TLS 1.2 session id: a
// server that issues no tickets gets a full handshake every time.
// The client keeps its sessions itself, apart for each client
// certificate, and still verifies the server's certificate (and runs
// OnSSLServerAuthentication) on a resumed connection. Default true.
func WithReuseSSLSession(on bool) Option {
	return setOpt("ReuseSSLSession", func(c *config, v bool) error { c.sslReuseSession = v; return nil }, on)
}

// WithSSLEnableRenegotiation sets SSLEnableRenegotiation. The
// renegotiation_info extension (RFC 5746) is always sent; what the
// setting decides is whether a TLS 1.2 server may renegotiate: true
// accepts one renegotiation per connection (tls.RenegotiateOnceAsClient,
// e.g. for a server that asks for the client certificate late), false
// refuses every one and ends the connection. TLS 1.3 has no
// renegotiation. Default false.
func WithSSLEnableRenegotiation(on bool) Option {
	return setOpt("SSLEnableRenegotiation", func(c *config, v bool) error { c.sslRenegotiation = v; return nil }, on)
}

// WithTLS12SupportedGroups sets TLS12SupportedGroups, the ECDHE groups
// offered for TLS 1.2 and older (tls.X25519, tls.CurveP256, ...). Go has
// one list for every version: see WithTLS13SupportedGroups for how the
// two combine. Default none: Go's own.
func WithTLS12SupportedGroups(ids ...tls.CurveID) Option {
	return setOpt("TLS12SupportedGroups", (*config).setTLS12Groups, ids)
}

// WithTLS13SupportedGroups sets TLS13SupportedGroups, the groups offered
// for TLS 1.3 (tls.X25519MLKEM768 too). A ClientHello carries one list of
// groups whatever the version, so when TLS 1.2 is enabled as well the
// two settings combine: with one of them set, both versions take its
// groups (TLS 1.3 adding X25519MLKEM768 to TLS12SupportedGroups' when
// only that one is set); with both set, the list offered is both, and
// the server may take a group of either for either version. Default
// none: Go's own.
func WithTLS13SupportedGroups(ids ...tls.CurveID) Option {
	return setOpt("TLS13SupportedGroups", (*config).setTLS13Groups, ids)
}

// WithTLS13KeyShareGroups sets TLS13KeyShareGroups, the groups the first
// ClientHello sends key shares for, which must be among
// TLS13SupportedGroups. Go only approximates it: it sends one key share,
// for the group it prefers most among those offered (X25519MLKEM768
// first, then X25519, P-256, P-384, P-521; X25519MLKEM768 also carries
// an X25519 share), and the client cannot choose. So that this share is
// for one of these groups, the groups Go prefers to every one of them are
// not offered at all; the others are, and a server that wants one of
// them asks for it with a HelloRetryRequest. Default none: Go's choice.
func WithTLS13KeyShareGroups(ids ...tls.CurveID) Option {
	return setOpt("TLS13KeyShareGroups", (*config).setTLS13KeyShares, ids)
}
