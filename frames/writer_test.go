package frames

import (
	"bytes"
	"errors"
	"io"
	"testing"

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

// Bursts of 4 KiB bodies borrow a buffer of the size the last burst
// needed, so a burst after the first does not grow one by doubling.
func TestWriterBurstsDoNotRegrow(t *testing.T) {
	w := NewWriter(io.Discard, Encoder{Version: V12})
	f := &Frame{Command: CmdSend, Body: bytes.Repeat([]byte("x"), 4096)}
	burst := func() (written int, grew bool) {
		for i := range 256 {
			if err := w.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				written = cap(w.buf)
			}
		}
		grew = cap(w.buf) != written
		written = w.Buffered()
		require.NoError(t, w.Flush())
		return written, grew
	}
	size, grew := burst()
	require.True(t, grew, "the first burst grows its buffer")
	require.Equal(t, writeClass(size), w.class)
	for range 3 {
		_, grew = burst()
		assert.False(t, grew, "a burst after the first regrew its buffer")
	}
	// A frame written aside between bursts leaves the size the bursts
	// borrow as it was.
	require.NoError(t, w.WriteFrame(f))
	Recycle(w.DetachAside())
	require.Equal(t, writeClass(size), w.class)
	_, grew = burst()
	assert.False(t, grew, "a burst after a frame written aside regrew its buffer")
}

// Between flushes a Writer holds no buffer, whatever it sent before.
func TestWriterIdleHoldsNoBuffer(t *testing.T) {
	w := NewWriter(io.Discard, Encoder{Version: V12})
	assert.Nil(t, w.buf)
	require.NoError(t, w.WriteFrame(&Frame{Command: CmdSend, Body: bytes.Repeat([]byte("x"), 2<<20)}))
	require.NoError(t, w.Flush())
	assert.Nil(t, w.buf)
	assert.Equal(t, 22, w.class, "the next frame borrows a buffer of the size this one needed")
	w.WriteHeartbeat()
	require.NoError(t, w.Flush())
	assert.Nil(t, w.buf)
	assert.Equal(t, minWriteClass, w.class)
}

func TestWriterClasses(t *testing.T) {
	for n, want := range map[int]int{0: 12, 1: 12, 4096: 12, 4097: 13, 8192: 13, 1 << 20: 20, 1<<20 + 1: 21} {
		assert.Equal(t, want, writeClass(n), "n=%d", n)
	}
	b := make([]byte, 0, 5000) // serves class 12 only
	giveBackWriteBuf(b)
	got := borrowWriteBuf(12)
	assert.GreaterOrEqual(t, cap(got), 4096)
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

// A large frame written alone, again and again (a round trip's message),
// takes a pooled buffer of its size each time instead of growing a small
// one by doubling.
func TestWriterLargeFrameAsideTakesAPooledBuffer(t *testing.T) {
	w := NewWriter(io.Discard, Encoder{Version: V12})
	f := &Frame{Command: CmdSend, Headers: Headers{{Key: "destination", Value: "/queue/a"}}, Body: bytes.Repeat([]byte("x"), 64<<10)}
	write := func() {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
		b := w.DetachAside()
		if len(b) < len(f.Body) || cap(b) != 1<<writeClass(len(b)) {
			t.Fatalf("frame of %d bytes in a buffer of %d", len(b), cap(b))
		}
		Recycle(b)
	}
	write()
	if raceEnabled {
		return // the pool drops buffers at random: nothing to count
	}
	// Two buffers between the frames: the small one borrowed first and
	// the large one, both back in their pools after each frame.
	assert.Zero(t, testing.AllocsPerRun(50, write))
}
