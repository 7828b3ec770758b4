package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/sim"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stomp-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "stomp")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the CLI: %v\n%s", err, out)
		os.Exit(1)
	}
	code := goleakRun(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func goleakRun(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

type result struct {
	stdout, stderr string
	code           int
}

// stomp runs the built binary as a user would, bounded in time.
func stomp(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "stomp %v hung; stderr: %s", args, errb.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{out.String(), errb.String(), code}
}

func newSim(t *testing.T) string {
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return "stomp://guest:guest@" + b.Addr()
}

func TestDemoWithoutBroker(t *testing.T) {
	r := stomp(t, "", "demo", "--count", "500")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "embedded simulator")
	assert.Contains(t, r.stdout, "STOMP 1.2")
	assert.Contains(t, r.stdout, "sent 500 messages")
	assert.Contains(t, r.stdout, "p99")
	assert.Contains(t, r.stdout, "disconnected cleanly")
}

func TestSendThenSubscribe(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--receipt", "-H", "x-k:v:1", "/queue/cli", "hello")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "from stdin", "send", "--server", srv, "/queue/cli")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--json", "-v", "/queue/cli")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	var m jsonMessage
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	assert.Equal(t, "hello", m.Body)
	assert.Equal(t, "v:1", m.Headers["x-k"])
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	assert.Equal(t, "from stdin", m.Body)
}

func TestTransactionAndCount(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--transaction", "t1", "--count", "3", "/queue/tx", "x")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "3", "--ack", "client-individual", "/queue/tx")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "x\nx\nx\n", r.stdout)
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"send"},
		{"send", "--count", "0", "--server", "stomp://127.0.0.1:1", "/q", "b"},
		{"subscribe", "--ack", "sometimes", "--server", "stomp://127.0.0.1:1", "/q"},
		{"--heartbeat", "x", "send", "--server", "stomp://127.0.0.1:1", "/q", "b"},
		{"send", "--server", "ftp://host", "/q", "b"},
		{"nosuchcommand"},
		{"send", "--no-such-flag", "/q", "b"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "%v: one line on stderr, got %q", args, r.stderr)
	}
}

func TestUnreachableServer(t *testing.T) {
	// A listener that is closed at once gives a port nobody serves.
	b, err := sim.NewBroker()
	require.NoError(t, err)
	addr := b.Addr()
	require.NoError(t, b.Close())
	r := stomp(t, "", "send", "--timeout", "5s", "--server", "stomp://u:topsecret@"+addr, "/q", "b")
	assert.Equal(t, exitFailure, r.code)
	assert.NotContains(t, r.stderr, "topsecret")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line on stderr, got %q", r.stderr)
}

func TestLoginRefusedNotEchoed(t *testing.T) {
	srv := newSim(t)
	bad := strings.Replace(srv, "guest:guest", "guest:wrongpass", 1)
	r := stomp(t, "", "send", "--server", bad, "/q", "b")
	assert.Equal(t, exitFailure, r.code)
	assert.NotContains(t, r.stderr+r.stdout, "wrongpass")
}

func TestRabbitMQ(t *testing.T) {
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STOMPACTOR_RABBITMQ_ADDR not set under CI")
		}
		t.Skip("no RabbitMQ (scripts/brokers/up.sh starts one)")
	}
	srv := "stomp://guest:guest@" + addr + "/"
	q := fmt.Sprintf("/queue/cli-%d", time.Now().UnixNano())
	r := stomp(t, "", "send", "--server", srv, "--receipt", q, "to rabbit")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", q)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "to rabbit\n", r.stdout)
	r = stomp(t, "", "demo", "--server", srv, "--count", "300")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "RabbitMQ")
}

func TestBrokerCommandWithFault(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "broker", "--listen", "127.0.0.1:0", "--user", "guest:guest",
		"--fault", "split-writes,chunk=1", "--fault", "drop-conn,conn=2,after=1h")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line := make([]byte, 0, 256)
	buf := make([]byte, 1)
	for len(line) == 0 || line[len(line)-1] != '\n' {
		_, err := stdout.Read(buf)
		require.NoError(t, err)
		line = append(line, buf[0])
	}
	fields := strings.Fields(string(line))
	require.GreaterOrEqual(t, len(fields), 4, string(line))
	addr := fields[3]
	assert.Contains(t, string(line), "2 faults planned")
	r := stomp(t, "", "send", "--server", "stomp://guest:guest@"+addr, "--receipt", "/queue/b", "split into single bytes")
	assert.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, err := io.ReadAll(stdout) // until the broker exits
	require.NoError(t, err)
	var ee *exec.ExitError
	require.ErrorAs(t, cmd.Wait(), &ee)
	assert.Equal(t, exitInterrupted, ee.ExitCode(), "Ctrl-C: 128+SIGINT")
	// Stopping, it sums up in labelled lines (writeBrokerStats).
	assert.Contains(t, string(rest), "stopping: ")
	assert.Contains(t, string(rest), "\nmessages: 1 sent, ")
	assert.Contains(t, string(rest), "\n  /queue/b (queue): 1 in, 0 out, 1 waiting, ")
	assert.NotContains(t, string(rest), "Counters:")
}

