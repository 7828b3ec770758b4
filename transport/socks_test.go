package transport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// socks4Server reads a SOCKS4(a) request (user and optional name, NUL
// terminated), sends reply and then echoes.
func socks4Server(reply []byte, got chan<- []byte) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		head := make([]byte, 8)
		if _, err := io.ReadFull(br, head); err != nil {
			return
		}
		req := append([]byte(nil), head...)
		user, _ := br.ReadBytes(0)
		req = append(req, user...)
		if head[4] == 0 && head[5] == 0 && head[6] == 0 && head[7] != 0 {
			name, _ := br.ReadBytes(0)
			req = append(req, name...)
		}
		got <- req
		_, _ = c.Write(reply)
		_, _ = io.Copy(c, br)
	}
}

func TestSOCKS4Golden(t *testing.T) {
	cases := []struct {
		name   string
		dial   func(Dialer) Dialer
		target string
		want   []byte
	}{
		{"SOCKS4 IPv4 literal with user", func(b Dialer) Dialer { return SOCKS4(b, "proxy:1080", "bob") }, "10.1.2.3:61613",
			[]byte{4, 1, 0xf0, 0xad, 10, 1, 2, 3, 'b', 'o', 'b', 0}},
		{"SOCKS4 resolves names here", func(b Dialer) Dialer { return SOCKS4(b, "proxy:1080", "") }, "localhost:80",
			[]byte{4, 1, 0, 80, 127, 0, 0, 1, 0}},
		{"SOCKS4A sends the name after 0.0.0.1", func(b Dialer) Dialer { return SOCKS4A(b, "proxy:1080", "u") }, "broker.example:61613",
			append([]byte{4, 1, 0xf0, 0xad, 0, 0, 0, 1, 'u', 0}, append([]byte("broker.example"), 0)...)},
		{"SOCKS4A keeps IPv4 literals", func(b Dialer) Dialer { return SOCKS4A(b, "proxy:1080", "") }, "192.0.2.7:1",
			[]byte{4, 1, 0, 1, 192, 0, 2, 7, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make(chan []byte, 1)
			d := c.dial(fakeProxy(t, socks4Server([]byte{0, 90, 0, 0, 0, 0, 0, 0}, got)))
			conn, err := d(ctxFor(t, wait), "tcp", c.target)
			require.NoError(t, err)
			defer conn.Close()
			assert.Equal(t, c.want, <-got)
			_, err = conn.Write([]byte("ping"))
			require.NoError(t, err)
			assert.Equal(t, []byte("ping"), readN(conn, 4), "the tunnel carries data")
		})
	}
}

