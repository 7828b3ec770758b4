package main

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signalled runs the binary with args, sends it sig once ready says so,
// and returns its exit code and stderr.
func signalled(t *testing.T, sig os.Signal, ready func() bool, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	eventually(t, "the command under way", ready)
	require.NoError(t, cmd.Process.Signal(sig))
	err := cmd.Wait()
	require.NoError(t, ctx.Err(), "%v hung after %v; stderr: %s", args, sig, errb.String())
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%v after %v", args, sig)
	return ee.ExitCode(), errb.String()
}

func TestSignalsExitQuietlyWith128PlusTheSignal(t *testing.T) {
	b, srv := floodBroker(t) // shared by two floods
	subscribed := func() bool { d, _ := b.Destination("/queue/sig"); return d.Subscribers == 1 }
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitInterrupted}, {syscall.SIGTERM, exitTerminated}} {
		code, stderr := signalled(t, tt.sig, subscribed, "subscribe", "--server", srv, "/queue/sig")
		assert.Equal(t, tt.code, code, "subscribe %v", tt.sig)
		assert.Empty(t, stderr, "subscribe %v: no \"context canceled\"", tt.sig)
		eventually(t, "the subscriber gone", func() bool { d, _ := b.Destination("/queue/sig"); return d.Subscribers == 0 })

		flood := "/queue/flood-" + tt.sig.String()
		sending := func() bool { d, _ := b.Destination(flood); return d.Enqueued > 0 }
		code, stderr = signalled(t, tt.sig, sending, "send", "--server", srv, "--count", "100000000", flood, "x")
		assert.Equal(t, tt.code, code, "send %v", tt.sig)
		assert.NotContains(t, stderr, "stomp: stomp:", "send %v", tt.sig)
		assert.NotContains(t, stderr, "canceled", "send %v", tt.sig)

		d := startDaemon(t, "broker", "--listen", "127.0.0.1:0")
		d.waitLine(t, "listening on")
		assert.Equal(t, tt.code, d.signal(t, tt.sig), "broker %v", tt.sig)
		d = startDaemon(t, "proxy", "--listen", "127.0.0.1:0", "--target", b.Addr())
		d.waitLine(t, "listening on")
		assert.Equal(t, tt.code, d.signal(t, tt.sig), "proxy %v", tt.sig)
	}
}

func TestErrorLineDropsTheLibrarysPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"stomp: canceled: context canceled":               "canceled: context canceled",
		"stomp: stomp: x":                                 "x",
		"h:1: stomp: connect failed; h:2: stomp: refused": "h:1: connect failed; h:2: refused",
		"first line\nsecond":                              "first line",
	} {
		assert.Equal(t, want, errorLine(errString(in)), in)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
