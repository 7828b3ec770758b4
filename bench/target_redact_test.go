package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTargetRedactedEverywhere: a Target printed with fmt's verbs, given
// to log/slog's handlers or encoded by encoding/json never shows its
// passcode, and shows the rest.
func TestTargetRedactedEverywhere(t *testing.T) {
	tg := Target{Name: "broker", Addr: "h:1", Login: "bob", Passcode: "pc-90ab", VHost: "/"}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %v", tg, tg, tg, &tg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "t", tg, "p", &tg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("t", "t", tg)
	j, err := json.Marshal([]any{tg, &tg})
	require.NoError(t, err)
	buf.Write(j)
	assert.NotContains(t, buf.String(), "pc-90ab")
	assert.Contains(t, buf.String(), "bob")
	assert.Contains(t, string(j), `"Passcode":"\u003credacted\u003e"`)
}
