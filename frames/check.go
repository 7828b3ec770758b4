package frames

// CheckHeader reports whether the header key:value can be encoded on a
// frame of command cmd in version v (0 means V10), by the rules Append
// follows: it returns nil, or the *SyntaxError Append would return for
// that header. Nothing is allocated unless key or value holds a byte that
// needs escaping.
//
// A header that CheckHeader refuses with V12, the most lenient version,
// cannot be encoded on cmd in any version (an empty name, a NUL byte, or a
// line break or a colon in a name on CONNECT and STOMP, whose headers are
// never escaped): that is how a caller checks a header before the version
// is known.
func CheckHeader(cmd Command, v Version, key, value string) error {
	if !cmd.Valid() {
		return syntaxErr(CmdInvalid, "cannot encode command %v", cmd)
	}
	if key == "" {
		return syntaxErr(cmd, "empty header name")
	}
	if v == 0 {
		v = V10
	}
	escape := cmd.escapes(v)
	if err := checkHeaderText(key, v, escape, true, cmd); err != nil {
		return err
	}
	return checkHeaderText(value, v, escape, false, cmd)
}

// checkHeaderText runs the encoder's rules on s, from the first byte that
// is not plain text.
func checkHeaderText(s string, v Version, escape, isKey bool, cmd Command) error {
	if i := plainLen(s); i < len(s) {
		_, err := appendHeaderText(nil, s[i:], v, escape, isKey, cmd)
		return err
	}
	return nil
}
