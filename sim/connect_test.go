package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

func TestConnectGolden(t *testing.T) {
	tests := []struct {
		name string
		send string
		want string
	}{
		{"1.2 CONNECT", "CONNECT\naccept-version:1.2\nhost:/\n\n\x00",
			"CONNECTED\nversion:1.2\nsession:sim-1\nserver:stompactor-sim/1.0\nheart-beat:0,0\n\n\x00"},
		{"1.1 CONNECT", "CONNECT\naccept-version:1.1\nhost:/\n\n\x00",
			"CONNECTED\nversion:1.1\nsession:sim-1\nserver:stompactor-sim/1.0\nheart-beat:0,0\n\n\x00"},
		{"1.0 without accept-version has no heart-beat header", "CONNECT\n\n\x00",
			"CONNECTED\nversion:1.0\nsession:sim-1\nserver:stompactor-sim/1.0\n\n\x00"},
		{"1.2 STOMP frame", "STOMP\naccept-version:1.2\nhost:/\n\n\x00",
			"CONNECTED\nversion:1.2\nsession:sim-1\nserver:stompactor-sim/1.0\nheart-beat:0,0\n\n\x00"},
		{"1.2 CRLF line endings", "CONNECT\r\naccept-version:1.2\r\nhost:/\r\n\r\n\x00",
			"CONNECTED\nversion:1.2\nsession:sim-1\nserver:stompactor-sim/1.0\nheart-beat:0,0\n\n\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t)
			c := pipeClient(t, b)
			c.send(tt.send)
			assert.Equal(t, tt.want, c.read().raw)
		})
	}
}

func TestVersionNegotiation(t *testing.T) {
	tests := []struct {
		name   string
		offer  string
		broker []frames.Version
		want   string
	}{
		{"highest common of all three", "1.0,1.1,1.2", nil, "1.2"},
		{"order of the offer does not matter", "1.2,1.0", nil, "1.2"},
		{"1.0 and 1.1 offered", "1.0,1.1", nil, "1.1"},
		{"unknown versions ignored", "1.1,2.0", nil, "1.1"},
		{"broker limited to 1.1", "1.0,1.1,1.2", []frames.Version{frames.V10, frames.V11}, "1.1"},
		{"broker limited to 1.0", "1.0,1.2", []frames.Version{frames.V10}, "1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.broker != nil {
				opts = append(opts, WithVersions(tt.broker...))
			}
			b := newBroker(t, opts...)
			c := pipeClient(t, b)
			f := c.connect(tt.offer)
			assert.Equal(t, tt.want, f.get("version"))
			ci, ok := b.Connection(1)
			require.True(t, ok)
			assert.Equal(t, tt.want, ci.Version.String())
		})
	}
}

func TestVersionNoneInCommonIsRefused(t *testing.T) {
	b := newBroker(t, WithVersions(frames.V11, frames.V12))
	for _, offer := range []string{"2.0", ""} {
		c := pipeClient(t, b)
		if offer == "" {
			c.send("CONNECT\nreceipt:c1\n\n\x00") // no accept-version: 1.0
		} else {
			c.send("CONNECT\naccept-version:" + offer + "\nhost:/\nreceipt:c1\n\n\x00")
		}
		f := c.expect("ERROR")
		assert.Equal(t, "1.1,1.2", f.get("version"))
		assert.Equal(t, "unsupported protocol version", f.get("message"))
		assert.Equal(t, "c1", f.get("receipt-id"))
		assert.NotEmpty(t, f.body)
		c.expectClosed()
	}
}

func TestStompFrameNeeds11(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.send("STOMP\n\n\x00")
	assert.Equal(t, "STOMP frame needs 1.1", c.expect("ERROR").get("message"))
	c.expectClosed()
}

func TestVirtualHosts(t *testing.T) {
	tests := []struct {
		name    string
		connect string
		ok      bool
	}{
		{"1.2 known host", "CONNECT\naccept-version:1.2\nhost:vh1\n\n\x00", true},
		{"1.2 unknown host", "CONNECT\naccept-version:1.2\nhost:other\n\n\x00", false},
		{"1.1 missing host", "CONNECT\naccept-version:1.1\n\n\x00", false},
		{"1.0 missing host is allowed", "CONNECT\n\n\x00", true},
		{"1.0 unknown host", "CONNECT\nhost:nope\n\n\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, WithVirtualHosts("/", "vh1"))
			c := pipeClient(t, b)
			c.send(tt.connect)
			if tt.ok {
				c.expect("CONNECTED")
				return
			}
			f := c.expect("ERROR")
			assert.Contains(t, f.get("message"), "host")
			c.expectClosed()
		})
	}
	t.Run("no virtual hosts configured accepts any", func(t *testing.T) {
		b := newBroker(t)
		c := pipeClient(t, b)
		c.send("CONNECT\naccept-version:1.2\nhost:anything\n\n\x00")
		c.expect("CONNECTED")
		ci, _ := b.Connection(1)
		assert.Equal(t, "anything", ci.Host)
	})
}

