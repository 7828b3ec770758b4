package api

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/internal/testnet"
)

// slotsServer serves every connection of a loopback listener with fn.
func slotsServer(t *testing.T, fn func(net.Conn)) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	testnet.Serve(t, ln, fn)
	return hostPort(t, ln.Addr().String())
}

// Many clients of one engine with a small MaxConcurrentConnects meet every
// kind of failed attempt (refused dial, accept-then-close, ERROR for
// CONNECT, CONNECT never answered, a broker that works) and are ended
// every way a user ends them (Disconnect, Interrupt, Close, context
// cancel, Timeout, MaxAttempts giving up, panicking status handlers), with
// and without Reconnect. The clients with Reconnect connect first to a
// broker that drops every connection right after CONNECTED, with the
// other kinds as failover brokers, so that their reconnect attempts (the
// ones the engine's slots hold back) meet every kind too. Afterwards every
// slot is back, nobody waits, and a fresh client connects at once.
func TestNoSlotLeaksUnderMixedFailures(t *testing.T) {
	good := newBroker(t)
	gh, gp := hostPort(t, good.Addr())
	// A port with nothing behind it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rh, rp := hostPort(t, ln.Addr().String())
	require.NoError(t, ln.Close())
	closer := func(c net.Conn) {}
	ch, cp := slotsServer(t, closer)
	errH, errP := slotsServer(t, func(c net.Conn) {
		d := frames.NewDecoder(c, frames.V12, frames.Limits{})
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = c.Write([]byte("ERROR\nmessage:go away\n\n\x00"))
	})
	hangH, hangP := slotsServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	// Answers CONNECT, then drops the connection: a client with
	// Reconnect comes back through the engine's slots.
	flakyH, flakyP := slotsServer(t, func(c net.Conn) {
		d := frames.NewDecoder(c, frames.V12, frames.Limits{})
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = c.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
	})
	type target struct {
		h string
		p int
	}
	targets := []target{{gh, gp}, {rh, rp}, {ch, cp}, {errH, errP}, {hangH, hangP}}

	const limit = 2
	eng := actors.NewEngine(actors.EngineOptions{MaxConcurrentConnects: limit})
	t.Cleanup(func() { assert.NoError(t, eng.Close()) })

	const n = 40
	var wg sync.WaitGroup
	var queued atomic.Int64 // reconnect attempts that waited in line
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 21))
			tg := targets[r.IntN(len(targets))]
			opts := []Option{WithEngine(eng), WithTimeout(time.Duration(50+r.IntN(250)) * time.Millisecond)}
			if r.IntN(2) == 0 {
				opts = append(opts, WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond,
					MaxDelay: 20 * time.Millisecond, MaxAttempts: r.IntN(6)}))
				var failover []string
				for _, k := range r.Perm(len(targets)) {
					failover = append(failover, net.JoinHostPort(targets[k].h, strconv.Itoa(targets[k].p)))
				}
				opts = append(opts, WithFailoverServers(failover...))
				tg = target{flakyH, flakyP}
			}
			s := NewSTOMP(opts...)
			if r.IntN(4) == 0 {
				s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
					if e.ConnectionEvent == "queued" || e.ConnectionEvent == "dialing" {
						panic("a status handler that fails")
					}
				})
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = s.ConnectContext(ctx, tg.h, tg.p)
			}()
			// Not a synchronization: a random delay, so that the ending
			// lands anywhere in the attempts and the waits in line.
			time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
			switch r.IntN(4) {
			case 0:
				_ = s.Disconnect()
			case 1:
				s.Interrupt()
			case 2:
				cancel()
			case 3:
				s.Close()
			}
			select {
			case <-done:
			case <-time.After(wait):
				t.Errorf("client %d: Connect did not return", i)
			}
			cancel()
			_ = s.Disconnect()
			queued.Add(s.Stats().ConnectsQueued)
			s.Close()
		}(i)
	}
	wg.Wait()
	waitFor(t, "every slot back", func() bool {
		return eng.ConnectSlots() == actors.ConnectSlots{Limit: limit}
	})
	t.Logf("%d reconnect attempts waited in line", queued.Load())
	s := NewSTOMP(WithEngine(eng), WithTimeout(2*time.Second))
	defer s.Close()
	require.NoError(t, s.Connect(gh, gp))
	require.NoError(t, s.Disconnect())
}
