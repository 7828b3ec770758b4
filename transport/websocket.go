package transport

// STOMP over WebSocket (the STOMP specification's "STOMP over WebSocket"
// practice: the v12.stomp, v11.stomp and v10.stomp subprotocols, frames
// carried in the messages' payloads).
//
// The WebSocket protocol itself comes from github.com/coder/websocket
// (v1.8.15), a maintained, dependency-free implementation (the successor
// of nhooyr.io/websocket) that does its handshake through a caller's
// net/http client: that is what lets the dialers of this package (TCP,
// proxies, TLS with the caller's verification) carry it. Writing RFC 6455
// framing, masking and the close handshake by hand would be exactly the
// kind of protocol code STYLE.md says to take from a library.

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Defaults of WSOptions.
const (
	// DefaultWSReadLimit bounds one incoming WebSocket message: the
	// frames package's default largest frame (4 MiB of body plus 256 KiB)
	// with another 256 KiB to spare. A message over it closes the
	// connection, so a hostile server cannot make the client buffer
	// without bound.
	DefaultWSReadLimit = 4<<20 + 512<<10
	// DefaultWSCloseTimeout is how long Close waits for the server to
	// answer the WebSocket close handshake before it drops the
	// connection.
	DefaultWSCloseTimeout = time.Second
	// wsMaxResponseHeader bounds the HTTP head of the upgrade response.
	wsMaxResponseHeader = 64 << 10
	// wsRefusalBodyBytes and wsRefusalBodyWait bound what is read of the
	// body of a refused upgrade (quoted in the error): a server that
	// sends a body without a length and keeps the connection open must
	// not hold the refusal until the dial's deadline.
	wsRefusalBodyBytes = 1 << 10
	wsRefusalBodyWait  = 200 * time.Millisecond
)

// WSSubprotocols are the subprotocols offered by default, most preferred
// first, one per STOMP version.
func WSSubprotocols() []string { return []string{"v12.stomp", "v11.stomp", "v10.stomp"} }

// WSOptions are the settings of a WebSocket dialer. The zero value offers
// every STOMP subprotocol, insists that the server picks one, writes
// binary messages and limits messages to DefaultWSReadLimit.
type WSOptions struct {
	// Subprotocols are offered in the upgrade request, most preferred
	// first. Default (nil) WSSubprotocols().
	Subprotocols []string
	// AllowNoSubprotocol accepts a server that upgrades without choosing
	// a subprotocol (some do). Default false: that is a *WSError of kind
	// WSSubprotocol.
	AllowNoSubprotocol bool
	// Header holds extra headers of the upgrade request (Origin,
	// Authorization, cookies). Default none.
	Header http.Header
	// ReadLimit is the largest incoming message, in bytes. Default (0)
	// DefaultWSReadLimit.
	ReadLimit int64
	// Text sends text messages instead of binary ones. Incoming messages
	// may be either way regardless. Default false: binary, which carries
	// any body (a text message must be UTF-8, and servers check).
	Text bool
	// CloseTimeout bounds the close handshake of Close. Default (0)
	// DefaultWSCloseTimeout.
	CloseTimeout time.Duration
}

// WSErrorKind says how a WebSocket dial or read failed.
type WSErrorKind int

// Kinds of WebSocket failure.
const (
	// WSBadURL: the URL is not ws:// or wss:// with a host, or it holds
	// user information (which would go out as HTTP credentials).
	WSBadURL WSErrorKind = iota + 1
	// WSRefused: the server answered the upgrade request with another HTTP
	// status (StatusCode; a redirect is not followed). It is returned as
	// soon as the status and headers are in hand: of the body, only what
	// arrives within 200 ms (at most 1 KiB) is read, to quote its first
	// line, so a body without a length on a connection left open does
	// not hold it.
	WSRefused
	// WSSubprotocol: the server chose no subprotocol, or one not offered
	// (Subprotocol holds it).
	WSSubprotocol
	// WSMalformed: the server's answer broke the WebSocket handshake.
	WSMalformed
	// WSIO: the connection failed during the handshake, or the context
	// ended it (errors.Is(err, context.DeadlineExceeded) holds when the
	// deadline passed).
	WSIO
	// WSNotTLS: the dialer given for a wss:// URL returned a connection
	// without TLS; nothing was sent over it.
	WSNotTLS
	// WSTooLarge: an incoming message went past ReadLimit; the connection
	// is closed.
	WSTooLarge
)

