package sim

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// ConnInfo.Connected says CONNECTED was written to the socket, not merely
// queued: while a StallWrites fault holds the broker's very first write,
// the client has nothing and Connected is false.
func TestConnectedIsFalseWhileCONNECTEDIsStalled(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "stall", Kind: StallWrites}}))
	c := tcpClient(t, b.Addr())
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	waitFor(t, "the stall", func() bool { return len(b.FaultEvents()) == 1 })
	ci, ok := b.Connection(1)
	assert.True(t, ok)
	assert.False(t, ci.Connected, "Connected reports CONNECTED as sent while the stalled writer still holds it")
	// The client indeed got nothing.
	_ = c.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.conn.Read(make([]byte, 1))
	var ne net.Error
	assert.Zero(t, n)
	assert.ErrorAs(t, err, &ne)
}

// Once CONNECTED is written, Connected turns true.
func TestConnectedIsTrueOnceCONNECTEDIsWritten(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "pause", Kind: StallWrites, Delay: 20 * time.Millisecond}}))
	c := tcpClient(t, b.Addr())
	c.connect("1.2")
	waitFor(t, "Connected", func() bool { ci, ok := b.Connection(1); return ok && ci.Connected })
}
