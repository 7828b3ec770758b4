package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeartbeatNegotiation(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name             string
		sx, sy           time.Duration // broker offer
		client           string        // client heart-beat header
		wantSend, wantRv time.Duration
	}{
		{"larger of each pair", 100 * ms, 200 * ms, "300,50", 100 * ms, 300 * ms},
		{"client wants none", 100 * ms, 200 * ms, "0,0", 0, 0},
		{"broker offers none", 0, 0, "300,50", 0, 0},
		{"one way only", 100 * ms, 0, "300,500", 500 * ms, 0},
		{"other way only", 0, 200 * ms, "100,500", 0, 200 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, WithHeartbeat(tt.sx, tt.sy))
			c := pipeClient(t, b)
			c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:" + tt.client + "\n\n\x00")
			f := c.expect("CONNECTED")
			assert.Equal(t, formatMillis(tt.sx)+","+formatMillis(tt.sy), f.get("heart-beat"))
			ci, ok := b.Connection(1)
			require.True(t, ok)
			assert.Equal(t, tt.wantSend, ci.HeartbeatSend)
			assert.Equal(t, tt.wantRv, ci.HeartbeatRecv)
		})
	}
}

func TestHeartbeat10HasNone(t *testing.T) {
	b := newBroker(t, WithHeartbeat(10*time.Millisecond, 10*time.Millisecond))
	c := pipeClient(t, b)
	c.send("CONNECT\nheart-beat:10,10\n\n\x00")
	f := c.expect("CONNECTED")
	_, has := f.lookup("heart-beat")
	assert.False(t, has)
	ci, _ := b.Connection(1)
	assert.Zero(t, ci.HeartbeatSend)
	assert.Zero(t, ci.HeartbeatRecv)
}

func TestHeartbeatInvalidHeader(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:soon\n\n\x00")
	assert.Equal(t, "invalid heart-beat header", c.expect("ERROR").get("message"))
	c.expectClosed()
}

func TestBrokerSendsHeartbeatsWhenIdle(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			b := newBroker(t, WithHeartbeat(10*time.Millisecond, 0))
			c := dial(t, b, transport)
			c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,20\n\n\x00")
			c.expect("CONNECTED")
			// Each heart-beat is an EOL the client skips; a RECEIPT after
			// three of them proves they came before it.
			for c.heartbeats < 3 {
				require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(wait)))
				line, err := c.r.ReadString('\n')
				require.NoError(t, err)
				require.Equal(t, "\n", line)
				c.heartbeats++
			}
			c.sendSync("SUBSCRIBE", "id:0", "destination:/queue/a")
		})
	}
}

func TestSilentClientIsDisconnected(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			b := newBroker(t, WithHeartbeat(0, 20*time.Millisecond))
			c := dial(t, b, transport)
			c.send("CONNECT\naccept-version:1.1\nhost:/\nheart-beat:20,0\n\n\x00")
			c.expect("CONNECTED")
			c.send("SUBSCRIBE\nid:0\ndestination:/queue/a\nack:client\n\n\x00")
			c.expectClosed()
			waitFor(t, "the timeout to be counted", func() bool { return b.Stats().HeartbeatTimeouts == 1 })
			assert.Empty(t, b.Connections())
		})
	}
}

func TestClientHeartbeatsKeepConnectionOpen(t *testing.T) {
	// The broker gives up after 5 × 100ms of silence: a beat every 10ms
	// keeps it open even when a loaded machine (CI under -race) holds the
	// test's goroutine back for a few hundred milliseconds, which the
	// earlier 4 × 50ms did not allow.
	b := newBroker(t, WithHeartbeat(0, 100*time.Millisecond), WithHeartbeatTolerance(5))
	c := pipeClient(t, b)
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:100,0\n\n\x00")
	c.expect("CONNECTED")
	// Send heart-beats, each only after the broker has read the previous
	// one (the pipe write returns once read), over more than two timeouts'
	// worth of intervals, then prove the connection is alive with a receipt.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(deadline) {
		<-tick.C
		c.send("\n")
	}
	c.sendSync("BEGIN", "transaction:t")
	assert.Zero(t, b.Stats().HeartbeatTimeouts)
}