var wsKindNames = map[WSErrorKind]string{
	WSBadURL: "bad URL", WSRefused: "upgrade refused", WSSubprotocol: "no STOMP subprotocol",
	WSMalformed: "malformed handshake", WSIO: "I/O error", WSNotTLS: "no TLS under wss://",
	WSTooLarge: "message too large",
}

// String names the kind.
func (k WSErrorKind) String() string {
	if s, ok := wsKindNames[k]; ok {
		return s
	}
	return "WSErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// WSError is the error of the WebSocket dialer and of reads that break a
// WebSocket limit. A failure of the dialer under it (TCP, proxy, TLS) is
// returned as it is, not as a WSError. It never holds user information
// of the URL, nor its query (which may carry a token): not in URL, not
// in its text, where a cause that quoted the URL (net/http's *url.Error)
// has it replaced by "<redacted>"; the cause stays in the chain for
// errors.Is and errors.As.
type WSError struct {
	// URL is the URL dialed.
	URL string
	// Kind says how it failed.
	Kind WSErrorKind
	// StatusCode is the HTTP status of a refused upgrade, else 0.
	StatusCode int
	// Subprotocol is the one the server chose, for WSSubprotocol.
	Subprotocol string
	// Msg gives detail.
	Msg string
	// Err is the cause, or nil.
	Err error
}

// Error describes the failure.
func (e *WSError) Error() string {
	var b strings.Builder
	b.WriteString("WebSocket " + e.URL + ": " + e.Kind.String())
	if e.StatusCode != 0 {
		b.WriteString(" (HTTP " + strconv.Itoa(e.StatusCode) + ")")
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *WSError) Unwrap() error { return e.Err }

// WSURL is a parsed ws:// or wss:// URL.
type WSURL struct {
	// URL is the URL without its fragment.
	URL *url.URL
	// Host and Port are the server's (the port defaults to 80 for ws://
	// and 443 for wss://); Secure is true for wss://.
	Host   string
	Port   int
	Secure bool
}

// Addr is "host:port".
func (u WSURL) Addr() string { return HostPort(u.Host, u.Port) }

// ParseWSURL checks a WebSocket URL: its scheme is ws or wss (any case),
// it names a host, its port (if any) is a TCP port, and it holds no user
// information. An empty path becomes "/". Errors are *WSError of kind
// WSBadURL and never quote user information.
func ParseWSURL(raw string) (WSURL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return WSURL{}, &WSError{URL: safeURL(raw), Kind: WSBadURL, Msg: "not a URL"}
	}
	u.Fragment, u.RawFragment = "", ""
	shown := safeURL(raw)
	if u.User != nil {
		return WSURL{}, &WSError{URL: shown, Kind: WSBadURL, Msg: "user information in the URL is not sent; give the STOMP login in CONNECT, HTTP credentials in a header"}
	}
	out := WSURL{URL: u}
	switch u.Scheme = strings.ToLower(u.Scheme); u.Scheme {
	case "ws":
		out.Port = 80
	case "wss":
		out.Port, out.Secure = 443, true
	default:
		return WSURL{}, &WSError{URL: shown, Kind: WSBadURL, Msg: "the scheme must be ws or wss"}
	}
	out.Host = u.Hostname()
	if out.Host == "" {
		return WSURL{}, &WSError{URL: shown, Kind: WSBadURL, Msg: "no host"}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return WSURL{}, &WSError{URL: shown, Kind: WSBadURL, Msg: "bad port " + strconv.Quote(p)}
		}
		out.Port = n
	}
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return out, nil
}

