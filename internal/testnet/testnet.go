// Package testnet holds the small servers the tests of several packages
// put in front of a broker: an accept loop the test joins, and a two-way
// copy.
package testnet

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Serve accepts on ln until the test ends, running serve on a goroutine of
// its own for each connection and closing the connection when serve
// returns. The test's cleanup closes ln and every open connection, and
// waits for the goroutines.
func Serve(t testing.TB, ln net.Listener, serve func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					_ = c.Close()
					mu.Lock()
					delete(open, c)
					mu.Unlock()
				}()
				serve(c)
			}()
		}
	}()
}

// Forward copies between a and b both ways until either side ends, then
// closes both and returns once both copies have.
func Forward(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go cp(a, b)
	go cp(b, a)
	<-done
	_ = a.Close()
	_ = b.Close()
	<-done
}
