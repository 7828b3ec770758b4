package sim

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Fault.Dir is the stream whose bytes are counted. A StallWrites with Dir
// ToServer and AfterBytes the size of CONNECT stalls the writes once the
// client's CONNECT has been read: before CONNECTED, so the client gets
// nothing, and the event gives the offset in the stream counted.
func TestStallWritesCountsTheBytesOfDir(t *testing.T) {
	const connect = "CONNECT\naccept-version:1.2\nhost:/\n\n\x00"
	b := newBroker(t, WithPlan(Plan{{Name: "stall", Kind: StallWrites, Dir: ToServer, AfterBytes: int64(len(connect))}}))
	c := tcpClient(t, b.Addr())
	c.send(connect)
	waitFor(t, "the stall", func() bool { return len(b.FaultEvents()) == 1 })
	assert.Equal(t, []FaultEvent{{Fault: "stall", Kind: StallWrites, Conn: 1, Dir: ToServer, Offset: int64(len(connect))}}, b.FaultEvents())
	_ = c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 512)
	n, err := c.conn.Read(buf)
	var ne net.Error
	assert.True(t, errors.As(err, &ne) && ne.Timeout(), "read: %v", err)
	assert.Zero(t, n, "bytes of CONNECTED written despite the stall: %q", buf[:n])
}
