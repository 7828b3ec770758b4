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
func (f *Frame) String() string {
	var b strings.Builder
	b.WriteString(f.Command.String())
	for _, h := range f.Headers {
		b.WriteByte(' ')
		b.WriteString(h.Key)
		b.WriteByte(':')
		if IsSecretHeader(h.Key) {
			b.WriteString("<redacted>")
		} else {
			b.WriteString(strconv.Quote(h.Value)[1 : len(strconv.Quote(h.Value))-1])
		}
	}
	if len(f.Body) > 0 {
		b.WriteString(" body=")
		b.WriteString(strconv.Itoa(len(f.Body)))
		b.WriteByte('B')
	}
	return b.String()
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
