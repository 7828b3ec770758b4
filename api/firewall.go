package api

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/transport"
)

// proxyRoute is the proxy a connection goes through; typ FirewallNone
// means directly.
type proxyRoute struct {
	typ        FirewallType
	addr       string
	user, pass string
	from       string        // where it was configured, for the log
	resolver   *net.Resolver // resolves SOCKS4 targets (nil: the default)
}

// Usual ports of the firewall types, for FirewallPort 0.
const (
	defaultSOCKSPort  = 1080
	defaultTunnelPort = 80
)

// proxyRoute chooses how to reach host:port: through the proxy the
// environment names when FirewallAutoDetect is on and it names one, else
// through the firewall properties; directly when none is set or host is
// one of ProxyExceptionsList (and, for a detected proxy, of NO_PROXY).
func (c *config) proxyRoute(host string, port int, getenv func(string) string) (proxyRoute, error) {
	r := proxyRoute{typ: c.sec.fw.Type, user: c.sec.fw.User, pass: c.sec.fw.Password, from: "FirewallType"}
	exceptions := c.sec.proxyExceptions
	if c.sec.fw.AutoDetect {
		if d, ok, err := detectProxy(getenv); err != nil {
			return proxyRoute{}, err
		} else if ok {
			r = d
			exceptions = append(append([]string(nil), exceptions...), splitList(firstEnv(getenv, "NO_PROXY", "no_proxy"), ",")...)
		}
	}
	if r.typ == FirewallNone {
		return proxyRoute{}, nil
	}
	if r.addr == "" {
		if c.sec.fw.Host == "" {
			return proxyRoute{}, invalid("FirewallType %s needs a FirewallHost", c.sec.fw.Type)
		}
		fwPort := c.sec.fw.Port
		if fwPort == 0 {
			fwPort = defaultPort(r.typ)
		}
		r.addr = transport.HostPort(c.sec.fw.Host, fwPort)
	}
	if bypass(host, port, exceptions) {
		return proxyRoute{}, nil
	}
	if err := transport.CheckProxy(r.typ.proto(), r.addr, r.user, r.pass, transport.HostPort(host, port)); err != nil {
		return proxyRoute{}, badProxySetting(r.from, err)
	}
	r.resolver = c.rare.resolver
	return r, nil
}

// proto names the proxy protocol of t as transport.ProxyError does.
func (t FirewallType) proto() string {
	switch t {
	case FirewallTunnel:
		return "HTTP"
	case FirewallSOCKS4:
		return "SOCKS4"
	case FirewallSOCKS4A:
		return "SOCKS4A"
	case FirewallSOCKS5:
		return "SOCKS5"
	}
	return ""
}

// badProxySetting is the ErrInvalidArgument of proxy settings the
// protocol cannot carry (transport.CheckProxy's *ProxyError, kept as the
// cause): the caller's mistake, found before anything is dialed, and
// never retried.
func badProxySetting(from string, err error) *Error {
	return actors.NewError(CodeInvalidArgument, "stomp: "+from+": "+err.Error(), err)
}

func defaultPort(t FirewallType) int {
	if t == FirewallTunnel {
		return defaultTunnelPort
	}
	return defaultSOCKSPort
}

// failoverDialer dials each failover broker through the proxy route of
// its own host and port (decided now, like RemoteHost's), and every other
// address with primary.
func (c *config) failoverDialer(primary, base transport.Dialer, getenv func(string) string) (transport.Dialer, error) {
	if len(c.rare.failover) == 0 {
		return primary, nil
	}
	routes := make(map[string]transport.Dialer, len(c.rare.failover))
	for _, addr := range c.rare.failover {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, invalid("failover server %q is not host:port", addr)
		}
		port, _ := strconv.Atoi(p)
		r, err := c.proxyRoute(host, port, getenv)
		if err != nil {
			return nil, err
		}
		routes[addr] = r.dialer(base)
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if d, ok := routes[addr]; ok {
			return d(ctx, network, addr)
		}
		return primary(ctx, network, addr)
	}, nil
}

// dialer wraps base with the proxy of r.
func (r proxyRoute) dialer(base transport.Dialer) transport.Dialer {
	switch r.typ {
	case FirewallTunnel:
		return transport.HTTPConnect(base, r.addr, r.user, r.pass)
	case FirewallSOCKS4:
		return transport.SOCKS4WithResolver(base, r.addr, r.user, r.resolver)
	case FirewallSOCKS4A:
		return transport.SOCKS4A(base, r.addr, r.user)
	case FirewallSOCKS5:
		return transport.SOCKS5(base, r.addr, r.user, r.pass)
	}
	return base
}

// detectProxy reads the proxy of the environment the way curl does for a
// TLS or plain TCP protocol: HTTPS_PROXY, else ALL_PROXY (either case).
// The URL's scheme gives the type (http or none: a CONNECT tunnel;
// socks4, socks4a, socks5, socks5h), its user information the login.
func detectProxy(getenv func(string) string) (proxyRoute, bool, error) {
	name, raw := "", ""
	for _, n := range []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			name, raw = n, v
			break
		}
	}
	if raw == "" {
		return proxyRoute{}, false, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return proxyRoute{}, false, invalid("FirewallAutoDetect: %s is not a proxy URL", name)
	}
	r := proxyRoute{from: name}
	switch strings.ToLower(u.Scheme) {
	case "http":
		r.typ = FirewallTunnel
	case "socks4":
		r.typ = FirewallSOCKS4
	case "socks4a":
		r.typ = FirewallSOCKS4A
	case "socks5", "socks5h", "socks":
		r.typ = FirewallSOCKS5
	case "https":
		return proxyRoute{}, false, newError(CodeUnsupported, "FirewallAutoDetect: "+name+" names an https:// proxy; TLS to the proxy itself is not supported")
	default:
		return proxyRoute{}, false, invalid("FirewallAutoDetect: %s has the unknown scheme %q", name, u.Scheme)
	}
	port := defaultPort(r.typ)
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return proxyRoute{}, false, invalid("FirewallAutoDetect: %s has a bad port", name)
		}
	}
	r.addr = transport.HostPort(u.Hostname(), port)
	if u.User != nil {
		r.user = u.User.Username()
		r.pass, _ = u.User.Password()
	}
	return r, true, nil
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func splitList(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// bypass reports whether host:port matches an exception: "*"; an IP
// address or CIDR range; a name, covering its subdomains too; ".name" or
// "*.name", covering only its subdomains. Any of them may end in ":port"
// to match that port only. Names match without regard to case or a final
// dot.
func bypass(host string, port int, exceptions []string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	ip, ipErr := netip.ParseAddr(host)
	for _, e := range exceptions {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "*" {
			return true
		}
		if h, p, err := net.SplitHostPort(e); err == nil {
			if p != strconv.Itoa(port) {
				continue
			}
			e = h
		}
		e = strings.TrimSuffix(strings.Trim(e, "[]"), ".")
		switch {
		case strings.Contains(e, "/"):
			if pfx, err := netip.ParsePrefix(e); err == nil && ipErr == nil && pfx.Contains(ip.Unmap()) {
				return true
			}
		case ipErr == nil:
			if a, err := netip.ParseAddr(e); err == nil && a.Unmap() == ip.Unmap() {
				return true
			}
		case strings.HasPrefix(e, "*."), strings.HasPrefix(e, "."):
			if strings.HasSuffix(host, strings.TrimPrefix(e, "*")) {
				return true
			}
		case e != "" && (host == e || strings.HasSuffix(host, "."+e)):
			return true
		}
	}
	return false
}
