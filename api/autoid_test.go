package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A program that chose ids of the automatic form ("sub-1", "sub-3"): a
// plain Subscribe passes over them, and succeeds, with an id no other
// subscription has.
func TestAutomaticIDsPassOverIDsInUse(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(5*time.Second))
	for _, id := range []string{"sub-1", "sub-3"} {
		_, err := s.SubscribeWith(context.Background(), "/queue/chosen", SubscribeOptions{ID: id})
		require.NoError(t, err)
	}
	seen := map[string]bool{"sub-1": true, "sub-3": true}
	for range 3 {
		id, err := s.Subscribe("/queue/auto", false)
		require.NoError(t, err, "an automatic id met one the program chose")
		assert.False(t, seen[id], "%s given twice", id)
		seen[id] = true
	}
	assert.Len(t, s.Subscriptions(), 5)
}
