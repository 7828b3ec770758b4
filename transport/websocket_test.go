package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testnet"
)

// wsHandler serves one upgrade request; ctx ends when the test does.
type wsHandler func(ctx context.Context, w http.ResponseWriter, r *http.Request)

// serveWS runs h on 127.0.0.1:0 (with TLS when cert is not nil) and
// returns the ws:// or wss:// URL of path /stomp. The test waits for every
// handler, hijacked ones included, before it ends.
func serveWS(t *testing.T, cert *tls.Certificate, h wsHandler) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		h(ctx, w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused TLS handshakes are expected
	scheme := "ws://"
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.StartTLS()
		scheme = "wss://"
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	return scheme + srv.Listener.Addr().String() + "/stomp"
}

// seenMessage is what the echo server read.
type seenMessage struct {
	typ  websocket.MessageType
	data []byte
}

// stompEcho answers CONNECT with CONNECTED split over two text messages,
// the second also carrying a RECEIPT (as brokers send text), and echoes
// any other message in kind. It reports the subprotocols offered and
// every message read.
func stompEcho(offered chan<- string, seen chan<- seenMessage) wsHandler {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		offered <- r.Header.Get("Sec-WebSocket-Protocol")
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: WSSubprotocols()})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			seen <- seenMessage{typ, data}
			if bytes.HasPrefix(data, []byte("CONNECT\n")) {
				_ = c.Write(ctx, websocket.MessageText, []byte("CONNECTED\nversion:1.2\n"))
				_ = c.Write(ctx, websocket.MessageText, []byte("\n\x00RECEIPT\nreceipt-id:0\n\n\x00"))
				continue
			}
			if err := c.Write(ctx, typ, data); err != nil {
				return
			}
		}
	}
}

// rawServer runs script on every connection to 127.0.0.1:0 and returns
// the address; the test waits for the scripts.
func rawServer(t *testing.T, script func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	testnet.Serve(t, ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(wait))
		script(c)
	})
	return ln.Addr().String()
}

// upgradeHead reads an upgrade request and returns the 101 answer for it,
// with the given extra header lines.
func upgradeHead(c net.Conn, extra string) string {
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return ""
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" + extra + "\r\n"
}

func wsErr(t *testing.T, err error, kind WSErrorKind) *WSError {
	t.Helper()
	var we *WSError
	require.True(t, errors.As(err, &we), "want a *WSError, got %v", err)
	require.Equal(t, kind, we.Kind, "%v", err)
	return we
}

func TestWebSocketSTOMPExchange(t *testing.T) {
	offered, seen := make(chan string, 1), make(chan seenMessage, 16)
	u := serveWS(t, nil, stompEcho(offered, seen))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	conn, err := WebSocket(nil, u, WSOptions{})(ctx, "tcp", "ignored:1")
	// The handshake's context bounds the handshake only.
	cancel()
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, "v12.stomp,v11.stomp,v10.stomp", strings.ReplaceAll(<-offered, " ", ""))
	assert.Equal(t, "v12.stomp", conn.(interface{ Subprotocol() string }).Subprotocol())
	assert.Equal(t, conn.(interface{ NetConn() net.Conn }).NetConn().RemoteAddr(), conn.RemoteAddr())
	_, ok := ConnectionState(conn)
	assert.False(t, ok, "ws:// has no TLS")

	_, err = conn.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00"))
	require.NoError(t, err)
	m := <-seen
	assert.Equal(t, websocket.MessageBinary, m.typ, "binary messages by default")
	r := bufio.NewReader(conn)
	frame, err := r.ReadString(0)
	require.NoError(t, err)
	assert.Equal(t, "CONNECTED\nversion:1.2\n\n\x00", frame, "one frame from two text messages")
	frame, err = r.ReadString(0)
	require.NoError(t, err)
	assert.Equal(t, "RECEIPT\nreceipt-id:0\n\n\x00", frame, "a second frame in the same message")

	// A body that is not UTF-8 goes through a binary message untouched.
	send := "SEND\ndestination:/q\n\n\xff\xfe\x00"
	_, err = conn.Write([]byte(send))
	require.NoError(t, err)
	assert.Equal(t, []byte(send), (<-seen).data)
	frame, err = r.ReadString(0)
	require.NoError(t, err)
	assert.Equal(t, send, frame)

	// Heart-beats are bare EOLs: a one-byte message.
	_, err = conn.Write([]byte("\n"))
	require.NoError(t, err)
	assert.Equal(t, []byte("\n"), (<-seen).data)
	b, err := r.ReadByte()
	require.NoError(t, err)
	assert.Equal(t, byte('\n'), b)
}

