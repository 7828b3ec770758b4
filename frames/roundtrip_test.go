package frames

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripHeaders returns headers that command c can carry in version v:
// full of colons, backslashes, line feeds, carriage returns and non-ASCII
// text wherever the version can represent them, with a repeated key.
func roundTripHeaders(c Command, v Version) Headers {
	h := Headers{
		{"destination", "/queue/a"},
		{"dup", "first"},
		{"ünïcödé", "日本語 ✓ ½"},
		{"back\\slash", "\\\\n\\c\\"},
		{"empty", ""},
		{"spaces", " padded value "},
		{"colons", "a:b::c:"},
		{"dup", "second"},
	}
	if c.escapes(v) {
		h = append(h,
			Header{"key:with:colons", "v"},
			Header{"line\nfeed", "x\ny\n"},
			Header{"all", ":\\\n"},
		)
		if v >= V12 {
			h = append(h,
				Header{"carriage\rreturn", "a\r\nb\r"},
				Header{"\r\n:\\", "\r"},
			)
		}
	}
	return h
}

// roundTripBodies returns the bodies to try on a command that may carry one.
func roundTripBodies() [][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	large := bytes.Repeat(all, 70<<10/256) // spans more than one read buffer
	return [][]byte{nil, {}, []byte("text body"), []byte("\x00\x00\x00"), all, []byte("ends in NUL\x00"), large}
}

func roundTripFrames(v Version) []*Frame {
	var out []*Frame
	for c := CmdConnect; c < Heartbeat; c++ {
		h := roundTripHeaders(c, v)
		if !c.HasBody() {
			out = append(out, &Frame{Command: c, Headers: h}, &Frame{Command: c})
			continue
		}
		for _, b := range roundTripBodies() {
			out = append(out, &Frame{Command: c, Headers: h, Body: b})
		}
	}
	return append(out, &Frame{Command: Heartbeat})
}

// TestRoundTrip encodes every command in every version, with and without
// OmitTextContentLength, and decodes each frame back, whole and one byte
// at a time.
func TestRoundTrip(t *testing.T) {
	for _, v := range Versions {
		for _, omit := range []bool{false, true} {
			enc := Encoder{Version: v, OmitTextContentLength: omit}
			for i, f := range roundTripFrames(v) {
				name := fmt.Sprintf("%s/omit=%t/%d %s body=%d", v, omit, i, f.Command, len(f.Body))
				t.Run(name, func(t *testing.T) {
					wire, err := enc.Append(nil, f)
					require.NoError(t, err)
					for _, r := range []io.Reader{bytes.NewReader(wire), iotest.OneByteReader(bytes.NewReader(wire))} {
						d := NewDecoder(r, v, Limits{})
						got, err := d.Decode()
						require.NoError(t, err, "%s", show(wire))
						assert.Equal(t, normal(f), normal(got), "%s", show(wire))
						if cl, ok := got.Headers.Get(HdrContentLength); ok {
							assert.Equal(t, strconv.Itoa(len(f.Body)), cl)
							assert.Equal(t, HdrContentLength, got.Headers[len(got.Headers)-1].Key, "content-length comes last")
						} else {
							assert.True(t, !f.Command.HasBody() || omit)
						}
						_, err = d.Decode()
						require.ErrorIs(t, err, io.EOF)
					}
				})
			}
		}
	}
}

// TestRoundTripStream encodes every frame of a version into one stream,
// with heart-beats between them, and decodes the stream split in two at
// every offset: the frames come back in order, heart-beats included.
func TestRoundTripStream(t *testing.T) {
	for _, v := range Versions {
		t.Run(v.String(), func(t *testing.T) {
			var frames []*Frame
			for _, f := range roundTripFrames(v) {
				if len(f.Body) > 1024 {
					continue // keep the stream short: it is decoded once per offset
				}
				frames = append(frames, f, hb)
			}
			var wire []byte
			for _, f := range frames {
				var err error
				wire, err = AppendFrame(wire, f, v)
				require.NoError(t, err)
			}
			want := normalAll(frames)
			// A small buffer: the decoder compacts it many times.
			lim := Limits{MaxFrame: 4 << 10}
			for i := 0; i <= len(wire); i++ {
				d := NewDecoder(splitAt(wire, i), v, lim)
				for j, w := range want {
					f, err := d.Decode()
					require.NoError(t, err, "split at %d, frame %d", i, j)
					if !sameFrame(w, f) {
						require.Equal(t, w, normal(f), "split at %d, frame %d", i, j)
					}
				}
				_, err := d.Decode()
				require.ErrorIs(t, err, io.EOF, "split at %d", i)
			}
			d := NewDecoder(iotest.OneByteReader(bytes.NewReader(wire)), v, lim)
			got, err := decodeAll(d, 2*len(frames))
			require.ErrorIs(t, err, io.EOF)
			require.Equal(t, want, normalAll(got))
		})
	}
}

// A version that cannot represent a header refuses to encode it rather
// than send something that decodes differently.
func TestRoundTripRefusesWhatVersionCannotCarry(t *testing.T) {
	for _, v := range Versions {
		for c := CmdConnect; c < Heartbeat; c++ {
			full := roundTripHeaders(CmdSend, V12)
			for _, h := range full {
				f := &Frame{Command: c, Headers: Headers{h}}
				wire, err := AppendFrame(nil, f, v)
				if err != nil {
					var se *SyntaxError
					require.ErrorAs(t, err, &se)
					continue
				}
				d := NewDecoder(bytes.NewReader(wire), v, Limits{})
				got, err := d.Decode()
				require.NoError(t, err, "%s %s %s", v, c, show(wire))
				assert.Equal(t, normal(f), normal(got), "%s %s %s", v, c, show(wire))
			}
		}
	}
}

// sameFrame compares a normal frame with a decoded one, skipping the
// decoded content-length header, without allocating.
func sameFrame(want, got *Frame) bool {
	if want.Command != got.Command || !bytes.Equal(want.Body, got.Body) {
		return false
	}
	i := 0
	for _, h := range got.Headers {
		if h.Key == HdrContentLength {
			continue
		}
		if i == len(want.Headers) || want.Headers[i] != h {
			return false
		}
		i++
	}
	return i == len(want.Headers)
}
