package frames

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeErrorIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader("SEND\n\n\x00send\n\n\x00SEND\n\n\x00"), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, CmdSend, f.Command)
	_, err1 := d.Decode()
	requireErrLike(t, synErr(CmdInvalid, "unknown command"), err1)
	_, err2 := d.Decode()
	assert.Same(t, err1, err2)
}

func TestDecodeEOFIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(""), V12, Limits{})
	for range 3 {
		_, err := d.Decode()
		require.ErrorIs(t, err, io.EOF)
	}
}

func TestDecodeReadErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	d := NewDecoder(io.MultiReader(strings.NewReader("SEND\n\nab\x00SE"), iotest.ErrReader(boom)), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "ab", string(f.Body))
	_, err = d.Decode()
	require.ErrorIs(t, err, boom)

	d = NewDecoder(iotest.ErrReader(boom), V12, Limits{})
	_, err = d.Decode()
	require.ErrorIs(t, err, boom)
}

// zeroReader never returns data nor an error.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecodeReaderWithoutProgress(t *testing.T) {
	d := NewDecoder(zeroReader{}, V12, Limits{})
	_, err := d.Decode()
	require.ErrorIs(t, err, io.ErrNoProgress)
}

func TestDecodeSetVersion(t *testing.T) {
	// The CONNECTED frame is read before the version is known; the frame
	// after it, already buffered, is unescaped with the new version.
	in := "CONNECTED\nversion:1.2\n\n\x00MESSAGE\nk:a\\cb\\rc\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V10, Limits{})
	assert.Equal(t, V10, d.Version())
	f, err := d.Decode()
	require.NoError(t, err)
	require.Equal(t, CmdConnected, f.Command)
	v, err := ParseVersion(f.Header(HdrVersion))
	require.NoError(t, err)
	d.SetVersion(v)
	assert.Equal(t, V12, d.Version())
	f, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "a:b\rc", f.Header("k"))
}

func TestDecodeFrameValidUntilNextDecode(t *testing.T) {
	in := "MESSAGE\nk:1\n\nfirst\x00MESSAGE\nk:2\n\nsecond\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	f1, err := d.Decode()
	require.NoError(t, err)
	kept := f1.Clone()
	f2, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, fr(CmdMessage, "first", "k", "1"), kept)
	assert.Equal(t, fr(CmdMessage, "second", "k", "2"), exact(f2))
}

func TestDecodeCounters(t *testing.T) {
	in := "SEND\n\nab\x00\n\nRECEIPT\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	_, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, int64(len(in)), d.BytesRead())
	assert.Equal(t, len(in)-len("SEND\n\nab\x00"), d.Buffered())
	_, err = decodeAll(d, 10)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, 0, d.Buffered())
	assert.Equal(t, int64(len(in)), d.BytesRead())
}

func TestDecoderLimits(t *testing.T) {
	assert.Equal(t, DefaultLimits(), NewDecoder(nil, V12, Limits{}).Limits())
	lim := Limits{MaxCommand: 1, MaxHeaderLine: 2, MaxHeaders: 3, MaxBody: 4, MaxFrame: 5}
	assert.Equal(t, lim, NewDecoder(nil, V12, lim).Limits())
}

// Decoding a frame costs one allocation (the string that holds every
// header), however many headers it has, or two when some need unescaping.
func TestDecodeAllocations(t *testing.T) {
	plain := "MESSAGE\ndestination:/queue/a\nmessage-id:123\nsubscription:0\ncontent-length:5\n\nhello\x00"
	escaped := "MESSAGE\ndestination:/queue/a\nmessage-id:ID\\cbroker\\c7\nk\\\\ey:a\\nb\\rc\nsubscription:0\n\nhello\x00"
	for _, tc := range []struct {
		frame  string
		allocs float64
	}{{plain, 1}, {escaped, 2}} {
		d := NewDecoder(&loopReader{data: []byte(strings.Repeat(tc.frame, 64))}, V12, Limits{})
		allocs := testing.AllocsPerRun(1000, func() {
			f, err := d.Decode()
			if err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, allocs, tc.allocs, "%q", tc.frame)
	}
	d := NewDecoder(strings.NewReader(escaped), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "ID:broker:7", "k\\ey", "a\nb\rc", "subscription", "0"), exact(f))
}

