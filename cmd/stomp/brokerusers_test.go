package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runBroker starts `stomp broker` with args and returns its address and
// a function that interrupts it and returns its stderr.
func runBroker(t *testing.T, args ...string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, binary, append([]string{"broker"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	stop := func() string {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
			cancel()
		})
		return stderr.String()
	}
	t.Cleanup(func() { stop() })
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("the broker printed no address (%v); stderr: %s", err, stop())
	}
	go func() { _, _ = rd.WriteTo(discard{}) }()
	fields := strings.Fields(line)
	require.GreaterOrEqual(t, len(fields), 4, line)
	addr := fields[3]
	if strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		addr = "127.0.0.1:" + addr[strings.LastIndexByte(addr, ':')+1:]
	}
	return addr, stop
}

// TestBrokerUsersFileAndOpenListenWarning: `stomp broker --users-file`
// takes its logins from a file (comments and blank lines skipped), so the
// passcodes stay out of argv; a broker listening beyond loopback with no
// login configured warns on stderr, one with logins, or on loopback, does
// not; a bad line is a usage error naming the line, not its text.
func TestBrokerUsersFileAndOpenListenWarning(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	require.NoError(t, os.WriteFile(users, []byte("# accounts\nalice:pw-a1\r\n\nbob:pw:with:colons\n"), 0o600))

	addr, stop := runBroker(t, "--listen", "127.0.0.1:0", "--users-file", users)
	r := stomp(t, "", "send", "--receipt", "--server", "stomp://bob:pw:with:colons@"+addr, "/queue/u", "x")
	assert.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--receipt", "--server", "stomp://alice:pw-a1@"+addr, "/queue/u", "x")
	assert.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--receipt", "--timeout", "5s", "--server", "stomp://mallory:x@"+addr, "/queue/u", "x")
	assert.Equal(t, 1, r.code, "an unknown login is refused: %s", r.stderr)
	assert.NotContains(t, stop(), "WARNING")

	// Tests listen on loopback only: the warning a broker beyond it
	// prints is checked where broker.go decides and writes it.
	var warned strings.Builder
	warnOpenBroker(&warned, "0.0.0.0:61613")
	assert.Contains(t, warned.String(), "WARNING: listening on 0.0.0.0:61613")
	assert.Contains(t, warned.String(), "any login is accepted")

	for _, listen := range []string{"127.0.0.1:0", "localhost:0"} {
		_, stop = runBroker(t, "--listen", listen)
		assert.NotContains(t, stop(), "WARNING", listen)
	}

	require.NoError(t, os.WriteFile(users, []byte("alice:pw-a1\nsecret-without-colon\n"), 0o600))
	r = stomp(t, "", "broker", "--listen", "127.0.0.1:0", "--users-file", users)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "line 2")
	assert.NotContains(t, r.stderr, "secret-without-colon")
	r = stomp(t, "", "broker", "--listen", "127.0.0.1:0", "--users-file", filepath.Join(dir, "missing"))
	assert.Equal(t, exitUsage, r.code, r.stderr)

	assert.True(t, listensBeyondLoopback(":61613"))
	assert.True(t, listensBeyondLoopback("[::]:61613"))
	assert.True(t, listensBeyondLoopback("broker.example:61613"))
	assert.False(t, listensBeyondLoopback("127.0.0.2:61613"))
	assert.False(t, listensBeyondLoopback("[::1]:61613"))
}
