package transport

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// httpProxy reads the CONNECT request, hands it to got, writes reply,
// and then echoes unless reply ends the exchange (close).
func httpProxy(reply string, got chan<- *http.Request, close bool) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if got != nil {
			got <- req
		}
		_, _ = io.WriteString(c, reply)
		if !close {
			_, _ = io.Copy(c, br)
		}
	}
}

func TestHTTPConnectTunnels(t *testing.T) {
	for _, status := range []string{"HTTP/1.0 200 Connection established\r\n\r\n", "HTTP/1.1 200 OK\r\nVia: x\r\n\r\n", "HTTP/1.1 201 Fine\n\n"} {
		t.Run(strings.Fields(status)[0]+" "+strings.Fields(status)[1], func(t *testing.T) {
			got := make(chan *http.Request, 1)
			d := HTTPConnect(fakeProxy(t, httpProxy(status, got, false)), "proxy:3128", "", "")
			conn, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:61613")
			require.NoError(t, err)
			defer conn.Close()
			req := <-got
			assert.Equal(t, "CONNECT", req.Method)
			assert.Equal(t, "127.0.0.1:61613", req.RequestURI)
			assert.Equal(t, "127.0.0.1:61613", req.Host)
			assert.Empty(t, req.Header.Get("Proxy-Authorization"))
			_, err = conn.Write([]byte("STOMP"))
			require.NoError(t, err)
			assert.Equal(t, []byte("STOMP"), readN(conn, 5))
		})
	}
}

func TestHTTPConnectSendsCredentialsAndBracketsIPv6(t *testing.T) {
	got := make(chan *http.Request, 1)
	d := HTTPConnect(fakeProxy(t, httpProxy("HTTP/1.1 200 OK\r\n\r\n", got, false)), "proxy:3128", "alice", "s3cret")
	conn, err := d(ctxFor(t, wait), "tcp", "[::1]:61613")
	require.NoError(t, err)
	defer conn.Close()
	req := <-got
	assert.Equal(t, "[::1]:61613", req.RequestURI)
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:s3cret")), req.Header.Get("Proxy-Authorization"))
}

// Bytes the target sent right after the proxy's head reach the caller.
func TestHTTPConnectKeepsEarlyBytes(t *testing.T) {
	d := HTTPConnect(fakeProxy(t, func(c net.Conn) {
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nCONNECTED\n\n\x00")
		drain(c)
	}), "p:1", "", "")
	conn, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:1")
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, "CONNECTED\n\n\x00", string(readN(conn, 12)))
	nc, ok := conn.(interface{ NetConn() net.Conn })
	require.True(t, ok)
	assert.NotNil(t, nc.NetConn())
}

func TestHTTPConnectFailures(t *testing.T) {
	token := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	cases := []struct {
		name       string
		user, pass string
		script     func(net.Conn)
		kind       ProxyErrorKind
		code       int
		msg        string
	}{
		{"407 without credentials", "", "", httpProxy("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"tiny\"\r\n\r\n", nil, true),
			ProxyAuthFailed, 407, `wants a user and password (Proxy Authentication Required; it asks for Basic realm="tiny")`},
		{"407 with credentials", "alice", "s3cret", httpProxy("HTTP/1.1 407 Denied\r\n\r\n", nil, true), ProxyAuthFailed, 407, "refused the user and password"},
		{"407 echoing the password", "alice", "s3cret", httpProxy("HTTP/1.1 407 you sent "+token+" = alice:s3cret\r\nProxy-Authenticate: "+token+"\r\n\r\n", nil, true),
			ProxyAuthFailed, 407, "you sent <redacted> = alice:<redacted>"},
		{"403", "", "", httpProxy("HTTP/1.0 403 Filtered\r\nContent-Length: 3\r\n\r\nno\n", nil, true), ProxyRefused, 403, "Filtered"},
		{"502", "", "", httpProxy("HTTP/1.1 502 Bad Gateway\r\n\r\n", nil, true), ProxyRefused, 502, "Bad Gateway"},
		{"garbage", "", "", httpProxy("SSH-2.0-OpenSSH_9.2\r\n", nil, true), ProxyMalformed, 0, "not an HTTP/1.x status line"},
		{"HTTP/2 status line", "", "", httpProxy("HTTP/2 200\r\n\r\n", nil, true), ProxyMalformed, 0, "not an HTTP/1.x status line"},
		{"bad status code", "", "", httpProxy("HTTP/1.1 2000 OK\r\n\r\n", nil, true), ProxyMalformed, 0, "bad status code"},
		{"garbage echoing the password", "alice", "s3cret", httpProxy("alice:s3cret "+token+"\r\n", nil, true), ProxyMalformed, 0, "<redacted>"},
		{"truncated status line", "", "", httpProxy("HTTP/1.1 20", nil, true), ProxyMalformed, 0, "cut short"},
		{"truncated head", "", "", httpProxy("HTTP/1.1 200 OK\r\nVia: a\r\n", nil, true), ProxyMalformed, 0, "cut short"},
		{"closed at once", "", "", func(c net.Conn) {}, ProxyIO, 0, "writing the CONNECT request"},
		{"huge header line", "", "", func(c net.Conn) {
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX: "+strings.Repeat("a", 1<<20))
		}, ProxyTooLarge, 0, "line is longer than 4096 bytes"},
		{"endless headers", "", "", func(c net.Conn) {
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			for {
				if _, err := io.WriteString(c, "X-Flood: yes\r\n"); err != nil {
					return
				}
			}
		}, ProxyTooLarge, 0, "more than 100 header lines"},
		{"fat headers", "", "", func(c net.Conn) {
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			for {
				if _, err := io.WriteString(c, "X: "+strings.Repeat("b", 4000)+"\r\n"); err != nil {
					return
				}
			}
		}, ProxyTooLarge, 0, "head is longer than 16384 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := HTTPConnect(fakeProxy(t, c.script), "proxy:3128", c.user, c.pass)
			_, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:61613")
			pe := proxyErr(t, err, c.kind)
			assert.Equal(t, c.code, pe.Code)
			assert.Equal(t, "HTTP", pe.Proxy)
			assert.Contains(t, err.Error(), c.msg)
			assert.NotContains(t, err.Error(), "s3cret")
			assert.NotContains(t, err.Error(), token)
		})
	}
}

func TestHTTPConnectBadRequests(t *testing.T) {
	_, err := HTTPConnect(fakeProxy(t, drain), "p:1", "a:b", "c")(ctxFor(t, wait), "tcp", "h:1")
	pe := proxyErr(t, err, ProxyBadRequest)
	assert.Contains(t, pe.Msg, "':'")
	_, err = HTTPConnect(fakeProxy(t, drain), "p:1", "", "")(ctxFor(t, wait), "tcp", "h\r\nX: y:1")
	proxyErr(t, err, ProxyBadRequest)
}
