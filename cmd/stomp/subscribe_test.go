package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// decodeBody returns the bytes a jsonMessage holds.
func decodeBody(t *testing.T, m jsonMessage) []byte {
	t.Helper()
	switch m.BodyEncoding {
	case bodyUTF8:
		return []byte(m.Body)
	case bodyBase64:
		b, err := base64.StdEncoding.DecodeString(m.Body)
		require.NoError(t, err)
		return b
	}
	t.Fatalf("unknown body_encoding %q", m.BodyEncoding)
	return nil
}

func TestSubscribeJSONKeepsEveryBodyByte(t *testing.T) {
	srv := newSim(t)
	dir := t.TempDir()
	bodies := []struct {
		name     string
		body     []byte
		encoding string
	}{
		{"binary", []byte{0x00, 0xff, 0xfe, 'a', 0x00, 0xc3, 0x28, 0x80, '\n', 0xed, 0xa0, 0x80, 0x00}, bodyBase64},
		{"text with NULs", []byte("é\x00ü\x00 <b>&</b> \"quoted\"\n"), bodyUTF8},
		{"empty", nil, bodyUTF8},
	}
	for _, b := range bodies {
		file := filepath.Join(dir, strings.ReplaceAll(b.name, " ", "-"))
		require.NoError(t, os.WriteFile(file, b.body, 0o600))
		r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", file, "/queue/bin")
		require.Equal(t, 0, r.code, "%s: %s", b.name, r.stderr)
	}
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "3", "--json", "/queue/bin")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	for i, b := range bodies {
		var m jsonMessage
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &m), lines[i])
		assert.Equal(t, b.encoding, m.BodyEncoding, b.name)
		assert.Equal(t, string(b.body), string(decodeBody(t, m)), "%s: the exact bytes", b.name)
	}
	assert.Contains(t, lines[1], `<b>&</b>`, "no HTML escaping")
}

func TestEncodeBody(t *testing.T) {
	for _, tt := range []struct {
		in       []byte
		body     string
		encoding string
	}{
		{[]byte("plain"), "plain", "utf-8"},
		{[]byte("\x00"), "\x00", "utf-8"},
		{[]byte{0xff}, "/w==", "base64"},
		{[]byte("ok\xc0\xafno"), "b2vAr25v", "base64"}, // overlong encoding of '/'
	} {
		body, enc := encodeBody(tt.in)
		assert.Equal(t, tt.body, body)
		assert.Equal(t, tt.encoding, enc)
	}
}

// simBroker starts a simulator for a test and returns it with its URL.
func simBroker(t *testing.T, opts ...sim.Option) (*sim.Broker, string) {
	t.Helper()
	b, err := sim.NewBroker(append([]sim.Option{sim.WithUser("guest", "guest")}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b, "stomp://guest:guest@" + b.Addr()
}

// eventually waits, bounded, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// within polls cond until it holds (true) or d passes (false).
func within(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
	return true
}

// ready is how many messages wait on a destination.
func ready(b *sim.Broker, dest string) int {
	d, _ := b.Destination(dest)
	return d.Ready
}

func TestSubscribeCountLeavesTheRestOnTheQueue(t *testing.T) {
	b, srv := simBroker(t)
	for i := 1; i <= 5; i++ {
		r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/cnt", fmt.Sprintf("m%d", i))
		require.Equal(t, 0, r.code, r.stderr)
	}
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "/queue/cnt") // --ack auto
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "m1\n", r.stdout)
	eventually(t, "4 messages back on the queue", func() bool { return ready(b, "/queue/cnt") == 4 })
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--json", "/queue/cnt")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"body":"m2"`)
	assert.Contains(t, r.stdout, `"body":"m3"`)
	eventually(t, "2 messages back on the queue", func() bool { return ready(b, "/queue/cnt") == 2 })
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--ack", "client-individual", "/queue/cnt")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "m4\nm5\n", r.stdout)
	eventually(t, "the queue empty", func() bool { d, _ := b.Destination("/queue/cnt"); return d.Ready == 0 && d.Unacked == 0 })
}

