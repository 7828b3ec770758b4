// Package transport opens the byte streams a STOMP client runs over. A
// dialer is a plain function, so TLS, proxies and test fault injectors wrap
// one another freely; WebSocket carries STOMP over ws:// and wss:// on top
// of any of them.
package transport

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// Dialer opens a connection to addr ("host:port") on network ("tcp").
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// TCPOptions are the socket settings for plain TCP connections.
type TCPOptions struct {
	// LocalHost and LocalPort bind the local end; empty and 0 let the
	// system choose.
	LocalHost string
	LocalPort int
	// NoDelay disables Nagle's algorithm. Default (false here, but the
	// client turns it on) follows TcpNoDelay.
	NoDelay bool
	// KeepAlive enables TCP keep-alive probes after KeepAliveTime of
	// idleness, repeated every KeepAliveInterval. Zero durations leave
	// the system's values (on Linux net.ipv4.tcp_keepalive_time and
	// tcp_keepalive_intvl), as does the number of unanswered probes
	// that ends the connection.
	KeepAlive         bool
	KeepAliveTime     time.Duration
	KeepAliveInterval time.Duration
	// Linger, when true, sets SO_LINGER to LingerTime (rounded up to
	// whole seconds) so Close waits for unsent data; LingerTime 0 resets
	// the connection on Close. false leaves the system default (graceful
	// close in the background).
	Linger     bool
	LingerTime time.Duration
	// ReadBuffer and WriteBuffer set the socket buffer sizes in bytes; 0
	// keeps the system's.
	ReadBuffer  int
	WriteBuffer int
	// IPv6 selects the address family: "" or "auto" lets the resolver
	// choose, "only" uses tcp6, "never" uses tcp4, "ipv6-first" tries a
	// host's IPv6 addresses first and its IPv4 ones as the fallback.
	IPv6 string

	// Test hooks: how "ipv6-first" resolves host names, and a
	// net.Dialer.ControlContext.
	lookup  lookupFunc
	control func(ctx context.Context, network, address string, c syscall.RawConn) error
}

// lastTCP is the dialer TCP made last, with its options.
var lastTCP atomic.Pointer[tcpDialer]

type tcpDialer struct {
	o TCPOptions
	d Dialer
}

// TCP returns a dialer for plain TCP with the given socket options. The
// clients of a process mostly share their socket options, and each keeps
// its dialer (about 128 bytes) as long as it lives: for the same options
// as the last call's, TCP returns the same dialer again.
func TCP(o TCPOptions) Dialer {
	if o.lookup != nil || o.control != nil {
		return tcp(o)
	}
	if last := lastTCP.Load(); last != nil && last.o.same(&o) {
		return last.d
	}
	d := tcp(o)
	lastTCP.Store(&tcpDialer{o: o, d: d})
	return d
}

// same reports whether o and p set the same socket options (a test checks
// that it looks at every exported field).
func (o *TCPOptions) same(p *TCPOptions) bool {
	return o.LocalHost == p.LocalHost && o.LocalPort == p.LocalPort && o.NoDelay == p.NoDelay &&
		o.KeepAlive == p.KeepAlive && o.KeepAliveTime == p.KeepAliveTime && o.KeepAliveInterval == p.KeepAliveInterval &&
		o.Linger == p.Linger && o.LingerTime == p.LingerTime && o.ReadBuffer == p.ReadBuffer && o.WriteBuffer == p.WriteBuffer &&
		o.IPv6 == p.IPv6
}

func tcp(o TCPOptions) Dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{KeepAlive: -1, ControlContext: o.control}
		if o.KeepAlive {
			d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: systemIfZero(o.KeepAliveTime), Interval: systemIfZero(o.KeepAliveInterval), Count: -1}
		}
		if o.LocalHost != "" || o.LocalPort != 0 {
			ip := net.ParseIP(o.LocalHost)
			if o.LocalHost != "" && ip == nil {
				ips, err := net.DefaultResolver.LookupIP(ctx, "ip", o.LocalHost)
				if err != nil || len(ips) == 0 {
					return nil, fmt.Errorf("stomp: cannot resolve local host %q: %w", o.LocalHost, err)
				}
				ip = ips[0]
			}
			d.LocalAddr = &net.TCPAddr{IP: ip, Port: o.LocalPort}
		}
		var c net.Conn
		var err error
		switch o.IPv6 {
		case "only":
			c, err = d.DialContext(ctx, "tcp6", addr)
		case "never":
			c, err = d.DialContext(ctx, "tcp4", addr)
		case "ipv6-first":
			lookup := o.lookup
			if lookup == nil {
				lookup = defaultLookup
			}
			c, err = dialIPv6First(ctx, &d, lookup, addr)
		default:
			c, err = d.DialContext(ctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(o.NoDelay)
			if o.Linger {
				// Round up: a fraction of a second must not become 0,
				// which resets the connection instead of lingering.
				_ = tc.SetLinger(int((o.LingerTime + time.Second - 1) / time.Second))
			}
			if o.ReadBuffer > 0 {
				_ = tc.SetReadBuffer(o.ReadBuffer)
			}
			if o.WriteBuffer > 0 {
				_ = tc.SetWriteBuffer(o.WriteBuffer)
			}
		}
		return c, nil
	}
}

// systemIfZero maps a keep-alive duration of 0 to -1: for net.KeepAliveConfig
// 0 means Go's own 15 seconds, and a negative value leaves the socket's
// (the system's) value unchanged.
func systemIfZero(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// HostPort joins a host and port, bracketing IPv6 literals.
func HostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
