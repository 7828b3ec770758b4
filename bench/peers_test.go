package bench

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// wire is a test client speaking raw STOMP to a peer.
type wire struct {
	t   *testing.T
	c   net.Conn
	dec *frames.Decoder
}

func dialWire(t *testing.T, addr string) *wire {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	return &wire{t: t, c: c, dec: frames.NewDecoder(c, frames.V12, frames.Limits{})}
}

func (w *wire) send(s string) {
	w.t.Helper()
	_, err := io.WriteString(w.c, s)
	require.NoError(w.t, err)
}

// next returns the next frame that is not a heart-beat, cloned.
func (w *wire) next() *frames.Frame {
	w.t.Helper()
	for {
		f, err := w.dec.Decode()
		require.NoError(w.t, err)
		if f.Command != frames.Heartbeat {
			return f.Clone()
		}
	}
}

func TestSink(t *testing.T) {
	s, err := NewSink("")
	require.NoError(t, err)
	defer s.Close()
	w := dialWire(t, s.Addr())
	w.send("CONNECT\naccept-version:1.0,1.2\nhost:/\n\n\x00")
	f := w.next()
	require.Equal(t, frames.CmdConnected, f.Command)
	assert.Equal(t, "1.2", f.Header(frames.HdrVersion))
	w.send("SEND\ndestination:/q\n\none\x00\nSEND\ndestination:/q\ncontent-length:3\n\ntwo\x00SEND\ndestination:/q\nreceipt:r\\c1\n\n\x00")
	f = w.next()
	require.Equal(t, frames.CmdReceipt, f.Command)
	assert.Equal(t, "r:1", f.Header(frames.HdrReceiptID), "escaped in 1.2 both ways")
	assert.Equal(t, int64(3), s.Sends())
	w.send("DISCONNECT\nreceipt:bye\n\n\x00")
	f = w.next()
	assert.Equal(t, "bye", f.Header(frames.HdrReceiptID))
	_, err = w.dec.Decode()
	assert.ErrorIs(t, err, io.EOF, "the sink closes after DISCONNECT")

	w2 := dialWire(t, s.Addr())
	w2.send("CONNECT\naccept-version:2.0\nhost:/\n\n\x00")
	assert.Equal(t, frames.CmdError, w2.next().Command)
}

func TestFirehoseCountAndSize(t *testing.T) {
	h, err := NewFirehose("", FirehoseConfig{Size: 7})
	require.NoError(t, err)
	defer h.Close()
	w := dialWire(t, h.Addr())
	w.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:s\\c1\ndestination:/q\nx-bench-count:2500\n\n\x00")
	require.Equal(t, frames.CmdConnected, w.next().Command)
	for i := 1; i <= 2500; i++ {
		f := w.next()
		require.Equal(t, frames.CmdMessage, f.Command)
		require.Equal(t, "s:1", f.Header(frames.HdrSubscription))
		require.Len(t, f.Body, 7)
		require.Equal(t, i, atoi(t, f.Header(frames.HdrMessageID)))
		require.False(t, f.Headers.Has(frames.HdrAck), "no ack header in auto mode")
	}
	// The stream is over: what comes next answers this receipt.
	w.send("UNSUBSCRIBE\nid:s\\c1\nreceipt:end\n\n\x00")
	assert.Equal(t, frames.CmdReceipt, w.next().Command)
	assert.Equal(t, int64(2500), h.Sent())
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', s)
		n = n*10 + int(c-'0')
	}
	return n
}

// In client-individual mode the firehose keeps at most Inflight messages
// unacknowledged: a receipt asked for after the third of three allowed
// messages comes back before any fourth one.
func TestFirehoseInflightClientIndividual(t *testing.T) {
	h, err := NewFirehose("", FirehoseConfig{})
	require.NoError(t, err)
	defer h.Close()
	w := dialWire(t, h.Addr())
	w.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00" +
		"SUBSCRIBE\nid:0\ndestination:/q\nack:client-individual\nx-bench-count:10\nx-bench-inflight:3\nx-bench-size:1\n\n\x00")
	require.Equal(t, frames.CmdConnected, w.next().Command)
	var acks []string
	for range 3 {
		f := w.next()
		require.Equal(t, frames.CmdMessage, f.Command)
		acks = append(acks, f.Header(frames.HdrAck))
	}
	w.send("BEGIN\ntransaction:probe\nreceipt:probe\n\n\x00")
	f := w.next()
	require.Equal(t, frames.CmdReceipt, f.Command, "a fourth message went out before any ACK")
	got := 3
	for got < 10 {
		w.send("ACK\nid:" + acks[0] + "\n\n\x00")
		acks = acks[1:]
		f := w.next()
		require.Equal(t, frames.CmdMessage, f.Command)
		acks = append(acks, f.Header(frames.HdrAck))
		got++
	}
	w.send("ACK\nid:" + strings.Join(acks[:1], "") + "\nreceipt:last\n\n\x00")
	assert.Equal(t, frames.CmdReceipt, w.next().Command)
	assert.Equal(t, int64(10), h.Sent())
	assert.Equal(t, int64(8), h.Acks())
}

