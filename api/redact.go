package api

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/internal/safetext"
)

// peerText is a broker's words (the server header, say) made fit for a
// description or a log line: control characters escaped, at most
// actors.MaxQuotedText bytes (see Error.Message).
func peerText(s string) string { return safetext.Text(s, actors.MaxQuotedText) }

// The secrets scrubbed from every log line, event, error and String (see
// doc.go): the passcode, the proxy and store passwords, and the passcodes
// the Credentials callback gave, in every form text may echo them.

// updateSecrets records the values to scrub; s.mu is held or the client
// is not shared yet.
func (s *STOMP) updateSecrets() {
	var out []string
	var issued []string
	if s.issued != nil {
		issued = *s.issued
	}
	secrets := s.cfg.connectSecrets([]string{s.cfg.password, s.cfg.sec.fw.Password, s.cfg.sec.ssl.CertStorePassword})
	for _, v := range append(secrets, issued...) {
		if len(v) >= minSecretLen {
			out = appendSecretForms(out, v)
		}
	}
	// Longest first: a form that holds another is replaced whole.
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	s.secrets.Store(&out)
}

// headerEscaper escapes a header value as STOMP 1.2 frames carry it.
var headerEscaper = strings.NewReplacer(`\`, `\\`, "\r", `\r`, "\n", `\n`, ":", `\c`)

// appendSecretForms appends v and every escaped form in which text may
// echo it, once each: as it is, Go-quoted (strconv.Quote, as a frame log
// renders header values), STOMP header-escaped, and both, and as a
// broker's words quoted into a message show it (control characters
// escaped, safetext.Text).
func appendSecretForms(out []string, v string) []string {
	esc := headerEscaper.Replace(v)
	for _, f := range []string{v, quoted(v), esc, quoted(esc), safetext.Text(v, len(v))} {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// quoted is strconv.Quote without the quotes around it.
func quoted(v string) string {
	q := strconv.Quote(v)
	return q[1 : len(q)-1]
}

// issuedSecrets is how many passcodes from the Credentials callback are
// remembered for scrubbing: the current one and a few before it, which a
// broker may still echo.
const issuedSecrets = 4

// noteIssued remembers a passcode the Credentials callback returned.
func (s *STOMP) noteIssued(passcode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued == nil {
		s.issued = new([]string)
	}
	*s.issued = append(*s.issued, passcode)
	if len(*s.issued) > issuedSecrets {
		*s.issued = (*s.issued)[len(*s.issued)-issuedSecrets:]
	}
	s.updateSecrets()
}

// minSecretLen is the shortest secret scrubbed from text: shorter ones
// would turn every log line to mush, and are no secret anyway.
const minSecretLen = 3

// scrub replaces every known secret in text with "<redacted>". The
// engine scrubs a broker's words before it cuts them into a message
// (actors.ConnectConfig.Scrub), so that no cut leaves a piece of a secret
// that this, run on the cut text, would not find.
func (s *STOMP) scrub(text string) string {
	p := s.secrets.Load()
	if p == nil {
		return text
	}
	for _, v := range *p {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, "<redacted>")
		}
	}
	return text
}
