//go:build !linux

package bench

import (
	"errors"
	"net"
)

// listenBacklog would listen with a backlog of the caller's: done on
// Linux only.
func listenBacklog(string, int) (net.Listener, error) {
	return nil, errors.New("a listen backlog of our own is set on Linux only")
}

// tcpStorm reads the system's TCP counters: on Linux only.
func tcpStorm() (overflows, retrans int64, ok bool) { return 0, 0, false }
