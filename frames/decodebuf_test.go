package frames

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneAtATime returns a reader that hands out frame, once per read, for
// ever: a quiet stream, where each frame arrives alone.
func oneAtATime(frame string) io.Reader {
	return readerFunc(func(p []byte) (int, error) { return copy(p, frame), nil })
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// countingReader counts the bytes it hands out.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless returns prefix followed by unit repeated forever.
func endless(prefix, unit string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), &loopReader{data: []byte(unit)})
}

// TestDecodeHostileStreamMemory feeds endless input and checks that the
// decoder stops at its limits: the error names the limit, and the bytes
// read, the buffer and the memory allocated stay within what the limits
// allow.
func TestDecodeHostileStreamMemory(t *testing.T) {
	def := DefaultLimits()
	tests := []struct {
		name    string
		in      io.Reader
		lim     Limits
		err     *LimitError
		maxRead int // most bytes the decoder may read and buffer
		extra   int // bytes the decoder may allocate besides its buffer
	}{
		{
			name:    "endless command line",
			in:      endless("", "A"),
			err:     limErr(LimitCommand, DefaultMaxCommand),
			maxRead: defaultBufSize,
		},
		{
			name:    "endless header line",
			in:      endless("SEND\nkey:", "v"),
			err:     limErr(LimitHeaderLine, DefaultMaxHeaderLine),
			maxRead: 2 * DefaultMaxHeaderLine,
		},
		{
			name:    "endless header lines",
			in:      endless("SEND\n", "k:v\n"),
			err:     limErr(LimitHeaders, DefaultMaxHeaders),
			maxRead: defaultBufSize,
		},
		{
			name:    "endless header lines within the header count",
			in:      endless("SEND\n", "k:v\n"),
			lim:     Limits{MaxHeaders: 100000, MaxFrame: 4096},
			err:     limErr(LimitFrame, 4096),
			maxRead: 4097,
			// The offsets of up to 1024 header lines, 40 bytes
			// each, doubling as they grow: under 96 KiB in all.
			extra: 96 << 10,
		},
		{
			name:    "endless body without NUL",
			in:      endless("SEND\n\n", "b"),
			err:     limErr(LimitBody, DefaultMaxBody),
			maxRead: def.MaxFrame + 1,
		},
		{
			name:    "endless body without NUL, small MaxBody",
			in:      endless("SEND\n\n", "b"),
			lim:     Limits{MaxBody: 1000},
			err:     limErr(LimitBody, 1000),
			maxRead: defaultBufSize,
		},
		{
			name:    "huge content-length",
			in:      endless("SEND\ncontent-length:"+strconv.Itoa(DefaultMaxBody+1)+"\n\n", "b"),
			err:     limErr(LimitBody, DefaultMaxBody),
			maxRead: defaultBufSize,
		},
		{
			name:    "content-length of 2^63",
			in:      endless("SEND\ncontent-length:9223372036854775808\n\n", "b"),
			lim:     Limits{MaxBody: math.MaxInt, MaxFrame: 1 << 20},
			err:     limErr(LimitBody, maxLimit),
			maxRead: defaultBufSize,
		},
		{
			name:    "content-length past MaxFrame",
			in:      endless("SEND\ncontent-length:1000\n\n", "b"),
			lim:     Limits{MaxFrame: 500},
			err:     limErr(LimitFrame, 500),
			maxRead: 501,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &countingReader{r: tc.in}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d := NewDecoder(r, V12, tc.lim)
			_, err := d.Decode()
			runtime.ReadMemStats(&after)
			requireErrLike(t, tc.err, err)
			assert.LessOrEqual(t, len(d.buf), tc.maxRead, "buffer size")
			assert.LessOrEqual(t, r.n, int64(tc.maxRead), "bytes read")
			assert.LessOrEqual(t, d.BytesRead(), int64(tc.maxRead), "bytes read")
			// The buffer doubles on its way up: every size it took adds
			// up to less than twice the last.
			assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(3*tc.maxRead+tc.extra+64<<10), "bytes allocated")
		})
	}
}

// loopReader returns data over and over; it never ends.
type loopReader struct {
	data []byte
	off  int
	n    int64
}

