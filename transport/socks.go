package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Why SOCKS5 is written here rather than taken from
// golang.org/x/net/proxy: its errors are plain strings (the reply code
// is only in the text, a refused login looks like a malformed reply), so
// a *ProxyError with Kind and Code would mean parsing its messages. The
// protocol is small (RFC 1928 with RFC 1929 logins), shares the
// context bounding and error handling of SOCKS4 here, and is tested
// against dante.

// SOCKS4 returns a dialer that reaches its target through the SOCKS 4
// proxy at proxyAddr, dialed with base (nil: plain TCP). SOCKS 4 carries
// only IPv4 addresses: a host name is resolved here, an IPv6 target is an
// error (use SOCKS4A or SOCKS5). user is the USERID field; SOCKS 4 has no
// password. The handshake is bounded by the dial's context.
//
// A host name that resolves to no IPv4 address is a *ProxyError of kind
// ProxyUnresolved, not ProxyBadRequest: DNS may answer otherwise on the
// next attempt.
func SOCKS4(base Dialer, proxyAddr, user string) Dialer {
	return socks4(base, proxyAddr, user, false, nil)
}

// SOCKS4WithResolver is SOCKS4 with r resolving the target's host name
// (nil: net.DefaultResolver), for a client with a resolver of its own.
func SOCKS4WithResolver(base Dialer, proxyAddr, user string, r *net.Resolver) Dialer {
	return socks4(base, proxyAddr, user, false, r)
}

// SOCKS4A is SOCKS4 that hands host names to the proxy to resolve.
func SOCKS4A(base Dialer, proxyAddr, user string) Dialer {
	return socks4(base, proxyAddr, user, true, nil)
}

// SOCKS 4 reply codes.
const (
	socks4Granted    = 90
	socks4Rejected   = 91
	socks4NoIdentd   = 92
	socks4IdentWrong = 93
)

