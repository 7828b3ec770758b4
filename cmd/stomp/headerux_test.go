package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stompactor/stompactor/actors"
)

// send --dedup-header NAME puts an id of its own in NAME: with -H NAME:...
// (whose value it would replace) or, for traceparent, with --trace (whose
// trace context it would replace) it is refused as bad usage, before any
// server is tried.
func TestSendRefusesADedupHeaderThatAnotherFlagWrites(t *testing.T) {
	srv := newSim(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--reconnect", "--dedup-header", "x-id", "-H", "x-id:mine"}, "-H x-id and --dedup-header x-id"},
		{[]string{"--reconnect", "--dedup-header", "traceparent", "--trace"}, "--dedup-header traceparent does not go with --trace"},
	} {
		args := append(append([]string{"send", "--server", srv}, tt.args...), "/queue/dedup-overlap", "m")
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
	r := stomp(t, "", "send", "--server", srv, "--reconnect", "--dedup-header", "x-id", "-H", "x-other:mine", "/queue/dedup-overlap", "m")
	assert.Equal(t, 0, r.code, r.stderr)
}

// subscribe --help names every header -H refuses, each of which is
// refused with exit 2; and both commands' -H help says the value is taken
// as written (STOMP does not trim the space after the colon).
func TestSubscribeHelpListsEveryRefusedHeader(t *testing.T) {
	srv := newSim(t)
	help := stomp(t, "", "subscribe", "--help")
	assert.Equal(t, 0, help.code, help.stderr)
	flat := strings.Join(strings.Fields(help.stdout), " ")
	refused := []string{"destination", "transaction", "receipt", "content-length", "subscription", "id", "ack",
		"message-id", actors.HdrActiveMQPrefetch, actors.HdrPrefetchCount}
	for _, k := range refused {
		assert.True(t, actors.OwnHeader(k) || subscribeHints[k] != "", "%s: not refused by the client", k)
		assert.Contains(t, flat, k, "subscribe --help")
		r := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "-H", k+":x", "/queue/refused")
		assert.Equal(t, exitUsage, r.code, "-H %s: %s", k, r.stderr)
	}
	assert.Contains(t, flat, "not trimmed")
	assert.Contains(t, flat, "does not trim it, so -H 'x-queue-type: quorum' sends \" quorum\"")
	send := stomp(t, "", "send", "--help")
	assert.Contains(t, strings.Join(strings.Fields(send.stdout), " "), "STOMP does not trim, so 'name: value' sends \" value\"")
}
