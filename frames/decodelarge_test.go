package frames

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// lastRead records how full the last read left the buffer it was given.
type lastRead struct {
	r       io.Reader
	n, room int
}

func (l *lastRead) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n, l.room = n, len(p)
	return n, err
}

// The read that ends a frame leaves room in its buffer when nothing
// follows, whatever the frame's size: a reader takes a read that fills
// its buffer for one with more to come, and would wait in the socket
// instead of resting. Frames over the largest pooled buffer (1 MiB) got
// a buffer of exactly their size.
func TestTheReadThatEndsAFrameLeavesRoom(t *testing.T) {
	for _, size := range []int{100 << 10, 1000000, 1 << 20, 3 << 20} {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "MESSAGE\ndestination:/topic/x\nmessage-id:1\nsubscription:s\ncontent-length:%d\n\n", size)
		buf.Write(make([]byte, size))
		buf.WriteByte(0)
		l := &lastRead{r: &buf}
		f, err := NewDecoder(l, V12, Limits{}).DecodeOwned()
		require.NoError(t, err)
		require.Len(t, f.Body, size)
		require.Less(t, l.n, l.room, "body of %d bytes: the last read filled its buffer", size)
	}
}
