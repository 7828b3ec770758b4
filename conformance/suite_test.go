package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

var (
	profiles []Profile
	runID    string
	matrix   = map[string]map[string]string{}
	matrixMu sync.Mutex
	order    []string
)

type runner struct{ m *testing.M }

func (r runner) Run() int {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	runID = hex.EncodeToString(b)
	broker, err := sim.NewBroker(sim.WithUser("guest", "guest"), sim.WithVirtualHosts("/"), sim.WithHeartbeat(100*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the simulator:", err)
		return 1
	}
	profiles = []Profile{Sim(broker.Addr()), RabbitMQ(), ActiveMQ()}
	code := r.m.Run()
	writeMatrix()
	_ = broker.Close()
	return code
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(runner{m}) }

// Sim describes the embedded simulator.
func Sim(addr string) Profile {
	p := RabbitMQ()
	p.Name, p.Addr, p.Missing = "sim", addr, ""
	p.Login, p.Passcode = "guest", "guest"
	p.Durable = nil
	p.BrokerMaxFrame = 4 << 20 // the simulator's default frames.Limits
	p.Unsupported = map[string]string{"durable-subscription": "the simulator keeps no durable topic subscriptions"}
	return p
}

type scenario struct {
	name string
	run  func(e *env)
}

func record(scenario, broker, result string) {
	matrixMu.Lock()
	defer matrixMu.Unlock()
	if matrix[scenario] == nil {
		matrix[scenario] = map[string]string{}
		order = append(order, scenario)
	}
	matrix[scenario][broker] = result
	fmt.Printf("conformance: %-28s %-9s %s\n", scenario, broker, result)
}

func runScenarios(t *testing.T, list []scenario) {
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			for _, p := range profiles {
				t.Run(p.Name, func(t *testing.T) {
					if p.Missing != "" {
						if inCI() {
							record(sc.name, p.Name, "fail (broker missing)")
							t.Fatalf("%s: %s", p.Name, p.Missing)
						}
						record(sc.name, p.Name, "skipped: "+p.Missing)
						t.Skip(p.Missing)
					}
					if why, ok := p.Unsupported[sc.name]; ok {
						record(sc.name, p.Name, "n/a: "+why)
						t.Skip(why)
					}
					t.Cleanup(func() {
						if t.Failed() {
							record(sc.name, p.Name, "FAIL")
						} else {
							record(sc.name, p.Name, "pass")
						}
					})
					sc.run(newEnv(t, p))
				})
			}
		})
	}
}

func writeMatrix() {
	matrixMu.Lock()
	defer matrixMu.Unlock()
	if len(order) == 0 {
		return
	}
	var b strings.Builder
	names := []string{"sim", "rabbitmq", "activemq"}
	b.WriteString("| scenario | " + strings.Join(names, " | ") + " |\n|---|---|---|---|\n")
	rows := append([]string(nil), order...)
	sort.Strings(rows)
	for _, sc := range rows {
		b.WriteString("| " + sc)
		for _, n := range names {
			r := matrix[sc][n]
			if r == "" {
				r = "-"
			}
			b.WriteString(" | " + r)
		}
		b.WriteString(" |\n")
	}
	fmt.Print("\nconformance matrix\n" + b.String())
	if out := os.Getenv("STOMPACTOR_MATRIX_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(b.String()), 0o644)
	}
}

// env is one scenario run against one broker.
type env struct {
	t   *testing.T
	p   Profile
	ctx context.Context
}

func newEnv(t *testing.T, p Profile) *env {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, p: p, ctx: ctx}
}

// names counts every name handed out in this process, so that repeated
// runs (-count) never reuse a destination.
var names atomic.Int64

// name returns a destination name unique to this process, scenario and
// broker.
func (e *env) name() string {
	n := strings.NewReplacer("/", "-", " ", "-").Replace(e.t.Name())
	return fmt.Sprintf("sa-%s-%s-%d", runID, n, names.Add(1))
}

func (e *env) config(mod ...func(*actors.ConnectConfig)) actors.ConnectConfig {
	cfg := actors.ConnectConfig{Addr: e.p.Addr, Host: e.p.Host, Login: e.p.Login, Passcode: e.p.Passcode, ConnectTimeout: 20 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	return cfg
}

// client connects a new client, closed when the test ends.
func (e *env) client(mod ...func(*actors.ConnectConfig)) *actors.Conn {
	e.t.Helper()
	c := mustConn(e.t, actors.ConnOptions{})
	e.t.Cleanup(c.Close)
	_, err := c.Connect(e.ctx, e.config(mod...))
	require.NoError(e.t, err, "connect to %s", e.p.Name)
	return c
}

type inbox struct {
	ch chan *actors.Message
}

// subscribe subscribes with a handler that queues each message and answers
// with action.
func (e *env) subscribe(c *actors.Conn, spec actors.SubscribeSpec, action actors.AckAction) (string, *inbox) {
	e.t.Helper()
	in := &inbox{ch: make(chan *actors.Message, 1024)}
	spec.Handler = func(m actors.Message) actors.AckAction {
		in.ch <- &m
		return action
	}
	if spec.Receipt == 0 {
		spec.Receipt = 20 * time.Second
	}
	id, err := c.Subscribe(e.ctx, spec)
	require.NoError(e.t, err)
	return id, in
}

func (in *inbox) next(t *testing.T) *actors.Message {
	t.Helper()
	select {
	case m := <-in.ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message within 20s")
		return nil
	}
}

// mustConn adds a connection to the default engine.
func mustConn(t testing.TB, opts actors.ConnOptions) *actors.Conn {
	t.Helper()
	c, err := actors.NewConn(nil, opts)
	require.NoError(t, err)
	return c
}

// facade connects an api.STOMP, closed when the test ends.
func (e *env) facade() (*api.STOMP, chan *api.ErrorEvent, chan *api.DisconnectedEvent) {
	host, port, err := net.SplitHostPort(e.p.Addr)
	require.NoError(e.t, err)
	pn, _ := strconv.Atoi(port)
	s := api.NewSTOMP(api.WithUser(e.p.Login), api.WithPassword(e.p.Passcode), api.WithVirtualHost(e.p.Host), api.WithTimeout(20*time.Second))
	e.t.Cleanup(s.Close)
	errs, gone := make(chan *api.ErrorEvent, 16), make(chan *api.DisconnectedEvent, 4)
	// The tests need the first events; a handler must never block the
	// client's event queue, so later ones (failed ACKs while the test's
	// cleanup closes the client, say) are dropped when the test does not
	// read them.
	s.OnError(func(ev *api.ErrorEvent) {
		select {
		case errs <- ev:
		default:
		}
	})
	s.OnDisconnected(func(ev *api.DisconnectedEvent) {
		select {
		case gone <- ev:
		default:
		}
	})
	require.NoError(e.t, s.ConnectContext(e.ctx, host, pn))
	return s, errs, gone
}