func TestSubscribeWriteErrorFailsAndDoesNotAck(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	b, srv := simBroker(t)
	for _, body := range []string{"one", "two"} {
		r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/full", body)
		require.Equal(t, 0, r.code, r.stderr)
	}
	for _, ack := range []string{"client-individual", "client", "auto"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--count", "2", "--ack", ack, "/queue/full")
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &errb
		err := cmd.Run()
		require.NoError(t, ctx.Err(), "%s: hung; stderr: %s", ack, errb.String())
		cancel()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, ack)
		assert.Equal(t, exitFailure, ee.ExitCode(), ack)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errb.String()), "\n")+1, "%s: one line on stderr, got %q", ack, errb.String())
		assert.Contains(t, errb.String(), "no space left on device", ack)
		eventually(t, ack+": both messages back on the queue", func() bool { return ready(b, "/queue/full") == 2 })
	}
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "2", "/queue/full")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "one\ntwo\n", r.stdout)
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestPrintMessageReturnsTheWriteError(t *testing.T) {
	m := &api.MessageInEvent{Data: []byte("x"), Headers: []api.Header{{Key: "k", Value: "v"}}}
	for _, o := range []printOptions{{}, {verbose: true}, {asJSON: true}, {traceID: true}} {
		assert.EqualError(t, printMessage(failWriter{}, m, o), "disk on fire", "%+v", o)
		var b bytes.Buffer
		require.NoError(t, printMessage(&b, m, o))
	}
}

func TestSubscribeEndsWhenTheReaderOfThePipeGoes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the reader of a pipe is watched on Linux only")
	}
	_, srv := simBroker(t)
	for i := 1; i <= 5; i++ {
		r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/pipe", fmt.Sprintf("m%d", i))
		require.Equal(t, 0, r.code, r.stderr)
	}
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "/queue/pipe")
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &errb
	require.NoError(t, cmd.Start())
	require.NoError(t, pw.Close())
	// Every message is read: the queue is quiet, nothing more is written.
	lines := bufio.NewReader(pr)
	for i := 1; i <= 5; i++ {
		line, err := lines.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("m%d\n", i), line)
	}
	require.NoError(t, pr.Close())
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "subscribe did not end when the reader went; stderr: %s", errb.String())
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitReaderGone, ee.ExitCode())
	assert.Empty(t, errb.String())
}

func TestSubscribeWaitGivesUp(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--wait", "100ms", "/queue/empty")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "stomp: no message within --wait 100ms\n", r.stderr)
	assert.Empty(t, r.stdout)

	for _, body := range []string{"a", "b"} {
		r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/two", body)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "3", "--wait", "1s", "/queue/two")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Equal(t, "a\nb\n", r.stdout)
	assert.Equal(t, "stomp: no message within --wait 1s after 2 of the 3 asked for\n", r.stderr)
	eventually(t, "both messages acknowledged", func() bool { d, _ := b.Destination("/queue/two"); return d.Ready == 0 && d.Unacked == 0 })

	for _, body := range []string{"c", "d"} {
		r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/two", body)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r = stomp(t, "", "subscribe", "--server", srv, "--wait", "1s", "/queue/two")
	assert.Equal(t, 0, r.code, "without --count, going quiet is the end: %s", r.stderr)
	assert.Equal(t, "c\nd\n", r.stdout)
	assert.Empty(t, r.stderr)

	r = stomp(t, "", "subscribe", "--server", srv, "--wait", "-1s", "/queue/two")
	assert.Equal(t, exitUsage, r.code, r.stderr)
}

func TestSubscribeNullSeparatesBodies(t *testing.T) {
	_, srv := simBroker(t)
	r := stomp(t, "a\nb\n", "send", "--server", srv, "--receipt", "/queue/nul")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/nul", "c")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "-0", "/queue/nul")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "a\nb\n\x00c\x00", r.stdout, "each body as it is, then a NUL")
	r = stomp(t, "", "subscribe", "--server", srv, "--null", "--json", "/queue/nul")
	assert.Equal(t, exitUsage, r.code, r.stderr)
}