// In client mode an ACK covers every message up to its id.
func TestFirehoseInflightClient(t *testing.T) {
	h, err := NewFirehose("", FirehoseConfig{Count: 6, Inflight: 3})
	require.NoError(t, err)
	defer h.Close()
	w := dialWire(t, h.Addr())
	w.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:0\ndestination:/q\nack:client\n\n\x00")
	require.Equal(t, frames.CmdConnected, w.next().Command)
	var last string
	for range 3 {
		last = w.next().Header(frames.HdrAck)
	}
	w.send("ACK\nid:" + last + "\n\n\x00")
	for range 3 {
		assert.Equal(t, frames.CmdMessage, w.next().Command)
	}
	// The writer counts a batch once written: a receipt it answers
	// afterwards orders the count before the assertion.
	w.send("BEGIN\ntransaction:t\nreceipt:probe\n\n\x00")
	assert.Equal(t, frames.CmdReceipt, w.next().Command)
	assert.Equal(t, int64(6), h.Sent())
}

func TestFirehoseEndsWithItsClient(t *testing.T) {
	h, err := NewFirehose("", FirehoseConfig{Size: 100})
	require.NoError(t, err)
	w := dialWire(t, h.Addr())
	w.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:0\ndestination:/q\n\n\x00")
	require.Equal(t, frames.CmdConnected, w.next().Command)
	require.Equal(t, frames.CmdMessage, w.next().Command)
	// The client stops reading and the firehose blocks on a full socket:
	// Close still ends every goroutine (goleak checks).
	require.NoError(t, h.Close())
}

// The raw reference must cost only what reading takes: a frame split
// and switched on allocates nothing, or every ratio to it flatters the
// client.
func TestRawReadingAllocatesNothingPerFrame(t *testing.T) {
	one := "MESSAGE\nsubscription:0\nmessage-id:m-1\nack:a-1\ncontent-length:100\n\n" + strings.Repeat("b", 100) + "\x00"
	stream := strings.Repeat(one, 64)
	sp := newSplitter(strings.NewReader(""))
	messages := 0
	allocs := testing.AllocsPerRun(20, func() {
		sp.r = strings.NewReader(stream)
		for {
			f, err := sp.next()
			if err != nil {
				break
			}
			switch string(command(f)) {
			case "MESSAGE":
				messages++
			case "ERROR":
				t.Fatal("no ERROR in the stream")
			}
		}
	})
	assert.Equal(t, 21*64, messages)
	assert.Less(t, allocs/64, 0.05, "allocations per frame")
}

func TestSplitter(t *testing.T) {
	stream := "\n\nCONNECTED\nversion:1.2\n\n\x00" +
		"MESSAGE\nack:a\\c1\ncontent-length:5\n\nab\x00cd\x00\r\n" +
		"MESSAGE\r\nack:2\r\n\r\nxyz\x00" +
		"RECEIPT\nreceipt-id:r\n\n\x00"
	want := []struct{ cmd, ack, body string }{
		{"CONNECTED", "", ""}, {"MESSAGE", "a\\c1", "ab\x00cd"}, {"MESSAGE", "2", "xyz"}, {"RECEIPT", "", ""},
	}
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(stream) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(stream)) },
		"halves":   func() io.Reader { return bufio.NewReaderSize(iotest.HalfReader(strings.NewReader(stream)), 16) },
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			sp := newSplitter(r())
			sp.buf = make([]byte, 8) // frames straddle the buffer and make it grow
			for _, w := range want {
				f, err := sp.next()
				require.NoError(t, err)
				assert.Equal(t, w.cmd, string(command(f)))
				assert.Equal(t, w.ack, string(rawHeader(f, "ack")))
				if w.body != "" {
					assert.True(t, bytes.Contains(f, []byte(w.body+"\x00")), "%q", f)
				}
			}
			_, err := sp.next()
			assert.ErrorIs(t, err, io.EOF)
		})
	}
	for _, bad := range []string{"MESSAGE\ncontent-length:x\n\n\x00", "MESSAGE\ncontent-length:2\n\nabc\x00",
		"MESSAGE\ncontent-length:9223372036854775807\n\n\x00", "MESSAGE\ncontent-length:-1\n\n\x00"} {
		_, err := newSplitter(strings.NewReader(bad)).next()
		assert.ErrorIs(t, err, errBadFrame, "%q", bad)
	}
}
