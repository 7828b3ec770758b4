package api

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// "Calls and timeouts": a broker that stops reading (a RabbitMQ resource
// alarm) longer than Timeout ends the connection, and the plain sends
// already reported nil whose bytes were still buffered are lost with it;
// a receipted send learns, with ErrReceiptTimeout on a connection that
// stays up, that its message is unconfirmed.
func TestBrokerThatStopsReadingEndsTheConnection(t *testing.T) {
	t.Run("plain sends", func(t *testing.T) {
		b := newBroker(t, sim.WithClosedLog(4))
		s := connectTo(t, b, "1.2", WithTimeout(time.Second), WithBufferSizes(0, 4096))
		gone := collect(s.OnDisconnected)
		require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
		body := make([]byte, 16<<10)
		var err error
		accepted := 0
		// The socket's buffers hold a few MiB at most: bounded well
		// below this.
		for accepted < 1<<16 {
			if err = s.SendData("/queue/alarm", body); err != nil {
				break
			}
			accepted++
		}
		require.Error(t, err, "sends never stopped")
		require.True(t, errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrTimeout), "%v", err)
		ev := recv(t, gone)
		require.ErrorIs(t, ev.Err, ErrConnectionLost, "the stalled write ended the connection")
		require.False(t, s.Connected())
		// The broker may not have noticed the close: it does not read.
		ci, ok := b.Connection(1)
		if !ok {
			ci, ok = b.ClosedConnection(1)
		}
		require.True(t, ok)
		// CONNECT is one of the frames; every send that returned nil
		// beyond what the broker read is lost.
		require.Less(t, int(ci.Frames)-1, accepted, "the plain sends reported nil were not all received")
		t.Logf("%d plain sends returned nil, the broker read %d frames, the next send: %v", accepted, ci.Frames, err)
	})
	t.Run("receipted send", func(t *testing.T) {
		b := newBroker(t)
		s := connectTo(t, b, "1.2", WithTimeout(time.Second), WithRequestReceipts(true))
		require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
		err := s.SendMessage("/queue/alarm", "x")
		require.ErrorIs(t, err, ErrReceiptTimeout)
		require.True(t, s.Connected(), "a small frame left: the connection stays")
	})
}
