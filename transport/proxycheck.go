package transport

import (
	"net/netip"
	"strings"
)

// CheckProxy reports whether the proxy protocol proto ("HTTP", "SOCKS4",
// "SOCKS4A" or "SOCKS5", as ProxyError.Proxy names them) at addr can
// carry user, pass and target ("host:port"; "" checks the credentials
// alone): nil, or a *ProxyError of kind ProxyBadRequest saying what it
// cannot carry (a Basic user with ':', a SOCKS user or password over 255
// bytes, an IPv6 target over SOCKS4, a host name over 255 bytes). The
// proxy dialers run the same check before they dial the proxy, so such
// a request never reaches it. An unknown proto is not checked.
func CheckProxy(proto, addr, user, pass, target string) error {
	if pe := checkRequest(proto, user, pass, target); pe != nil {
		pe.Proxy, pe.Addr, pe.Target = proto, addr, target
		return pe
	}
	return nil
}

// checkRequest is CheckProxy's check; the caller names the proxy.
func checkRequest(proto, user, pass, target string) *ProxyError {
	bad := func(msg string) *ProxyError { return perr(ProxyBadRequest, 0, msg, nil) }
	switch proto {
	case "HTTP":
		if strings.Contains(user, ":") {
			return bad("a Basic authentication user cannot contain ':'")
		}
	case "SOCKS4", "SOCKS4A":
		if len(user) > 255 || containsNUL(user) {
			return bad("the user must be at most 255 bytes without NUL")
		}
	case "SOCKS5":
		if len(user) > 255 || len(pass) > 255 {
			return bad("user and password must be at most 255 bytes each")
		}
	default:
		return nil
	}
	if target == "" {
		return nil
	}
	host, _, err := splitTarget(target)
	if pe, ok := err.(*ProxyError); ok {
		return pe
	}
	ip, ipErr := netip.ParseAddr(host)
	switch {
	case proto == "HTTP" && strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("target host contains white space or control characters")
	case (proto == "SOCKS4" || proto == "SOCKS4A") && ipErr == nil && !ip.Unmap().Is4():
		return bad("SOCKS 4 carries IPv4 addresses only")
	case proto == "SOCKS4A" && ipErr != nil && (len(host) > 255 || containsNUL(host)):
		return bad("host name too long")
	case proto == "SOCKS5" && ipErr != nil && len(host) > 255:
		return bad("host name longer than 255 bytes")
	}
	return nil
}
