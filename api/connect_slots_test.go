package api

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/internal/testnet"
)

// onceThenSilent is a loopback server that answers the first CONNECT it
// gets with CONNECTED and drops that connection when drop is closed; it
// reads every later connection and never answers it, so a reconnect
// attempt there holds its engine slot until its Timeout.
func onceThenSilent(t *testing.T, drop <-chan struct{}) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var n atomic.Int32
	testnet.Serve(t, ln, func(c net.Conn) {
		d := frames.NewDecoder(c, frames.V12, frames.Limits{})
		if _, err := readFrame(d); err != nil {
			return
		}
		if n.Add(1) > 1 {
			_, _ = readFrame(d) // never answered, until the client gives up
			return
		}
		if _, err := c.Write([]byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
			return
		}
		<-drop
	})
	return hostPort(t, ln.Addr().String())
}

// The engine's connection slots (actors.EngineOptions.MaxConcurrentConnects)
// hold back only the reconnect attempts after a lost connection: with
// every slot taken a Connect still runs at once, with a short Timeout. A
// client whose reconnect attempt waits for a slot is told "queued" by
// OnConnectionStatus and counts it in Stats.ConnectsQueued; its Timeout
// starts with the slot, so however long it waits it neither times out nor
// gives up (MaxAttempts 1), and it is back once the slot comes free.
// Disconnect ends such a wait at once; neither takes the holder's slot.
func TestEngineSlotsHoldBackOnlyReconnectAttempts(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	eng := actors.NewEngine(actors.EngineOptions{MaxConcurrentConnects: 1})
	t.Cleanup(func() { assert.NoError(t, eng.Close()) })
	slots := func() actors.ConnectSlots { return eng.ConnectSlots() }
	held := actors.ConnectSlots{Limit: 1, InFlight: 1}

	// The holder's reconnect attempt is never answered: it keeps the slot
	// until the test closes the holder.
	drop := make(chan struct{})
	sh, sp := onceThenSilent(t, drop)
	holder := NewSTOMP(WithEngine(eng), WithTimeout(time.Hour), WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond}))
	defer holder.Close()
	require.NoError(t, holder.Connect(sh, sp))
	close(drop)
	waitFor(t, "the holder's slot", func() bool { return slots() == held })

	t.Run("Connect", func(t *testing.T) {
		s := newClient(t, WithEngine(eng), WithTimeout(time.Second))
		require.NoError(t, s.Connect(h, p))
		assert.Zero(t, s.Stats().ConnectsQueued)
		assert.Equal(t, held, slots())
		require.NoError(t, s.Disconnect())
	})
	t.Run("Disconnect", func(t *testing.T) {
		s := newClient(t, WithEngine(eng), WithTimeout(time.Hour), WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond}))
		require.NoError(t, s.Connect(h, p))
		_, err := b.CloseConnections()
		require.NoError(t, err)
		waitFor(t, "the attempt to wait in line", func() bool { return slots().Waiting == 1 })
		disconnected := make(chan error, 1)
		go func() { disconnected <- s.Disconnect() }()
		select {
		case err := <-disconnected:
			require.NoError(t, err)
		case <-time.After(wait):
			t.Fatal("Disconnect waited for the queued attempt")
		}
		assert.False(t, s.Connected())
		assert.Equal(t, held, slots())
	})

	// Long enough for the attempt to connect once it has its slot on a
	// loaded machine under -race, short enough that four of them pass in
	// line within a second.
	const timeout = 250 * time.Millisecond
	s := newClient(t, WithEngine(eng), WithTimeout(timeout),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: 1}))
	queued := make(chan string, 4)
	var gaveUp atomic.Int32
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		switch e.ConnectionEvent {
		case "queued":
			queued <- e.Description
		case "gave up":
			gaveUp.Add(1)
		}
	})
	require.NoError(t, s.Connect(h, p))
	_, err := b.CloseConnections()
	require.NoError(t, err)
	select {
	case detail := <-queued:
		assert.Contains(t, detail, "MaxConcurrentConnects")
	case <-time.After(wait):
		t.Fatal("no \"queued\" status")
	}
	assert.Equal(t, int64(1), s.Stats().ConnectsQueued)
	// Four Timeouts in line: still waiting, never timed out.
	assert.Never(t, func() bool { return slots().Waiting != 1 || gaveUp.Load() != 0 }, 4*timeout, time.Millisecond)

	holder.Close()
	waitFor(t, "the client back", func() bool { return s.Connected() && s.Stats().Reconnects == 1 })
	assert.Zero(t, gaveUp.Load())
	assert.Equal(t, actors.ConnectSlots{Limit: 1}, slots())
}
