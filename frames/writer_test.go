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

func TestWriterReleasesLargeBuffer(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Encoder{Version: V12})
	body := bytes.Repeat([]byte("x"), 2<<20)
	require.NoError(t, w.WriteFrame(&Frame{Command: CmdSend, Body: body}))
	require.NoError(t, w.Flush())
	assert.LessOrEqual(t, cap(w.buf), 4096)

	// A batch below the threshold keeps its buffer.
	require.NoError(t, w.WriteFrame(&Frame{Command: CmdSend, Body: body[:8192]}))
	require.NoError(t, w.Flush())
	assert.Greater(t, cap(w.buf), 8192)
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
