package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subscribe --help: "For scripts use --json (one object a line, every byte
// kept)". A header value that is not valid UTF-8 (STOMP 1.0 does not
// require it, and brokers pass such bytes through) must survive, flagged
// as the body is (body_encoding): header_encoding "base64" says that every
// string that comes from a header (the names and values of "headers",
// destination, message_id, subscription, content_type) is base64. A
// message whose headers are valid UTF-8 keeps the shape scripts know: no
// header_encoding, the strings as text.
func TestJSONKeepsEveryByteOfTheHeaders(t *testing.T) {
	srv := newSim(t)
	q := "/queue/json-header"
	r := stomp(t, "", "send", "--server", srv, "-H", "x-bin:a\xffb", q, "hi")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "-H", "x-text:été", q, "plain")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--json", "-v", q)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, r.stdout)

	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m), lines[0])
	require.Equal(t, "base64", m["header_encoding"], lines[0])
	decode := func(v any) string {
		s, _ := v.(string)
		b, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err, "%q", s)
		return string(b)
	}
	headers := map[string]string{}
	raw, _ := m["headers"].(map[string]any)
	for k, v := range raw {
		headers[decode(k)] = decode(v)
	}
	assert.Equal(t, "a\xffb", headers["x-bin"], "the header's bytes, as sent; in %s", lines[0])
	assert.Equal(t, q, headers["destination"])
	assert.Equal(t, q, decode(m["destination"]))
	assert.Equal(t, headers["message-id"], decode(m["message_id"]))
	assert.Equal(t, headers["subscription"], decode(m["subscription"]))
	assert.Equal(t, "hi", m["body"])
	assert.Equal(t, "utf-8", m["body_encoding"])

	// Valid UTF-8: as before, text and no header_encoding.
	m = nil
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m), lines[1])
	assert.NotContains(t, m, "header_encoding", lines[1])
	assert.Equal(t, q, m["destination"])
	assert.Equal(t, "été", m["headers"].(map[string]any)["x-text"])
}

// Without -v the strings that come from headers are kept whole too: a
// destination that is not valid UTF-8.
func TestJSONKeepsEveryByteOfTheDestination(t *testing.T) {
	srv := newSim(t)
	q := "/queue/json-dest-\xfe"
	r := stomp(t, "", "send", "--server", srv, q, "hi")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--json", q)
	require.Equal(t, 0, r.code, r.stderr)
	var m jsonMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), r.stdout)
	require.Equal(t, "base64", m.HeaderEncoding, r.stdout)
	d, err := base64.StdEncoding.DecodeString(m.Destination)
	require.NoError(t, err)
	assert.Equal(t, q, string(d))
	assert.Nil(t, m.Headers)
}