func socks4(base Dialer, proxyAddr, user string, remoteResolve bool, resolver *net.Resolver) Dialer {
	proto := "SOCKS4"
	if remoteResolve {
		proto = "SOCKS4A"
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	p := &proxyDial{proto: proto, addr: proxyAddr, user: user, base: base}
	if !remoteResolve {
		p.resolve = func(ctx context.Context, target string) (string, error) {
			return resolve4(ctx, resolver, target)
		}
	}
	p.handshake = func(_ context.Context, conn net.Conn, target string) (net.Conn, error) {
		host, port, err := splitTarget(target)
		if err != nil {
			return nil, err
		}
		req := []byte{4, 1, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(req[2:], port)
		var name string
		ip, err := netip.ParseAddr(host)
		switch {
		case err == nil && ip.Unmap().Is4():
			a := ip.Unmap().As4()
			copy(req[4:], a[:])
		case err == nil:
			return nil, perr(ProxyBadRequest, 0, "SOCKS 4 carries IPv4 addresses only", nil)
		case remoteResolve:
			if len(host) > 255 || containsNUL(host) {
				return nil, perr(ProxyBadRequest, 0, "host name too long", nil)
			}
			req[7] = 1 // 0.0.0.1: the name follows the user
			name = host
		default:
			// resolve4 turned every name into an address before the
			// proxy was dialed.
			return nil, perr(ProxyBadRequest, 0, "SOCKS 4 needs an IPv4 address, not "+strconv.Quote(host), nil)
		}
		req = append(append(req, user...), 0)
		if name != "" {
			req = append(append(req, name...), 0)
		}
		if err := writeRequest(conn, req, "the CONNECT request"); err != nil {
			return nil, err
		}
		var rep [8]byte
		if err := readReply(conn, rep[:], "the reply"); err != nil {
			return nil, err
		}
		if rep[0] != 0 && rep[0] != 4 {
			return nil, perr(ProxyMalformed, 0, "reply version "+strconv.Itoa(int(rep[0]))+", want 0", nil)
		}
		switch code := int(rep[1]); code {
		case socks4Granted:
			return conn, nil
		case socks4Rejected:
			return nil, perr(ProxyRefused, code, "request rejected or failed", nil)
		case socks4NoIdentd:
			return nil, perr(ProxyAuthFailed, code, "the proxy cannot reach an identd on this host", nil)
		case socks4IdentWrong:
			return nil, perr(ProxyAuthFailed, code, "identd reports a different user", nil)
		default:
			return nil, perr(ProxyMalformed, code, "unknown reply code", nil)
		}
	}
	return p.dial
}

// resolve4 returns target with its host name, if it has one, replaced by
// its first IPv4 address, which SOCKS 4 carries.
func resolve4(ctx context.Context, resolver *net.Resolver, target string) (string, error) {
	host, port, err := splitTarget(target)
	if err != nil {
		return "", err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return target, nil // the handshake checks the family
	}
	ips, err := resolver.LookupNetIP(ctx, "ip4", host)
	var de *net.DNSError
	if errors.As(err, &de) && !de.IsNotFound {
		// The resolver failed (it may not next time).
		return "", perr(ProxyIO, 0, "resolving "+strconv.Quote(host), err)
	}
	if err != nil || len(ips) == 0 {
		// No such name, or no A record, now: DNS may say otherwise next
		// time (a record briefly missing, split DNS), so a Reconnect
		// policy tries again.
		return "", perr(ProxyUnresolved, 0, "cannot resolve "+strconv.Quote(host)+" to an IPv4 address (SOCKS4A lets the proxy resolve it)", err)
	}
	return net.JoinHostPort(ips[0].Unmap().String(), strconv.Itoa(int(port))), nil
}

// SOCKS5 returns a dialer that reaches its target through the SOCKS 5
// proxy at proxyAddr, dialed with base (nil: plain TCP). Host names go to
// the proxy to resolve. With a user, the username/password method (RFC
// 1929) is offered beside "no authentication". The handshake is bounded
// by the dial's context.
func SOCKS5(base Dialer, proxyAddr, user, pass string) Dialer {
	p := &proxyDial{proto: "SOCKS5", addr: proxyAddr, user: user, pass: pass, base: base}
	p.handshake = func(_ context.Context, conn net.Conn, target string) (net.Conn, error) {
		host, port, err := splitTarget(target)
		if err != nil {
			return nil, err
		}
		greet := []byte{5, 1, socks5NoAuth}
		if user != "" {
			greet = []byte{5, 2, socks5NoAuth, socks5UserPass}
		}
		if err := writeRequest(conn, greet, "the greeting"); err != nil {
			return nil, err
		}
		var rep [2]byte
		if err := readReply(conn, rep[:], "the method choice"); err != nil {
			return nil, err
		}
		if rep[0] != 5 {
			return nil, perr(ProxyMalformed, 0, "reply version "+strconv.Itoa(int(rep[0]))+", want 5", nil)
		}
		switch m := rep[1]; {
		case m == socks5NoAuth:
		case m == socks5UserPass && user != "":
			if err := socks5Login(conn, user, pass); err != nil {
				return nil, err
			}
		case m == socks5NoMethod:
			return nil, perr(ProxyAuthFailed, int(m), "no acceptable authentication method (the proxy may want a user and password)", nil)
		default:
			return nil, perr(ProxyMalformed, int(m), "the proxy chose a method not offered", nil)
		}
		req := []byte{5, 1, 0}
		if ip, err := netip.ParseAddr(host); err == nil {
			if ip = ip.Unmap(); ip.Is4() {
				req = append(req, 1)
			} else {
				req = append(req, 4)
			}
			req = append(req, ip.AsSlice()...)
		} else {
			if len(host) > 255 {
				return nil, perr(ProxyBadRequest, 0, "host name longer than 255 bytes", nil)
			}
			req = append(append(req, 3, byte(len(host))), host...)
		}
		req = binary.BigEndian.AppendUint16(req, port)
		if err := writeRequest(conn, req, "the CONNECT request"); err != nil {
			return nil, err
		}
		return conn, socks5Reply(conn)
	}
	return p.dial
}

// SOCKS 5 methods.
const (
	socks5NoAuth   = 0
	socks5UserPass = 2
	socks5NoMethod = 0xff
)

var socks5Replies = []string{
	1: "general failure", 2: "connection not allowed by ruleset", 3: "network unreachable",
	4: "host unreachable", 5: "connection refused", 6: "TTL expired", 7: "command not supported",
	8: "address type not supported",
}

func socks5Login(conn net.Conn, user, pass string) error {
	req := append(append([]byte{1, byte(len(user))}, user...), byte(len(pass)))
	req = append(req, pass...)
	if err := writeRequest(conn, req, "the login"); err != nil {
		return err
	}
	var rep [2]byte
	if err := readReply(conn, rep[:], "the login reply"); err != nil {
		return err
	}
	if rep[0] != 1 {
		return perr(ProxyMalformed, 0, "login reply version "+strconv.Itoa(int(rep[0]))+", want 1", nil)
	}
	if rep[1] != 0 {
		return perr(ProxyAuthFailed, int(rep[1]), "the proxy refused the user and password", nil)
	}
	return nil
}

// socks5Reply reads the reply to CONNECT: 4 bytes, then a bound address
// whose length the address type gives (at most 255+1+2 bytes).
func socks5Reply(conn net.Conn) error {
	var head [4]byte
	if err := readReply(conn, head[:], "the reply"); err != nil {
		return err
	}
	if head[0] != 5 {
		return perr(ProxyMalformed, 0, "reply version "+strconv.Itoa(int(head[0]))+", want 5", nil)
	}
	if code := int(head[1]); code != 0 {
		if code < len(socks5Replies) && socks5Replies[code] != "" {
			return perr(ProxyRefused, code, socks5Replies[code], nil)
		}
		return perr(ProxyRefused, code, "unknown failure", nil)
	}
	var n int
	switch head[3] {
	case 1:
		n = 4 + 2
	case 4:
		n = 16 + 2
	case 3:
		var l [1]byte
		if err := readReply(conn, l[:], "the bound address"); err != nil {
			return err
		}
		n = int(l[0]) + 2
	default:
		return perr(ProxyMalformed, 0, "unknown address type "+strconv.Itoa(int(head[3])), nil)
	}
	var rest [255 + 2]byte
	return readReply(conn, rest[:n], "the bound address")
}

// splitTarget splits "host:port" for a proxy request.
func splitTarget(target string) (string, uint16, error) {
	host, p, err := net.SplitHostPort(target)
	if err != nil {
		return "", 0, perr(ProxyBadRequest, 0, "target is not host:port", err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil || host == "" {
		return "", 0, perr(ProxyBadRequest, 0, "target is not host:port", err)
	}
	return host, uint16(port), nil
}

func containsNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }
