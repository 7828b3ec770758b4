package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// TestSubscribeVerboseEscapesHeaderText: `subscribe -v` prints each
// header on one line whatever it holds: a line feed, a carriage return,
// ESC and other control characters, a C1 control, bytes that are not
// UTF-8, a line or paragraph separator, a bidi override or isolate, a
// backslash and a ':' in the name are escaped, as the library escapes
// broker text, so a header cannot forge header lines or reach the
// terminal raw; plain text (a no-break space and an emoji ZWJ sequence
// too) is printed as it is.
func TestSubscribeVerboseEscapesHeaderText(t *testing.T) {
	m := &api.MessageInEvent{Data: []byte("body"), Headers: []api.Header{
		{Key: "destination", Value: "/queue/a"},
		{Key: "x-forged", Value: "v\nmessage-id:fake\r\x1b]0;pwned\x07"},
		{Key: "we:ird\\", Value: "tab\there, C1 \u009b, bad \xff, ok é"},
		{Key: "x-bidi\u202e", Value: "sep\u2028para\u2029iso\u2066\u2069 ok\u00a0\U0001F468\u200d\U0001F469"},
	}}
	var b bytes.Buffer
	require.NoError(t, printMessage(&b, m, printOptions{verbose: true}))
	out := b.String()
	lines := strings.Split(out, "\n")
	assert.Equal(t, []string{
		"destination:/queue/a",
		`x-forged:v\nmessage-id:fake\r\x1b]0;pwned\x07`,
		`we\cird\\:tab\there, C1 \xc2\x9b, bad \xff, ok é`,
		`x-bidi\u202e:sep\u2028para\u2029iso\u2066\u2069 ok` + "\u00a0\U0001F468\u200d\U0001F469",
		"", "body", "",
	}, lines)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\r")
	for _, r := range "\u202e\u2028\u2029\u2066\u2069" {
		assert.NotContains(t, out, string(r))
	}
}
