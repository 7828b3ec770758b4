package frames

import "fmt"

// Version is a STOMP protocol version.
type Version uint8

// The protocol versions this codec speaks.
const (
	V10 Version = 10 // STOMP 1.0: no header escaping, LF line endings.
	V11 Version = 11 // STOMP 1.1: escapes \n, : and \ in headers.
	V12 Version = 12 // STOMP 1.2: also escapes \r; CRLF line endings allowed.
)

// Versions lists every supported version, oldest first.
var Versions = []Version{V10, V11, V12}

// String returns the version as it appears on the wire ("1.2").
func (v Version) String() string {
	switch v {
	case V10:
		return "1.0"
	case V11:
		return "1.1"
	case V12:
		return "1.2"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// Valid reports whether v is one of V10, V11 or V12.
func (v Version) Valid() bool { return v == V10 || v == V11 || v == V12 }

// ParseVersion parses a wire version string such as "1.1".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "1.0":
		return V10, nil
	case "1.1":
		return V11, nil
	case "1.2":
		return V12, nil
	}
	return 0, fmt.Errorf("stomp: unknown protocol version %q", s)
}
