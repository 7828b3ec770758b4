package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUsersFileWithNoAccountIsAUsageError: a --users-file that holds no
// account (empty, blank lines, or every line commented out) would make a
// broker that accepts ANY login, silently on loopback: whoever passed
// --users-file asked for logins to be checked. It is a usage error
// (exit 2) before the broker listens, so mallory has nothing to log in to.
func TestUsersFileWithNoAccountIsAUsageError(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	for _, content := range []string{"", "\n\r\n  \n", "# alice:pw-a1\n", "\ufeff# alice:pw-a1\r\n"} {
		require.NoError(t, os.WriteFile(users, []byte(content), 0o600))
		r := stomp(t, "", "broker", "--listen", "127.0.0.1:0", "--users-file", users)
		assert.Equal(t, exitUsage, r.code, "%q: %s", content, r.stderr)
		assert.Contains(t, r.stderr, "no account", "%q", content)
		assert.NotContains(t, r.stdout, "listening", "%q: the broker ran", content)
	}
}

// TestUsersFileBOMIsStripped: a users file saved by a Windows editor
// starts with a UTF-8 byte-order mark; it is dropped, so the first
// account's login is "alice", not "\ufeffalice".
func TestUsersFileBOMIsStripped(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	require.NoError(t, os.WriteFile(users, []byte("\ufeffalice:pw-a1\r\nbob:pw-b\r\n"), 0o600))
	got, err := readUsersFile(users)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "alice", got[0][0])
}
