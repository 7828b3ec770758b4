package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Settings bench cannot honour are refused with a usage error (exit 2),
// naming the flag: a negative --warmup, a --timeout of 0 or less (as send
// and subscribe refuse it), an empty --scenario (a script's unset
// variable). Before, the first two became their defaults and the last
// ran every scenario, with exit 0. --warmup 0 turns the warm-up off
// rather than asking for the default. Each is given with a short run so
// that, taken, it ends soon.
func TestBenchRefusesSettingsItWouldReplace(t *testing.T) {
	short := []string{"--size", "0", "--duration", "10ms", "--count", "50"}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"bench", "--scenario", "latency", "--warmup", "-1s"}, "--warmup"},
		{[]string{"bench", "--scenario", "publish", "--timeout", "0s"}, "--timeout"},
		{[]string{"bench", "--scenario", "publish", "--timeout", "-5s"}, "--timeout"},
		{[]string{"bench", "--scenario", ""}, "--scenario"},
		{[]string{"bench", "--scenario", "publish", "--runs", "0"}, "--runs must be at least 1"},
	} {
		args := c.args
		r := stomp(t, "", append(args, short...)...)
		assert.Equal(t, exitUsage, r.code, "%q: want a usage error, got exit %d and stdout:\n%s", args, r.code, r.stdout)
		assert.Contains(t, r.stderr, c.flag, "%q: the error names the flag at fault", args)
	}
	r := stomp(t, "", append([]string{"bench", "--scenario", "latency", "--warmup", "0"}, short...)...)
	assert.Equal(t, 0, r.code, "--warmup 0 is no warm-up: %s", r.stderr)
}
