package frames

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingWriter keeps every Write call. With short set it accepts only
// that many bytes of each call; with err set it fails.
type recordingWriter struct {
	writes [][]byte
	short  int
	err    error
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	if w.err != nil {
		return 0, w.err
	}
	if w.short > 0 && w.short < len(p) {
		return w.short, nil
	}
	return len(p), nil
}

func TestWriterBatchesUntilFlush(t *testing.T) {
	rw := &recordingWriter{}
	w := NewWriter(rw, Encoder{Version: V12})
	assert.Equal(t, V12, w.Version())

	require.NoError(t, w.WriteFrame(fr(CmdSend, "one", "destination", "/q")))
	w.WriteHeartbeat()
	require.NoError(t, w.WriteFrame(fr(CmdAck, "", "id", "a:1")))
	require.NoError(t, w.WriteFrame(&Frame{Command: Heartbeat}))
	w.WriteRaw([]byte("RAW"))

	want := "SEND\ndestination:/q\ncontent-length:3\n\none\x00" +
		"\n" +
		"ACK\nid:a\\c1\n\n\x00" +
		"\n" +
		"RAW"
	assert.Empty(t, rw.writes, "nothing is written before Flush")
	assert.Equal(t, len(want), w.Buffered())
	assert.Zero(t, w.Written())

	require.NoError(t, w.Flush())
	require.Len(t, rw.writes, 1, "one Write per Flush")
	assert.Equal(t, want, string(rw.writes[0]))
	assert.Zero(t, w.Buffered())
	assert.Equal(t, int64(len(want)), w.Written())

	// Nothing buffered: Flush does not call Write.
	require.NoError(t, w.Flush())
	assert.Len(t, rw.writes, 1)

	// The buffer is reused for the next batch.
	w.WriteHeartbeat()
	require.NoError(t, w.Flush())
	require.Len(t, rw.writes, 2)
	assert.Equal(t, "\n", string(rw.writes[1]))
	assert.Equal(t, int64(len(want)+1), w.Written())
}

func TestWriterSetVersion(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Encoder{Version: V10})
	require.NoError(t, w.WriteFrame(fr(CmdConnect, "", "accept-version", "1.2", "host", "h")))
	w.SetVersion(V12)
	assert.Equal(t, V12, w.Version())
	require.NoError(t, w.WriteFrame(fr(CmdSend, "", "k", "a:b")))
	require.NoError(t, w.Flush())
	assert.Equal(t, "CONNECT\naccept-version:1.2\nhost:h\n\n\x00SEND\nk:a\\cb\ncontent-length:0\n\n\x00", out.String())
}

func TestWriterKeepsEncoderOptions(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Encoder{Version: V12, OmitTextContentLength: true})
	require.NoError(t, w.WriteFrame(fr(CmdSend, "hi")))
	require.NoError(t, w.Flush())
	assert.Equal(t, "SEND\n\nhi\x00", out.String())
}

func TestWriterEncodingErrorLeavesBufferAlone(t *testing.T) {
	rw := &recordingWriter{}
	w := NewWriter(rw, Encoder{Version: V10})
	require.NoError(t, w.WriteFrame(fr(CmdSend, "a")))
	n := w.Buffered()
	err := w.WriteFrame(fr(CmdSend, "b", "k", "line\nfeed"))
	requireErrLike(t, synErr(CmdSend, "line feed"), err)
	assert.Equal(t, n, w.Buffered())
	require.NoError(t, w.Flush())
	require.Len(t, rw.writes, 1)
	assert.Equal(t, "SEND\ncontent-length:1\n\na\x00", string(rw.writes[0]))
}

func TestWriterShortWrite(t *testing.T) {
	rw := &recordingWriter{short: 5}
	w := NewWriter(rw, Encoder{Version: V12})
	require.NoError(t, w.WriteFrame(fr(CmdDisconnect, "", "receipt", "1")))
	err := w.Flush()
	require.ErrorIs(t, err, io.ErrShortWrite)
	assert.Equal(t, int64(5), w.Written())
	assert.Zero(t, w.Buffered())
}

func TestWriterWriteError(t *testing.T) {
	boom := errors.New("boom")
	rw := &recordingWriter{err: boom}
	w := NewWriter(rw, Encoder{Version: V12})
	w.WriteHeartbeat()
	require.ErrorIs(t, w.Flush(), boom)
	assert.Zero(t, w.Written())
}