func TestBrokerBadFault(t *testing.T) {
	r := stomp(t, "", "broker", "--listen", "127.0.0.1:0", "--fault", "no-such-fault")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "unknown kind")
}

func TestRabbitMQOverTLSAndProxies(t *testing.T) {
	plain, tlsAddr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR"), os.Getenv("STOMPACTOR_RABBITMQ_TLS_ADDR")
	socks, httpProxy := os.Getenv("STOMPACTOR_SOCKS_ADDR"), os.Getenv("STOMPACTOR_HTTP_PROXY_ADDR")
	ca, clientCert := os.Getenv("STOMPACTOR_TLS_CA"), os.Getenv("STOMPACTOR_TLS_CLIENT_CERT")
	if plain == "" || tlsAddr == "" || socks == "" || httpProxy == "" || ca == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RabbitMQ TLS, dante or tinyproxy not configured under CI")
		}
		t.Skip("no RabbitMQ TLS port or proxies (scripts/brokers/up.sh starts them)")
	}
	q := fmt.Sprintf("/queue/cli-sec-%d", time.Now().UnixNano())
	for _, args := range [][]string{
		{"--server", "stomp+ssl://guest:guest@" + tlsAddr + "/", "--tls-ca", ca},
		{"--server", "stomp://guest:guest@" + plain + "/", "--proxy", "socks5://" + socks},
		{"--server", "stomp://guest:guest@" + plain + "/", "--proxy", "socks4://" + socks},
		{"--server", "stomp://guest:guest@" + plain + "/", "--proxy", "http://" + httpProxy},
		{"--server", "stomp+ssl://guest:guest@" + tlsAddr + "/", "--tls-ca", ca, "--proxy", "socks5://" + socks},
	} {
		r := stomp(t, "", append(append([]string{"send", "--receipt"}, args...), q, "secure")...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
	}
	r := stomp(t, "", "subscribe", "--server", "stomp://guest:guest@"+plain+"/", "--count", "5", q)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, strings.Repeat("secure\n", 5), r.stdout)

	if clientCert != "" {
		// A CA file that did not sign the server's certificate.
		r = stomp(t, "", "send", "--server", "stomp+ssl://guest:guest@"+tlsAddr+"/", "--tls-ca", clientCert, q, "x")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "certificate")
	}
	r = stomp(t, "", "send", "--server", "stomp://guest:guest@"+plain+"/", "--proxy", "ftp://"+socks, q, "x")
	assert.Equal(t, exitUsage, r.code, r.stderr)
}

// wsBridge fronts the STOMP server at backend with a WebSocket at
// ws://127.0.0.1:PORT/stomp, as a broker's Web-STOMP port does.
func wsBridge(t *testing.T, backend string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp", "v11.stomp", "v10.stomp"}})
		if err != nil {
			return
		}
		back, err := net.Dial("tcp", backend)
		if err != nil {
			_ = c.Close(websocket.StatusTryAgainLater, "no backend")
			return
		}
		testnet.Forward(websocket.NetConn(ctx, c, websocket.MessageBinary), back)
	}))
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	return strings.Replace(srv.URL, "http://", "ws://guest:guest@", 1) + "/stomp"
}

func TestWebSocketServer(t *testing.T) {
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	srv := wsBridge(t, b.Addr())
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/ws", "over a WebSocket")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", "/queue/ws")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "over a WebSocket\n", r.stdout)

	r = stomp(t, "", "send", "--server", srv, "--tls", "/queue/ws", "x")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "wss://")

	bad := strings.Replace(srv, "guest:guest", "guest:wrongpass", 1)
	r = stomp(t, "", "send", "--server", bad, "/queue/ws", "x")
	assert.Equal(t, exitFailure, r.code)
	assert.NotContains(t, r.stderr+r.stdout, "wrongpass")
	assert.Contains(t, r.stderr, "ws://127.0.0.1:", "the server is named by its URL")
}

