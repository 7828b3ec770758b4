package api

import (
	"bufio"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A program that connects 200 clients at once on the default engine to a
// slow broker has every one of them in its handshake at the same time:
// the engine's MaxConcurrentConnects (64 by default) holds back only the
// automatic reconnect attempts after a lost connection, never a Connect
// the program calls. The broker here answers no CONNECT until all 200 have
// reached it, so a Connect held back in line would keep the broker waiting
// until the test's bound; no timing decides the outcome.
func TestDefaultEngineConnectsASlowFleetAllAtOnce(t *testing.T) {
	const n = 200
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	all := make(chan struct{})
	var (
		mu      sync.Mutex
		arrived int
		serving sync.WaitGroup
	)
	serve := func(c net.Conn) {
		defer serving.Done()
		defer c.Close()
		r := bufio.NewReader(c)
		if _, err := r.ReadBytes(0); err != nil {
			return
		}
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
			return
		}
		if _, err := c.Write([]byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
			return
		}
		for {
			if _, err := r.ReadBytes(0); err != nil {
				return
			}
		}
	}
	serving.Add(1)
	go func() {
		defer serving.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serving.Add(1)
			go serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); serving.Wait() })

	h, p := hostPort(t, ln.Addr().String())
	clients := make([]*STOMP, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = NewSTOMP(WithTimeout(40 * time.Second))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = clients[i].Connect(h, p)
		}(i)
	}
	wg.Wait()
	mu.Lock()
	got := arrived
	mu.Unlock()
	assert.Equal(t, n, got, "CONNECT frames the broker had before it answered any")
	for i, s := range clients {
		assert.NoError(t, errs[i], "client %d", i)
		assert.Zero(t, s.Stats().ConnectsQueued, "client %d waited for a slot", i)
		s.Close()
	}
}
