package sim

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessageGolden(t *testing.T) {
	tests := []struct {
		version, subscribe, want string
	}{
		{"1.2", "SUBSCRIBE\nid:s1\ndestination:/queue/a\nack:client\n\n\x00",
			"MESSAGE\nsubscription:s1\nmessage-id:m-1\ndestination:/queue/a\nack:1\ncontent-type:text/plain\nx-user:a\\cb\ncontent-length:5\n\nhello\x00"},
		{"1.2", "SUBSCRIBE\nid:s1\ndestination:/queue/a\n\n\x00",
			"MESSAGE\nsubscription:s1\nmessage-id:m-1\ndestination:/queue/a\ncontent-type:text/plain\nx-user:a\\cb\ncontent-length:5\n\nhello\x00"},
		{"1.1", "SUBSCRIBE\nid:s1\ndestination:/queue/a\nack:client\n\n\x00",
			"MESSAGE\nsubscription:s1\nmessage-id:m-1\ndestination:/queue/a\ncontent-type:text/plain\nx-user:a\\cb\ncontent-length:5\n\nhello\x00"},
		{"1.0", "SUBSCRIBE\ndestination:/queue/a\nack:client\n\n\x00",
			"MESSAGE\nsubscription:/queue/a\nmessage-id:m-1\ndestination:/queue/a\ncontent-type:text/plain\nx-user:a:b\ncontent-length:5\n\nhello\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.version+" "+tt.subscribe[:20], func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.connect(tt.version)
			c.send(tt.subscribe)
			// The broker passes user headers through and drops the ones
			// that are its own (receipt, transaction, message-id...).
			user := "x-user:a\\cb\n"
			if tt.version == "1.0" {
				user = "x-user:a:b\n"
			}
			c.send("SEND\ndestination:/queue/a\ncontent-type:text/plain\n" + user + "message-id:forged\nreceipt:r1\n\nhello\x00")
			assert.Equal(t, tt.want, c.read().raw)
			c.expect("RECEIPT")
		})
	}
}

func TestSubscribeErrors(t *testing.T) {
	tests := []struct {
		name, version, frame, message string
	}{
		{"1.2 missing id", "1.2", "SUBSCRIBE\ndestination:/queue/a\n\n\x00", "missing id header"},
		{"1.1 missing id", "1.1", "SUBSCRIBE\ndestination:/queue/a\n\n\x00", "missing id header"},
		{"missing destination", "1.2", "SUBSCRIBE\nid:0\n\n\x00", "missing destination"},
		{"unknown prefix", "1.2", "SUBSCRIBE\nid:0\ndestination:/exchange/x\n\n\x00", "unknown destination"},
		{"bare prefix", "1.2", "SUBSCRIBE\nid:0\ndestination:/queue/\n\n\x00", "unknown destination"},
		{"bad ack mode", "1.2", "SUBSCRIBE\nid:0\ndestination:/queue/a\nack:sometimes\n\n\x00", "invalid ack mode"},
		{"bad prefetch", "1.2", "SUBSCRIBE\nid:0\ndestination:/queue/a\nprefetch-count:-1\n\n\x00", "invalid prefetch-count"},
		{"duplicate id", "1.2", "SUBSCRIBE\nid:0\ndestination:/queue/a\n\n\x00SUBSCRIBE\nid:0\ndestination:/queue/b\n\n\x00", "duplicate subscription id"},
		{"unsubscribe unknown id", "1.2", "UNSUBSCRIBE\nid:9\n\n\x00", "unknown subscription"},
		{"send unknown prefix", "1.0", "SEND\ndestination:/dev/null\n\n\x00", "unknown destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.connect(tt.version)
			c.send(tt.frame)
			assert.Equal(t, tt.message, c.expect("ERROR").get("message"))
			c.expectClosed()
		})
	}
}

func TestDestinationPrefixesConfigurable(t *testing.T) {
	b := newBroker(t, WithQueuePrefixes("/amq/queue/"), WithTopicPrefixes("/exchange/"))
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("SUBSCRIBE", "id:0", "destination:/exchange/x")
	c.sendSync("SEND", "destination:/amq/queue/q")
	d, ok := b.Destination("/amq/queue/q")
	require.True(t, ok)
	assert.False(t, d.Topic)
	d, ok = b.Destination("/exchange/x")
	require.True(t, ok)
	assert.True(t, d.Topic)
	c.send("SEND\ndestination:/queue/a\n\n\x00")
	assert.Equal(t, "unknown destination", c.expect("ERROR").get("message"))
}

func TestQueueRoundRobin(t *testing.T) {
	b := newBroker(t)
	c1, c2 := pipeClient(t, b), pipeClient(t, b)
	c1.connect("1.2")
	c2.connect("1.2")
	c1.sendSync("SUBSCRIBE", "id:a", "destination:/queue/rr")
	c2.sendSync("SUBSCRIBE", "id:b", "destination:/queue/rr")
	p := pipeClient(t, b)
	p.connect("1.2")
	for i := range 6 {
		p.send("SEND\ndestination:/queue/rr\n\n" + strconv.Itoa(i) + "\x00")
	}
	for i := range 3 {
		assert.Equal(t, strconv.Itoa(2*i), c1.expect("MESSAGE").body)
		assert.Equal(t, strconv.Itoa(2*i+1), c2.expect("MESSAGE").body)
	}
}

