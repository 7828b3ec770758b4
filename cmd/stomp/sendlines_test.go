package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// Each line is a message, its newline (LF or CRLF) left out and nothing
// else: a carriage return elsewhere and an empty line are kept, and a
// last line without its newline is sent too.
func TestSendLinesSendsEachLineAsAMessage(t *testing.T) {
	_, srv := simBroker(t)
	r := stomp(t, "a\nb\r\n\nc\rd\nlast", "send", "--server", srv, "--lines", "/queue/lines")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "5", "--null", "/queue/lines")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "a\x00b\x00\x00c\rd\x00last\x00", r.stdout)
}

// What subscribe -0 prints, send -0 sends again, body for body, newlines
// inside them included.
func TestSendNullTakesWhatSubscribeNullPrints(t *testing.T) {
	_, srv := simBroker(t)
	r := stomp(t, "one\ntwo\x00three\x00", "send", "--server", srv, "-0", "--receipt", "/queue/nul-a")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "-0", "/queue/nul-a")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "one\ntwo\x00three\x00", r.stdout)
	r = stomp(t, r.stdout, "send", "--server", srv, "--null", "/queue/nul-b")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "--json", "/queue/nul-b")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"body":"one\ntwo"`)
	assert.Contains(t, r.stdout, `"body":"three"`)
}

func TestSendLinesRefusesWhatContradictsIt(t *testing.T) {
	_, srv := simBroker(t)
	for _, args := range [][]string{
		{"--lines", "/queue/x", "BODY"},
		{"--lines", "--count", "2", "/queue/x"},
		{"--lines", "--null", "/queue/x"},
		{"-0", "--count", "1", "/queue/x"},
	} {
		r := stomp(t, "a\n", append([]string{"send", "--server", srv}, args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
	}
	r := stomp(t, "", "send", "--server", srv, "--lines", "/queue/lines-empty")
	assert.Equal(t, 0, r.code, "an empty input sends nothing: %s", r.stderr)
}

// A line is sent as soon as it is read, while the input is still open:
// `tail -f log | stomp send --lines Q` publishes as the log grows.
func TestSendLinesSendsALineBeforeTheInputEnds(t *testing.T) {
	b, srv := simBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, in, errb := sendLinesAfterOne(ctx, t, b, srv, "/queue/stream")
	_, err := io.WriteString(in, "second\n")
	require.NoError(t, err)
	require.NoError(t, in.Close())
	require.NoError(t, cmd.Wait(), errb.String())
	d, _ := b.Destination("/queue/stream")
	assert.EqualValues(t, 2, d.Enqueued)
}

// A signal ends a run that waits for its next line, as any other run,
// with 128 plus its number, and the lines read before it sent: once the
// grace to read the input to its end has passed (the pipe stays open
// here), it leaves, and says how many it sent and that the input not yet
// read was not sent.
func TestSendLinesEndsOnASignalWhileWaitingForInput(t *testing.T) {
	b, srv := simBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, in, errb := sendLinesAfterOne(ctx, t, b, srv, "/queue/waiting")
	defer in.Close()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	require.NoError(t, ctx.Err(), "hung waiting for input after SIGTERM; stderr: %s", errb.String())
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitTerminated, ee.ExitCode())
	assert.Equal(t, "stomp: interrupted: 1 sent, all confirmed by the broker's RECEIPT for DISCONNECT; the input not yet read was not sent\n", errb.String())
}

// sendLinesAfterOne starts `stomp send --lines dest` with a pipe for its
// standard input, and returns once its first line reached the broker.
func sendLinesAfterOne(ctx context.Context, t *testing.T, b *sim.Broker, srv, dest string) (*exec.Cmd, io.WriteCloser, *syncBuffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, "send", "--server", srv, "--lines", dest)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	errb := &syncBuffer{}
	cmd.Stderr = errb
	require.NoError(t, cmd.Start())
	_, err = io.WriteString(in, "first\n")
	require.NoError(t, err)
	eventually(t, "the first line sent", func() bool { d, _ := b.Destination(dest); return d.Enqueued == 1 })
	return cmd, in, errb
}

func TestRecordReader(t *testing.T) {
	rr := newRecordReader(strings.NewReader("x\x00\x00yz"), 0)
	var got []string
	for {
		rec, ok, err := rr.next()
		require.NoError(t, err)
		if !ok {
			break
		}
		got = append(got, string(rec))
	}
	assert.Equal(t, []string{"x", "", "yz"}, got)

	long := io.LimitReader(repeatByte('a'), maxRecord+1)
	rr = newRecordReader(io.MultiReader(strings.NewReader("ok\n"), long, strings.NewReader("\n")), '\n')
	rec, ok, err := rr.next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "ok", string(rec))
	_, _, err = rr.next()
	assert.ErrorContains(t, err, "record 2 is longer than 64 MiB")
}

// repeatByte reads as an endless run of one byte.
type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// failingInput reads as its text, then fails.
type failingInput struct{ r io.Reader }

func (f *failingInput) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("input device error")
	}
	return n, err
}

// A run whose input fails says how far it got, and, in a transaction,
// that nothing it sent is delivered: the transaction is aborted, not
// committed.
func TestSendLinesSaysHowFarItGotWhenItsInputFails(t *testing.T) {
	b, srv := simBroker(t)
	for _, tx := range []string{"", "t1"} {
		dest := "/queue/lines-input-error" + tx
		args := []string{"send", "--server", srv, "--lines", "--receipt", dest}
		if tx != "" {
			args = append(args, "--transaction", tx)
		}
		var out, errb bytes.Buffer
		code := run(args, &failingInput{r: strings.NewReader("one\ntwo\n")}, &out, &errb)
		require.Equal(t, exitFailure, code, errb.String())
		assert.Contains(t, errb.String(), "input device error")
		d, _ := b.Destination(dest)
		if tx == "" {
			assert.Contains(t, errb.String(), "after 2 messages sent: ")
			assert.EqualValues(t, 2, d.Enqueued)
		} else {
			assert.Contains(t, errb.String(), "after 2 messages sent in transaction t1, not committed (none of them is delivered)")
			assert.Zero(t, d.Enqueued)
		}
	}
}

// A run whose send fails says how many records went before it, so that a
// run again can skip them. One at a time (--window 1) that is exactly the
// two whose RECEIPT came before the broker dropped the connection. With a
// window, all five are written at once and the two RECEIPTs may be lost
// with the connection (a reset discards what the client had not read
// yet): the count is then at most two, never more than the broker has,
// and the message named is the one after it.
func TestSendLinesSaysHowManyWentBeforeASendFailed(t *testing.T) {
	for _, window := range []string{"1", "256"} {
		t.Run("window "+window, func(t *testing.T) {
			b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "cut", Kind: sim.DropConn, OnCommand: frames.CmdReceipt, Nth: 3}}))
			r := stomp(t, "1\n2\n3\n4\n5\n", "send", "--server", srv, "--lines", "--receipt", "--window", window, "/queue/lines-cut")
			require.Equal(t, exitFailure, r.code, r.stderr)
			d, _ := b.Destination("/queue/lines-cut")
			assert.GreaterOrEqual(t, d.Enqueued, uint64(2))
			if window == "1" {
				assert.Contains(t, r.stderr, "after 2 messages sent: ")
				return
			}
			m := regexp.MustCompile(`after (\d+) messages sent: message (\d+) not confirmed`).FindStringSubmatch(r.stderr)
			require.NotNil(t, m, r.stderr)
			claimed, _ := strconv.Atoi(m[1])
			named, _ := strconv.Atoi(m[2])
			assert.LessOrEqual(t, claimed, 2, r.stderr)
			assert.LessOrEqual(t, uint64(claimed), d.Enqueued, r.stderr)
			assert.Equal(t, claimed+1, named, r.stderr)
		})
	}
}

// The limit of a record holds for a last record without its end too.
func TestALastRecordWithoutItsEndKeepsTheLimit(t *testing.T) {
	_, _, err := newRecordReader(io.LimitReader(repeatByte('a'), maxRecord+1), '\n').next()
	require.ErrorContains(t, err, "longer than 64 MiB")
	rec, ok, err := newRecordReader(io.LimitReader(repeatByte('a'), maxRecord), '\n').next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, rec, maxRecord)
}

// A run that a server ERROR stops says how far it got too, and in a
// transaction that nothing it sent is delivered.
func TestSendLinesSaysHowFarItGotWhenTheServerRefuses(t *testing.T) {
	for _, tx := range []string{"", "t1"} {
		_, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "refuse", Kind: sim.SendError, OnCommand: frames.CmdReceipt, Nth: 3, Message: "refused"}}))
		args := []string{"send", "--server", srv, "--lines", "--receipt", "/queue/lines-err"}
		if tx != "" {
			args = append(args, "--transaction", tx)
		}
		r := stomp(t, "1\n2\n3\n4\n5\n", args...)
		require.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "messages sent", "tx=%q", tx)
		if tx != "" {
			assert.Contains(t, r.stderr, "not committed (none of them is delivered)", "tx=%q", tx)
		}
	}
}

// send --lines: "each line of standard input ... is a message of its own,
// its newline left out". A CRLF file (a Windows export, an HTTP log) is
// lines too: one carriage return right before the newline is part of it,
// as Go's bufio.ScanLines and Python's splitlines take it. Only one: a
// record "a\r\r\n" is "a\r". -0 records keep every byte.
func TestSendLinesLeavesOutACRLFNewline(t *testing.T) {
	srv := newSim(t)
	for name, c := range map[string]struct {
		in   string
		args []string
		want []string
	}{
		"--lines CRLF":       {"a\r\nb\r\n", []string{"--lines"}, []string{"a", "b"}},
		"--lines mixed":      {"a\nb\r\nc\r\r\nd\re\n", []string{"--lines"}, []string{"a", "b", "c\r", "d\re"}},
		"-0 keeps CR and LF": {"a\r\n\x00b\r\x00", []string{"-0"}, []string{"a\r\n", "b\r"}},
	} {
		t.Run(name, func(t *testing.T) {
			q := "/queue/crlf-" + strings.ReplaceAll(name, " ", "-")
			r := stomp(t, c.in, append(append([]string{"send", "--server", srv}, c.args...), q)...)
			require.Equal(t, 0, r.code, r.stderr)
			r = stomp(t, "", "subscribe", "--server", srv, "--count", strconv.Itoa(len(c.want)), "--json", q)
			require.Equal(t, 0, r.code, r.stderr)
			var bodies []string
			for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var m jsonMessage
				require.NoError(t, json.Unmarshal([]byte(l), &m))
				bodies = append(bodies, m.Body)
			}
			assert.Equal(t, c.want, bodies)
		})
	}
}
