package transport

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A LingerTime under a second asks for a graceful close that waits a
// little for unsent data; it must not become SO_LINGER 0, which resets
// the connection.
func TestReviewSubSecondLingerIsNotAReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, c)
		got <- err
	}()
	d := TCP(TCPOptions{NoDelay: true, Linger: true, LingerTime: 500 * time.Millisecond})
	c, err := d(ctxFor(t, 10*time.Second), "tcp", ln.Addr().String())
	require.NoError(t, err)
	_, err = c.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	err = <-got
	require.False(t, errors.Is(err, syscall.ECONNRESET), "the close reset the connection: %v", err)
	require.NoError(t, err)
}

func TestRedactURLHidesQueryAndUser(t *testing.T) {
	require.Equal(t, "wss://broker:443/ws?<redacted>", RedactURL("wss://user:pw@broker:443/ws?access_token=s3cret"))
	require.Equal(t, "ws://broker/ws", RedactURL("ws://broker/ws"))
}
