package api

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// A client whose Connect waits for one of its engine's connection slots
// (actors.EngineOptions.MaxConcurrentConnects) gets the usual typed
// errors when its Timeout or its context ends meanwhile (ErrTimeout,
// ErrCanceled), is told "queued" by OnConnectionStatus and counts it in
// Stats.ConnectsQueued; Disconnect ends its wait at once; and none of
// them takes the slot of the client that holds it.
func TestConnectWaitingForAnEngineSlotGivesTypedErrors(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	eng := actors.NewEngine(actors.EngineOptions{MaxConcurrentConnects: 1})
	t.Cleanup(func() { assert.NoError(t, eng.Close()) })
	slots := func() actors.ConnectSlots { return eng.ConnectSlots() }
	held := actors.ConnectSlots{Limit: 1, InFlight: 1}

	// The holder's CONNECT is never answered: it keeps the slot until
	// the test ends it.
	silent := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		_, _ = readFrame(d) // CONNECT, never answered
		_, _ = readFrame(d) // until the client gives up
	})
	holder := NewSTOMP(WithEngine(eng))
	holderCtx, endHolder := context.WithCancel(context.Background())
	holderDone := make(chan error, 1)
	go func() { holderDone <- holder.ConnectContext(holderCtx, silent.host, silent.port) }()
	defer func() {
		endHolder()
		select {
		case <-holderDone:
		case <-time.After(wait):
			t.Error("the holder's Connect did not return")
		}
		holder.Close()
	}()
	waitFor(t, "the holder's slot", func() bool { return slots() == held })

	t.Run("Timeout", func(t *testing.T) {
		s := newClient(t, WithEngine(eng), WithTimeout(50*time.Millisecond))
		queued := make(chan string, 4)
		s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
			if e.ConnectionEvent == "queued" {
				queued <- e.Description
			}
		})
		err := s.Connect(h, p)
		assert.ErrorIs(t, err, ErrTimeout)
		assert.ErrorContains(t, err, "connection slots")
		select {
		case detail := <-queued:
			assert.Contains(t, detail, "MaxConcurrentConnects")
		case <-time.After(wait):
			t.Error("no \"queued\" status")
		}
		assert.Equal(t, int64(1), s.Stats().ConnectsQueued)
		assert.Equal(t, held, slots())
	})
	t.Run("context canceled", func(t *testing.T) {
		s := newClient(t, WithEngine(eng))
		ctx, cancel := context.WithCancel(context.Background())
		s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
			if e.ConnectionEvent == "queued" {
				cancel()
			}
		})
		err := s.ConnectContext(ctx, h, p)
		assert.ErrorIs(t, err, ErrCanceled)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, held, slots())
	})
	t.Run("context deadline", func(t *testing.T) {
		s := newClient(t, WithEngine(eng))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, s.ConnectContext(ctx, h, p), ErrTimeout)
		assert.Equal(t, held, slots())
	})
	t.Run("Disconnect", func(t *testing.T) {
		s := newClient(t, WithEngine(eng), WithTimeout(time.Hour), WithReconnect(Reconnect{Enabled: true}))
		done := make(chan error, 1)
		go func() { done <- s.Connect(h, p) }()
		waitFor(t, "the attempt to wait in line", func() bool { return slots().Waiting == 1 })
		disconnected := make(chan error, 1)
		go func() { disconnected <- s.Disconnect() }()
		select {
		case err := <-disconnected:
			require.NoError(t, err)
		case <-time.After(wait):
			t.Fatal("Disconnect waited for the queued attempt")
		}
		select {
		case err := <-done:
			assert.ErrorIs(t, err, ErrInterrupted)
		case <-time.After(wait):
			t.Fatal("Connect did not return")
		}
		assert.Equal(t, held, slots())
	})
}