func TestParseWebSocketServer(t *testing.T) {
	sv, err := parseServer("wss://u:p@broker/ws")
	require.NoError(t, err)
	assert.Equal(t, server{Scheme: "wss", Host: "broker", Port: 443, Login: "u", Passcode: "p", VHost: "/", HasVHost: true, WSURL: "wss://broker/ws"}, sv)
	assert.Equal(t, "wss://broker/ws", sv.String())
	sv, err = parseServer("ws://broker:15674/ws")
	require.NoError(t, err)
	assert.Equal(t, 15674, sv.Port)
	assert.Equal(t, "ws://broker:15674/ws", sv.WSURL)
	sv, err = parseServer("broker")
	require.NoError(t, err)
	assert.Equal(t, "broker:61613", sv.String())
}

func TestRabbitMQOverWebSocket(t *testing.T) {
	wsURL, wssURL, ca := os.Getenv("STOMPACTOR_RABBITMQ_WS_URL"), os.Getenv("STOMPACTOR_RABBITMQ_WSS_URL"), os.Getenv("STOMPACTOR_TLS_CA")
	if wsURL == "" || wssURL == "" || ca == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RabbitMQ Web-STOMP not configured under CI")
		}
		t.Skip("no RabbitMQ Web-STOMP (scripts/brokers/up.sh starts it)")
	}
	login := func(u string) string { return strings.Replace(u, "://", "://guest:guest@", 1) }
	q := fmt.Sprintf("/queue/cli-ws-%d", time.Now().UnixNano())
	r := stomp(t, "", "send", "--server", login(wsURL), "--receipt", q, "over ws")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", login(wssURL), "--tls-ca", ca, "--receipt", q, "over wss")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", login(wsURL), "--config", "VirtualHost=/", "--receipt", q, "vhost named")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", login(wsURL), "--count", "3", q)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "over ws\nover wss\nvhost named\n", r.stdout)

	r = stomp(t, "", "send", "--server", login(wsURL), "--config", "VirtualHost=/nope", q, "x")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", login(wssURL), q, "x")
	assert.Equal(t, exitFailure, r.code, "the CA is not the system's")
	assert.Contains(t, r.stderr, "certificate")
}

func TestSubscribeReconnects(t *testing.T) {
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	defer b.Close()
	srv := "stomp://guest:guest@" + b.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--reconnect", "--count", "2", "/queue/rc")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	waitSubscribed := func(n int) {
		for {
			if info, ok := b.Connection(n); ok && len(info.Subscriptions) == 1 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no subscription on connection %d; stderr: %s", n, errb.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	waitSubscribed(1)
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/rc", "one")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, b.CloseConnection(1))
	waitSubscribed(3) // connection 2 was the sender's
	r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/rc", "two")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, cmd.Wait(), errb.String())
	assert.Equal(t, "one\ntwo\n", out.String())
}

func TestBenchCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	r := stomp(t, "", "bench", "--count", "3000", "--publishers", "2", "--consumers", "3", "--size", "64", "--json", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "throughput:")
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var res benchResult
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Equal(t, 3000, res.Messages)
	assert.Equal(t, 2, res.Publishers)
	assert.Equal(t, 3, res.Consumers)
	assert.Greater(t, res.MsgPerSec, 0.0)
	assert.LessOrEqual(t, res.LatencyP50us, res.LatencyP99us)
	r = stomp(t, "", "bench", "--publishers", "0")
	assert.Equal(t, exitUsage, r.code)
}

// closedAddr is the address of a listener closed at once: nobody serves it.
func closedAddr(t *testing.T) string {
	t.Helper()
	b, err := sim.NewBroker()
	require.NoError(t, err)
	addr := b.Addr()
	require.NoError(t, b.Close())
	return addr
}

func TestEveryServersErrorIsShown(t *testing.T) {
	a, b := closedAddr(t), closedAddr(t)
	r := stomp(t, "", "send", "--timeout", "5s", "--server", "stomp://"+a, "--server", "stomp://"+b, "/q", "x")
	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line on stderr, got %q", r.stderr)
	assert.Contains(t, r.stderr, a+": ")
	assert.Contains(t, r.stderr, "; "+b+": ")
	assert.Equal(t, 2, strings.Count(r.stderr, "refused"), r.stderr)
}

