package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// After a fault drops a connection, its frame log can still be read.
func TestClosedConnectionKeepsItsFrameLog(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "cut", Kind: DropConn, Conn: 1, Dir: ToServer, OnCommand: frames.CmdSend, Nth: 2}}))
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("SEND", "destination:/queue/a")
	c.send("SEND\ndestination:/queue/a\n\nlost\x00")
	c.expectClosed()
	_, open := b.Connection(1)
	waitFor(t, "connection 1 to be kept as closed", func() bool { _, ok := b.ClosedConnection(1); return ok })
	assert.False(t, open)
	ci, _ := b.ClosedConnection(1)
	assert.False(t, ci.Connected)
	assert.Equal(t, "sim-1", ci.Session)
	var cmds []frames.Command
	for _, f := range ci.Received {
		cmds = append(cmds, f.Command)
	}
	assert.Equal(t, []frames.Command{frames.CmdConnect, frames.CmdSend}, cmds, "the SEND the fault cut was never received")
	assert.Equal(t, uint64(2), ci.Frames)
}

// Only the last WithClosedLog connections are kept; 0 keeps none.
func TestClosedConnectionsAreBounded(t *testing.T) {
	for _, keep := range []int{0, 2} {
		b := newBroker(t, WithClosedLog(keep))
		for i := 1; i <= 3; i++ {
			c := pipeClient(t, b)
			c.connect("1.2")
			c.send("DISCONNECT\nreceipt:bye\n\n\x00")
			c.expect("RECEIPT")
			require.NoError(t, c.conn.Close())
			waitFor(t, "the connection to end", func() bool { _, conns := internals(b); return conns == 0 })
		}
		var got []int
		for _, ci := range b.ClosedConnections() {
			got = append(got, ci.Conn)
			assert.NotEmpty(t, ci.Received)
		}
		if keep == 0 {
			assert.Empty(t, got)
		} else {
			assert.Equal(t, []int{2, 3}, got)
		}
		_, ok := b.ClosedConnection(1)
		assert.False(t, ok)
	}
	_, err := NewBroker(WithClosedLog(-1))
	assert.Error(t, err)
}

// After a DISCONNECT over TCP the broker lingers for the client to close
// its side; as documented, the connection is then in neither list, and
// joins ClosedConnections once the client closes.
func TestDisconnectedConnectionIsInNeitherListWhileLingering(t *testing.T) {
	b := newBroker(t, WithLinger(time.Hour))
	c := tcpClient(t, b.Addr())
	c.connect("1.2")
	c.send("DISCONNECT\nreceipt:bye\n\n\x00")
	c.expect("RECEIPT")
	waitFor(t, "connection 1 to leave Connections", func() bool { return len(b.Connections()) == 0 })
	assert.Zero(t, b.Stats().Connections)
	_, closed := b.ClosedConnection(1)
	assert.False(t, closed, "not closed while the broker lingers")
	require.NoError(t, c.conn.Close())
	waitFor(t, "connection 1 in ClosedConnections", func() bool { _, ok := b.ClosedConnection(1); return ok })
}