func TestLogins(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		ok      bool
	}{
		{"good login", "login:alice\npasscode:secret\n", true},
		{"bad passcode", "login:alice\npasscode:wrong\n", false},
		{"unknown login", "login:mallory\npasscode:secret\n", false},
		{"no login", "", false},
	}
	for _, tt := range tests {
		for _, v := range []string{"1.0", "1.2"} {
			t.Run(v+" "+tt.name, func(t *testing.T) {
				b := newBroker(t, WithUser("alice", "secret"), WithUser("bob", ""))
				c := pipeClient(t, b)
				c.send("CONNECT\naccept-version:" + v + "\nhost:/\n" + tt.headers + "\n\x00")
				if tt.ok {
					c.expect("CONNECTED")
					ci, _ := b.Connection(1)
					assert.Equal(t, "alice", ci.Login)
					return
				}
				f := c.expect("ERROR")
				assert.Equal(t, "access refused", f.get("message"))
				assert.NotContains(t, f.body, "secret", "the ERROR must not echo the passcode")
				c.expectClosed()
				waitFor(t, "the auth failure to be counted", func() bool { return b.Stats().AuthFailures == 1 })
			})
		}
	}
}

func TestFrameBeforeConnect(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.send("SEND\ndestination:/queue/a\nreceipt:r1\n\nhi\x00")
	f := c.expect("ERROR")
	assert.Equal(t, "not connected", f.get("message"))
	assert.Equal(t, "r1", f.get("receipt-id"))
	c.expectClosed()
	d, ok := b.Destination("/queue/a")
	assert.False(t, ok, "nothing was published: %+v", d)
}

func TestSecondConnectIsAnError(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	assert.Equal(t, "already connected", c.expect("ERROR").get("message"))
	c.expectClosed()
}

func TestServerCommandFromClientIsAnError(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	c.send("MESSAGE\ndestination:/queue/a\n\n\x00")
	assert.Equal(t, "unexpected command", c.expect("ERROR").get("message"))
	c.expectClosed()
}

func TestDisconnect(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport+" with receipt", func(t *testing.T) {
			b := newBroker(t)
			c := dial(t, b, transport)
			c.connect("1.2")
			c.send("DISCONNECT\nreceipt:bye\n\n\x00")
			assert.Equal(t, "RECEIPT\nreceipt-id:bye\n\n\x00", c.read().raw)
			c.expectClosed()
			waitFor(t, "the connection to be forgotten", func() bool {
				s, n := internals(b)
				return s == 0 && n == 0
			})
		})
		t.Run(transport+" without receipt", func(t *testing.T) {
			b := newBroker(t)
			c := dial(t, b, transport)
			c.connect("1.0")
			c.send("DISCONNECT\n\n\x00")
			c.expectClosed()
		})
	}
}

// dial connects a test client over a pipe or TCP.
func dial(t *testing.T, b *Broker, transport string) *client {
	if transport == "tcp" {
		return tcpClient(t, b.Addr())
	}
	return pipeClient(t, b)
}

func TestLimits(t *testing.T) {
	lim := frames.Limits{MaxBody: 16, MaxHeaders: 3, MaxHeaderLine: 40}
	tests := []struct {
		name  string
		frame string
		limit string
	}{
		{"body over MaxBody with content-length", "SEND\ndestination:/queue/a\ncontent-length:17\n\n" + strings.Repeat("x", 17) + "\x00", "body size"},
		{"body over MaxBody without content-length", "SEND\ndestination:/queue/a\n\n" + strings.Repeat("x", 40) + "\x00", "body size"},
		{"too many headers", "SEND\ndestination:/queue/a\na:1\nb:2\nc:3\n\n\x00", "header count"},
		{"header line too long", "SEND\ndestination:/queue/" + strings.Repeat("a", 40) + "\n\n\x00", "header line length"},
	}
	for _, tt := range tests {
		for _, transport := range []string{"pipe", "tcp"} {
			t.Run(transport+" "+tt.name, func(t *testing.T) {
				b := newBroker(t, WithLimits(lim))
				c := dial(t, b, transport)
				c.connect("1.2")
				c.send(tt.frame)
				f := c.expect("ERROR")
				assert.Contains(t, f.get("message"), tt.limit)
				c.expectClosed()
				assert.Equal(t, uint64(1), b.Stats().Errors)
			})
		}
	}
}

func TestMalformedFrameIsAnError(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.1")
	c.send("SEND\ndestination:/queue/a\nbad:\\r\n\n\x00") // \r escape is undefined in 1.1
	assert.Contains(t, c.expect("ERROR").get("message"), "malformed")
	c.expectClosed()
}
