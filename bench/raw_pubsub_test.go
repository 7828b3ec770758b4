package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pub→sub reference's publishers share the raw publish loop, and get
// their frames built before the meter starts too (one chunk among them, a
// receipted SEND each), and its consumers room to read a frame: the raw
// side allocated 15 MB per 4 MiB message in its window, now nothing. The
// simulator runs in its own process.
func TestRawPubSubBuildsNothingInItsWindow(t *testing.T) {
	ctx := context.Background()
	addr := peerOfItsOwn(t, KindSim)
	for _, receipts := range []bool{false, true} {
		p := Params{Size: 4 << 20, Duration: time.Minute, Messages: 4, Publishers: 2, Consumers: 1, Receipts: receipts,
			Timeout: 30 * time.Second, Destination: "/queue/x"}
		raw, err := rawPubSub(ctx, &Target{Addr: addr}, p)
		require.NoError(t, err)
		t.Logf("4 MiB, 4 messages, 2 publishers, receipts %v: raw %.0f B and %.0f µs CPU per message", receipts, raw.BytesPerMsg, raw.CPUMicrosPerMsg)
		assert.Equal(t, int64(4), raw.Messages)
		assert.Less(t, raw.BytesPerMsg, float64(64<<10), "the raw side allocates in its window (receipts %v)", receipts)
	}
}
