package sim

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consumer connects in version v, subscribes to /queue/q with the ack mode
// and publishes n messages numbered by their body, then reads them.
func consumer(t *testing.T, b *Broker, v, mode string, n int) (*client, []rawFrame) {
	t.Helper()
	c := pipeClient(t, b)
	c.connect(v)
	c.sendSync("SUBSCRIBE", "id:s", "destination:/queue/q", "ack:"+mode)
	for i := range n {
		c.sendSync("SEND", "destination:/queue/q", "n:"+strconv.Itoa(i))
	}
	var ms []rawFrame
	for range n {
		ms = append(ms, c.expect("MESSAGE"))
	}
	return c, ms
}

func unacked(t *testing.T, b *Broker) int {
	t.Helper()
	d, ok := b.Destination("/queue/q")
	require.True(t, ok)
	return d.Unacked
}

func TestAckClientIsCumulative(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.2", "client", 4)
	assert.Equal(t, 4, unacked(t, b))
	c.sendSync("ACK", "id:"+ms[2].get("ack")) // settles 0, 1 and 2
	assert.Equal(t, 1, unacked(t, b))
	c.send("ACK\nid:" + ms[1].get("ack") + "\nreceipt:again\n\n\x00")
	f := c.expect("ERROR")
	assert.Equal(t, "unknown ack id", f.get("message"))
	assert.Equal(t, "again", f.get("receipt-id"))
	c.expectClosed()
}

func TestAckClientIndividual(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.2", "client-individual", 3)
	c.sendSync("ACK", "id:"+ms[2].get("ack"))
	assert.Equal(t, 2, unacked(t, b), "only the acked message is settled")
	c.sendSync("ACK", "id:"+ms[0].get("ack"))
	c.sendSync("ACK", "id:"+ms[1].get("ack"))
	assert.Equal(t, 0, unacked(t, b))
	assert.Equal(t, uint64(3), b.Stats().Acked)
}

func TestAckAutoNeedsNoAck(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.2", "auto", 2)
	_, hasAck := ms[0].lookup("ack")
	assert.False(t, hasAck)
	assert.Equal(t, 0, unacked(t, b))
	c.send("ACK\nid:1\n\n\x00")
	assert.Equal(t, "unknown ack id", c.expect("ERROR").get("message"))
}

func TestAck11UsesMessageIDAndSubscription(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.1", "client-individual", 2)
	_, hasAck := ms[0].lookup("ack")
	assert.False(t, hasAck, "1.1 MESSAGE frames carry no ack header")
	c.sendSync("ACK", "message-id:"+ms[0].get("message-id"), "subscription:s")
	assert.Equal(t, 1, unacked(t, b))
	c.send("ACK\nmessage-id:" + ms[1].get("message-id") + "\n\n\x00")
	assert.Equal(t, "missing message-id or subscription header", c.expect("ERROR").get("message"))
}

func TestAck11WrongSubscription(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.1", "client", 1)
	c.send("ACK\nmessage-id:" + ms[0].get("message-id") + "\nsubscription:other\n\n\x00")
	assert.Equal(t, "unknown subscription", c.expect("ERROR").get("message"))
}

func TestAck10UsesMessageID(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("")
	c.sendSync("SUBSCRIBE", "destination:/queue/q", "ack:client")
	c.sendSync("SEND", "destination:/queue/q")
	m := c.expect("MESSAGE")
	assert.Equal(t, "/queue/q", m.get("subscription"))
	c.sendSync("ACK", "message-id:"+m.get("message-id"))
	assert.Equal(t, 0, unacked(t, b))
	c.send("ACK\nmessage-id:m-404\n\n\x00")
	assert.Equal(t, "unknown message-id", c.expect("ERROR").get("message"))
}

func TestNack(t *testing.T) {
	for _, v := range []string{"1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			c, ms := consumer(t, b, v, "client", 3)
			nack := "id:" + ms[1].get("ack")
			if v == "1.1" {
				nack = "message-id:" + ms[1].get("message-id") + "\nsubscription:s"
			}
			// Client mode: the NACK covers messages 0 and 1, which come back
			// in order, marked redelivered, after the one still in flight.
			c.send("NACK\n" + nack + "\n\n\x00")
			for _, want := range []rawFrame{ms[0], ms[1]} {
				m := c.expect("MESSAGE")
				assert.Equal(t, want.get("message-id"), m.get("message-id"))
				assert.Equal(t, want.get("n"), m.get("n"))
				assert.Equal(t, "true", m.get("redelivered"))
				if v == "1.2" {
					assert.NotEqual(t, want.get("ack"), m.get("ack"), "a redelivery gets a new ack id")
				}
			}
			s := b.Stats()
			assert.Equal(t, uint64(2), s.Nacked)
			assert.Equal(t, uint64(2), s.Redelivered)
			assert.Equal(t, 3, unacked(t, b))
		})
	}
}

func TestNackIn10IsAnError(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.0")
	c.send("NACK\nmessage-id:m-1\n\n\x00")
	assert.Equal(t, "NACK needs STOMP 1.1", c.expect("ERROR").get("message"))
	c.expectClosed()
}

func TestAck12MissingID(t *testing.T) {
	b := newBroker(t)
	c, ms := consumer(t, b, "1.2", "client", 1)
	c.send("ACK\nmessage-id:" + ms[0].get("message-id") + "\n\n\x00")
	assert.Equal(t, "missing id header", c.expect("ERROR").get("message"))
}

func TestDisconnectRedeliversToAnotherConsumer(t *testing.T) {
	for _, how := range []string{"DISCONNECT", "drop"} {
		t.Run(how, func(t *testing.T) {
			b := newBroker(t)
			c, ms := consumer(t, b, "1.2", "client-individual", 2)
			c.sendSync("ACK", "id:"+ms[0].get("ack"))
			if how == "drop" {
				require.NoError(t, c.conn.Close())
			} else {
				c.send("DISCONNECT\n\n\x00")
				c.expectClosed()
			}
			waitFor(t, "the message to be back", func() bool {
				d, _ := b.Destination("/queue/q")
				return d.Ready == 1 && d.Subscribers == 0
			})
			other := pipeClient(t, b)
			other.connect("1.0")
			other.send("SUBSCRIBE\ndestination:/queue/q\n\n\x00")
			m := other.expect("MESSAGE")
			assert.Equal(t, ms[1].get("message-id"), m.get("message-id"))
			assert.Equal(t, "true", m.get("redelivered"))
		})
	}
}
