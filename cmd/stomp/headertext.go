package main

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stompactor/stompactor/internal/safetext"
)

// headerLine is one "name:value" line of `subscribe -v`, escaped so that
// a header can neither add lines of its own nor reach the terminal with
// control characters: STOMP 1.2's escapes where it has one (\\ for a
// backslash, \n, \r, and \c for a ':' in the name, which would otherwise
// move the split), \t for a tab, \xNN for every other C0 control byte,
// DEL, the bytes of a C1 control and every byte that is not UTF-8, and a
// Go escape (\u202e, \u2028) for every other character the library
// escapes in broker text (safetext.Safe: line and paragraph separators,
// bidi overrides and isolates, other format characters). A header
// without any of these prints as it is; scripts that need the exact bytes
// read --json.
func headerLine(key, value string) string {
	return headerText(key, true) + ":" + headerText(value, false)
}

func headerText(s string, isKey bool) string {
	if !needsHeaderEscape(s, isKey) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == ':' && isKey:
			b.WriteString(`\c`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x` + hex2(c))
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1 || r >= 0x80 && r < 0xa0: // not UTF-8, or a C1 control
				for _, x := range []byte(s[i : i+n]) {
					b.WriteString(`\x` + hex2(x))
				}
			case !safetext.Safe(r):
				q := strconv.QuoteRuneToASCII(r) // '\u202e'
				b.WriteString(q[1 : len(q)-1])
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

func needsHeaderEscape(s string, isKey bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' || (c == ':' && isKey) || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func hex2(c byte) string {
	h := strconv.FormatUint(uint64(c), 16)
	if len(h) == 1 {
		h = "0" + h
	}
	return h
}
