package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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
		return server{}, fmt.Errorf("bad --server %q: %v", redactURL(s), redactErr(err))
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
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host = u.Host
	} else {
		p, err := strconv.Atoi(port)
		if err != nil || p <= 0 || p > 65535 {
			return server{}, fmt.Errorf("--server: bad port %q", port)
		}
		sv.Port = p
	}
	if host == "" {
		return server{}, fmt.Errorf("--server %q: no host", redactURL(s))
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

// redactURL hides a password in a URL string before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "***@" + s[i+1:]
			}
		}
		return s
	}
	return u.Redacted()
}

func redactErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}
