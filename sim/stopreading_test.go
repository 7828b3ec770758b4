package sim

import (
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A StopReading fault with a Delay models a resource alarm that clears.
// The client keeps sending heart-beats during the alarm (they wait in the
// socket), so once the broker reads again it finds them and carries on:
// the stall is not the client's silence.
func TestStopReadingWithHeartbeatsResumesWhenTheAlarmClears(t *testing.T) {
	const connect = "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:20,0\n\n\x00"
	b := newBroker(t,
		WithHeartbeat(0, 20*time.Millisecond),
		WithPlan(Plan{{Name: "alarm", Kind: StopReading, AfterBytes: int64(len(connect)), Delay: 300 * time.Millisecond}}))
	c := tcpClient(t, b.Addr())
	c.send(connect)
	c.expect("CONNECTED")

	// The client's heart-beats, every 20 ms, for as long as the test runs.
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				mu.Lock()
				_ = c.conn.SetWriteDeadline(time.Now().Add(wait))
				_, err := io.WriteString(c.conn, "\n")
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	waitFor(t, "the alarm to fire", func() bool { return len(b.FaultEvents()) == 1 })
	mu.Lock()
	require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(wait)))
	_, err := io.WriteString(c.conn, "SEND\ndestination:/queue/a\nreceipt:r1\n\nafter the alarm\x00")
	mu.Unlock()
	require.NoError(t, err)

	f, err := c.readFrame()
	if assert.NoError(t, err, "the broker dropped the connection once the alarm cleared") {
		assert.Equal(t, "RECEIPT", f.cmd)
	}
	assert.Zero(t, b.Stats().HeartbeatTimeouts, "heart-beats the client sent during the alarm were not counted")
}

// StopReading "stops reading from the client once AfterBytes bytes have
// been read and After has elapsed", even while a read is already waiting
// for the client: the alarm fires at After, and a SEND the client writes
// after it is neither read nor published. Broker and proxy alike.
func TestStopReadingAfterTimeHoldsTheNextSend(t *testing.T) {
	plan := Plan{{Name: "alarm", Kind: StopReading, After: 100 * time.Millisecond}}
	t.Run("broker", func(t *testing.T) {
		b := newBroker(t, WithHeartbeat(10*time.Millisecond, 0), WithPlan(plan))
		stopReadingAfterTime(t, b, b.Addr(), b.FaultEvents)
	})
	t.Run("proxy", func(t *testing.T) {
		b, p := newProxy(t, plan, WithHeartbeat(10*time.Millisecond, 0))
		stopReadingAfterTime(t, b, p.Addr(), p.FaultEvents)
	})
}

func stopReadingAfterTime(t *testing.T, b *Broker, addr string, events func() []FaultEvent) {
	c := tcpClient(t, addr)
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,10\n\n\x00")
	c.expect("CONNECTED")
	// The alarm fires at After although the reader is blocked waiting for
	// the client, which sends nothing until then.
	waitFor(t, "the alarm", func() bool { return len(events()) == 1 })

	c.send("SEND\ndestination:/queue/alarm\nreceipt:r1\n\nduring the alarm\x00")
	// Anything but heart-beats (the connection is alive) within 300 ms
	// means the SEND was read.
	deadline := time.Now().Add(300 * time.Millisecond)
	var got string
	for time.Now().Before(deadline) {
		require.NoError(t, c.conn.SetReadDeadline(deadline))
		line, err := c.r.ReadString('\n')
		if err != nil {
			break
		}
		if line != "\n" {
			got = line
			break
		}
	}
	assert.Empty(t, got, "the broker answered a frame sent after the alarm time")
	d, _ := b.Destination("/queue/alarm")
	assert.Zero(t, d.Enqueued, "a SEND written after After was published")
}
