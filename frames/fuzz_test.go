package frames

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// FuzzDecode decodes a stream in every version, with roomy and with tight
// limits, and checks that:
//   - the decoder ends with io.EOF, io.ErrUnexpectedEOF, a *SyntaxError or
//     a *LimitError, never anything else and never a panic;
//   - the result is the same whether the stream is read whole, one byte at
//     a time or in two halves, and with DecodeOwned as with Decode;
//   - every decoded frame encodes again in the same version (with and
//     without content-length on text bodies), and decoding that gives the
//     same frames: command, headers (content-length aside) and body.
//
// The seed corpus is in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("SEND\ndestination:/queue/a\n\nhello\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tight := Limits{MaxCommand: 10, MaxHeaderLine: 24, MaxHeaders: 4, MaxBody: 24, MaxFrame: 48}
		for _, v := range Versions {
			for _, lim := range []Limits{{MaxFrame: 8 << 10}, tight} {
				frames, err := fuzzDecodeAll(t, data, v, lim, bytes.NewReader(data))
				checkFuzzErr(t, err)
				for _, r := range []io.Reader{
					iotest.OneByteReader(bytes.NewReader(data)),
					splitAt(data, len(data)/2),
				} {
					again, err2 := fuzzDecodeAll(t, data, v, lim, r)
					require.Equal(t, frames, again, "%s: frames depend on how the stream is read", v)
					require.Equal(t, err.Error(), err2.Error(), "%s: error depends on how the stream is read", v)
				}
				owned, err3 := decodeOwnedAll(NewDecoder(bytes.NewReader(data), v, lim), len(data)+1)
				require.Equal(t, frames, exactAll(owned), "%s: DecodeOwned differs from Decode", v)
				require.Equal(t, err.Error(), err3.Error(), "%s: DecodeOwned's error differs from Decode's", v)
				for _, omit := range []bool{false, true} {
					checkReencode(t, frames, Encoder{Version: v, OmitTextContentLength: omit})
				}
			}
		}
	})
}

// fuzzDecodeAll decodes r to its end and checks what each frame obeys:
// a wire command or a heart-beat, the limits, a body only where one is
// allowed. Every frame consumes at least one byte, so there are at most
// len(data) of them.
func fuzzDecodeAll(t *testing.T, data []byte, v Version, lim Limits, r io.Reader) ([]*Frame, error) {
	t.Helper()
	d := NewDecoder(r, v, lim)
	lim = d.Limits()
	var frames []*Frame
	consumed := int64(0)
	for range len(data) + 1 {
		f, err := d.Decode()
		if err != nil {
			return exactAll(frames), err
		}
		n := d.BytesRead() - int64(d.Buffered()) - consumed
		consumed += n
		if f.Command == Heartbeat {
			require.True(t, n == 1 || (n == 2 && v >= V12), "heart-beat of %d bytes", n)
			require.Empty(t, f.Headers)
			require.Empty(t, f.Body)
		} else {
			require.True(t, f.Command.Valid(), "command %v", f.Command)
			require.LessOrEqual(t, n, int64(lim.MaxFrame), "frame size")
			require.LessOrEqual(t, len(f.Headers), lim.MaxHeaders, "header count")
			require.LessOrEqual(t, len(f.Body), lim.MaxBody, "body size")
			require.True(t, f.Command.HasBody() || len(f.Body) == 0, "body on %v", f.Command)
			for _, h := range f.Headers {
				require.NotEmpty(t, h.Key)
			}
		}
		frames = append(frames, f.Clone())
	}
	t.Fatalf("more frames than bytes")
	return nil, nil
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var se *SyntaxError
	var le *LimitError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
	case errors.As(err, &se):
		require.NotEmpty(t, se.Reason)
	case errors.As(err, &le):
		require.NotEmpty(t, le.Limit)
	default:
		t.Fatalf("unexpected error %T %v", err, err)
	}
}

func checkReencode(t *testing.T, frames []*Frame, enc Encoder) {
	t.Helper()
	var wire []byte
	for _, f := range frames {
		var err error
		wire, err = enc.Append(wire, f)
		require.NoError(t, err, "%s: cannot re-encode %v", enc.Version, f)
	}
	// Escaping and content-length make frames longer: the limits here
	// only need to hold the re-encoded stream.
	lim := Limits{MaxHeaders: len(wire) + 1, MaxFrame: len(wire) + 1}
	d := NewDecoder(bytes.NewReader(wire), enc.Version, lim)
	again, err := decodeAll(d, len(wire)+1)
	require.ErrorIs(t, err, io.EOF, "%s: decoding %s", enc.Version, show(wire))
	require.Equal(t, normalAll(frames), normalAll(again), "%s: %s", enc.Version, show(wire))
}