func TestSOCKS4Replies(t *testing.T) {
	cases := []struct {
		name  string
		reply []byte
		kind  ProxyErrorKind
		code  int
	}{
		{"91 rejected", []byte{0, 91, 0, 0, 0, 0, 0, 0}, ProxyRefused, 91},
		{"92 no identd", []byte{0, 92, 0, 0, 0, 0, 0, 0}, ProxyAuthFailed, 92},
		{"93 user mismatch", []byte{0, 93, 0, 0, 0, 0, 0, 0}, ProxyAuthFailed, 93},
		{"unknown code", []byte{0, 17, 0, 0, 0, 0, 0, 0}, ProxyMalformed, 17},
		{"garbage", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), ProxyMalformed, 0},
		{"truncated", []byte{0, 90, 0}, ProxyMalformed, 0},
		{"nothing", nil, ProxyMalformed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := SOCKS4(fakeProxy(t, func(conn net.Conn) {
				readN(conn, 9)
				_, _ = conn.Write(c.reply)
			}), "proxy:1080", "")
			_, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:61613")
			pe := proxyErr(t, err, c.kind)
			assert.Equal(t, c.code, pe.Code)
			assert.Equal(t, "SOCKS4", pe.Proxy)
			assert.Equal(t, "proxy:1080", pe.Addr)
			assert.Equal(t, "127.0.0.1:61613", pe.Target)
		})
	}
	t.Run("truncated wraps ErrUnexpectedEOF", func(t *testing.T) {
		d := SOCKS4(fakeProxy(t, func(conn net.Conn) { readN(conn, 9); _, _ = conn.Write([]byte{0, 90}) }), "p:1", "")
		_, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:1")
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
}

func TestSOCKS4BadRequests(t *testing.T) {
	for name, target := range map[string]string{
		"IPv6 target": "[::1]:61613", "no port": "127.0.0.1", "port out of range": "127.0.0.1:70000",
	} {
		t.Run(name, func(t *testing.T) {
			d := SOCKS4(fakeProxy(t, drain), "p:1", "")
			_, err := d(ctxFor(t, wait), "tcp", target)
			proxyErr(t, err, ProxyBadRequest)
		})
	}
	_, err := SOCKS4A(fakeProxy(t, drain), "p:1", "a\x00b")(ctxFor(t, wait), "tcp", "h:1")
	proxyErr(t, err, ProxyBadRequest)
}

// socks5Server answers the greeting with method, checks a login when
// method is 2 (answering loginStatus), reads the CONNECT request and
// answers reply, then echoes.
func socks5Server(method byte, loginStatus byte, reply []byte, got chan<- []byte) func(net.Conn) {
	return socks5Script(method, loginStatus, reply, got, true)
}

// socks5Script is socks5Server that, unless echo, closes after its reply.
func socks5Script(method byte, loginStatus byte, reply []byte, got chan<- []byte, echo bool) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		var req []byte
		greet := make([]byte, 2)
		if _, err := io.ReadFull(br, greet); err != nil {
			return
		}
		methods := make([]byte, greet[1])
		_, _ = io.ReadFull(br, methods)
		req = append(append(req, greet...), methods...)
		_, _ = c.Write([]byte{5, method})
		switch method {
		case 2:
			head := make([]byte, 2)
			_, _ = io.ReadFull(br, head)
			user := make([]byte, head[1]+1)
			_, _ = io.ReadFull(br, user)
			pass := make([]byte, user[len(user)-1])
			_, _ = io.ReadFull(br, pass)
			req = append(append(append(req, head...), user...), pass...)
			_, _ = c.Write([]byte{1, loginStatus})
			if loginStatus != 0 {
				got <- req
				return
			}
		case 0:
		default:
			got <- req
			return
		}
		head := make([]byte, 4)
		_, _ = io.ReadFull(br, head)
		req = append(req, head...)
		var n int
		switch head[3] {
		case 1:
			n = 6
		case 4:
			n = 18
		case 3:
			l, _ := br.ReadByte()
			req = append(req, l)
			n = int(l) + 2
		}
		rest := make([]byte, n)
		_, _ = io.ReadFull(br, rest)
		got <- append(req, rest...)
		_, _ = c.Write(reply)
		if echo {
			_, _ = io.Copy(c, br)
		}
	}
}

var socks5OK = []byte{5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90}

func TestSOCKS5Golden(t *testing.T) {
	cases := []struct {
		name       string
		user, pass string
		method     byte
		target     string
		reply      []byte
		want       []byte
	}{
		{"IPv4 without login", "", "", 0, "127.0.0.1:61613", socks5OK,
			[]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0xf0, 0xad}},
		{"IPv6", "", "", 0, "[::1]:80", socks5OK,
			[]byte{5, 1, 0, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80}},
		{"name, resolved by the proxy", "", "", 0, "broker:1", socks5OK,
			append(append([]byte{5, 1, 0, 5, 1, 0, 3, 6}, "broker"...), 0, 1)},
		{"login", "al", "pw", 2, "127.0.0.1:1", socks5OK,
			[]byte{5, 2, 0, 2, 1, 2, 'a', 'l', 2, 'p', 'w', 5, 1, 0, 1, 127, 0, 0, 1, 0, 1}},
		{"login offered, not needed", "al", "pw", 0, "127.0.0.1:1", socks5OK,
			[]byte{5, 2, 0, 2, 5, 1, 0, 1, 127, 0, 0, 1, 0, 1}},
		{"bound address is a name", "", "", 0, "127.0.0.1:1", append(append([]byte{5, 0, 0, 3, 4}, "host"...), 0, 1),
			[]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 1}},
		{"bound address is IPv6", "", "", 0, "127.0.0.1:1", append([]byte{5, 0, 0, 4}, make([]byte, 18)...),
			[]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make(chan []byte, 1)
			d := SOCKS5(fakeProxy(t, socks5Server(c.method, 0, c.reply, got)), "proxy:1080", c.user, c.pass)
			conn, err := d(ctxFor(t, wait), "tcp", c.target)
			require.NoError(t, err)
			defer conn.Close()
			assert.Equal(t, c.want, <-got)
			_, err = conn.Write([]byte("pong"))
			require.NoError(t, err)
			assert.Equal(t, []byte("pong"), readN(conn, 4), "no byte of the reply is left in the tunnel")
		})
	}
}

