//go:build !linux || 386

package actors

// idlePoller: elsewhere a quiet connection's reader waits on its own
// goroutine.
type idlePoller struct{}

func newIdlePoller() *idlePoller      { return &idlePoller{} }
func (*idlePoller) park(*reader) bool { return false }
func (*idlePoller) unpark(*reader)    {}
func (*idlePoller) wait()             {}
