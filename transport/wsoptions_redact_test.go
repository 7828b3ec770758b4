package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWSOptionsRedactSecretHeaders: WSOptions printed with fmt's verbs,
// given to log/slog's handlers or encoded by encoding/json never show the
// value of an Authorization or Cookie header, and still show the others;
// the options themselves are left as they were.
func TestWSOptionsRedactSecretHeaders(t *testing.T) {
	o := WSOptions{Header: http.Header{"Authorization": {"Bearer tok-4c2e"}, "Cookie": {"sid=ck-88f0"}, "Origin": {"https://example.org"}}}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %v", o, o, o, &o)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("o", "o", o)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("o", "o", o)
	j, err := json.Marshal(o)
	require.NoError(t, err)
	buf.Write(j)
	for _, secret := range []string{"tok-4c2e", "ck-88f0"} {
		assert.NotContains(t, buf.String(), secret)
	}
	assert.Contains(t, buf.String(), "https://example.org")
	assert.Equal(t, "Bearer tok-4c2e", o.Header.Get("Authorization"))
}
