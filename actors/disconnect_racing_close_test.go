package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// (e9d6f9d) Disconnect, with a context that never ends, racing
// Close or Interrupt returns (bounded here): its wait for the ended
// link's writer (writerStopped) must not hang.
func TestDisconnectRacingCloseOrInterruptReturns(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	for i := 0; i < 200; i++ {
		e := NewEngine(EngineOptions{})
		c := mustConn(t, e, ConnOptions{})
		connectTo(t, c, b.Addr(), ConnectConfig{})
		done := make(chan error, 1)
		go func() { done <- c.Disconnect(context.Background(), true, 5*time.Second) }()
		if i%2 == 0 {
			c.Close()
		} else {
			c.Interrupt()
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: Disconnect did not return after Close/Interrupt", i)
		}
		c.Close()
		require.NoError(t, e.Close())
	}
}
