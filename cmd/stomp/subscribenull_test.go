package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// README: "`stomp subscribe --count 10 -0 A | stomp send -0 B` moves ten
// messages body for body". A STOMP body may hold NUL bytes (content-length
// frames them), which -0 would print as the end of the body: send -0 would
// then cut it into several messages. subscribe -0 refuses such a body: it
// names the message on stderr, exits 1, prints nothing of it and does not
// acknowledge it, so the broker keeps it, as after a failed write.
func TestSubscribeNullRefusesABodyWithANulAndLeavesItOnTheBroker(t *testing.T) {
	b, srv := simBroker(t)
	body := filepath.Join(t.TempDir(), "bin")
	require.NoError(t, os.WriteFile(body, []byte("head\x00tail"), 0o600))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", body, "/queue/nul-src")
	require.Equal(t, 0, r.code, r.stderr)

	sub := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "-0", "/queue/nul-src")
	send := stomp(t, sub.stdout, "send", "--server", srv, "-0", "--receipt", "/queue/nul-dst")
	d, _ := b.Destination("/queue/nul-dst")
	t.Logf("subscribe -0: exit %d, stdout %q, stderr %q; send -0: exit %d; messages at the destination: %d",
		sub.code, sub.stdout, sub.stderr, send.code, d.Enqueued)
	assert.Equal(t, exitFailure, sub.code, "subscribe -0 refuses the body")
	assert.Empty(t, sub.stdout, "nothing of it is printed")
	assert.Contains(t, sub.stderr, "NUL byte")
	assert.Zero(t, d.Enqueued, "nothing reached the destination")
	eventually(t, "the message back on the queue", func() bool { return ready(b, "/queue/nul-src") == 1 })

	// It is still there, whole, and stderr named it.
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--json", "/queue/nul-src")
	require.Equal(t, 0, r.code, r.stderr)
	var m jsonMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
	assert.Equal(t, "head\x00tail", m.Body)
	assert.Contains(t, sub.stderr, "message "+m.MessageID+" ", "stderr names the message")
}

func TestPrintMessageNullRefusesABodyWithANul(t *testing.T) {
	var b bytes.Buffer
	err := printMessage(&b, &api.MessageInEvent{Data: []byte("a\x00b")}, printOptions{null: true})
	require.ErrorIs(t, err, errNulInBody)
	assert.Zero(t, b.Len(), "nothing written")
	require.NoError(t, printMessage(&b, &api.MessageInEvent{Data: []byte("a\x00b")}, printOptions{}))
	assert.Equal(t, "a\x00b\n", b.String(), "without -0 the body is printed as it is")
}

// subscribe --help: "-0/--null (each body as it is, then a NUL byte, for
// `xargs -0` and `read -d` with an empty delimiter)"; README: "`stomp subscribe --count 10 -0
// A | stomp send -0 B` moves ten messages body for body". The trace id
// line of --trace and the headers of -v would go inside the record, and
// the relay would send them as part of the body: the combination is
// refused before connecting (exit 2), pointing to --json, which has
// trace_id and headers.
func TestNullRecordsHoldTheBodyAlone(t *testing.T) {
	for _, extra := range []string{"--trace", "-v", "--verbose"} {
		t.Run(extra, func(t *testing.T) {
			srv := newSim(t)
			q := "/queue/null-alone" + extra
			r := stomp(t, "", "send", "--server", srv, "--trace", q, "hello")
			require.Equal(t, 0, r.code, r.stderr)
			r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", "-0", extra, q)
			assert.Equal(t, exitUsage, r.code, "stdout %q, stderr %q", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, "--json")
			assert.Empty(t, r.stdout, "the NUL-ended record is not the body: send -0 would send all of it")
			// Nothing was consumed: the message is still there.
			r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--wait", "2s", "-0", q)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "hello\x00", r.stdout)
		})
	}
}
