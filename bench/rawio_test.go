package bench

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A peer's ERROR is shown with its message unescaped ("stomp: frame
// exceeds", not "stomp\c frame exceeds"), by the raw loops' wait and by
// their consuming read alike.
func TestPeerErrorsAreShownUnescaped(t *testing.T) {
	for name, read := range map[string]func(rc *rawConn) error{
		"await": func(rc *rawConn) error { _, err := rc.await("RECEIPT", nil); return err },
		"count": func(rc *rawConn) error {
			_, err := rawCount(t.Context(), rc, "auto", time.Now().Add(time.Minute), 0, nil, nil)
			return err
		},
	} {
		c, peer := net.Pipe()
		go func() {
			_, _ = peer.Write([]byte("ERROR\nmessage:stomp\\c body over 4\\\\4 MiB\\nbye\n\n\x00"))
			_ = peer.Close()
		}()
		rc := &rawConn{c: c, sp: newSplitter(c), timeout: time.Minute}
		assert.EqualError(t, read(rc), "ERROR from the peer: stomp: body over 4\\4 MiB\nbye", name)
		rc.close()
	}
}
