package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// ActiveMQ sends heart-beats up to two intervals apart: against it the
// read tolerance is raised, and the log says so.
func TestActiveMQHeartbeatTolerance(t *testing.T) {
	connected := strings.Replace(connectedFrame("1.2", "heart-beat", "1000,1000"), "server:scripted/1", "server:ActiveMQ/5.17.2", 1)
	srv, got := newBroker(t, connected, politeBroker)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatOut: time.Second, HeartbeatIn: time.Second})
	expectFrame(t, got, frames.CmdConnect)
	waitEvent[*LogEvent](t, rec, func(e *LogEvent) bool { return strings.Contains(e.Message, "read tolerance raised to 2.5") })
}
