package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A negative warm-up or timeout is refused rather than replaced by the
// default; NoWarmup turns the warm-up off, which Warmup 0 (the default,
// a quarter of Duration) cannot.
func TestConfigRefusesNegativeWarmupAndTimeout(t *testing.T) {
	for _, c := range []Config{{Warmup: -time.Second}, {Timeout: -time.Second}} {
		assert.Error(t, c.defaults(), "%+v", c)
	}
	c := Config{Duration: time.Second}
	require.NoError(t, c.defaults())
	assert.Equal(t, 250*time.Millisecond, c.Warmup)
	assert.Equal(t, 30*time.Second, c.Timeout)
	c = Config{Duration: time.Second, Warmup: time.Second, NoWarmup: true}
	require.NoError(t, c.defaults())
	assert.Zero(t, c.Warmup)
}