func TestReconnectReportsRetriesAndTheLastCause(t *testing.T) {
	addr := closedAddr(t)
	for _, cmd := range [][]string{{"send", "/queue/x", "hi"}, {"subscribe", "/queue/x"}} {
		r := stomp(t, "", append(cmd, "--reconnect", "--timeout", "1s", "--server", "stomp://"+addr)...)
		assert.Equal(t, exitFailure, r.code, r.stderr)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		assert.True(t, strings.HasPrefix(lines[0], "stomp: retrying: attempt 1 in "), "%v: the first retry is reported as it happens: %q", cmd, r.stderr)
		last := lines[len(lines)-1]
		assert.Contains(t, last, addr+": no CONNECTED within 1s (--timeout); last error: ", cmd)
		assert.Contains(t, last, "connection refused", cmd)
	}
}

func TestSilentServerTimeoutSaysWhat(t *testing.T) {
	// A listener that never accepts: the kernel completes the handshake,
	// nobody answers CONNECT.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := stomp(t, "", "send", "--timeout", "300ms", "--server", "stomp://"+ln.Addr().String(), "/queue/x", "hi")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "stomp: "+ln.Addr().String()+": no CONNECTED within 300ms (--timeout)\n", r.stderr)
}

func TestSendStdinIsOneBodyAndEmptyIsRefused(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "/queue/empty-in")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--allow-empty")
	d, _ := b.Destination("/queue/empty-in")
	assert.Zero(t, d.Enqueued, "nothing sent")
	r = stomp(t, "", "send", "--server", srv, "--allow-empty", "--receipt", "/queue/empty-in")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "1\n2\n3\n", "send", "--server", srv, "--receipt", "/queue/empty-in")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--null", "/queue/empty-in")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "\x001\n2\n3\n\x00", r.stdout, "an empty message, then all of stdin as one body")
}

func TestBrokerAndProxyRefuseConnectionFlags(t *testing.T) {
	for _, args := range [][]string{
		{"broker", "--listen", "127.0.0.1:0", "--tls"},
		{"broker", "--listen", "127.0.0.1:0", "--server", "stomp://127.0.0.1:1"},
		{"broker", "--listen", "127.0.0.1:0", "--reconnect"},
		{"proxy", "--target", "127.0.0.1:1", "--tls-cert", "/nonexistent"},
		{"proxy", "--target", "127.0.0.1:1", "--login", "x"},
		{"bench", "peer", "--server", "stomp://127.0.0.1:1"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "unknown flag", args)
	}
	r := stomp(t, "", "broker", "--help")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "--server")
	assert.NotContains(t, r.stdout, "--tls")
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := stomp(t, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, "stomp github.com/stompactor/stompactor "), "%v: %q", args, r.stdout)
		assert.Contains(t, r.stdout, ", built with go1.", args)
	}
	// The protocol version is --stomp-version; its old name still works.
	srv := newSim(t)
	for _, flag := range []string{"--stomp-version", "--version"} {
		r := stomp(t, "", "send", "--server", srv, flag, "1.1", "--receipt", "/queue/v", "x")
		assert.Equal(t, 0, r.code, "%s: %s", flag, r.stderr)
		r = stomp(t, "", "send", "--server", srv, flag, "9", "/queue/v", "x")
		assert.Equal(t, exitUsage, r.code, "%s: %s", flag, r.stderr)
		assert.Contains(t, r.stderr, "--stomp-version must be 1.0, 1.1 or 1.2")
	}
}

func TestBrokerReportsPausedPublishers(t *testing.T) {
	d := startDaemon(t, "broker", "--listen", "127.0.0.1:0", "--max-queued", "3")
	srv := "stomp://" + listenAddr(t, d.waitLine(t, "listening on"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	send := exec.CommandContext(ctx, binary, "send", "--server", srv, "--count", "4", "/queue/flow", "x")
	var sendErr bytes.Buffer
	send.Stderr = &sendErr
	require.NoError(t, send.Start())
	eventually(t, "the pause on stderr", func() bool { return strings.Contains(d.stderr.String(), "paused publishers") })
	assert.Contains(t, d.stderr.String(), "stomp: paused publishers: 4 messages queued (--max-queued 3)\n")
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "4", "/queue/flow")
	require.Equal(t, 0, r.code, r.stderr)
	eventually(t, "the resume on stderr", func() bool { return strings.Contains(d.stderr.String(), "resumed publishers") })
	require.NoError(t, send.Wait(), "the sender's DISCONNECT is read once resumed; stderr: %s", sendErr.String())
	r = stomp(t, "", "broker", "--max-queued", "0")
	assert.Equal(t, exitUsage, r.code, r.stderr)
}
