package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

var traceIDLine = regexp.MustCompile(`^trace-id: [0-9a-f]{32}$`)

// send --trace prints the trace id of each message it sends; subscribe
// --trace, run as another process, prints the id each message carries,
// or none: for a message sent without --trace, and for one whose
// traceparent header is malformed. Against the simulator and, when the
// test scripts started it, RabbitMQ.
func TestTraceFlagsFollowAMessageAcrossProcesses(t *testing.T) {
	servers := map[string]string{"sim": newSim(t)}
	if addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR"); addr != "" {
		servers["rabbitmq"] = "stomp://guest:guest@" + addr + "/"
	} else if os.Getenv("CI") == "true" {
		t.Fatal("STOMPACTOR_RABBITMQ_ADDR not set under CI")
	}
	for name, srv := range servers {
		t.Run(name, func(t *testing.T) {
			q := fmt.Sprintf("/queue/cli-trace-%d", time.Now().UnixNano())
			r := stomp(t, "", "send", "--server", srv, "--trace", "--count", "2", q, "traced")
			require.Equal(t, 0, r.code, r.stderr)
			sent := strings.Split(strings.TrimSpace(r.stdout), "\n")
			require.Len(t, sent, 2, r.stdout)
			for _, line := range sent {
				assert.Regexp(t, traceIDLine, line)
			}
			assert.NotEqual(t, sent[0], sent[1], "a trace per message")

			r = stomp(t, "", "send", "--server", srv, q, "untraced")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stdout, "no --trace, no trace id")
			r = stomp(t, "", "send", "--server", srv, "-H", "traceparent:00-garbage", q, "malformed")
			require.Equal(t, 0, r.code, r.stderr)

			r = stomp(t, "", "subscribe", "--server", srv, "--trace", "--count", "4", q)
			require.Equal(t, 0, r.code, r.stderr)
			// Each message as its trace line and its body. The three
			// sends ran on connections of their own, and a broker keeps
			// the order of one connection's messages only (RabbitMQ
			// hands each connection's to the queue on its own): the
			// pairs, in any order.
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			require.Len(t, lines, 8, r.stdout)
			var got []string
			for i := 0; i < len(lines); i += 2 {
				got = append(got, lines[i]+" | "+lines[i+1])
			}
			assert.ElementsMatch(t, []string{sent[0] + " | traced", sent[1] + " | traced",
				"trace-id: none | untraced", "trace-id: none | malformed"}, got)
		})
	}
}

// With --json the trace id is a field.
func TestSubscribeTraceJSON(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--trace", "/queue/cli-trace-json", "x")
	require.Equal(t, 0, r.code, r.stderr)
	id := strings.TrimPrefix(strings.TrimSpace(r.stdout), "trace-id: ")
	r = stomp(t, "", "send", "--server", srv, "/queue/cli-trace-json", "y")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--trace", "--json", "--count", "2", "/queue/cli-trace-json")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	var m jsonMessage
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	assert.Equal(t, id, m.TraceID)
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	assert.Equal(t, "none", m.TraceID)
	r = stomp(t, "", "send", "--server", srv, "/queue/cli-trace-json", "z")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--json", "--count", "1", "/queue/cli-trace-json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "trace_id", "no --trace, no field")
}

func TestReceivedTraceID(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, c := range []struct {
		name    string
		headers []api.Header
		want    string
	}{
		{"none", nil, "none"},
		{"valid", []api.Header{{Key: "traceparent", Value: tp}}, "0af7651916cd43dd8448eb211c80319c"},
		{"first of repeated", []api.Header{{Key: "traceparent", Value: tp}, {Key: "traceparent", Value: "garbage"}}, "0af7651916cd43dd8448eb211c80319c"},
		{"malformed", []api.Header{{Key: "traceparent", Value: "00-xyz"}}, "none"},
		{"zero trace id", []api.Header{{Key: "traceparent", Value: "00-00000000000000000000000000000000-b7ad6b7169203331-01"}}, "none"},
		{"other case", []api.Header{{Key: "Traceparent", Value: tp}}, "none"},
	} {
		assert.Equal(t, c.want, receivedTraceID(c.headers), c.name)
	}
}
