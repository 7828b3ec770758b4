package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A link's settings belong to its connection. The writer of a connection
// that just ended may still be running (mid-flush) when the next Connect
// starts: if the link pointed at the session's own config, that Connect
// would rewrite the settings under the old writer's feet (a data race).
func TestLinkKeepsItsOwnSettings(t *testing.T) {
	srv1, _ := newBroker(t, connectedFrame("1.2"), nil)
	srv2, _ := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv1.addr(), ConnectConfig{WriteTimeout: time.Minute})
	l1 := c.link.Load()
	require.NotNil(t, l1)
	c.Interrupt()
	connectTo(t, c, srv2.addr(), ConnectConfig{WriteTimeout: time.Hour, MaxTransferRate: 1 << 20})
	require.Equal(t, time.Minute, l1.writeTimeout, "the old connection's settings changed")
	require.Zero(t, l1.maxTransferRate, "the old connection's settings changed")
}
