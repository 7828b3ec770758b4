package frames

import (
	"bytes"

	"github.com/stompactor/stompactor/internal/safetext"
)

// byte classes used by the encoder and decoder.
const (
	clsPlain = iota
	clsNUL
	clsLF
	clsCR
	clsColon
	clsBackslash
)

var byteClass = func() (t [256]uint8) {
	t[0] = clsNUL
	t['\n'] = clsLF
	t['\r'] = clsCR
	t[':'] = clsColon
	t['\\'] = clsBackslash
	return
}()

// plainLen returns the length of the longest prefix of s whose bytes are
// all clsPlain: header text is mostly plain, and looking at eight bytes at
// a time costs a fraction of looking each up in byteClass. A word with a
// control byte (below 0x20, which covers NUL, LF and CR), a colon or a
// backslash is looked at byte by byte.
func plainLen(s string) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		colon, backslash := x^(':'*ones), x^('\\'*ones)
		// A byte below 0x20, or one equal to ':' or '\\' (zero after
		// the xor): the borrow sets its high bit only where it is so.
		if ((x-0x20*ones)&^x|(colon-ones)&^colon|(backslash-ones)&^backslash)&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if byteClass[s[i]] != clsPlain {
			return i
		}
	}
	return i
}

// appendHeaderText appends s to dst, escaped as version v requires when
// escape is true. isKey selects the rules for header names. It returns an
// error for any byte the version cannot represent.
func appendHeaderText(dst []byte, s string, v Version, escape, isKey bool, cmd Command) ([]byte, error) {
	// Fast path: nothing special in s.
	i := plainLen(s)
	if i == len(s) {
		return append(dst, s...), nil
	}
	dst = append(dst, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		switch byteClass[c] {
		case clsPlain:
			dst = append(dst, c)
		case clsNUL:
			return dst, syntaxErr(cmd, "header %s holds a NUL byte", what(isKey))
		case clsLF:
			if !escape {
				return dst, syntaxErr(cmd, "header %s holds a line feed, which STOMP %s cannot escape here", what(isKey), v)
			}
			dst = append(dst, '\\', 'n')
		case clsCR:
			if !escape || v < V12 {
				return dst, syntaxErr(cmd, "header %s holds a carriage return, which STOMP %s cannot escape here", what(isKey), v)
			}
			dst = append(dst, '\\', 'r')
		case clsColon:
			switch {
			case escape:
				dst = append(dst, '\\', 'c')
			case isKey:
				return dst, syntaxErr(cmd, "header name holds a colon, which STOMP %s cannot escape here", v)
			default:
				dst = append(dst, ':')
			}
		case clsBackslash:
			if escape {
				dst = append(dst, '\\', '\\')
			} else {
				dst = append(dst, '\\')
			}
		}
	}
	return dst, nil
}

func what(isKey bool) string {
	if isKey {
		return "name"
	}
	return "value"
}

// unescapeInPlace decodes the escape sequences of version v in p, the
// first of which is at i, into p itself (a sequence is two bytes that
// become one) and returns the new length.
func unescapeInPlace(p []byte, i int, v Version, cmd Command) (int, error) {
	w := i
	for r := i; r < len(p); r++ {
		c := p[r]
		if c == '\\' {
			if r+1 == len(p) {
				return 0, syntaxErr(cmd, "header ends in a lone backslash")
			}
			r++
			switch p[r] {
			case 'n':
				c = '\n'
			case 'c':
				c = ':'
			case '\\':
				c = '\\'
			case 'r':
				if v < V12 {
					return 0, syntaxErr(cmd, `escape \r is undefined in STOMP %s`, v)
				}
				c = '\r'
			default:
				return 0, syntaxErr(cmd, "undefined escape sequence \\%s", safetext.Text(string(p[r:r+1]), 1))
			}
		}
		p[w] = c
		w++
	}
	return w, nil
}

// validEscapes reports whether every backslash of text starts an escape
// that version v defines.
func validEscapes(text []byte, v Version) bool {
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		i++
		if i == len(text) {
			return false
		}
		switch text[i] {
		case 'n', 'c', '\\':
		case 'r':
			if v < V12 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// UnescapeValue decodes a header value of a cmd frame as it stands in the
// frame's text (raw), with the escapes version v defines for cmd (none on
// STOMP 1.0, nor for CONNECT and CONNECTED); an undefined escape is a
// *SyntaxError, as when decoding.
func UnescapeValue(cmd Command, v Version, raw []byte) (string, error) {
	i := bytes.IndexByte(raw, '\\')
	if i < 0 || !cmd.escapes(v) {
		return string(raw), nil
	}
	p := bytes.Clone(raw)
	n, err := unescapeInPlace(p, i, v, cmd)
	if err != nil {
		return "", err
	}
	return string(p[:n]), nil
}
