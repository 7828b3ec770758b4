package frames

import (
	"bytes"
	"strings"
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

// appendHeaderText appends s to dst, escaped as version v requires when
// escape is true. isKey selects the rules for header names. It returns an
// error for any byte the version cannot represent.
func appendHeaderText(dst []byte, s string, v Version, escape, isKey bool, cmd Command) ([]byte, error) {
	// Fast path: nothing special in s.
	i := plainPrefix(s)
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

// plainPrefix returns the length of the longest prefix of s that holds no
// NUL, LF, CR, colon or backslash. It tests eight bytes at a time.
func plainPrefix(s string) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if special8(load8(s[i : i+8])) {
			return i + plainBytes(s[i:])
		}
	}
	if i > 0 && i < len(s) && !special8(load8(s[len(s)-8:])) {
		return len(s) // the last eight bytes, overlapping the ones tested
	}
	return i + plainBytes(s[i:])
}

// load8 reads the eight bytes of b as a little-endian word.
func load8(b string) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// special8 reports whether a byte of w is a NUL, LF, CR, colon or
// backslash: x has a zero byte if and only if (x-ones) &^ x & highs != 0.
func special8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	lf, cr, co, bs := w^('\n'*ones), w^('\r'*ones), w^(':'*ones), w^('\\'*ones)
	return ((w-ones)&^w|(lf-ones)&^lf|(cr-ones)&^cr|(co-ones)&^co|(bs-ones)&^bs)&highs != 0
}

// plainBytes is plainPrefix one byte at a time.
func plainBytes(s string) int {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]] != clsPlain {
			return i
		}
	}
	return len(s)
}

func what(isKey bool) string {
	if isKey {
		return "name"
	}
	return "value"
}

// unescapeTo appends s to b with the escape sequences of version v decoded.
func unescapeTo(b *strings.Builder, s []byte, v Version, cmd Command) error {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			b.Write(s)
			return nil
		}
		b.Write(s[:i])
		if i+1 == len(s) {
			return syntaxErr(cmd, "header ends in a lone backslash")
		}
		switch s[i+1] {
		case 'n':
			b.WriteByte('\n')
		case 'c':
			b.WriteByte(':')
		case '\\':
			b.WriteByte('\\')
		case 'r':
			if v < V12 {
				return syntaxErr(cmd, `escape \r is undefined in STOMP %s`, v)
			}
			b.WriteByte('\r')
		default:
			return syntaxErr(cmd, "undefined escape sequence \\%c", s[i+1])
		}
		s = s[i+2:]
	}
}
