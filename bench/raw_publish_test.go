package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With receipts the raw publisher encodes its SEND once and patches the
// receipt id in place: a 64 KiB message costs it no body of its own (it
// built each SEND anew, about 140 KB a message, and the client "beat" the
// reference by 3×). The sink runs in a process of its own (this test
// binary, see TestMain), so only the loop's allocations are counted.
func TestRawReceiptsLoopBuildsNothingPerMessage(t *testing.T) {
	ctx := context.Background()
	addr := peerOfItsOwn(t, KindSink)
	p := Params{Size: 64 << 10, Duration: time.Minute, Messages: 100, Receipts: true, Timeout: 10 * time.Second, Destination: "/queue/x"}
	raw, err := rawPublish(ctx, &Target{Addr: addr}, p)
	require.NoError(t, err)
	assert.Equal(t, int64(100), raw.Messages)
	t.Logf("64 KiB with receipts: raw %.1f allocs and %.0f B per message", raw.AllocsPerMsg, raw.BytesPerMsg)
	assert.Less(t, raw.BytesPerMsg, 8192.0, "the raw reference allocates %.0f B per 64 KiB message", raw.BytesPerMsg)
}

// The receipt id is patched at the offset receiptSend returns: each SEND
// carries its own number, and nothing else of the frame moves.
func TestReceiptSendPatchesTheIdInPlace(t *testing.T) {
	send, off := receiptSend(Params{Size: 5, Destination: "/queue/x"})
	before := string(send)
	patchID(send, off, 42)
	assert.Contains(t, string(send), "\nreceipt:r-000000000042\n")
	assert.Equal(t, len(before), len(send))
	assert.Equal(t, before[:off], string(send[:off]))
	assert.Equal(t, before[off+idDigits:], string(send[off+idDigits:]))
}

// Neither side builds anything in its measured window: the raw publisher
// gets its chunk, its receipted SEND and its last SEND built, and the
// client its body. At 16 MiB and 2 messages a window, the raw side built
// two bodies and two or three frames in it (42 MB allocated a message),
// and spent 2-4 times the client's CPU: the socket's ceiling was slower
// than the client. The sink runs in its own process (this test binary),
// so only the loops count; the figures compared are CPU, not wall time.
func TestRawPublishBuildsNothingInItsWindow(t *testing.T) {
	ctx := context.Background()
	addr := peerOfItsOwn(t, KindSink)
	for _, receipts := range []bool{false, true} {
		p := Params{Size: 16 << 20, Duration: time.Minute, Messages: 2, Receipts: receipts, Timeout: 30 * time.Second, Destination: "/queue/x"}
		raw, err := rawPublish(ctx, &Target{Addr: addr}, p)
		require.NoError(t, err)
		ours, err := oursPublish(ctx, &Target{Addr: addr}, p)
		require.NoError(t, err)
		t.Logf("16 MiB, 2 messages, receipts %v: raw %.0f B and %.0f µs CPU per message, ours %.0f B and %.0f µs",
			receipts, raw.BytesPerMsg, raw.CPUMicrosPerMsg, ours.BytesPerMsg, ours.CPUMicrosPerMsg)
		assert.Equal(t, int64(2), raw.Messages)
		assert.Less(t, raw.BytesPerMsg, float64(64<<10), "the raw side allocates in its window (receipts %v)", receipts)
		assert.LessOrEqual(t, raw.CPUMicrosPerMsg, ours.CPUMicrosPerMsg,
			"the raw reference, the socket's ceiling, spends more CPU per message than the client (receipts %v)", receipts)
	}
}

// peerOfItsOwn starts a peer of kind in a process of its own (this test
// binary, see TestMain), so that only the loop under test counts in this
// process's figures, and returns its address; it stops with the test.
func peerOfItsOwn(t *testing.T, kind string) string {
	t.Helper()
	addr, stop, err := startProcess(context.Background(), []string{os.Args[0]}, []string{peerEnv + "=1"}, kind)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stop()) })
	return addr
}