func (r *loopReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		n := copy(p, r.data[r.off:])
		r.off = (r.off + n) % len(r.data)
		p = p[n:]
		total += n
	}
	r.n += int64(total)
	return total, nil
}

// A large frame grows the buffer; once it is consumed the decoder goes back
// to a small buffer, so one large message does not pin its memory.
func TestDecodeBufferShrinksAfterLargeFrame(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 3<<20)
	in := "MESSAGE\ncontent-length:" + strconv.Itoa(len(body)) + "\n\n" + string(body) + "\x00" + "MESSAGE\n\nsmall\x00"
	d := NewDecoder(iotest.HalfReader(strings.NewReader(in)), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	require.Equal(t, body, f.Body)
	assert.Greater(t, len(d.buf), len(body))
	f, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "small", string(f.Body))
	assert.LessOrEqual(t, len(d.buf), defaultBufSize)
	_, err = d.Decode()
	require.ErrorIs(t, err, io.EOF)
}

// The decoder never hands out memory the next frame overwrites through
// the headers: header strings are copies.
func TestDecodeHeadersDoNotAliasBuffer(t *testing.T) {
	in := "MESSAGE\nk:first\n\n\x00MESSAGE\nk:other\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	v := f.Header("k")
	_, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "first", v)
}

// readCounter counts the Read calls that reach r.
type readCounter struct {
	r     io.Reader
	reads int
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// A stream of small frames is read a large buffer at a time, not the idle
// buffer at a time: the frame that does not fit in the idle buffer moves
// the decoder to a large one, and it stays there while reads fill it. Once
// a read comes back short (the stream went quiet), the decoder waits in
// the idle buffer again.
func TestDecodeFirehoseReadsLargeBuffers(t *testing.T) {
	one := "MESSAGE\nsubscription:0\nmessage-id:12345\ndestination:/topic/x\ncontent-length:100\n\n" + strings.Repeat("x", 100) + "\x00"
	const n = 20000
	in := strings.Repeat(one, n)
	cr := &readCounter{r: strings.NewReader(in)}
	d := NewDecoder(cr, V12, Limits{})
	for range n {
		f, err := d.Decode()
		require.NoError(t, err)
		require.Len(t, f.Body, 100)
	}
	assert.LessOrEqual(t, cr.reads, 2+len(in)/(defaultBufSize/2), "reads of a firehose")
	_, err := d.Decode()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, idleSize, len(d.buf), "after a short read the decoder waits in its idle buffer")
}

