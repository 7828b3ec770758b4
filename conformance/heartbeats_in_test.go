package conformance

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// rabbitClient connects a client to addr with RabbitMQ's login.
func rabbitClient(t *testing.T, addr string, opts ...api.Option) *api.STOMP {
	t.Helper()
	s := api.NewSTOMP(append([]api.Option{
		api.WithUser(envOr("STOMPACTOR_RABBITMQ_LOGIN", "guest")),
		api.WithPassword(envOr("STOMPACTOR_RABBITMQ_PASSCODE", "guest")),
		api.WithVirtualHost("/"),
	}, opts...)...)
	t.Cleanup(s.Close)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.NoError(t, s.Connect(host, n))
	return s
}

// TestRabbitMQHeartbeatsInZeroWithoutHeartbeats: RabbitMQ ends every
// frame with NUL and a newline. With heart-beats off (the default, 0,0),
// no heart-beat was negotiated, so Stats.HeartbeatsIn stays 0; before,
// the newline after each frame was counted as a heart-beat, and a
// dashboard watching HeartbeatsIn for broker liveness saw one per frame
// (review cluster, finding 4).
func TestRabbitMQHeartbeatsInZeroWithoutHeartbeats(t *testing.T) {
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		if inCI() {
			t.Fatal("STOMPACTOR_RABBITMQ_ADDR not set")
		}
		t.Skip("STOMPACTOR_RABBITMQ_ADDR not set (scripts/brokers/up.sh rabbitmq starts RabbitMQ)")
	}
	s := rabbitClient(t, addr, api.WithTimeout(30*time.Second), api.WithRequestReceipts(true))
	dest := fmt.Sprintf("/queue/hb-%s-%d", runID, time.Now().UnixNano())
	for i := 0; i < 20; i++ {
		require.NoError(t, s.SendMessage(dest, "m"))
	}
	st := s.Stats()
	require.NoError(t, s.Disconnect())
	t.Logf("FramesIn %d HeartbeatsIn %d", st.FramesIn, st.HeartbeatsIn)
	require.Zero(t, st.HeartbeatsIn, "heart-beats counted on a connection that negotiated none (FramesIn %d)", st.FramesIn)
}
