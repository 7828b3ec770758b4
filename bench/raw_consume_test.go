package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The raw consumer's SUBSCRIBE and the room its reader needs for a frame
// are made before the meter starts: at 4 MiB its reader grew its buffer
// from 256 KiB in the window, about 16 MB, which a window of a few
// messages counted as the reference's own. The firehose runs in its own
// process.
func TestRawConsumeBuildsNothingInItsWindow(t *testing.T) {
	ctx := context.Background()
	addr := peerOfItsOwn(t, KindFirehose)
	p := Params{Size: 4 << 20, Duration: time.Minute, Messages: 4, Inflight: 1024, Timeout: 30 * time.Second, Destination: "/queue/x"}
	raw, err := rawConsumer("auto")(ctx, &Target{Addr: addr}, p)
	require.NoError(t, err)
	t.Logf("4 MiB, 4 messages: raw %.0f B and %.0f µs CPU per message", raw.BytesPerMsg, raw.CPUMicrosPerMsg)
	assert.Equal(t, int64(4), raw.Messages)
	assert.Less(t, raw.BytesPerMsg, float64(64<<10), "the raw consumer allocates in its window")
}