func TestWebSocketTextMessages(t *testing.T) {
	offered, seen := make(chan string, 1), make(chan seenMessage, 4)
	u := serveWS(t, nil, stompEcho(offered, seen))
	conn, err := WebSocket(nil, u, WSOptions{Text: true, Subprotocols: []string{"v11.stomp"}})(ctxFor(t, wait), "tcp", "")
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, "v11.stomp", <-offered)
	assert.Equal(t, "v11.stomp", conn.(interface{ Subprotocol() string }).Subprotocol())
	_, err = conn.Write([]byte("SEND\n\nx\x00"))
	require.NoError(t, err)
	m := <-seen
	assert.Equal(t, websocket.MessageText, m.typ)
	assert.Equal(t, "SEND\n\nx\x00", string(m.data))
}

func TestWebSocketOverTLS(t *testing.T) {
	ca := newCA(t, "ws CA")
	leaf := ca.leaf(t)
	offered, seen := make(chan string, 4), make(chan seenMessage, 4)
	u := serveWS(t, &leaf, stompEcho(offered, seen))
	t.Run("trusted", func(t *testing.T) {
		var dialed string
		base := func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed = addr
			return TCP(TCPOptions{NoDelay: true})(ctx, network, addr)
		}
		conn, err := WebSocket(TLS(base, &tls.Config{RootCAs: ca.pool}), u, WSOptions{})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		defer conn.Close()
		assert.Equal(t, strings.TrimSuffix(strings.TrimPrefix(u, "wss://"), "/stomp"), dialed, "base dials the URL's host")
		st, ok := ConnectionState(conn)
		require.True(t, ok, "the TLS state is found under the WebSocket")
		assert.Equal(t, "localhost", st.PeerCertificates[0].Subject.CommonName)
		_, err = conn.Write([]byte("CONNECT\n\n\x00"))
		require.NoError(t, err)
		frame, err := bufio.NewReader(conn).ReadString(0)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(frame, "CONNECTED\n"), frame)
	})
	t.Run("untrusted", func(t *testing.T) {
		_, err := WebSocket(nil, u, WSOptions{})(ctxFor(t, wait), "tcp", "")
		var he *HandshakeError
		require.ErrorAs(t, err, &he, "nil base runs TLS with the system's roots")
	})
	t.Run("base without TLS", func(t *testing.T) {
		_, err := WebSocket(TCP(TCPOptions{}), u, WSOptions{})(ctxFor(t, wait), "tcp", "")
		wsErr(t, err, WSNotTLS)
	})
}

func TestWebSocketBadURL(t *testing.T) {
	for _, raw := range []string{"ftp://host/x", "ws:///path", "ws://host:0/", "ws://host:99999/", "http://host/", "ws://%zz"} {
		_, err := WebSocket(nil, raw, WSOptions{})(ctxFor(t, wait), "tcp", "")
		wsErr(t, err, WSBadURL)
	}
	_, err := WebSocket(nil, "ws://guest:topsecret@host/ws", WSOptions{})(ctxFor(t, wait), "tcp", "")
	we := wsErr(t, err, WSBadURL)
	assert.NotContains(t, err.Error(), "topsecret")
	assert.Equal(t, "ws://host/ws", we.URL)

	u, err := ParseWSURL("WSS://[::1]/")
	require.NoError(t, err)
	assert.Equal(t, WSURL{URL: u.URL, Host: "::1", Port: 443, Secure: true}, u)
	assert.Equal(t, "[::1]:443", u.Addr())
	u, err = ParseWSURL("ws://broker:15674#frag")
	require.NoError(t, err)
	assert.Equal(t, "ws://broker:15674/", u.URL.String())
	assert.Equal(t, 15674, u.Port)
}

func TestWebSocketUpgradeRefused(t *testing.T) {
	u := serveWS(t, nil, func(_ context.Context, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("go") == "elsewhere" {
			http.Redirect(w, r, "http://other.invalid/", http.StatusFound)
			return
		}
		http.Error(w, "no STOMP\r\nfor\x01you", http.StatusForbidden)
	})
	_, err := WebSocket(nil, u, WSOptions{})(ctxFor(t, wait), "tcp", "")
	we := wsErr(t, err, WSRefused)
	assert.Equal(t, http.StatusForbidden, we.StatusCode)
	assert.Contains(t, we.Msg, "Forbidden: no STOMP")
	assert.NotContains(t, err.Error(), "\x01")

	_, err = WebSocket(nil, u+"?go=elsewhere", WSOptions{})(ctxFor(t, wait), "tcp", "")
	we = wsErr(t, err, WSRefused)
	assert.Equal(t, http.StatusFound, we.StatusCode, "redirects are not followed")
	assert.Contains(t, we.Msg, "other.invalid")
}