// WebSocket returns a dialer that opens STOMP over WebSocket to rawURL.
// The dialer's network and addr arguments are not used: the URL names
// the server.
//
// base opens the stream to the URL's host and port: for ws:// a plain
// one (TCP, perhaps through a proxy dialer), for wss:// one that has
// already run TLS, such as TLS(proxied, cfg), so that proxies and
// certificate checks compose as they do for raw STOMP. A base that
// returns no TLS for wss:// is refused (WSNotTLS) before anything is
// sent. A nil base is plain TCP, with TLS and Go's default verification
// for wss://.
//
// The handshake is bounded by the dial's context; the connection
// returned outlives it. It offers opts.Subprotocols, follows no
// redirect, and fails with a *WSError (or base's own error). The
// connection is a net.Conn whose Write sends one message per call (STOMP
// frames may be split across messages and share them; the frame decoder
// reads a stream) and whose Read yields the payloads of text and binary
// messages alike; its Subprotocol method names the one chosen and its
// NetConn method returns the stream under it. When a deadline passes
// while a Read or Write is blocked, the connection is closed (the
// WebSocket cannot resume a cut message); after an idle deadline, calls
// fail with os.ErrDeadlineExceeded until it is reset. Close runs the
// close handshake, bounded by opts.CloseTimeout.
func WebSocket(base Dialer, rawURL string, opts WSOptions) Dialer {
	target, perr := ParseWSURL(rawURL)
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		if perr != nil {
			return nil, perr
		}
		return dialWS(ctx, base, target, opts)
	}
}

func dialWS(ctx context.Context, base Dialer, target WSURL, opts WSOptions) (net.Conn, error) {
	if base == nil {
		base = TCP(TCPOptions{NoDelay: true})
		if target.Secure {
			base = TLS(base, nil)
		}
	}
	shown := safeURL(target.URL.String())
	protos := opts.Subprotocols
	if protos == nil {
		protos = WSSubprotocols()
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &wsDials{ctx: dctx, base: base, secure: target.Secure, url: shown}
	var used net.Conn
	tctx := httptrace.WithClientTrace(dctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { used = i.Conn }})
	ht := &http.Transport{
		// One connection, dialed by base: no proxy from the environment,
		// no pool, no HTTP/2.
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: wsMaxResponseHeader,
		TLSNextProto:           map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if target.Secure {
		ht.DialTLSContext = d.dial
	} else {
		ht.DialContext = d.dial
	}
	rt := &wsRoundTripper{rt: ht}
	rt.dialing.Store(true)
	client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ws, resp, err := websocket.Dial(tctx, target.URL.String(), &websocket.DialOptions{
		HTTPClient: client, HTTPHeader: opts.Header.Clone(), Subprotocols: protos,
	})
	rt.dialing.Store(false)
	if err != nil {
		cancel()
		d.finish(nil)
		return nil, d.failure(ctx, target, shown, protos, resp, err)
	}
	if ws.Subprotocol() == "" && !opts.AllowNoSubprotocol {
		_ = ws.CloseNow()
		d.finish(nil)
		return nil, &WSError{URL: shown, Kind: WSSubprotocol, Msg: "the server chose none of " + strings.Join(protos, ", ")}
	}
	if used == nil { // net/http always reports the connection; be safe
		_ = ws.CloseNow()
		d.finish(nil)
		return nil, &WSError{URL: shown, Kind: WSIO, Msg: "the connection of the handshake is unknown"}
	}
	d.finish(used)
	limit := opts.ReadLimit
	if limit <= 0 {
		limit = DefaultWSReadLimit
	}
	ws.SetReadLimit(limit)
	return newWSConn(ws, used, shown, opts, limit), nil
}

// wsRoundTripper hands the library the upgraded stream of a 101 answer
// in a wrapper that reads nothing until the dial is over: on a handshake
// it refuses, the library reads the stream for an error body, and a
// server that sends none would hold the failure for seconds.
type wsRoundTripper struct {
	rt      http.RoundTripper
	dialing atomic.Bool
}

func (t *wsRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	switch {
	case err != nil:
	case resp.StatusCode == http.StatusSwitchingProtocols:
		if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
			resp.Body = &upgradedBody{ReadWriteCloser: rwc, dialing: &t.dialing}
		}
	case resp.Body != nil:
		resp.Body = refusalBody(resp.Body)
	}
	return resp, err
}

