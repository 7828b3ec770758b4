package conformance

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// TestBrokerRestart kills each broker's process mid-stream and starts it
// again. It stops shared brokers, so scripts/test runs it on its own, after
// every other test, with STOMPACTOR_ALLOW_BROKER_RESTART=1.
func TestBrokerRestart(t *testing.T) {
	if os.Getenv("STOMPACTOR_ALLOW_BROKER_RESTART") != "1" {
		t.Skip("kills brokers: scripts/test runs it alone with STOMPACTOR_ALLOW_BROKER_RESTART=1")
	}
	runScenarios(t, []scenario{{"broker-killed-and-restarted", brokerKilledAndRestarted}})
}

// restarter kills and starts the broker of a profile.
func restarter(e *env) (kill, start func()) {
	if e.p.Name == "sim" {
		b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
		require.NoError(e.t, err)
		addr := b.Addr()
		e.p.Addr = addr
		var cur = b
		e.t.Cleanup(func() { _ = cur.Close() })
		return func() { require.NoError(e.t, cur.Close()) }, func() {
			nb, err := sim.NewBroker(sim.WithUser("guest", "guest"), sim.WithListenAddr(addr))
			require.NoError(e.t, err)
			cur = nb
		}
	}
	dir := os.Getenv("STOMPACTOR_BROKERS_DIR")
	if dir == "" {
		e.t.Fatal("STOMPACTOR_BROKERS_DIR is not set: the brokers were not started by scripts/brokers/up.sh")
	}
	run := func(args ...string) {
		cmd := exec.Command("../scripts/brokers/restart.sh", append([]string{dir, e.p.Name}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(e.t, err, "restart.sh %v: %s", args, out)
	}
	return func() { run("--kill") }, func() { run("--start") }
}

func brokerKilledAndRestarted(e *env) {
	kill, start := restarter(e)
	events := make(chan actors.Event, 256)
	c := mustConn(e.t, actors.ConnOptions{Sink: func(ev actors.Event) {
		select {
		case events <- ev:
		default:
		}
	}})
	defer c.Close()
	_, err := c.Connect(e.ctx, e.config())
	require.NoError(e.t, err)
	q := e.p.Queue(e.name())
	_, in := e.subscribe(c, actors.SubscribeSpec{Destination: q, Mode: actors.AckClientIndividual}, actors.AckAck)
	send(e, c, q, []byte("before"))
	assert.Equal(e.t, "before", string(in.next(e.t).Body))

	// A second client reconnects by itself and keeps its subscription.
	auto := mustConn(e.t, actors.ConnOptions{})
	defer auto.Close()
	_, err = auto.Connect(e.ctx, e.config(func(cfg *actors.ConnectConfig) {
		cfg.Reconnect = actors.ReconnectPolicy{Enabled: true, InitialDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	}))
	require.NoError(e.t, err)
	autoQ := e.p.Queue(e.name())
	_, autoIn := e.subscribe(auto, actors.SubscribeSpec{Destination: autoQ}, actors.AckNone)

	kill()
	var lost *actors.DisconnectedEvent
	for lost == nil {
		select {
		case ev := <-events:
			lost, _ = ev.(*actors.DisconnectedEvent)
		case <-time.After(30 * time.Second):
			e.t.Fatal("no DisconnectedEvent after the broker was killed")
		}
	}
	require.Error(e.t, lost.Err, "a killed broker is not a clean disconnect")
	assert.Equal(e.t, actors.Disconnected, c.State())
	err = c.Send(e.ctx, frames.New(frames.CmdSend, frames.HdrDestination, q), 0, true)
	assert.True(e.t, errors.Is(err, actors.ErrNotConnected), "send while down: %v", err)
	_, err = c.Connect(e.ctx, e.config(func(cfg *actors.ConnectConfig) { cfg.ConnectTimeout = 2 * time.Second }))
	require.Error(e.t, err, "connecting to a dead broker must fail")

	start()
	_, err = c.Connect(e.ctx, e.config())
	require.NoError(e.t, err, "the same client connects again once the broker is back")
	_, in2 := e.subscribe(c, actors.SubscribeSpec{Destination: q}, actors.AckNone)
	send(e, c, q, []byte("after"))
	assert.Equal(e.t, "after", string(in2.next(e.t).Body))

	deadline := time.After(60 * time.Second)
	for auto.Stats().Reconnects < 1 || auto.State() != actors.Connected {
		select {
		case <-deadline:
			e.t.Fatal("the reconnecting client did not come back within 60s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Its SUBSCRIBE went out before CONNECTED was reported; a receipted
	// send from the same client orders after it on the broker.
	send(e, auto, autoQ, []byte("resubscribed"))
	assert.Equal(e.t, "resubscribed", string(autoIn.next(e.t).Body))
	require.NoError(e.t, c.Disconnect(e.ctx, true, 10*time.Second))
}
