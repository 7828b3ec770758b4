package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stompactor/stompactor/internal/safetext"
)

// ProxyErrorKind says how a proxy failed.
type ProxyErrorKind int

// Kinds of proxy failure.
const (
	// ProxyUnreachable: the proxy itself could not be reached (Err holds
	// the dial error).
	ProxyUnreachable ProxyErrorKind = iota + 1
	// ProxyRefused: the proxy answered and refused to connect to the
	// target (Code holds its reply code or HTTP status).
	ProxyRefused
	// ProxyAuthFailed: the proxy wants credentials, or refused the ones
	// given.
	ProxyAuthFailed
	// ProxyMalformed: the reply broke the protocol: wrong version, unknown
	// code, garbage, or cut short.
	ProxyMalformed
	// ProxyTooLarge: the reply went past a size bound (a header line or the
	// whole HTTP response head).
	ProxyTooLarge
	// ProxyIO: reading or writing the handshake failed, or the context
	// ended it (Err holds the cause; errors.Is(err,
	// context.DeadlineExceeded) holds when the deadline passed).
	ProxyIO
	// ProxyBadRequest: the request cannot be expressed in the protocol
	// (an IPv6 target over SOCKS4, a name over 255 bytes, a user name
	// with ':' for HTTP Basic authentication), whenever it is made: a
	// setting's fault. Found before the proxy is dialed (see CheckProxy).
	ProxyBadRequest
	// ProxyUnresolved: SOCKS4, which resolves the target's host name
	// here, found no IPv4 address for it (Err holds the resolver's
	// *net.DNSError: IsNotFound when DNS has no such name or no A
	// record), and sent the proxy no request. The name may resolve
	// later, so another attempt may succeed: not a bad request. (A
	// resolver that failed to answer is ProxyIO.)
	ProxyUnresolved
)

var kindNames = map[ProxyErrorKind]string{
	ProxyUnreachable: "unreachable", ProxyRefused: "refused", ProxyAuthFailed: "authentication failed",
	ProxyMalformed: "malformed reply", ProxyTooLarge: "reply too large", ProxyIO: "I/O error",
	ProxyBadRequest: "bad request", ProxyUnresolved: "target unresolved",
}

