package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queueBacklog puts n messages on q through the command itself.
func queueBacklog(t *testing.T, srv, q string, n int) {
	t.Helper()
	r := stomp(t, "", "send", "--server", srv, "--count", strconv.Itoa(n), q, "m")
	require.Equal(t, 0, r.code, r.stderr)
}

// README: "`subscribe --count N` leaves the other messages on the broker
// (with --ack auto it acknowledges each message once printed, with a
// prefetch of N, and waits for the broker to confirm the last ACK". With
// N above the subscription's queue (256) and more than N messages queued,
// the broker answers the ACKs with more messages: the last ACK's RECEIPT,
// behind them, must still be read, and the run end at once (it used to
// hang until --timeout, exit 1, and blame the broker for the late
// RECEIPT).
func TestSubscribeCountOfMoreThanTheQueueSizeEndsOnceItsMessagesArePrinted(t *testing.T) {
	_, srv := simBroker(t)
	q := "/queue/count-300"
	queueBacklog(t, srv, q, 1000)
	start := time.Now()
	r := stomp(t, "", "subscribe", "--server", srv, "--timeout", "5s", "--count", "300", q)
	assert.Equal(t, 0, r.code, "after %v; stderr %q", time.Since(start).Round(time.Millisecond), r.stderr)
	assert.Equal(t, 300, strings.Count(r.stdout, "\n"))
	assert.NotContains(t, r.stderr, "protocol violation by the server", "the server did nothing wrong")
	// The others stay on the broker.
	r = stomp(t, "", "subscribe", "--server", srv, "--timeout", "5s", "--count", "700", q)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 700, strings.Count(r.stdout, "\n"))
}

// With --reconnect "each ACK waits for the broker's RECEIPT" (README),
// from inside the handler: a client-mode subscription gets through a
// backlog of four times its queue (it used to print one message, wait on
// its ACK's RECEIPT until --timeout, and fail).
func TestSubscribeReconnectingClientAckSubscriberDrainsABacklog(t *testing.T) {
	for _, ack := range []string{"client", "client-individual"} {
		t.Run(ack, func(t *testing.T) {
			_, srv := simBroker(t)
			q := "/queue/reconnect-backlog"
			queueBacklog(t, srv, q, 1000)
			r := stomp(t, "", "subscribe", "--server", srv, "--reconnect", "--timeout", "5s", "--ack", ack, "--wait", "2s", q)
			assert.Equal(t, 0, r.code, "stderr %q", r.stderr)
			assert.Equal(t, 1000, strings.Count(r.stdout, "\n"), "messages printed")
		})
	}
}
