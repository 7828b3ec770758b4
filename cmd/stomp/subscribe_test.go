package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeBody returns the bytes a jsonMessage holds.
func decodeBody(t *testing.T, m jsonMessage) []byte {
	t.Helper()
	switch m.BodyEncoding {
	case bodyUTF8:
		return []byte(m.Body)
	case bodyBase64:
		b, err := base64.StdEncoding.DecodeString(m.Body)
		require.NoError(t, err)
		return b
	}
	t.Fatalf("unknown body_encoding %q", m.BodyEncoding)
	return nil
}

func TestSubscribeJSONKeepsEveryBodyByte(t *testing.T) {
	srv := newSim(t)
	dir := t.TempDir()
	bodies := []struct {
		name     string
		body     []byte
		encoding string
	}{
		{"binary", []byte{0x00, 0xff, 0xfe, 'a', 0x00, 0xc3, 0x28, 0x80, '\n', 0xed, 0xa0, 0x80, 0x00}, bodyBase64},
		{"text with NULs", []byte("é\x00ü\x00 <b>&</b> \"quoted\"\n"), bodyUTF8},
		{"empty", nil, bodyUTF8},
	}
	for _, b := range bodies {
		file := filepath.Join(dir, strings.ReplaceAll(b.name, " ", "-"))
		require.NoError(t, os.WriteFile(file, b.body, 0o600))
		r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", file, "/queue/bin")
		require.Equal(t, 0, r.code, "%s: %s", b.name, r.stderr)
	}
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "3", "--json", "/queue/bin")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	for i, b := range bodies {
		var m jsonMessage
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &m), lines[i])
		assert.Equal(t, b.encoding, m.BodyEncoding, b.name)
		assert.Equal(t, string(b.body), string(decodeBody(t, m)), "%s: the exact bytes", b.name)
	}
	assert.Contains(t, lines[1], `<b>&</b>`, "no HTML escaping")
}

func TestEncodeBody(t *testing.T) {
	for _, tt := range []struct {
		in       []byte
		body     string
		encoding string
	}{
		{[]byte("plain"), "plain", "utf-8"},
		{[]byte("\x00"), "\x00", "utf-8"},
		{[]byte{0xff}, "/w==", "base64"},
		{[]byte("ok\xc0\xafno"), "b2vAr25v", "base64"}, // overlong encoding of '/'
	} {
		body, enc := encodeBody(tt.in)
		assert.Equal(t, tt.body, body)
		assert.Equal(t, tt.encoding, enc)
	}
}
