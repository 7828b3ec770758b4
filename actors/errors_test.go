package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// ErrQueueFull is what a FullError subscription's overflow ends the
// connection with: its text must name the subscription's queue, not the
// outgoing one (which never fails this way: a full outgoing queue makes
// the caller wait).
func TestQueueFullNamesTheSubscriptionQueue(t *testing.T) {
	require.NotContains(t, ErrQueueFull.Error(), "outgoing")
	require.Contains(t, ErrQueueFull.Error(), "subscription")
}
