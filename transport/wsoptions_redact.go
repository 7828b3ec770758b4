package transport

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/stompactor/stompactor/frames"
)

// String describes the options with the values of secret upgrade-request
// headers (Authorization, cookies, tokens: frames.IsSecretHeader)
// redacted. GoString, LogValue (log/slog) and MarshalJSON
// (encoding/json) redact them too.
func (o WSOptions) String() string {
	return fmt.Sprintf("WSOptions%+v", o.shown())
}

// GoString is String, so that %#v redacts the headers too.
func (o WSOptions) GoString() string { return o.String() }

// LogValue is String, for log/slog.
func (o WSOptions) LogValue() slog.Value { return slog.StringValue(o.String()) }

// MarshalJSON encodes the options with secret header values redacted.
func (o WSOptions) MarshalJSON() ([]byte, error) {
	return json.Marshal(o.shown())
}

// wsOptionsShown is WSOptions without its methods.
type wsOptionsShown WSOptions

// shown is o with a copy of its headers whose secret values are
// "<redacted>".
func (o WSOptions) shown() wsOptionsShown {
	p := wsOptionsShown(o)
	if len(o.Header) > 0 {
		p.Header = make(http.Header, len(o.Header))
		for k, vs := range o.Header {
			if frames.IsSecretHeader(k) {
				vs = []string{"<redacted>"}
			}
			p.Header[k] = vs
		}
	}
	return p
}
