package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTargetCheckTakesOrdinaryLogins: logins, passcodes and
// virtual hosts a CONNECT carries (a ':' in them, non-ASCII text, a
// backslash, spaces, a tab) pass Target.Check.
func TestTargetCheckTakesOrdinaryLogins(t *testing.T) {
	for _, tg := range []Target{
		{Login: "domain:user", Passcode: "p:a:s:s", VHost: "/"},
		{Login: "josé", Passcode: "пароль東京", VHost: "vh-é"},
		{Login: `DOMAIN\user`, Passcode: `a\b`, VHost: `v\h`},
		{Login: "John Smith", Passcode: "pass\tword with spaces"},
		{Login: "", Passcode: ""},
	} {
		assert.NoError(t, tg.Check(), "%+v", tg)
	}
}
