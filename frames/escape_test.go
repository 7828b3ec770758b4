package frames

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnescapeValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  Command
		v    Version
		raw  string
		want string
		err  bool
	}{
		{"1.2 escapes", CmdSend, V12, `a\cb\\c\nd\re`, "a:b\\c\nd\re", false},
		{"1.1 has no \\r", CmdSend, V11, `a\rb`, "", true},
		{"1.0 keeps every byte", CmdSend, V10, `a\cb`, `a\cb`, false},
		{"CONNECT is never escaped", CmdConnect, V12, `a\cb`, `a\cb`, false},
		{"a lone backslash", CmdBegin, V12, `a\`, "", true},
		{"nothing to undo", CmdSend, V12, "plain", "plain", false},
	} {
		got, err := UnescapeValue(tc.cmd, tc.v, []byte(tc.raw))
		if tc.err {
			var se *SyntaxError
			require.ErrorAs(t, err, &se, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}