func TestWebSocketSubprotocol(t *testing.T) {
	none := serveWS(t, nil, func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, _, _ = c.Read(ctx)
	})
	_, err := WebSocket(nil, none, WSOptions{})(ctxFor(t, wait), "tcp", "")
	wsErr(t, err, WSSubprotocol)

	conn, err := WebSocket(nil, none, WSOptions{AllowNoSubprotocol: true})(ctxFor(t, wait), "tcp", "")
	require.NoError(t, err)
	assert.Equal(t, "", conn.(interface{ Subprotocol() string }).Subprotocol())
	require.NoError(t, conn.Close())

	wrong := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, upgradeHead(c, "Sec-WebSocket-Protocol: mqtt\r\n"))
		drain(c)
	})
	_, err = WebSocket(nil, "ws://"+wrong+"/", WSOptions{})(ctxFor(t, wait), "tcp", "")
	we := wsErr(t, err, WSSubprotocol)
	assert.Equal(t, "mqtt", we.Subprotocol)

	badAccept := rawServer(t, func(c net.Conn) {
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n")
		drain(c)
	})
	_, err = WebSocket(nil, "ws://"+badAccept+"/", WSOptions{})(ctxFor(t, wait), "tcp", "")
	wsErr(t, err, WSMalformed)
}

func TestWebSocketSilentServer(t *testing.T) {
	addr := rawServer(t, drain)
	start := time.Now()
	_, err := WebSocket(nil, "ws://"+addr+"/", WSOptions{})(ctxFor(t, short), "tcp", "")
	we := wsErr(t, err, WSIO)
	assert.ErrorIs(t, we, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), wait, "the context bounds the handshake")

	cut := rawServer(t, func(c net.Conn) { _, _ = http.ReadRequest(bufio.NewReader(c)) })
	_, err = WebSocket(nil, "ws://"+cut+"/", WSOptions{})(ctxFor(t, wait), "tcp", "")
	wsErr(t, err, WSIO)
}

func TestWebSocketBaseErrorAsItIs(t *testing.T) {
	boom := errors.New("boom")
	base := func(context.Context, string, string) (net.Conn, error) { return nil, boom }
	_, err := WebSocket(base, "ws://127.0.0.1:1/", WSOptions{})(ctxFor(t, wait), "tcp", "")
	assert.Same(t, boom, err)
}

func TestWebSocketMessageLimit(t *testing.T) {
	u := serveWS(t, nil, func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: WSSubprotocols()})
		if err != nil {
			return
		}
		defer c.CloseNow()
		_ = c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte("a"), 1024))
		_ = c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte("b"), 1025))
		_, _, _ = c.Read(ctx)
	})
	conn, err := WebSocket(nil, u, WSOptions{ReadLimit: 1024})(ctxFor(t, wait), "tcp", "")
	require.NoError(t, err)
	defer conn.Close()
	got, err := io.ReadAll(conn)
	assert.Equal(t, bytes.Repeat([]byte("a"), 1024), got[:1024], "a message at the limit is read")
	assert.LessOrEqual(t, len(got), 1024+1025, "at most one byte past the limit is read")
	we := wsErr(t, err, WSTooLarge)
	assert.ErrorIs(t, we, websocket.ErrMessageTooBig)
}

func TestWebSocketDeadlinesAndClose(t *testing.T) {
	u := serveWS(t, nil, func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: WSSubprotocols()})
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.URL.Query().Get("mode") == "bye" {
			_ = c.Close(websocket.StatusNormalClosure, "bye")
			return
		}
		// Silent: never reads, so the close handshake goes unanswered.
		<-ctx.Done()
	})
	t.Run("idle deadline", func(t *testing.T) {
		conn, err := WebSocket(nil, u, WSOptions{CloseTimeout: short})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(-time.Second)))
		_, err = conn.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())
	})
	t.Run("deadline during a read", func(t *testing.T) {
		conn, err := WebSocket(nil, u, WSOptions{CloseTimeout: short})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(short)))
		_, err = conn.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("close unblocks a read and is bounded", func(t *testing.T) {
		conn, err := WebSocket(nil, u, WSOptions{CloseTimeout: short})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		readErr := make(chan error, 1)
		go func() {
			_, err := conn.Read(make([]byte, 1))
			readErr <- err
		}()
		require.NoError(t, conn.Close())
		assert.ErrorIs(t, <-readErr, net.ErrClosed)
		assert.ErrorIs(t, conn.Close(), net.ErrClosed)
		_, err = conn.Write([]byte("x"))
		assert.ErrorIs(t, err, net.ErrClosed)
	})
	t.Run("normal closure is EOF", func(t *testing.T) {
		conn, err := WebSocket(nil, u+"?mode=bye", WSOptions{})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Read(make([]byte, 1))
		assert.Equal(t, io.EOF, err)
	})
}

