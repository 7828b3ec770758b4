package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ready(t *testing.T, b *Broker, name string) int {
	t.Helper()
	d, _ := b.Destination(name)
	return d.Ready
}

func TestTransactionCommit(t *testing.T) {
	for _, v := range []string{"1.0", "1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.connect(v)
			c.sendSync("BEGIN", "transaction:t1")
			c.sendSync("SEND", "destination:/queue/tx", "transaction:t1", "n:1")
			c.sendSync("SEND", "destination:/queue/tx", "transaction:t1", "n:2")
			assert.Equal(t, 0, ready(t, b, "/queue/tx"), "nothing before COMMIT")
			ci, _ := b.Connection(1)
			assert.Equal(t, []string{"t1"}, ci.Transactions)
			c.sendSync("COMMIT", "transaction:t1")
			assert.Equal(t, 2, ready(t, b, "/queue/tx"))
			ci, _ = b.Connection(1)
			assert.Empty(t, ci.Transactions)
		})
	}
}

func TestTransactionAbort(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("BEGIN", "transaction:t1")
	c.sendSync("SEND", "destination:/queue/tx", "transaction:t1")
	c.sendSync("ABORT", "transaction:t1")
	c.sendSync("SEND", "destination:/queue/tx")
	assert.Equal(t, 1, ready(t, b, "/queue/tx"))
	c.send("COMMIT\ntransaction:t1\n\n\x00")
	assert.Equal(t, "unknown transaction", c.expect("ERROR").get("message"))
}

func TestTransactionalAck(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.2", "client-individual", 2)
	c.sendSync("BEGIN", "transaction:a")
	c.sendSync("ACK", "id:"+ms[0].get("ack"), "transaction:a")
	c.sendSync("NACK", "id:"+ms[1].get("ack"), "transaction:a")
	assert.Equal(t, 2, unacked(t, b), "ACK and NACK wait for COMMIT")
	c.sendSync("COMMIT", "transaction:a")
	m := c.expect("MESSAGE")
	assert.Equal(t, "true", m.get("redelivered"))
	assert.Equal(t, ms[1].get("message-id"), m.get("message-id"))
	s := b.Stats()
	assert.Equal(t, uint64(1), s.Acked)
	assert.Equal(t, uint64(1), s.Nacked)
}

func TestTransactionalAckAborted(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.1", "client", 1)
	c.sendSync("BEGIN", "transaction:a")
	c.sendSync("ACK", "message-id:"+ms[0].get("message-id"), "subscription:s", "transaction:a")
	c.sendSync("ABORT", "transaction:a")
	assert.Equal(t, 1, unacked(t, b))
}

func TestTransactionAbortedOnDisconnect(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("BEGIN", "transaction:t1")
	c.sendSync("SEND", "destination:/queue/tx", "transaction:t1")
	require.NoError(t, c.conn.Close())
	waitFor(t, "the connection to end", func() bool { return len(b.Connections()) == 0 })
	c2 := pipeClient(t, b)
	c2.connect("1.2")
	c2.sendSync("BEGIN", "transaction:t1") // the old id means nothing here
	d, _ := b.Destination("/queue/tx")
	assert.Equal(t, 0, d.Ready)
	assert.Equal(t, uint64(0), d.Enqueued)
}

func TestTransactionErrors(t *testing.T) {
	tests := []struct{ name, frames, message string }{
		{"BEGIN twice", "BEGIN\ntransaction:x\n\n\x00BEGIN\ntransaction:x\nreceipt:r\n\n\x00", "transaction already open"},
		{"BEGIN without id", "BEGIN\n\n\x00", "missing transaction header"},
		{"SEND in unknown transaction", "SEND\ndestination:/queue/a\ntransaction:nope\n\n\x00", "unknown transaction"},
		{"ACK in unknown transaction", "SUBSCRIBE\nid:0\ndestination:/queue/a\nack:client\n\n\x00SEND\ndestination:/queue/a\n\n\x00", ""},
		{"COMMIT unknown", "COMMIT\ntransaction:nope\n\n\x00", "unknown transaction"},
		{"ABORT unknown", "ABORT\ntransaction:nope\n\n\x00", "unknown transaction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.connect("1.2")
			c.send(tt.frames)
			if tt.message == "" {
				m := c.expect("MESSAGE")
				c.send("ACK\nid:" + m.get("ack") + "\ntransaction:nope\n\n\x00")
				tt.message = "unknown transaction"
			}
			f := c.expect("ERROR")
			assert.Equal(t, tt.message, f.get("message"))
			c.expectClosed()
		})
	}
}