// A frame of DecodeOwned read alone costs one allocation for its header
// text and body (unescaped in place) and one for its header list. On a
// busy stream small frames share chunks, so they cost a fraction of one.
// Either way a frame's body is its own: writing to it, or appending to
// it, changes neither its headers nor any other frame.
func TestDecodeOwned(t *testing.T) {
	plain := "MESSAGE\ndestination:/queue/a\nmessage-id:123\nsubscription:0\ncontent-length:5\n\nhello\x00"
	escaped := "MESSAGE\ndestination:/queue/a\nmessage-id:ID\\cbroker\\c7\nk\\\\ey:a\\nb\\rc\nsubscription:0\n\nhello\x00"
	wantPlain := fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "123", "subscription", "0", "content-length", "5")
	wantEscaped := fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "ID:broker:7", "k\\ey", "a\nb\rc", "subscription", "0")
	for _, frame := range []string{plain, escaped} {
		d := NewDecoder(oneAtATime(frame), V12, Limits{})
		alone := testing.AllocsPerRun(1000, func() {
			if f, err := d.DecodeOwned(); err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, alone, 2.0, "alone: %q", frame)
		assert.Nil(t, d.slab, "a frame alone shares no chunk it could pin")
		d = NewDecoder(&loopReader{data: []byte(strings.Repeat(frame, 64))}, V12, Limits{})
		busy := testing.AllocsPerRun(1000, func() {
			if f, err := d.DecodeOwned(); err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, busy, 0.25, "busy: %q", frame)
	}

	// Frames alone, then frames carved from shared chunks, all kept.
	quiet := escaped + plain + "RECEIPT\nreceipt-id:r1\n\n\x00\n"
	d := NewDecoder(strings.NewReader(quiet+strings.Repeat(escaped+plain, 200)), V12, Limits{})
	kept, err := decodeOwnedAll(d, 1000)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, kept, 404)
	assert.Equal(t, fr(CmdReceipt, "", "receipt-id", "r1"), exact(kept[2]))
	assert.Equal(t, Heartbeat, kept[3].Command)
	frames := append(kept[:2:2], kept[4:]...)
	for i, f := range frames {
		copy(f.Body, "HELLO")
		grown := append(f.Body, " and more"...)
		copy(grown, "xxxxx")
		f.Headers = append(f.Headers, Header{"x", "y"})
		f.Headers[0].Value = "changed"
		require.Equal(t, "HELLO", string(f.Body), "frame %d", i)
	}
	for i, f := range frames {
		want := wantEscaped
		if i%2 == 1 {
			want = wantPlain
		}
		want = want.Clone()
		want.Body = []byte("HELLO")
		want.Headers[0].Value = "changed"
		want.Headers = append(want.Headers, Header{"x", "y"})
		require.Equal(t, want, exact(f), "frame %d", i)
	}
}

// pausingReader hands out its text in two reads split at cut, with a read
// that meets its deadline between them (carried by the first read's bytes
// when withData).
type pausingReader struct {
	text     string
	cut      int
	withData bool
	step     int
}

func (r *pausingReader) Read(p []byte) (int, error) {
	r.step++
	switch {
	case r.step == 1 && r.withData:
		return copy(p, r.text[:r.cut]), os.ErrDeadlineExceeded
	case r.step == 1:
		return copy(p, r.text[:r.cut]), nil
	case r.step == 2 && !r.withData:
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, r.text[r.cut:])
	r.cut += n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// A read that meets its deadline anywhere in a frame (or between frames)
// returns the deadline's error without putting the stream out of step:
// the next Decode gives the frame whole, and the stream goes on.
func TestDecodeResumesAfterADeadline(t *testing.T) {
	text := "MESSAGE\nsubscription:s\ndestination:/q\\cx\ncontent-length:5\n\nhello\x00\n" +
		"RECEIPT\nreceipt-id:7\n\n\x00"
	for _, owned := range []bool{false, true} {
		for _, withData := range []bool{false, true} {
			for cut := 0; cut <= len(text); cut++ {
				d := NewDecoder(&pausingReader{text: text, cut: cut, withData: withData}, V12, Limits{})
				var got []string
				paused := 0
				for {
					var f Frame
					var err error
					if owned {
						f, err = d.DecodeOwned()
					} else {
						var pf *Frame
						if pf, err = d.Decode(); err == nil {
							f = *pf
						}
					}
					if errors.Is(err, os.ErrDeadlineExceeded) {
						paused++
						require.Equal(t, 1, paused, "the deadline's error again: owned %v, with data %v, cut at %d", owned, withData, cut)
						continue
					}
					if err == io.EOF {
						break
					}
					require.NoError(t, err, "owned %v, with data %v, cut at %d", owned, withData, cut)
					got = append(got, f.String()+" "+string(f.Body))
				}
				require.Equal(t, 1, paused, "owned %v, with data %v, cut at %d", owned, withData, cut)
				require.Equal(t, []string{
					"MESSAGE subscription:s destination:/q:x content-length:5 body=5B hello",
					"heart-beat ",
					"RECEIPT receipt-id:7 ",
				}, got, "owned %v, with data %v, cut at %d", owned, withData, cut)
			}
		}
	}
}

// With SetLenientErrors, an ERROR holding an escape its version does not
// define keeps its header text as it came (a STOMP 1.0 server refusing a
// login); one whose escapes are all defined is unescaped as usual, and
// any other frame with an undefined escape is still malformed.
func TestLenientErrorsKeepUndefinedEscapes(t *testing.T) {
	for _, owned := range []bool{false, true} {
		decode := func(text string, lenient bool) (Frame, error) {
			d := NewDecoder(strings.NewReader(text), V12, Limits{})
			d.SetLenientErrors(lenient)
			if owned {
				return d.DecodeOwned()
			}
			f, err := d.Decode()
			if err != nil {
				return Frame{}, err
			}
			return *f.Clone(), nil
		}
		f, err := decode("ERROR\nmessage:login refused for CORP\\bob\n\nno\x00", true)
		require.NoError(t, err, "owned %v", owned)
		assert.Equal(t, `login refused for CORP\bob`, f.Header("message"), "owned %v", owned)
		assert.Equal(t, "no", string(f.Body))

		f, err = decode("ERROR\nmessage:a\\cb\\\\c\n\n\x00", true)
		require.NoError(t, err, "owned %v", owned)
		assert.Equal(t, `a:b\c`, f.Header("message"), "owned %v", owned)

		_, err = decode("ERROR\nmessage:CORP\\bob\n\n\x00", false)
		requireErrLike(t, synErr(CmdError, "undefined escape sequence \\b"), err)
		_, err = decode("MESSAGE\nmessage:CORP\\bob\n\n\x00", true)
		requireErrLike(t, synErr(CmdMessage, "undefined escape sequence \\b"), err)
	}
}
