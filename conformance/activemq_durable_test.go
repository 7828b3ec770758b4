package conformance

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// activeMQAddr skips the test when ActiveMQ is not configured.
func activeMQAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("STOMPACTOR_ACTIVEMQ_ADDR")
	if addr == "" {
		const why = "STOMPACTOR_ACTIVEMQ_ADDR not set (scripts/brokers/up.sh activemq starts ActiveMQ)"
		if inCI() {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	return addr
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return host, p
}

// activeMQClient connects a client to addr with ActiveMQ's login, after
// applying the settings ("Name=value") in configs.
func activeMQClient(t *testing.T, addr string, configs []string, opts ...api.Option) *api.STOMP {
	t.Helper()
	s := api.NewSTOMP(append([]api.Option{
		api.WithUser(envOr("STOMPACTOR_ACTIVEMQ_LOGIN", "guest")),
		api.WithPassword(envOr("STOMPACTOR_ACTIVEMQ_PASSCODE", "guest")),
		api.WithTimeout(30 * time.Second),
	}, opts...)...)
	t.Cleanup(s.Close)
	for _, c := range configs {
		_, err := s.Config(c)
		require.NoError(t, err, c)
	}
	host, port := splitAddr(t, addr)
	require.NoError(t, s.Connect(host, port))
	return s
}

// cutProxy forwards loopback TCP to target; cut closes every
// connection, and while down new ones are closed at once.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	down   bool
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.mu.Unlock()
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
		}
		go pipe(c, up)
		go pipe(up, c)
	}
}

// cut closes every connection; down keeps new ones out until up.
func (p *cutProxy) cut(down bool) {
	p.mu.Lock()
	p.down = down
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

func (p *cutProxy) up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *cutProxy) close() {
	_ = p.ln.Close()
	p.cut(true)
	p.wg.Wait()
}

// TestActiveMQDurableSubscriptionSurvivesReconnect: a durable topic
// subscription on ActiveMQ (activemq.subscriptionName on SUBSCRIBE, and
// client-id on CONNECT through the ConnectHeaders setting) of a client with
// a Reconnect policy. Messages published to the topic while the client's
// connection is down must be delivered once it is back and resubscribed by
// itself: that is what a durable subscription is for. ActiveMQ keys it by
// client-id and name; without a way to put client-id on CONNECT, each
// reconnect made a new durable subscription and the messages published
// meanwhile were lost (review cluster, finding 3).
func TestActiveMQDurableSubscriptionSurvivesReconnect(t *testing.T) {
	addr := activeMQAddr(t)
	proxy := newCutProxy(t, addr)
	name := fmt.Sprintf("durable-%s-%d", runID, time.Now().UnixNano())
	topic := "/topic/" + name

	got := make(chan string, 16)
	errs := make(chan string, 16)
	sub := activeMQClient(t, proxy.addr(), []string{"ConnectHeaders=client-id:" + name}, api.WithRequestSubscriptionReceipts(true),
		api.WithReconnect(api.Reconnect{Enabled: true, InitialDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond}))
	sub.OnError(func(e *api.ErrorEvent) {
		select {
		case errs <- e.Err.Error():
		default:
		}
	})
	sub.OnConnectionStatus(func(e *api.ConnectionStatusEvent) {
		t.Logf("%s status %s: %s", time.Now().Format("15:04:05.000"), e.ConnectionEvent, e.Description)
	})
	sub.OnSubscribed(func(e *api.SubscribedEvent) { t.Logf("%s subscribed %+v", time.Now().Format("15:04:05.000"), *e) })
	lost, back := make(chan struct{}, 4), make(chan struct{}, 4)
	sub.OnDisconnected(func(*api.DisconnectedEvent) {
		select {
		case lost <- struct{}{}:
		default:
		}
	})
	sub.OnConnected(func(e *api.ConnectedEvent) {
		if e.Reconnected && e.Err == nil {
			select {
			case back <- struct{}{}:
			default:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := sub.SubscribeWith(ctx, topic, api.SubscribeOptions{
		ID:      name,
		AckMode: api.AckClientIndividual,
		Headers: []api.Header{{Key: "activemq.subscriptionName", Value: name}},
		Handler: func(ev *api.MessageInEvent) { got <- ev.Text() },
	})
	require.NoError(t, err)

	pub := activeMQClient(t, addr, nil, api.WithRequestReceipts(true), api.WithHeader("persistent", "true"))
	require.NoError(t, pub.SendMessage(topic, "before"))
	select {
	case m := <-got:
		require.Equal(t, "before", m)
	case e := <-errs:
		t.Fatalf("the durable subscription was refused: %s", e)
	case <-time.After(20 * time.Second):
		t.Fatal("no message before the cut")
	}

	proxy.cut(true)
	select {
	case <-lost:
	case <-time.After(20 * time.Second):
		t.Fatal("the client did not see the cut")
	}
	require.NoError(t, pub.SendMessage(topic, "while-away"))
	proxy.up()
	select {
	case <-back:
	case <-time.After(30 * time.Second):
		t.Fatalf("the client did not reconnect (stats %+v)", sub.Stats())
	}
	// The resubscription went out before CONNECTED was reported, but
	// ActiveMQ may register it after a SEND of another connection: publish
	// markers until one arrives (bounded).
	var seen []string
	gotAfter := false
	timeout := time.After(30 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	require.NoError(t, pub.SendMessage(topic, "after"))
	for !gotAfter {
		select {
		case m := <-got:
			seen = append(seen, m)
			gotAfter = m == "after"
		case e := <-errs:
			t.Logf("OnError: %s", e)
		case <-tick.C:
			require.NoError(t, pub.SendMessage(topic, "after"))
		case <-timeout:
			t.Fatalf("the resubscribed durable subscriber got %v within 30s (stats %+v)", seen, sub.Stats())
		}
	}
	require.Contains(t, seen, "while-away",
		"a message published to the topic while the durable subscriber's connection was down is lost after its reconnect (got %v)", seen)
	require.NoError(t, sub.Disconnect())
	require.NoError(t, pub.Disconnect())
}
