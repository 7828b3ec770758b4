package frames

import (
	"strconv"
	"strings"
)

// Frame is one STOMP frame: a command, ordered headers and a body.
//
// A Frame returned by Decoder.Decode is owned by the decoder and valid only
// until the next call to Decode; Clone it to keep it.
type Frame struct {
	Command Command
	Headers Headers
	Body    []byte
}

// New returns a frame with the given command and alternating key, value
// header strings. An odd trailing key is ignored.
func New(cmd Command, kv ...string) *Frame {
	f := &Frame{Command: cmd}
	if len(kv) > 1 {
		f.Headers = make(Headers, 0, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Headers = append(f.Headers, Header{Key: kv[i], Value: kv[i+1]})
	}
	return f
}

// IsHeartbeat reports whether f stands for an EOL heart-beat.
func (f *Frame) IsHeartbeat() bool { return f.Command == Heartbeat }

// Header returns the value of the first header named key, or "".
func (f *Frame) Header(key string) string { return f.Headers.Value(key) }

// Clone returns a deep copy of f. The copy's header strings share one
// allocation, so cloning costs at most four allocations (the frame, its
// header slice, the header text and the body) whatever the number of
// headers.
func (f *Frame) Clone() *Frame {
	out := &Frame{Command: f.Command}
	if len(f.Headers) > 0 {
		n := 0
		for _, h := range f.Headers {
			n += len(h.Key) + len(h.Value)
		}
		var b strings.Builder
		b.Grow(n)
		for _, h := range f.Headers {
			b.WriteString(h.Key)
			b.WriteString(h.Value)
		}
		s := b.String()
		out.Headers = make(Headers, len(f.Headers))
		off := 0
		for i, h := range f.Headers {
			k := s[off : off+len(h.Key)]
			off += len(h.Key)
			v := s[off : off+len(h.Value)]
			off += len(h.Value)
			out.Headers[i] = Header{Key: k, Value: v}
		}
	}
	if f.Body != nil {
		out.Body = append(make([]byte, 0, len(f.Body)), f.Body...)
	}
	return out
}

// String renders the frame for logs: the command, the headers with any
// passcode redacted, and the body length. It never includes the body.
// Header names and values are written with Go's escapes (strconv.Quote
// without its quotes: \n, \x1b, \u0085, \xff for a byte that is not
// UTF-8), so a peer's header, whose name or value may hold a line feed
// in STOMP 1.1 and 1.2, cannot break the line or reach a terminal raw.
func (f *Frame) String() string {
	b := make([]byte, 0, 64)
	b = append(b, f.Command.String()...)
	for _, h := range f.Headers {
		b = append(b, ' ')
		b = appendQuotedInner(b, h.Key)
		b = append(b, ':')
		if IsSecretHeader(h.Key) {
			b = append(b, "<redacted>"...)
		} else {
			b = appendQuotedInner(b, h.Value)
		}
	}
	if len(f.Body) > 0 {
		b = append(b, " body="...)
		b = strconv.AppendInt(b, int64(len(f.Body)), 10)
		b = append(b, 'B')
	}
	return string(b)
}

// appendQuotedInner appends s as strconv.Quote writes it, without the
// surrounding quotes.
func appendQuotedInner(b []byte, s string) []byte {
	n := len(b)
	b = strconv.AppendQuote(b, s)
	// Drop the opening quote (moving the rest down) and the closing one.
	copy(b[n:], b[n+1:len(b)-1])
	return b[:len(b)-2]
}

// IsSecretHeader reports whether a header's value must never be logged:
// whether its name, in any case, contains one of secretNameParts
// (passcode, password, passwd, passphrase, secret, token, auth, cookie,
// credential, apikey, api-key, api_key, jwt). So Authorization,
// Proxy-Authorization, X-Authorization, access-token, x-auth-token,
// X-Api-Key and Cookie are secret; login, client-id, host and
// receipt are not. The match is wide on purpose: a header it takes for a
// secret (author, say) only has its value hidden from the logs.
func IsSecretHeader(key string) bool {
	k := strings.ToLower(key) // no copy for a lower-case name
	for _, part := range secretNameParts {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

// secretNameParts are the lower-case pieces of a header name that mark its
// value secret (IsSecretHeader). "auth" covers authorization,
// authentication and the x-auth-* headers.
var secretNameParts = []string{"passcode", "password", "passwd", "passphrase", "secret", "token", "auth", "cookie", "credential", "apikey", "api-key", "api_key", "jwt"}
