package frames

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fr builds a frame from a command, a body ("" for none) and alternating
// header keys and values.
func fr(cmd Command, body string, kv ...string) *Frame {
	f := New(cmd, kv...)
	if body != "" {
		f.Body = []byte(body)
	}
	return f
}

// hb is the frame the decoder returns for an EOL between frames.
var hb = &Frame{Command: Heartbeat}

// chunkReader returns its chunks one per Read call (a chunk longer than
// the caller's buffer is split), then io.EOF.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// splitAt reads in as two chunks, in[:i] and in[i:].
func splitAt(in []byte, i int) io.Reader {
	return &chunkReader{chunks: [][]byte{in[:i:i], in[i:]}}
}

// readMode is one way of feeding a decoder.
type readMode struct {
	name string
	r    func(in []byte) io.Reader
}

// readModes returns every way a decode case is fed: whole, with the last
// data and io.EOF in one Read, one byte at a time, and split in two at
// every offset.
func readModes(in []byte) []readMode {
	modes := []readMode{
		{"whole", func(in []byte) io.Reader { return bytes.NewReader(in) }},
		{"data with EOF", func(in []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(in)) }},
		{"one byte", func(in []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) }},
	}
	for i := 0; i <= len(in); i++ {
		modes = append(modes, readMode{fmt.Sprintf("split at %d", i), func(in []byte) io.Reader { return splitAt(in, i) }})
	}
	return modes
}

// decodeAll decodes until the first error and returns clones of the
// frames decoded before it, and the error. It gives up after max frames.
func decodeAll(d *Decoder, max int) ([]*Frame, error) {
	var out []*Frame
	for len(out) < max {
		f, err := d.Decode()
		if err != nil {
			return out, err
		}
		out = append(out, f.Clone())
	}
	return out, fmt.Errorf("more than %d frames", max)
}

// decodeOwnedAll is decodeAll with DecodeOwned, keeping the frames as
// they are.
func decodeOwnedAll(d *Decoder, max int) ([]*Frame, error) {
	var out []*Frame
	for len(out) < max {
		f, err := d.DecodeOwned()
		if err != nil {
			return out, err
		}
		out = append(out, &f)
	}
	return out, fmt.Errorf("more than %d frames", max)
}

// normal returns f with nil for an empty body and no content-length
// header, so that frames can be compared whatever the encoder added.
func normal(f *Frame) *Frame {
	out := f.Clone()
	if len(out.Body) == 0 {
		out.Body = nil
	}
	out.Headers.Del(HdrContentLength)
	if len(out.Headers) == 0 {
		out.Headers = nil
	}
	return out
}

// exact returns f with nil for an empty body and nil for no headers.
func exact(f *Frame) *Frame {
	out := f.Clone()
	if len(out.Body) == 0 {
		out.Body = nil
	}
	if len(out.Headers) == 0 {
		out.Headers = nil
	}
	return out
}

func exactAll(fs []*Frame) []*Frame {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*Frame, len(fs))
	for i, f := range fs {
		out[i] = exact(f)
	}
	return out
}

func normalAll(fs []*Frame) []*Frame {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*Frame, len(fs))
	for i, f := range fs {
		out[i] = normal(f)
	}
	return out
}

// requireErrLike checks err against want: a *LimitError must be equal, a
// *SyntaxError must have the same command and a reason containing want's,
// anything else must match with errors.Is.
func requireErrLike(t testing.TB, want, err error) {
	t.Helper()
	require.Error(t, err)
	switch w := want.(type) {
	case *LimitError:
		var got *LimitError
		require.ErrorAs(t, err, &got)
		assert.Equal(t, w, got)
		assert.ErrorIs(t, err, ErrLimit)
	case *SyntaxError:
		var got *SyntaxError
		require.ErrorAs(t, err, &got)
		assert.Equal(t, w.Command, got.Command, "command of %v", err)
		assert.Contains(t, got.Reason, w.Reason)
		assert.ErrorIs(t, err, ErrSyntax)
		assert.False(t, errors.Is(err, ErrLimit))
	default:
		require.ErrorIs(t, err, want)
	}
}

// synErr is shorthand for the *SyntaxError a case expects.
func synErr(cmd Command, reason string) *SyntaxError {
	return &SyntaxError{Command: cmd, Reason: reason}
}

func limErr(l Limit, max int) *LimitError { return &LimitError{Limit: l, Max: max} }

// show renders bytes for failure messages.
func show(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q...(%d bytes)", b[:200], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// repeat returns s repeated to n bytes.
func repeat(s string, n int) string {
	return strings.Repeat(s, n/len(s)+1)[:n]
}
