// Package safetext makes a peer's words (a broker's ERROR message, a
// CONNECTED server header, a proxy's reason phrase) safe to put into an
// error message, an event description or a log line: every character
// that could break the line or drive a terminal is written as a Go escape
// (strconv's scheme: \n, \t, \x1b, \x7f, \u0085, \u202e, and \xff for a
// byte that is not UTF-8), and the text is cut to a bound, with "..."
// saying so. Printable text in any language, its spaces and joiners
// (U+00A0, U+3000, U+200D: see Safe), backslashes and quotes are kept as
// they are, so an ordinary message reads as the peer wrote it (and a
// literal backslash-n in it looks like an escaped line feed).
//
// It is internal: transport, actors, api and the command line share it,
// so that the library escapes peers' text one way everywhere.
package safetext

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Max is how many bytes of a peer's text the library quotes into a
// message (Error(), an event's Description, a log line) where no tighter
// bound is given. Escapes can make the quoted text up to four times that.
const Max = 256

// Text returns at most max bytes of s (cut at a character boundary, with
// "..." after it when cut), with every character Safe refuses written as
// its Go escape.
func Text(s string, max int) string {
	s, cut := Cut(s, max)
	if clean(s) {
		if cut {
			return s + "..."
		}
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\x`...)
			b = append(b, hex[s[i]>>4], hex[s[i]&0xf])
		case !Safe(r):
			q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u0085'
			b = append(b, q[1:len(q)-1]...)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}

// Quote returns at most max bytes of s (cut at a character boundary),
// quoted as strconv.Quote quotes it, with "..." after the closing quote
// when cut.
func Quote(s string, max int) string {
	s, cut := Cut(s, max)
	q := strconv.Quote(s)
	if cut {
		q += "..."
	}
	return q
}

// Safe reports whether r may appear raw in a message. It refuses what
// can break a line or drive a terminal: C0 and C1 controls, DEL, the line
// and paragraph separators U+2028 and U+2029, the bidirectional
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and
// every other format character, and whatever else unicode.IsPrint refuses
// (unassigned code points, U+FFFD standing for a byte that is not UTF-8).
// It lets ordinary text in any language through, spaces included: every
// space separator (the no-break spaces U+00A0 and U+202F of French, the
// ideographic space U+3000 of Chinese and Japanese) and the zero-width
// non-joiner and joiner (U+200C of Persian, U+200D of emoji sequences).
func Safe(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0x20 && r < 0x7f
	}
	switch {
	case r == utf8.RuneError:
		return false
	case unicode.IsPrint(r):
		return true
	case r == 0x200c || r == 0x200d: // zero-width non-joiner, joiner
		return true
	}
	return unicode.Is(unicode.Zs, r) // U+00A0, U+2000-U+200A, U+202F, U+205F, U+3000...
}

// clean reports whether s needs no escape at all (the common case, which
// then costs no allocation).
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			if c < utf8.RuneSelf {
				return false
			}
			for _, r := range s[i:] {
				if !Safe(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

// Cut returns s cut to at most max bytes at a character boundary (a byte
// that is not UTF-8 counts as one character), and whether it cut.
func Cut(s string, max int) (string, bool) {
	if max < 0 {
		max = 0
	}
	if len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && i > max-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = max // not UTF-8 here: cut at the byte
	}
	return s[:i], true
}

const hex = "0123456789abcdef"
