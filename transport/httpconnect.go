package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
)

// Bounds on an HTTP proxy's reply to CONNECT: a hostile or broken proxy
// that floods headers fails with ProxyTooLarge instead of growing memory.
const (
	maxHTTPLine    = 4 << 10  // one status or header line
	maxHTTPHead    = 16 << 10 // status line and headers together
	maxHTTPHeaders = 100      // header lines
)

// HTTPConnect returns a dialer that reaches its target through the HTTP
// proxy at proxyAddr with the CONNECT method, dialed with base (nil:
// plain TCP). With a user, Basic credentials go with the request. Any 2xx
// reply opens the tunnel (HTTP/1.0 and 1.1 alike); 407 (or 401, which
// some proxies send for bad credentials) is a ProxyAuthFailed
// error, other statuses ProxyRefused with Code the status. The password
// never appears in an error, even when the proxy echoes it. The exchange
// is bounded by the dial's context.
func HTTPConnect(base Dialer, proxyAddr, user, pass string) Dialer {
	p := &proxyDial{proto: "HTTP", addr: proxyAddr, user: user, pass: pass, base: base}
	var token string
	if user != "" {
		token = base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	}
	redact := func(s string) string {
		for _, secret := range []string{token, pass} {
			if len(secret) >= 3 {
				s = strings.ReplaceAll(s, secret, "<redacted>")
			}
		}
		return s
	}
	p.handshake = func(_ context.Context, conn net.Conn, target string) (net.Conn, error) {
		host, port, err := splitTarget(target)
		if err != nil {
			return nil, err
		}
		// (checkRequest has refused a user with ':' and a host with
		// white space or control characters.)
		hp := net.JoinHostPort(host, strconv.Itoa(int(port)))
		req := "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n"
		if token != "" {
			req += "Proxy-Authorization: Basic " + token + "\r\n"
		}
		if err := writeRequest(conn, []byte(req+"\r\n"), "the CONNECT request"); err != nil {
			return nil, err
		}
		br := bufio.NewReaderSize(conn, maxHTTPLine)
		code, reason, challenge, err := readHTTPHead(br, redact)
		if err != nil {
			return nil, err
		}
		switch {
		case code >= 200 && code < 300:
		case (code == 407 || code == 401) && token == "":
			return nil, perr(ProxyAuthFailed, code, "the proxy wants a user and password ("+reason+challenge+")", nil)
		case code == 407 || code == 401: // tinyproxy answers bad credentials with 401
			return nil, perr(ProxyAuthFailed, code, "the proxy refused the user and password ("+reason+")", nil)
		default:
			return nil, perr(ProxyRefused, code, reason, nil)
		}
		if n := br.Buffered(); n > 0 {
			// The target spoke first and the reader took some of it.
			early, _ := br.Peek(n)
			return &prefixConn{Conn: conn, pending: bytes.Clone(early)}, nil
		}
		return conn, nil
	}
	return p.dial
}

// readHTTPHead reads the status line and headers of the reply, within
// the bounds above. It returns the status, the reason phrase and, for
// 407, the proxy's Proxy-Authenticate challenge, quoted for an error.
// Whatever it quotes of the proxy's words goes through redact first, and
// only then is cut and cleaned (printable), so that no cut can leave a
// piece of a secret that redact would no longer recognise.
func readHTTPHead(br *bufio.Reader, redact func(string) string) (code int, reason, challenge string, err error) {
	total := 0
	line, err := readHTTPLine(br, &total)
	if err != nil {
		return 0, "", "", err
	}
	proto, rest, _ := strings.Cut(line, " ")
	if proto != "HTTP/1.0" && proto != "HTTP/1.1" {
		return 0, "", "", perr(ProxyMalformed, 0, "not an HTTP/1.x status line: "+strconv.Quote(printable(redact(line), 80)), nil)
	}
	num, reason, _ := strings.Cut(rest, " ")
	code, cerr := strconv.Atoi(num)
	if cerr != nil || len(num) != 3 || code < 100 {
		return 0, "", "", perr(ProxyMalformed, 0, "bad status code in "+strconv.Quote(printable(redact(line), 80)), nil)
	}
	for n := 0; ; n++ {
		if n == maxHTTPHeaders {
			return 0, "", "", perr(ProxyTooLarge, 0, "more than "+strconv.Itoa(maxHTTPHeaders)+" header lines", nil)
		}
		h, err := readHTTPLine(br, &total)
		if err != nil {
			return 0, "", "", err
		}
		if h == "" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Proxy-Authenticate") {
			challenge = "; it asks for " + printable(redact(strings.TrimSpace(v)), 80)
		}
	}
	return code, printable(redact(strings.TrimSpace(reason)), 120), challenge, nil
}

// readHTTPLine reads one line without its CRLF (or LF), counting it into
// total.
func readHTTPLine(br *bufio.Reader, total *int) (string, error) {
	b, err := br.ReadSlice('\n')
	*total += len(b)
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", perr(ProxyTooLarge, 0, "a reply line is longer than "+strconv.Itoa(maxHTTPLine)+" bytes", nil)
	case *total > maxHTTPHead:
		return "", perr(ProxyTooLarge, 0, "the reply head is longer than "+strconv.Itoa(maxHTTPHead)+" bytes", nil)
	case errors.Is(err, io.EOF):
		return "", perr(ProxyMalformed, 0, "reply cut short after "+strconv.Itoa(*total)+" bytes", io.ErrUnexpectedEOF)
	case err != nil:
		return "", perr(ProxyIO, 0, "reading the reply", err)
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// prefixConn hands back bytes read ahead before reading conn again.
type prefixConn struct {
	net.Conn
	pending []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// NetConn returns the underlying connection.
func (c *prefixConn) NetConn() net.Conn { return c.Conn }