// Release gives the buffers back only when nothing is buffered; the next
// Decode takes one again, and frames decoded owned stay valid.
func TestDecodeRelease(t *testing.T) {
	in := "RECEIPT\nreceipt-id:1\n\n\x00MESSAGE\ndestination:/q\nmessage-id:2\nsubscription:0\n\nbody\x00"
	for _, name := range []string{"whole", "one byte at a time"} {
		t.Run(name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(in)
			if name != "whole" {
				r = iotest.OneByteReader(r)
			}
			d := NewDecoder(r, V12, Limits{})
			d.Release() // before any read: nothing to give back
			first, err := d.DecodeOwned()
			require.NoError(t, err)
			d.Release()
			if d.Pending() {
				assert.NotNil(t, d.buf, "bytes of the next frame stay buffered")
			} else {
				assert.Nil(t, d.buf)
				assert.Nil(t, d.small)
			}
			second, err := d.DecodeOwned()
			require.NoError(t, err)
			d.Release()
			assert.False(t, d.Pending())
			assert.Nil(t, d.buf, "an idle decoder holds no buffer after Release")
			assert.Nil(t, d.small)
			assert.Equal(t, "1", first.Header(HdrReceiptID))
			assert.Equal(t, "body", string(second.Body))
			_, err = d.DecodeOwned()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}

// Frames larger than the decoder's usual buffer reuse the buffer grown for
// them, on a busy stream and one frame at a time alike: decoding one
// costs what a small frame costs, not a new buffer (it cost 8 allocations
// and 74 KB per 64 KiB frame when a grown buffer was dropped after each).
func TestLargeFramesReuseTheGrownBuffer(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	body := strings.Repeat("x", 64<<10)
	frame := []byte("SEND\ndestination:/queue/a\ncontent-length:" + strconv.Itoa(len(body)) + "\n\n" + body + "\x00")
	busy := NewDecoder(&loopReader{data: frame}, V12, Limits{})
	quiet := NewDecoder(&oneFrameReader{frame: frame}, V12, Limits{})
	for name, d := range map[string]*Decoder{"busy": busy, "one at a time": quiet} {
		decode := func() {
			f, err := d.Decode()
			if err != nil || len(f.Body) != len(body) {
				panic(err)
			}
		}
		decode() // the first frame grows the buffer
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const frames = 200
		for range frames {
			decode()
		}
		runtime.ReadMemStats(&after)
		perFrame := (after.TotalAlloc - before.TotalAlloc) / frames
		// The header list, and on a quiet connection its scratch slices.
		assert.Less(t, perFrame, uint64(1<<10), "%s: %d bytes allocated per frame", name, perFrame)
	}
}

// oneFrameReader returns at most the rest of one frame per Read, as a
// quiet connection's socket does.
type oneFrameReader struct {
	frame []byte
	off   int
}

func (r *oneFrameReader) Read(p []byte) (int, error) {
	n := copy(p, r.frame[r.off:])
	r.off = (r.off + n) % len(r.frame)
	return n, nil
}

// A decoder Reset onto another stream decodes it as a new one would, with
// the new version and limits: nothing of the old stream, half a frame
// included, is left.
func TestDecoderResetStartsOver(t *testing.T) {
	d := NewDecoder(strings.NewReader("MESSAGE\nk:a\\cb\n\nx\x00MESS"), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	v, _ := f.Headers.Get("k")
	require.Equal(t, "a:b", v, "1.2 unescapes")
	require.True(t, d.Pending(), "the start of the next frame is buffered")

	d.Reset(strings.NewReader("MESSAGE\nk:a\\cb\n\ny\x00"), V10, Limits{MaxBody: 1})
	require.False(t, d.Pending())
	g, err := d.DecodeOwned()
	require.NoError(t, err)
	v, _ = g.Headers.Get("k")
	require.Equal(t, `a\cb`, v, "1.0 does not unescape")
	require.Equal(t, "y", string(g.Body))
	require.Equal(t, 1, d.Limits().MaxBody)
	_, err = d.Decode()
	require.ErrorIs(t, err, io.EOF)
}

// countingReads counts the Read calls made of r.
type countingReads struct {
	r     io.Reader
	calls int
}

func (c *countingReads) Read(p []byte) (int, error) {
	c.calls++
	return c.r.Read(p)
}

func TestAStreamReadsIntoTheStreamBuffer(t *testing.T) {
	frame := []byte("MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\ncontent-length:100\n\n" + strings.Repeat("x", 100) + "\x00")
	const n = 20000 // about 2.8 MB
	decodeAll := func(r io.Reader) *Decoder {
		d := NewDecoder(r, V12, Limits{})
		for range n {
			f, err := d.DecodeOwned()
			require.NoError(t, err)
			require.Equal(t, CmdMessage, f.Command)
			require.Len(t, f.Body, 100)
		}
		return d
	}

	// A socket that always has more than the buffer holds: after the
	// first full buffer the decoder reads streamBufSize at a time.
	total := n * len(frame)
	busy := &countingReads{r: bytes.NewReader(bytes.Repeat(frame, n))}
	d := decodeAll(busy)
	assert.Equal(t, streamBufSize, len(d.buf), "the buffer a stream reads into")
	// The idle buffer's read and the first large buffer's come first.
	assert.LessOrEqual(t, busy.calls, total/(streamBufSize-len(frame))+3, "one read per stream buffer")

	// A socket that holds one frame at a time never looks like a stream.
	quiet := decodeAll(&oneFrameReader{frame: frame})
	assert.LessOrEqual(t, len(quiet.buf), defaultBufSize, "the buffer of one frame at a time")

	// Going idle gives the stream buffer back.
	d.Release()
	assert.True(t, d.buf == nil && d.lent == nil, "the decoder keeps no buffer once released")
}
