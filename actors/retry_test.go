package actors

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// closedAddr is an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// With a Reconnect policy the first Connect fails over too: the primary
// is down, the second broker answers, and every attempt is reported.
func TestFirstConnectFailsOver(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	info, err := c.Connect(testCtx(t), ConnectConfig{Addr: closedAddr(t), Failover: []string{closedAddr(t), b.Addr()}, Reconnect: fastReconnect})
	require.NoError(t, err)
	require.Equal(t, frames.V12, info.Version)
	require.Equal(t, Connected, c.State())
	waitEvent[*ReadyToSendEvent](t, rec, nil) // the last event of connecting
	require.Equal(t, 2, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "retrying" }), "one event per failed attempt")
	require.Equal(t, 1, count(rec, func(e *ConnectedEvent) bool { return true }), "one ConnectedEvent: the outcome")
	require.Zero(t, c.Stats().Reconnects, "a first connect is not a reconnect")
}

// Without a policy the first Connect fails at the first broker, as always.
func TestFirstConnectWithoutPolicyFailsAtOnce(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: closedAddr(t), Failover: []string{b.Addr()}})
	require.Error(t, err)
	require.Equal(t, Disconnected, c.State())
}

// A broker that refuses the login is not retried: another broker of the
// same cluster would refuse it too.
func TestFirstConnectRefusedLoginIsNotRetried(t *testing.T) {
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), Login: "guest", Passcode: "wrong", Reconnect: fastReconnect})
	var se *Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, CodeServerError, se.Code)
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "retrying" }))
}

// The first Connect with MaxAttempts gives up with an error that says so.
func TestFirstConnectGivesUp(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	policy := fastReconnect
	policy.MaxAttempts = 3
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: closedAddr(t), Reconnect: policy})
	require.ErrorContains(t, err, "gave up connecting after 3 attempts")
	require.Equal(t, Disconnected, c.State())
}

// The caller's context bounds a first Connect that keeps retrying, and
// ends the retrying with it.
func TestFirstConnectContextEndsRetrying(t *testing.T) {
	c, rec := newTestClient(t, ConnOptions{})
	ctx, cancel := context.WithCancel(testCtx(t))
	policy := ReconnectPolicy{Enabled: true, InitialDelay: time.Hour, MaxDelay: time.Hour}
	done := make(chan error, 1)
	go func() {
		_, err := c.Connect(ctx, ConnectConfig{Addr: closedAddr(t), Reconnect: policy})
		done <- err
	}()
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "retrying" })
	cancel()
	require.ErrorIs(t, recv(t, done, "Connect"), context.Canceled)
	waitFor(t, "the session to settle", func() bool { return c.State() == Disconnected })
}

// Connections that die right after CONNECTED do not reset the backoff:
// the attempts count on, and the repeated death is reported once.
func TestQuickDeathsKeepBackingOffAndAreReportedOnce(t *testing.T) {
	// Every connection is dropped soon after it is accepted.
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "cut", Kind: sim.DropConn, After: 20 * time.Millisecond}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	policy := ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 8 * time.Millisecond, StableAfter: time.Minute}
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: policy})
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool {
		return e.Status == "reconnecting" && strings.HasPrefix(e.Detail, "attempt 6 ")
	})
	require.Equal(t, 1, count(rec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "connections in a row ended within") }),
		"reported once, not at every reconnect")
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool {
		return e.Status == "reconnecting" && strings.HasPrefix(e.Detail, "attempt 1 ") && e != firstReconnect(rec)
	}), "the backoff never started over")
}

func firstReconnect(rec *recorder) *ConnectionStatusEvent {
	for _, e := range rec.all() {
		if s, ok := e.(*ConnectionStatusEvent); ok && s.Status == "reconnecting" {
			return s
		}
	}
	return nil
}

// The Credentials callback supplies the login of every attempt.
func TestCredentialsPerAttempt(t *testing.T) {
	// Each token is good for one connection.
	b, err := sim.NewBroker(sim.WithUser("user-1", "token-1"), sim.WithUser("user-2", "token-2"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	var calls atomic.Int32
	creds := func(ctx context.Context, server string) (string, string, error) {
		n := strconv.Itoa(int(calls.Add(1)))
		return "user-" + n, "token-" + n, nil
	}
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Credentials: creds, Login: "ignored", Passcode: "ignored", Reconnect: fastReconnect})
	require.EqualValues(t, 1, calls.Load())
	require.NoError(t, b.CloseConnection(1))
	waitFor(t, "the reconnection", func() bool { return c.Stats().Reconnects == 1 && c.State() == Connected })
	require.EqualValues(t, 2, calls.Load(), "a fresh token for the new connection")
	info, ok := b.Connection(2)
	require.True(t, ok)
	require.Equal(t, "user-2", info.Login)

	// A failing callback fails the attempt, with its error.
	c2, _ := newTestClient(t, ConnOptions{})
	boom := errors.New("token service down")
	_, err = c2.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), Credentials: func(context.Context, string) (string, string, error) { return "", "", boom }})
	require.ErrorIs(t, err, boom)
	_ = rec
}

// A message over the client's receive limit ends every connection that
// subscribes to its queue: the client keeps backing off (no storm of
// reconnects) and says once that a message probably poisons the queue.
func TestOversizedMessageIsReportedOnceWithoutAStorm(t *testing.T) {
	b := newSim(t)
	publish(t, b.Addr(), "/queue/big", string(make([]byte, 2<<20)))
	c, rec := newTestClient(t, ConnOptions{})
	policy := ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond, StableAfter: time.Minute}
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: policy, Limits: frames.Limits{MaxBody: 1 << 20}})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/big", Mode: AckClientIndividual})
	require.NoError(t, err)
	ev := waitEvent[*ErrorEvent](t, rec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "poison") })
	require.ErrorIs(t, ev.Err, frames.ErrLimit, "the report names the limit")
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool {
		return e.Status == "reconnecting" && strings.HasPrefix(e.Detail, "attempt 5 ")
	})
	require.Equal(t, 1, count(rec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "poison") }))
}