// fakeClock is a Writer clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClockedWriter(c *fakeClock) *Writer {
	w := NewWriter(io.Discard, Encoder{Version: V12})
	w.now = c.now
	return w
}

// Bursts of 4 KiB bodies keep the buffer they grew: no burst after the
// first allocates.
func TestWriterKeepsBufferForBursts(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	w := newClockedWriter(clock)
	f := &Frame{Command: CmdSend, Body: bytes.Repeat([]byte("x"), 4096)}
	burst := func() {
		for range 256 {
			if err := w.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	burst()
	grown := cap(w.buf)
	require.Greater(t, grown, 256*4096)
	allocs := testing.AllocsPerRun(20, func() {
		clock.add(300 * time.Millisecond)
		burst()
	})
	assert.Zero(t, allocs, "a burst after the first regrew the buffer")
	assert.Equal(t, grown, cap(w.buf))
}

func TestWriterShrinksAfterAQuietSecond(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	w := newClockedWriter(clock)
	big := &Frame{Command: CmdSend, Body: bytes.Repeat([]byte("x"), 2<<20)}
	small := &Frame{Command: CmdSend, Body: bytes.Repeat([]byte("y"), 10000)}
	flush := func(f *Frame) {
		t.Helper()
		require.NoError(t, w.WriteFrame(f))
		require.NoError(t, w.Flush())
	}
	flush(big)
	grown := cap(w.buf)
	require.Greater(t, grown, 2<<20)

	// Small flushes within the second keep the buffer.
	for range 9 {
		clock.add(100 * time.Millisecond)
		flush(small)
	}
	assert.Equal(t, grown, cap(w.buf))

	// A flush using a quarter of the buffer starts the second again.
	clock.add(50 * time.Millisecond)
	flush(&Frame{Command: CmdSend, Body: big.Body[:grown/4]})
	clock.add(900 * time.Millisecond)
	flush(small)
	assert.Equal(t, grown, cap(w.buf))

	// A full quiet second: the buffer shrinks to twice the largest
	// flush of that second.
	clock.add(200 * time.Millisecond)
	flush(small)
	assert.Less(t, cap(w.buf), grown)
	assert.GreaterOrEqual(t, cap(w.buf), 2*10000)
	assert.LessOrEqual(t, cap(w.buf), 2*(10000+64), "twice the small frame and its headers")

	// Heart-beats alone bring it back to the initial size.
	for range 2 {
		clock.add(2 * time.Second)
		w.WriteHeartbeat()
		require.NoError(t, w.Flush())
	}
	assert.Equal(t, initialWriteBuf, cap(w.buf))
}

// The initial buffer is never replaced by a smaller one.
func TestWriterSmallTrafficKeepsInitialBuffer(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	w := newClockedWriter(clock)
	for range 5 {
		clock.add(5 * time.Second)
		w.WriteHeartbeat()
		require.NoError(t, w.Flush())
		assert.Equal(t, initialWriteBuf, cap(w.buf))
	}
}

// What the Writer writes, the Decoder reads back, heart-beats included.
func TestWriterToDecoder(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Encoder{Version: V12})
	frames := []*Frame{
		fr(CmdSend, "a\x00b", "destination", "/q", "k", "x:y\r\n\\"),
		hb,
		hb,
		fr(CmdSubscribe, "", "id", "0", "destination", "/q"),
		hb,
	}
	for _, f := range frames {
		require.NoError(t, w.WriteFrame(f))
	}
	require.NoError(t, w.Flush())
	d := NewDecoder(&out, V12, Limits{})
	got, err := decodeAll(d, 10)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, normalAll(frames), normalAll(got))
}

// BenchmarkWriterBurst encodes bursts of 1024 SEND frames (the engine's
// default outgoing queue bound) and flushes each burst with one Write, the
// way the engine's writer does under load. It reports the cost per frame.
func BenchmarkWriterBurst(b *testing.B) {
	for _, size := range []int{100, 4 << 10, 64 << 10} {
		b.Run("body="+sizeName(size), func(b *testing.B) {
			const burst = 1024
			f := benchFrame(CmdSend, 3, size)
			w := NewWriter(io.Discard, Encoder{Version: V12})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := w.WriteFrame(f); err != nil {
					b.Fatal(err)
				}
				if i%burst == burst-1 {
					if err := w.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
