package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A planned SendError with ReceiptOf answers the second receipt the client
// asks for with an ERROR naming it, in place of its RECEIPT; the
// connection stays open without Fatal.
func TestSendErrorReceiptOfAnswersTheNthReceipt(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "refused", Kind: SendError, ReceiptOf: 2, Message: "queue full"}}))
	c := pipeClient(t, b)
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00") // no receipt: not counted
	c.expect("CONNECTED")
	for _, id := range []string{"r1", "r2", "r3"} {
		c.send("SEND\ndestination:/queue/a\nreceipt:" + id + "\n\nx\x00")
	}
	assert.Equal(t, "r1", c.expect("RECEIPT").get("receipt-id"))
	e := c.expect("ERROR")
	assert.Equal(t, "r2", e.get("receipt-id"))
	assert.Equal(t, "queue full", e.get("message"))
	assert.Equal(t, "r3", c.expect("RECEIPT").get("receipt-id"))
	assert.Equal(t, []string{"conn 1: refused (SendError) at frame 2 (RECEIPT)"}, eventStrings(b.FaultEvents()))
}

// Injected with Fatal, it answers the next receipt with an ERROR naming it
// and closes the connection.
func TestInjectedSendErrorReceiptOfIsFatal(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("SEND", "destination:/queue/a")
	require.NoError(t, b.Inject(Fault{Name: "gone", Kind: SendError, Conn: 1, ReceiptOf: 1, Fatal: true}))
	c.send("SUBSCRIBE\nid:s\ndestination:/queue/b\nreceipt:sub\n\n\x00")
	e := c.expect("ERROR")
	assert.Equal(t, "sub", e.get("receipt-id"))
	assert.Equal(t, "injected fault gone", e.get("message"))
	c.expectClosed()
}

// The proxy answers a receipt the same way.
func TestProxySendErrorReceiptOf(t *testing.T) {
	b := newBroker(t)
	p, err := NewProxy(b.Addr(), Plan{{Name: "refused", Kind: SendError, ReceiptOf: 1}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	c := tcpClient(t, p.Addr())
	c.connect("1.2")
	c.send("SEND\ndestination:/queue/a\nreceipt:r1\n\nx\x00")
	assert.Equal(t, "r1", c.expect("ERROR").get("receipt-id"))
	c.sendSync("SEND", "destination:/queue/a")
}

func TestReceiptOfValidation(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{Name: "x", Kind: DropConn, ReceiptOf: 1}, "only SendError"},
		{Fault{Name: "x", Kind: SendError, ReceiptOf: 1, Nth: 2}, "cannot be combined"},
		{Fault{Name: "x", Kind: SendError, ReceiptOf: 1, OnCommand: frames.CmdMessage}, "cannot be combined"},
		{Fault{Name: "x", Kind: SendError, ReceiptOf: -1}, "negative"},
	} {
		assert.ErrorContains(t, Plan{tc.f}.Validate(), tc.want, "%+v", tc.f)
	}
}