// RabbitMQ's Web-STOMP plugin, from scripts/brokers/up.sh: a real
// CONNECT/CONNECTED over ws:// and wss://.
func TestRealWebSocket(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_WS_URL", "STOMPACTOR_RABBITMQ_WSS_URL", "STOMPACTOR_TLS_CA")
	wsURL, wssURL, roots := env[0], env[1], brokerCA(t, env[2])
	t.Run("ws binary", func(t *testing.T) {
		conn, err := WebSocket(nil, wsURL, WSOptions{})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		assert.Equal(t, "v12.stomp", conn.(interface{ Subprotocol() string }).Subprotocol())
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("ws text", func(t *testing.T) {
		conn, err := WebSocket(nil, wsURL, WSOptions{Text: true})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("wss with the CA", func(t *testing.T) {
		conn, err := WebSocket(TLS(nil, &tls.Config{RootCAs: roots}), wssURL, WSOptions{})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		st, ok := ConnectionState(conn)
		require.True(t, ok)
		assert.GreaterOrEqual(t, st.Version, uint16(tls.VersionTLS12))
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("wss by name", func(t *testing.T) {
		u, err := ParseWSURL(wssURL)
		require.NoError(t, err)
		u.URL.Host = "localhost:" + u.URL.Port()
		conn, err := WebSocket(TLS(nil, &tls.Config{RootCAs: roots}), u.URL.String(), WSOptions{})(ctxFor(t, wait), "tcp", "")
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("wss without the CA", func(t *testing.T) {
		_, err := WebSocket(nil, wssURL, WSOptions{})(ctxFor(t, wait), "tcp", "")
		var ve *tls.CertificateVerificationError
		assert.ErrorAs(t, err, &ve)
	})
	t.Run("wrong path", func(t *testing.T) {
		_, err := WebSocket(nil, strings.TrimSuffix(wsURL, "/ws")+"/nowhere", WSOptions{})(ctxFor(t, wait), "tcp", "")
		we := wsErr(t, err, WSRefused)
		assert.Equal(t, http.StatusNotFound, we.StatusCode)
	})
	t.Run("not a STOMP subprotocol", func(t *testing.T) {
		_, err := WebSocket(nil, wsURL, WSOptions{Subprotocols: []string{"mqtt"}})(ctxFor(t, wait), "tcp", "")
		wsErr(t, err, WSSubprotocol) // RabbitMQ upgrades without choosing one
	})
}

// Web-STOMP through the proxies of scripts/brokers/up.sh.
func TestRealWebSocketThroughProxies(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_WS_URL", "STOMPACTOR_RABBITMQ_WSS_URL", "STOMPACTOR_TLS_CA", "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_HTTP_PROXY_ADDR")
	roots := brokerCA(t, env[2])
	for name, base := range map[string]Dialer{"SOCKS5": SOCKS5(nil, env[3], "", ""), "HTTP": HTTPConnect(nil, env[4], "", "")} {
		t.Run(name+" ws", func(t *testing.T) {
			conn, err := WebSocket(base, env[0], WSOptions{})(ctxFor(t, wait), "tcp", "")
			require.NoError(t, err)
			assert.Equal(t, "CONNECTED", stompHello(t, conn))
		})
		t.Run(name+" wss", func(t *testing.T) {
			conn, err := WebSocket(TLS(base, &tls.Config{RootCAs: roots}), env[1], WSOptions{})(ctxFor(t, wait), "tcp", "")
			require.NoError(t, err)
			assert.Equal(t, "CONNECTED", stompHello(t, conn))
		})
	}
}

func TestRedactURLHidesQueryAndUser(t *testing.T) {
	require.Equal(t, "wss://broker:443/ws?<redacted>", RedactURL("wss://user:pw@broker:443/ws?access_token=s3cret"))
	require.Equal(t, "ws://broker/ws", RedactURL("ws://broker/ws"))
}
