package api

import (
	"net"
	"strconv"
)

// ConnectedServer returns the address of the broker the client is
// connected to now: RemoteHost and RemotePort, or, after a failover (see
// Reconnect), the FailoverServers broker that answered, while RemoteHost
// and RemotePort keep the primary the client was configured with (and
// tries first on every reconnect). With a WebSocketURL it is the URL's
// host and port. ok is false, and host "" and port 0, when the client is
// not connected: before Connect, while it reconnects, after Disconnect.
func (s *STOMP) ConnectedServer() (host string, port int, ok bool) {
	eng, _ := s.engine()
	if eng == nil {
		return "", 0, false
	}
	info, ok := eng.Info()
	if !ok {
		return "", 0, false
	}
	h, p, err := net.SplitHostPort(info.Addr)
	if err != nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, false
	}
	return h, n, true
}
