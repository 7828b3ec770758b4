package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// --receipts is refused, before anything runs, for the scenarios that
// send no receipt (it was recorded on their results, and ignored).
func TestBenchRefusesReceiptsWhereNoneAreSent(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--receipts", "--scenario", "latency"},
		{"bench", "--receipts"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "--receipts applies to publish, pubsub only", args)
	}
}