func TestQueueKeepsMessagesAcrossDisconnect(t *testing.T) {
	b := newBroker(t)
	p := pipeClient(t, b)
	p.connect("1.1")
	p.send("SEND\ndestination:/queue/keep\n\none\x00SEND\ndestination:/queue/keep\n\ntwo\x00")
	p.send("DISCONNECT\nreceipt:d\n\n\x00")
	p.expect("RECEIPT")
	d, _ := b.Destination("/queue/keep")
	assert.Equal(t, 2, d.Ready)

	c := pipeClient(t, b)
	c.connect("1.0")
	c.send("SUBSCRIBE\ndestination:/queue/keep\n\n\x00")
	assert.Equal(t, "one", c.expect("MESSAGE").body)
	assert.Equal(t, "two", c.expect("MESSAGE").body)
}

func TestTopicFanOut(t *testing.T) {
	b := newBroker(t)
	p := pipeClient(t, b)
	p.connect("1.2")
	p.sendSync("SEND", "destination:/topic/news") // nobody listens: dropped
	subs := []*client{pipeClient(t, b), pipeClient(t, b), pipeClient(t, b)}
	for i, c := range subs {
		c.connect("1.2")
		c.sendSync("SUBSCRIBE", "id:t"+strconv.Itoa(i), "destination:/topic/news")
	}
	p.send("SEND\ndestination:/topic/news\n\nflash\x00")
	for i, c := range subs {
		m := c.expect("MESSAGE")
		assert.Equal(t, "flash", m.body)
		assert.Equal(t, "t"+strconv.Itoa(i), m.get("subscription"))
		assert.Equal(t, "m-2", m.get("message-id"))
	}
	d, _ := b.Destination("/topic/news")
	assert.Equal(t, uint64(2), d.Enqueued)
	assert.Equal(t, uint64(3), d.Delivered)
}

func TestUnsubscribe(t *testing.T) {
	for _, tt := range []struct{ version, subscribe, unsubscribe string }{
		{"1.2", "SUBSCRIBE\nid:x\ndestination:/queue/u\n\n\x00", "UNSUBSCRIBE\nid:x\nreceipt:u\n\n\x00"},
		{"1.0", "SUBSCRIBE\ndestination:/queue/u\n\n\x00", "UNSUBSCRIBE\ndestination:/queue/u\nreceipt:u\n\n\x00"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.connect(tt.version)
			c.send(tt.subscribe)
			c.send(tt.unsubscribe)
			c.expect("RECEIPT")
			c.sendSync("SEND", "destination:/queue/u")
			d, _ := b.Destination("/queue/u")
			assert.Equal(t, 0, d.Subscribers)
			assert.Equal(t, 1, d.Ready)
		})
	}
}

func TestUnsubscribeRedeliversUnacked(t *testing.T) {
	b := newBroker(t)
	c1 := pipeClient(t, b)
	c1.connect("1.2")
	c1.sendSync("SUBSCRIBE", "id:a", "destination:/queue/r", "ack:client-individual")
	c1.sendSync("SEND", "destination:/queue/r")
	m := c1.expect("MESSAGE")
	_, redelivered := m.lookup("redelivered")
	assert.False(t, redelivered)
	c2 := pipeClient(t, b)
	c2.connect("1.2")
	c2.sendSync("SUBSCRIBE", "id:b", "destination:/queue/r", "ack:client")
	c1.sendSync("UNSUBSCRIBE", "id:a")
	m2 := c2.expect("MESSAGE")
	assert.Equal(t, m.get("message-id"), m2.get("message-id"))
	assert.Equal(t, "true", m2.get("redelivered"))
}

func TestPrefetchCount(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("SUBSCRIBE", "id:p", "destination:/queue/p", "ack:client-individual", "prefetch-count:2")
	for i := range 5 {
		c.sendSync("SEND", "destination:/queue/p", "n:"+strconv.Itoa(i))
	}
	m0, m1 := c.expect("MESSAGE"), c.expect("MESSAGE")
	d, _ := b.Destination("/queue/p")
	assert.Equal(t, 3, d.Ready, "two in flight, three held back")
	assert.Equal(t, 2, d.Unacked)
	c.sendSync("ACK", "id:"+m1.get("ack"))
	assert.Equal(t, "2", c.expect("MESSAGE").get("n"))
	c.sendSync("ACK", "id:"+m0.get("ack"))
	assert.Equal(t, "3", c.expect("MESSAGE").get("n"))
	ci, _ := b.Connection(1)
	require.Len(t, ci.Subscriptions, 1)
	assert.Equal(t, SubscriptionInfo{ID: "p", Destination: "/queue/p", Ack: "client-individual", Prefetch: 2, Unacked: 2}, ci.Subscriptions[0])
}
