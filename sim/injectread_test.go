package sim

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A byte fault injected on the client's stream (Dir ToServer) of an open
// connection acts on the client's next bytes, as Inject's doc says
// ("AfterBytes counts the bytes that pass after it"): the read already
// waiting for the client when the fault is injected does not let them
// past it. DropConn, CorruptByte, RandomChunks and DelayWrites, with and
// without the broker's heart-beat read deadline, on a broker and on a
// proxy. (Review 9, finding 4: on a broker only a StopReading woke that
// read, and the others missed the client's next frame.)
func TestAnInjectedReadFaultActsOnTheClientsNextBytes(t *testing.T) {
	const (
		send = "SEND\ndestination:/queue/a\nreceipt:after-inject\n\nx\x00"
		sync = "SEND\ndestination:/queue/a\nreceipt:before\n\nx\x00"
	)
	kinds := []struct {
		name  string
		fault Fault
		check func(t *testing.T, c *client, events func() []FaultEvent, base int64)
	}{
		{"DropConn", Fault{Kind: DropConn, AfterBytes: 1}, func(t *testing.T, c *client, events func() []FaultEvent, base int64) {
			c.expectClosed()
			evs := events()
			require.Len(t, evs, 1)
			assert.Equal(t, base+1, evs[0].Offset, "%v", evs)
		}},
		{"CorruptByte", Fault{Kind: CorruptByte, Mask: 0x20}, func(t *testing.T, c *client, events func() []FaultEvent, base int64) {
			// "sEND" is no command: the broker does not take it for the
			// SEND it was.
			e := c.expect("ERROR")
			evs := events()
			assert.NotEqual(t, "after-inject", e.get("receipt-id"))
			require.Len(t, evs, 1)
			assert.Equal(t, base, evs[0].Offset, "%v", evs)
		}},
		{"RandomChunks", Fault{Kind: RandomChunks, Chunk: 1}, func(t *testing.T, c *client, events func() []FaultEvent, base int64) {
			assert.Equal(t, "after-inject", c.expect("RECEIPT").get("receipt-id"))
			evs := events()
			// The SEND was read a byte at a time: its bytes' pieces were
			// cut before the broker saw it whole and answered.
			require.GreaterOrEqual(t, len(evs), len(send), "%v", evs)
			for i, ev := range evs[:len(send)] {
				assert.Equal(t, base+int64(i), ev.Offset, "%v", ev)
				assert.Equal(t, 1, ev.Size, "%v", ev)
			}
		}},
		{"DelayWrites", Fault{Kind: DelayWrites, Delay: time.Millisecond}, func(t *testing.T, c *client, events func() []FaultEvent, base int64) {
			assert.Equal(t, "after-inject", c.expect("RECEIPT").get("receipt-id"))
			evs := events()
			// The read that got the SEND waited before handing it over.
			require.NotEmpty(t, evs)
			assert.Equal(t, base, evs[0].Offset, "%v", evs)
		}},
	}
	for _, via := range []string{"broker", "proxy"} {
		for _, hb := range []bool{false, true} {
			for _, k := range kinds {
				name := via + "/" + k.name
				if hb {
					name += "/heart-beats"
				}
				t.Run(name, func(t *testing.T) {
					connect := "CONNECT\naccept-version:1.2\nhost:/\n\n\x00"
					var opts []Option
					if hb {
						// A read deadline the broker sets before each read;
						// long enough never to pass in the test.
						connect = "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,0\n\n\x00"
						opts = append(opts, WithHeartbeat(0, time.Second))
					}
					b := newBroker(t, opts...)
					addr, inject, events := b.Addr(), b.Inject, b.FaultEvents
					// A broker counts an injected byte fault's offsets from
					// the Inject, a proxy from the accept.
					var base int64
					if via == "proxy" {
						p, err := NewProxy(b.Addr(), nil)
						require.NoError(t, err)
						t.Cleanup(func() { require.NoError(t, p.Close()) })
						addr, inject, events = p.Addr(), p.Inject, p.FaultEvents
						base = int64(len(connect) + len(sync))
					}
					c := tcpClient(t, addr)
					c.send(connect)
					c.expect("CONNECTED")
					c.send(sync)
					require.Equal(t, "before", c.expect("RECEIPT").get("receipt-id"))
					// The broker's (or proxy's) reader now waits for the
					// client again.

					f := k.fault
					f.Name, f.Conn, f.Dir = "injected", 1, ToServer
					require.NoError(t, inject(f))
					c.send(send)
					k.check(t, c, events, base)
					for _, ev := range events() {
						assert.Equal(t, ToServer, ev.Dir, "%v", ev)
					}
					d, _ := b.Destination("/queue/a")
					if k.name == "DropConn" || k.name == "CorruptByte" {
						assert.EqualValues(t, 1, d.Enqueued, "the SEND after the Inject was published")
					}
				})
			}
		}
	}
}

// Bytes a read got before the wake-up meant for a rule added while it
// waited (the client's bytes can beat the kick) still pass through that
// rule: a RandomChunks cuts them into its pieces, the rest kept back and
// served, in order, before the socket is read again, and an error that
// came with them comes after them.
func TestBytesReadPastAnAddedRuleAreCutAndKeptBack(t *testing.T) {
	a, z := net.Pipe()
	defer func() { _ = a.Close(); _ = z.Close() }()
	fc := newFaultConn(a, &connFaults{index: 1, start: time.Now(), log: &eventLog{}})
	fc.addRule(newByteRule(&Fault{Name: "chunks", Kind: RandomChunks, Dir: ToServer, Chunk: 1}, 1, time.Now()))
	// The client sends nothing: a Read that went to the socket would
	// time out.
	require.NoError(t, fc.SetReadDeadline(time.Now().Add(wait)))

	// As if the socket's read had returned "abc" and EOF with no rule.
	p := make([]byte, 8)
	copy(p, "abc")
	n, err := fc.took(p, 3, io.EOF)
	require.NoError(t, err)
	require.Equal(t, "a", string(p[:n]))
	var got []string
	for range 2 {
		n, err = fc.Read(p)
		got = append(got, string(p[:n]))
	}
	assert.Equal(t, []string{"b", "c"}, got)
	assert.Equal(t, io.EOF, err)
	assert.EqualValues(t, 3, fc.nRead.Load())
	assert.Empty(t, fc.over)
}
