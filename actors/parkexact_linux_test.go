//go:build linux && !386

package actors

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// A reader parks after a frame that ends exactly at the end of the
// buffer it was read into (a MESSAGE of 512 bytes, the idle buffer's
// size, arriving alone): a full read reads as "more to come", so the
// reader looks whether the socket has more before it waits in it.
func TestAReaderParksAfterAFrameThatFillsItsBuffer(t *testing.T) {
	pp := newParkedPair(t)
	// What a MESSAGE of a 1-byte body costs on the wire, twice (stable).
	one := pp.send(1)
	require.Equal(t, one, pp.send(1))
	waitFor(t, "both readers to park after the probes", pp.parked)
	// one is the frame's other bytes, a 1-byte body and a 1-digit
	// content-length; a body of 100-999 bytes has 3 digits.
	body := 512 - int(one-2) - 3
	require.EqualValues(t, 512, pp.send(body))
	waitFor(t, "both readers to park after a 512-byte MESSAGE", pp.parked)
}

// Looking whether a socket has more costs a system call and nothing else,
// and a reader only looks after a read that filled its buffer: not after
// the poller woke it, which every message of a quiet connection does.
func TestLookingForMoreAllocatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	peer := recv(t, accepted, "the accepted connection")
	require.NotNil(t, peer)
	defer peer.Close()
	w := readable(c)
	require.NotNil(t, w)
	require.True(t, w.drained())
	require.Zero(t, testing.AllocsPerRun(100, func() { w.drained() }))
	r := &reader{wait: w} // woken: idle false, nothing read yet
	require.False(t, r.drained(), "a reader just woken reads before it looks")
	_, err = peer.Write([]byte("x"))
	require.NoError(t, err)
	waitFor(t, "the byte to arrive", func() bool { return !w.drained() })
}
