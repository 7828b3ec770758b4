package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A proxy stops forwarding a client's frames when told, and resumes when
// the fault is cleared; an injected frame fault acts on its next frame.
func TestProxyInjectAndClear(t *testing.T) {
	b, p := newProxy(t, nil)
	c := tcpClient(t, p.Addr())
	c.connect("1.2")
	c.sendSync("SEND", "destination:/queue/a")

	require.NoError(t, p.Inject(Fault{Name: "alarm", Kind: StopReading, Conn: 1}))
	waitFor(t, "the alarm", func() bool { return len(p.FaultEvents()) == 1 })
	c.send("SEND\ndestination:/queue/a\nreceipt:held\n\nx\x00")
	c.expectNothing()
	d, _ := b.Destination("/queue/a")
	assert.Equal(t, uint64(1), d.Enqueued)
	require.NoError(t, p.Clear("alarm"))
	assert.Equal(t, "held", c.expect("RECEIPT").get("receipt-id"))

	require.NoError(t, p.Inject(Fault{Name: "refused", Kind: SendError, Conn: 1, ReceiptOf: 1, Message: "no"}))
	c.send("SEND\ndestination:/queue/a\nreceipt:r\n\nx\x00")
	e := c.expect("ERROR")
	assert.Equal(t, "r", e.get("receipt-id"))
	assert.Equal(t, []string{
		"conn 1: alarm (StopReading) to-server at byte 79", // the proxy counts from the accept
		"conn 1: refused (SendError) at frame 3 (RECEIPT)",
	}, eventStrings(p.FaultEvents()))

	// Later connections: refused until cleared.
	require.NoError(t, p.Inject(Fault{Name: "refuse", Kind: RefuseAccept}))
	c2 := tcpClient(t, p.Addr())
	c2.expectClosed()
	require.NoError(t, p.Clear("refuse"))
	c3 := tcpClient(t, p.Addr())
	c3.connect("1.2")

	assert.ErrorContains(t, p.Inject(Fault{Name: "x", Kind: StallAccept, Conn: 1}), "already accepted")
	assert.ErrorContains(t, p.Inject(Fault{Name: "x", Kind: DropConn, Conn: 2}), "connection 2 has closed")
	assert.ErrorContains(t, p.Inject(Fault{Name: "alarm", Kind: DropConn}), "already used")
	assert.ErrorContains(t, p.Clear("alarm"), "cleared already")
}

// Clearing a StallAccept lets the proxy serve the connection it holds.
func TestProxyClearEndsAStallAccept(t *testing.T) {
	_, p := newProxy(t, Plan{{Name: "hold", Kind: StallAccept}})
	c := tcpClient(t, p.Addr())
	waitFor(t, "the stall", func() bool { return len(p.FaultEvents()) == 1 })
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	c.expectNothing()
	require.NoError(t, p.Clear("hold"))
	c.expect("CONNECTED")
}