// refusalBody reads what arrives of the body of a refused upgrade within
// wsRefusalBodyBytes and wsRefusalBodyWait, closes it, and returns what it
// read: the status is in hand, and the library would otherwise wait for
// the end of a body that has no length (up to its own 3 s, or the dial's
// deadline) before reporting it.
func refusalBody(body io.ReadCloser) io.ReadCloser {
	timer := time.AfterFunc(wsRefusalBodyWait, func() { _ = body.Close() })
	b, _ := io.ReadAll(io.LimitReader(body, wsRefusalBodyBytes))
	timer.Stop()
	_ = body.Close()
	return io.NopCloser(bytes.NewReader(b))
}

type upgradedBody struct {
	io.ReadWriteCloser
	dialing *atomic.Bool
}

func (b *upgradedBody) Read(p []byte) (int, error) {
	if b.dialing.Load() {
		return 0, io.EOF
	}
	return b.ReadWriteCloser.Read(p)
}

// wsDials runs the dials of one handshake with base, bounded by the
// handshake's context (net/http dials with a context of its own that
// outlives the request), and closes every connection the handshake did
// not end up using.
type wsDials struct {
	ctx    context.Context
	base   Dialer
	secure bool
	url    string

	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	done    bool
	baseErr error
}

func (d *wsDials) dial(_ context.Context, network, addr string) (net.Conn, error) {
	// Registered under the lock, and never once finish has begun, so
	// finish's Wait cannot race an Add.
	d.mu.Lock()
	if d.done {
		d.mu.Unlock()
		return nil, net.ErrClosed
	}
	d.wg.Add(1)
	d.mu.Unlock()
	defer d.wg.Done()
	c, err := d.base(d.ctx, network, addr)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		if d.baseErr == nil {
			d.baseErr = err
		}
		return nil, err
	}
	if d.done {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	if d.secure {
		if _, ok := ConnectionState(c); !ok {
			_ = c.Close()
			err := &WSError{URL: d.url, Kind: WSNotTLS, Msg: "the dialer for a wss:// URL must run TLS (see TLS)"}
			d.baseErr = err
			return nil, err
		}
	}
	d.conns = append(d.conns, c)
	return c, nil
}

// finish waits for the dials in progress and closes every connection
// but keep.
func (d *wsDials) finish(keep net.Conn) {
	d.mu.Lock()
	d.done = true
	d.mu.Unlock()
	d.wg.Wait()
	for _, c := range d.conns {
		if c != keep {
			_ = c.Close()
		}
	}
	d.conns = nil
}

// failure turns a failed handshake into the error to return. The
// library's error (net/http's *url.Error inside it) quotes the URL whole,
// so its query is hidden first, as in shown.
func (d *wsDials) failure(ctx context.Context, target WSURL, shown string, protos []string, resp *http.Response, err error) error {
	err = redactQuery(err, target.URL.RawQuery)
	if d.baseErr != nil {
		return d.baseErr
	}
	if ctx.Err() != nil {
		return &WSError{URL: shown, Kind: WSIO, Msg: "the handshake did not finish in time", Err: ctx.Err()}
	}
	if resp == nil {
		return &WSError{URL: shown, Kind: WSIO, Err: err}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		e := &WSError{URL: shown, Kind: WSRefused, StatusCode: resp.StatusCode, Msg: http.StatusText(resp.StatusCode)}
		if loc := resp.Header.Get("Location"); loc != "" {
			e.Msg += ", to " + safeURL(loc)
		}
		if resp.Body != nil { // read already, see refusalBody
			b, _ := io.ReadAll(io.LimitReader(resp.Body, wsRefusalBodyBytes))
			if line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n"); line != "" {
				e.Msg += ": " + printable(strings.TrimSpace(line), 200)
			}
		}
		return e
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" && !containsFold(protos, p) {
		return &WSError{URL: shown, Kind: WSSubprotocol, Subprotocol: printable(p, 100), Msg: "the server chose " + strconv.Quote(printable(p, 100)) + ", not one offered"}
	}
	return &WSError{URL: shown, Kind: WSMalformed, Err: err}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