// String names the kind.
func (k ProxyErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "ProxyErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// ProxyError is the error of every proxy dialer. It never holds a
// password: not in Msg, not in the proxy's own words it quotes.
type ProxyError struct {
	// Proxy is the protocol: "SOCKS4", "SOCKS4A", "SOCKS5" or "HTTP".
	Proxy string
	// Addr is the proxy's address, Target the destination asked for.
	Addr, Target string
	// Kind says how it failed.
	Kind ProxyErrorKind
	// Code is the proxy's reply code (SOCKS4 90-93, SOCKS5 1-8 or 255 for
	// "no acceptable method", the HTTP status), or 0 when it sent none.
	Code int
	// Msg gives detail.
	Msg string
	// Err is the underlying cause, or nil.
	Err error
}

// Error describes the failure.
func (e *ProxyError) Error() string {
	var b strings.Builder
	b.WriteString(e.Proxy + " proxy " + e.Addr)
	if e.Target != "" {
		b.WriteString(" (to " + e.Target + ")")
	}
	b.WriteString(": " + e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Code != 0 {
		b.WriteString(" (code " + strconv.Itoa(e.Code) + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *ProxyError) Unwrap() error { return e.Err }

// proxyDial is what the proxy dialers share: check that the protocol can
// carry the request (checkRequest), dial the proxy with base, run the
// handshake bounded by ctx, and turn every failure into a *ProxyError. handshake returns the connection to use afterwards (the
// same one, or one that first hands back bytes it read ahead).
type proxyDial struct {
	proto, addr string
	user, pass  string // checked by checkRequest before the proxy is dialed
	base        Dialer
	// resolve, when set, turns the target into the one the handshake
	// names before the proxy is dialed (SOCKS4 resolves a host name
	// here), so that a name that does not resolve costs no connection.
	resolve   func(ctx context.Context, target string) (string, error)
	handshake func(ctx context.Context, conn net.Conn, target string) (net.Conn, error)
}

func (p *proxyDial) dial(ctx context.Context, network, target string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, p.fail(target, ProxyBadRequest, 0, "network "+strconv.Quote(network)+" cannot go through a proxy", nil)
	}
	if pe := checkRequest(p.proto, p.user, p.pass, target); pe != nil {
		pe.Proxy, pe.Addr, pe.Target = p.proto, p.addr, target
		return nil, pe
	}
	named := target
	if p.resolve != nil {
		var err error
		if named, err = p.resolve(ctx, target); err != nil {
			return nil, p.failWith(target, err)
		}
	}
	base := p.base
	if base == nil {
		base = TCP(TCPOptions{NoDelay: true})
	}
	conn, err := base(ctx, network, p.addr)
	if err != nil {
		return nil, p.fail(target, ProxyUnreachable, 0, "", err)
	}
	stop := bound(ctx, conn)
	out, err := p.handshake(ctx, conn, named)
	ctxErr := stop()
	if err == nil && ctxErr == nil {
		return out, nil
	}
	_ = conn.Close()
	if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// conn's deadline is ctx's: it may fire a hair before ctx does.
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			ctxErr = context.DeadlineExceeded
		}
	}
	if ctxErr != nil {
		return nil, p.fail(target, ProxyIO, 0, "the handshake did not finish in time", ctxErr)
	}
	return nil, p.failWith(target, err)
}

// failWith returns err as a *ProxyError about target: its own when it is
// one, else one of kind ProxyIO.
func (p *proxyDial) failWith(target string, err error) error {
	var pe *ProxyError
	if errors.As(err, &pe) {
		pe.Proxy, pe.Addr, pe.Target = p.proto, p.addr, target
		return pe
	}
	return p.fail(target, ProxyIO, 0, "", err)
}

func (p *proxyDial) fail(target string, kind ProxyErrorKind, code int, msg string, err error) *ProxyError {
	return &ProxyError{Proxy: p.proto, Addr: p.addr, Target: target, Kind: kind, Code: code, Msg: msg, Err: err}
}

// perr builds the error of a handshake step; dial fills in the proxy.
func perr(kind ProxyErrorKind, code int, msg string, err error) *ProxyError {
	return &ProxyError{Kind: kind, Code: code, Msg: msg, Err: err}
}

// readReply reads exactly len(buf) bytes of a reply, calling a short
// read malformed and any other failure I/O.
func readReply(conn net.Conn, buf []byte, what string) error {
	n, err := io.ReadFull(conn, buf)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return perr(ProxyMalformed, 0, what+" cut short after "+strconv.Itoa(n)+" of "+strconv.Itoa(len(buf))+" bytes", err)
	}
	return perr(ProxyIO, 0, "reading "+what, err)
}

func writeRequest(conn net.Conn, b []byte, what string) error {
	if _, err := conn.Write(b); err != nil {
		return perr(ProxyIO, 0, "writing "+what, err)
	}
	return nil
}

// aLongTimeAgo is a deadline in the past: it makes blocked I/O return at
// once.
var aLongTimeAgo = time.Unix(1, 0)

// bound applies ctx to conn for the length of a handshake: its deadline
// becomes conn's, and its cancellation interrupts blocked reads and
// writes. stop ends that, clears the deadline, and returns ctx's error if
// ctx ended first (the handshake's outcome is then void).
func bound(ctx context.Context, conn net.Conn) (stop func() error) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	cancel := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
	return func() error {
		if !cancel() {
			return ctx.Err()
		}
		_ = conn.SetDeadline(time.Time{})
		return nil
	}
}

// printable returns at most max bytes of s with control characters
// escaped (safetext.Text), for quoting a proxy's or a server's words in
// an error.
func printable(s string, max int) string { return safetext.Text(s, max) }
