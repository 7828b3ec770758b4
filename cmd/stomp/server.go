package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/transport"
)

// server is one broker named by a --server URL:
// stomp://user:pass@host:port/vhost, stomp+ssl://, or
// ws://user:pass@host:port/path and wss:// for STOMP over WebSocket,
// whose path is the HTTP path (the virtual host is then "/" unless
// --config VirtualHost=... names another).
type server struct {
	Scheme   string
	Host     string
	Port     int
	Login    string
	Passcode string
	VHost    string
	HasVHost bool
	WSURL    string // ws:// or wss:// URL without user information
}

// String names the server in messages: host:port, or the WebSocket URL.
func (sv server) String() string {
	if sv.WSURL != "" {
		return sv.WSURL
	}
	return net.JoinHostPort(sv.Host, strconv.Itoa(sv.Port))
}

// parseServer reads a --server value. A bare "host:port" means stomp://.
func parseServer(s string) (server, error) {
	if !strings.Contains(s, "://") {
		s = "stomp://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return server{}, badURL("--server", s)
	}
	if misplacedAt(s, u) {
		return server{}, misplacedAtErr("--server", s)
	}
	sv := server{Scheme: u.Scheme}
	switch u.Scheme {
	case "stomp", "tcp":
		sv.Port = 61613
	case "stomp+ssl", "stomp+tls", "ssl":
		sv.Port = 61612
	case "ws":
		sv.Port = 80
	case "wss":
		sv.Port = 443
	default:
		return server{}, fmt.Errorf("--server: unknown scheme %q (use stomp://, stomp+ssl://, ws://, wss://)", u.Scheme)
	}
	// Hostname and Port take an IPv6 host out of its brackets with or
	// without a port ([::1] and [::1]:61613 both give ::1), which String
	// and the dial bracket again.
	host := u.Hostname()
	if port := u.Port(); port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p <= 0 || p > 65535 {
			return server{}, fmt.Errorf("--server: bad port %q", port)
		}
		sv.Port = p
	}
	if host == "" {
		return server{}, fmt.Errorf("--server %q: no host", transport.RedactURL(s))
	}
	sv.Host = host
	if u.User != nil {
		sv.Login = u.User.Username()
		sv.Passcode, _ = u.User.Password()
	}
	if sv.Scheme == "ws" || sv.Scheme == "wss" {
		// The path is the WebSocket's; RabbitMQ, the usual Web-STOMP
		// broker, wants a vhost in the host header, and others ignore it.
		ws := *u
		ws.User = nil
		sv.WSURL, sv.VHost, sv.HasVHost = ws.String(), "/", true
		return sv, nil
	}
	if u.Path != "" {
		sv.VHost, sv.HasVHost = strings.TrimPrefix(u.Path, "/"), true
		if sv.VHost == "" {
			sv.VHost = "/"
		}
	}
	return sv, nil
}

// badURL is the error of a URL flag net/url cannot read. It names the
// URL as transport.RedactURL shows it (no user information, cut at the
// last '@') and leaves out net/url's own words, which quote the piece
// that broke the parse ("invalid port \":s3cr\" after host"): a piece of
// a password pasted without escaping.
func badURL(flag, raw string) error {
	return fmt.Errorf("bad %s %q: not a URL (percent-encode '/', '?', '#', '@' and '%%' in a user or password: %%2F %%3F %%23 %%40 %%25)",
		flag, transport.RedactURL(raw))
}

// misplacedAt reports whether raw, which parsed as u, holds an '@' that
// net/url did not take for the end of user information because a '/', '?'
// or '#' came first, and that may follow a password: stomp://bob:1234/x@host,
// a password "1234/x" pasted unescaped, parses as host bob, port 1234,
// path "/x@host". Such a URL is refused rather than dialed. A password
// needs a ':' before the '@', so an '@' with none before it (outside an
// IPv6 host's brackets) is the path's: stomp://host/team@prod has the
// virtual host "team@prod". So is an '@' after real user information
// (stomp://u:p@host/v@h) and one in a WebSocket URL's query or fragment.
// With a port and no user, the '@' of a path must be written %40
// (stomp://host:61613/team%40prod): bob:1234/x@host looks the same.
func misplacedAt(raw string, u *url.URL) bool {
	if u.User != nil {
		return false
	}
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		rest = raw[i+3:]
	}
	if u.Scheme == "ws" || u.Scheme == "wss" {
		if q := strings.IndexAny(rest, "?#"); q >= 0 {
			rest = rest[:q]
		}
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return false
	}
	before := rest[:at]
	if strings.HasPrefix(before, "[") {
		if end := strings.IndexByte(before, ']'); end >= 0 {
			before = before[end+1:] // an IPv6 host's colons hold no password
		}
	}
	return strings.Contains(before, ":")
}

// misplacedAtErr is the usage error of a URL misplacedAt refuses.
func misplacedAtErr(flag, raw string) error {
	return fmt.Errorf("bad %s %q: an '@' after a '/', '?' or '#': percent-encode them in a user or password (%%2F %%3F %%23), or write an '@' of the path as %%40",
		flag, transport.RedactURL(raw))
}
