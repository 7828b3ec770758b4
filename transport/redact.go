package transport

import (
	"errors"
	"net/url"
	"strings"
)

// RedactURL returns a WebSocket URL fit for logs and errors: user
// information is dropped and a query string (which may carry a token) is
// replaced by "?<redacted>". It works on the text, whether or not the URL
// parses: the user information is everything after "://" up to the last
// '@'. When a '/', '?' or '#' comes before that '@' (a password pasted
// without escaping them, or an '@' in the path or query), what it cut may
// not have been user information, and the result says so: "ws://user:a/b@host/ws"
// becomes "ws://<redacted>@host/ws". The result is at most about 200
// bytes of the URL, with control characters escaped (\n, \x1b).
func RedactURL(raw string) string { return safeURL(raw) }

// safeURL is RedactURL.
func safeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 && isScheme(raw[:i]) {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if strings.ContainsAny(rest[:at], "/?#") {
			// Not surely user information, but it may be: cut it, and say
			// that something was cut.
			rest = "<redacted>" + rest[at:]
		} else {
			rest = rest[at+1:]
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q] + "?<redacted>"
	}
	return printable(scheme+rest, 200)
}

// isScheme reports whether s is a URL scheme (RFC 3986 3.1: a letter,
// then letters, digits, '+', '-' or '.'), so that a "://" inside a
// password is not taken for the scheme's end.
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// redactQuery returns err with every quote of the URL's query (rawQuery)
// replaced by "<redacted>", as RedactURL hides it. The chain is kept:
// errors.Is and errors.As see err's causes, and a *url.Error among them
// has its URL redacted (RedactURL) too.
func redactQuery(err error, rawQuery string) error {
	if err == nil {
		return nil
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ue, ok := e.(*url.Error); ok {
			ue.URL = safeURL(ue.URL)
		}
	}
	if rawQuery == "" {
		return err
	}
	hide := func(s string) string {
		s = strings.ReplaceAll(s, "?"+rawQuery, "?<redacted>")
		if len(rawQuery) >= 6 { // quoted without its '?' (a short one would hide unrelated words)
			s = strings.ReplaceAll(s, rawQuery, "<redacted>")
		}
		return s
	}
	msg := err.Error()
	if hidden := hide(msg); hidden != msg {
		return &redactedError{msg: hidden, err: err}
	}
	return err
}

// redactedError is err with a message that hides a secret err's own
// message quotes.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