func TestSOCKS5Failures(t *testing.T) {
	cases := []struct {
		name   string
		user   string
		script func(net.Conn)
		kind   ProxyErrorKind
		code   int
	}{
		{"connection refused (5)", "", socks5Server(0, 0, []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}, make(chan []byte, 1)), ProxyRefused, 5},
		{"not allowed by ruleset (2)", "", socks5Server(0, 0, []byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0}, make(chan []byte, 1)), ProxyRefused, 2},
		{"unknown reply code", "", socks5Server(0, 0, []byte{5, 42, 0, 1}, make(chan []byte, 1)), ProxyRefused, 42},
		{"no acceptable method", "", socks5Server(0xff, 0, nil, make(chan []byte, 1)), ProxyAuthFailed, 255},
		{"login refused", "u", socks5Server(2, 1, nil, make(chan []byte, 1)), ProxyAuthFailed, 1},
		{"method not offered", "", socks5Server(2, 0, nil, make(chan []byte, 1)), ProxyMalformed, 2},
		{"unknown address type", "", socks5Server(0, 0, []byte{5, 0, 0, 9}, make(chan []byte, 1)), ProxyMalformed, 0},
		{"truncated bound address", "", socks5Script(0, 0, []byte{5, 0, 0, 1, 127}, make(chan []byte, 1), false), ProxyMalformed, 0},
		{"truncated reply", "", socks5Script(0, 0, []byte{5, 0}, make(chan []byte, 1), false), ProxyMalformed, 0},
		{"garbage", "", func(c net.Conn) { readN(c, 3); _, _ = c.Write([]byte("HTTP/1.1 400 Bad\r\n\r\n")) }, ProxyMalformed, 0},
		{"wrong reply version", "", socks5Server(0, 0, []byte{4, 0, 0, 1, 0, 0, 0, 0, 0, 0}, make(chan []byte, 1)), ProxyMalformed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := SOCKS5(fakeProxy(t, c.script), "proxy:1080", c.user, "secret-pw")
			_, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:61613")
			pe := proxyErr(t, err, c.kind)
			assert.Equal(t, c.code, pe.Code)
			assert.NotContains(t, err.Error(), "secret-pw")
		})
	}
	_, err := SOCKS5(fakeProxy(t, drain), "p:1", string(make([]byte, 256)), "")(ctxFor(t, wait), "tcp", "h:1")
	proxyErr(t, err, ProxyBadRequest)
}

// Every proxy kind: a proxy that never answers holds the dial only until
// the context's deadline, and cancellation ends it too.
func TestProxiesBoundedByContext(t *testing.T) {
	kinds := map[string]func(Dialer) Dialer{
		"SOCKS4":  func(b Dialer) Dialer { return SOCKS4(b, "p:1", "") },
		"SOCKS4A": func(b Dialer) Dialer { return SOCKS4A(b, "p:1", "") },
		"SOCKS5":  func(b Dialer) Dialer { return SOCKS5(b, "p:1", "", "") },
		"HTTP":    func(b Dialer) Dialer { return HTTPConnect(b, "p:1", "", "") },
	}
	for name, mk := range kinds {
		t.Run(name+" deadline", func(t *testing.T) {
			start := time.Now()
			_, err := mk(fakeProxy(t, drain))(ctxFor(t, short), "tcp", "127.0.0.1:1")
			proxyErr(t, err, ProxyIO)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), wait)
		})
		t.Run(name+" cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			read := make(chan struct{})
			d := mk(fakeProxy(t, func(c net.Conn) {
				readN(c, 1)
				close(read)
				drain(c)
			}))
			go func() { <-read; cancel() }()
			_, err := d(ctx, "tcp", "127.0.0.1:1")
			proxyErr(t, err, ProxyIO)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestProxyUnreachableAndNetwork(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = SOCKS5(nil, addr, "", "")(ctxFor(t, wait), "tcp", "127.0.0.1:1")
	pe := proxyErr(t, err, ProxyUnreachable)
	var op *net.OpError
	assert.True(t, errors.As(err, &op), "the dial error is kept")
	assert.Contains(t, pe.Error(), "SOCKS5 proxy "+addr)

	_, err = SOCKS5(fakeProxy(t, drain), "p:1", "", "")(ctxFor(t, wait), "udp", "127.0.0.1:1")
	proxyErr(t, err, ProxyBadRequest)
}

func TestProxyErrorText(t *testing.T) {
	e := &ProxyError{Proxy: "SOCKS5", Addr: "p:1080", Target: "b:61613", Kind: ProxyRefused, Code: 5, Msg: "connection refused", Err: io.EOF}
	assert.Equal(t, "SOCKS5 proxy p:1080 (to b:61613): refused: connection refused (code 5): EOF", e.Error())
	assert.ErrorIs(t, e, io.EOF)
	assert.Equal(t, "ProxyErrorKind(99)", ProxyErrorKind(99).String())
}
