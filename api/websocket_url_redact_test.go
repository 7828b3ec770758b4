package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// From review 14. A WebSocketURL whose password holds an unescaped '#',
// '?' or '/' is refused as ErrInvalidArgument, by the option (at
// Connect) and by Config alike, and neither error holds the user or the
// password (it held the whole URL before).
func TestAWebSocketURLRefusedForItsPasswordIsNotQuotedWithIt(t *testing.T) {
	for _, raw := range []string{
		"ws://alice:s3cr#etpass@broker:15674/ws",
		"ws://alice:s3cr?etpass@broker:15674/ws",
		"wss://alice:s3cr/etpass@[::1]:15674/ws",
		"ws://alice:s3cret@broker:15674/ws",
	} {
		s := newClient(t, WithWebSocketURL(raw))
		err := s.Connect("", 0)
		require.ErrorIs(t, err, ErrInvalidArgument, "%s", raw)
		assert.NotContains(t, err.Error(), "s3cr")
		assert.NotContains(t, err.Error(), "alice")

		_, err = newClient(t).Config("WebSocketURL=" + raw)
		require.ErrorIs(t, err, ErrInvalidArgument, "%s", raw)
		assert.NotContains(t, err.Error(), "s3cr")
		assert.NotContains(t, err.Error(), "alice")
	}
}
