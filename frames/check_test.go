package frames

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckHeader(t *testing.T) {
	for _, tt := range []struct {
		name       string
		cmd        Command
		v          Version
		key, value string
		reason     string // "" when the header can be encoded
	}{
		{"plain header", CmdSend, V10, "k", "v", ""},
		{"1.0 LF in a value", CmdSend, V10, "k", "a\nb", "line feed"},
		{"1.1 LF in a value is escaped", CmdSend, V11, "k", "a\nb", ""},
		{"1.1 CR in a value", CmdSend, V11, "k", "a\rb", "carriage return"},
		{"1.2 CR in a value is escaped", CmdSend, V12, "k", "a\rb", ""},
		{"1.0 colon in a name", CmdSubscribe, V10, "a:b", "v", "colon"},
		{"1.1 colon in a name is escaped", CmdSubscribe, V11, "a:b", "v", ""},
		{"1.0 colon in a value is fine", CmdSend, V10, "k", "a:b", ""},
		{"NUL in a value, even 1.2", CmdSend, V12, "k", "a\x00b", "NUL"},
		{"NUL in a name, even 1.2", CmdAck, V12, "a\x00b", "v", "NUL"},
		{"empty name", CmdSend, V12, "", "v", "empty header name"},
		{"zero version is 1.0", CmdSend, 0, "k", "a\nb", "line feed"},
		{"CONNECT is never escaped, even 1.2", CmdConnect, V12, "k", "a\nb", "line feed"},
		{"STOMP name with a colon, even 1.2", CmdStomp, V12, "a:b", "v", "colon"},
		{"invalid command", CmdInvalid, V12, "k", "v", "cannot encode command"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHeader(tt.cmd, tt.v, tt.key, tt.value)
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, se.Reason, tt.reason)
			assert.ErrorIs(t, err, ErrSyntax)
		})
	}
}

// CheckHeader and the encoder agree on every header made of the bytes the
// escaping rules care about, for every command and version: the check is
// the encoder's rule, not a copy of it.
func TestCheckHeaderAgreesWithAppend(t *testing.T) {
	texts := []string{"", "a", "a:b", "a\nb", "a\rb", "a\\b", "a\x00b", "é", "\r\n"}
	for cmd := CmdConnect; cmd < Heartbeat; cmd++ {
		for _, v := range Versions {
			for _, k := range texts {
				for _, val := range texts {
					f := New(cmd, k, val)
					_, encErr := Encoder{Version: v}.Append(nil, f)
					checkErr := CheckHeader(cmd, v, k, val)
					require.Equal(t, encErr, checkErr, "%v %v %q:%q", cmd, v, k, val)
				}
			}
		}
	}
}

func TestCheckHeaderAllocatesOnlyForSpecialBytes(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = CheckHeader(CmdSend, V12, "x-custom-header", "some plain value/with.dots")
	})
	assert.Zero(t, allocs)
}
