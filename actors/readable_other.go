//go:build !linux || 386

package actors

import (
	"net"
	"time"
)

// sockWait: elsewhere the decoder's read waits for the socket.
type sockWait struct{}

func readable(net.Conn) *sockWait { return nil }

func (*sockWait) wait(time.Duration) bool { return true }
func (*sockWait) settled() bool           { return true }
func (*sockWait) disarm()                 {}
func (*sockWait) drained() bool           { return false }
func (*sockWait) expired(error) bool      { return false }

// Never called here: without a sockWait the reading is never left to
// callers.
func (*sockWait) waitReadable() {}
func (*sockWait) interrupt()    {}
func (*sockWait) clear()        {}
