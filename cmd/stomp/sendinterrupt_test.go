package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

var sentSummary = regexp.MustCompile(`sent (\d+)/`)

// floodBroker is a simulator for a test that floods it (send --count
// 100000000) until a signal: it never stops reading its publishers.
// With the default WithMaxQueued (100000 ready messages) a test whose
// poll for "messages on the broker" runs late under load would signal a
// sender that has already written more than that: the simulator would
// stop reading every publishing connection, with no consumer to drain
// it, and neither confirm that sender's DISCONNECT nor read its end, nor
// take a message from the next sender (the flake of
// TestInterruptedSendCountsWhatTheBrokerGot when its subtests shared one
// simulator: 1 run in 400 under load). Each test gets its own.
func floodBroker(t *testing.T, opts ...sim.Option) (*sim.Broker, string) {
	return simBroker(t, append(opts, sim.WithMaxQueued(math.MaxInt32))...)
}

// interruptedSend runs send with args against b, interrupts it with sig
// once the broker has more than after messages on q, and returns the
// count the run's summary line claims as sent, what reached the broker,
// and stderr.
func interruptedSend(t *testing.T, b *sim.Broker, q string, after uint64, sig syscall.Signal, args ...string) (claimed, enqueued int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	if !within(20*time.Second, func() bool { d, _ := b.Destination(q); return d.Enqueued > after }) {
		// Where is the sender? SIGQUIT makes it print its goroutines.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_ = cmd.Wait()
		d, _ := b.Destination(q)
		t.Fatalf("the broker had %d messages on %s after 20s; the sender's stderr:\n%s", d.Enqueued, q, errb.String())
	}
	require.NoError(t, cmd.Process.Signal(sig))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung after %v; stderr: %s", sig, errb.String())
	require.Equal(t, 128+int(sig), cmd.ProcessState.ExitCode(), errb.String())
	// Once the broker has read the connection to its end, what it has is final.
	eventually(t, "the sender's connection gone", func() bool { return len(b.Connections()) == 0 })
	d, _ := b.Destination(q)
	m := sentSummary.FindStringSubmatch(errb.String())
	require.NotNil(t, m, "no summary line: %q", errb.String())
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n, int(d.Enqueued), errb.String()
}

// A signal while sending: the run says how far it got ("sent N/M") and
// ends with 128+the signal. That count is what a script resumes from. It
// must not count messages the broker never got (the client's queue is
// written and DISCONNECT's RECEIPT asked for before the run ends), and
// with --receipt a message sent whose RECEIPT had not come is said
// (not confirmed), not silently left out of a count the broker exceeds.
//
// Each subtest has a simulator of its own that never stops reading
// (floodBroker). "signalled late" plays a poll that comes late under
// load: the sender has written more than the default simulator's
// WithMaxQueued by the signal, and the claims still hold.
func TestInterruptedSendCountsWhatTheBrokerGot(t *testing.T) {
	for name, after := range map[string]uint64{"no receipts": 100, "no receipts, signalled late": sim.DefaultMaxQueued} {
		t.Run(name, func(t *testing.T) {
			b, srv := floodBroker(t)
			q := "/queue/int-plain"
			claimed, got, stderr := interruptedSend(t, b, q, after, syscall.SIGINT, "send", "--server", srv, "--count", "100000000", q, "x")
			assert.LessOrEqual(t, claimed, got, "the summary counts %d messages as sent, the broker got %d; stderr %q", claimed, got, stderr)
			assert.Regexp(t, `interrupted: \d+ sent, all confirmed by the broker's RECEIPT for DISCONNECT`, stderr)
			assert.Contains(t, stderr, fmt.Sprintf("interrupted: %d sent,", got), "the interrupted line counts what the broker got")
		})
	}
	t.Run("receipts", func(t *testing.T) {
		b, srv := floodBroker(t)
		q := "/queue/int-receipt"
		claimed, got, stderr := interruptedSend(t, b, q, 100, syscall.SIGTERM, "send", "--server", srv, "--receipt", "--count", "100000000", q, "x")
		if got != claimed {
			assert.Regexp(t, `(?i)unconfirmed|not confirmed|no receipt|receipt.*pending`, stderr,
				"the summary says %d sent, the broker got %d, and nothing says one was left unconfirmed", claimed, got)
		}
		assert.Regexp(t, `interrupted: \d+ confirmed, \d+ sent but not confirmed`, stderr)
	})
}

// send --lines with --receipt interrupted says how many lines went out, so
// a script can resume (an error, unlike a signal, says "after N messages
// sent"). The input stays open: the grace to read it to its end passes,
// then the run leaves.
func TestInterruptedSendLinesSaysHowFarItGot(t *testing.T) {
	b, srv := simBroker(t)
	q := "/queue/int-lines"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "send", "--server", srv, "--lines", "--receipt", q)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	for i := 0; i < 50; i++ {
		_, err := fmt.Fprintf(stdin, "line %d\n", i)
		require.NoError(t, err)
	}
	eventually(t, "lines on "+q, func() bool { d, _ := b.Destination(q); return d.Enqueued >= 50 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait()
	_ = stdin.Close()
	require.NoError(t, ctx.Err())
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode())
	assert.Regexp(t, `\b50\b`, errb.String(), "nothing says the 50 lines were sent")
	assert.Contains(t, errb.String(), "interrupted: 50 confirmed, 0 sent but not confirmed")
}

// The README's relay, `subscribe -0 --ack client A | send -0 --receipt B`,
// stopped by Ctrl-C (both processes get the signal): the messages
// subscribe acknowledged once written into the pipe, in the pipe or in
// send's read-ahead, are sent to B before send leaves (it reads its input
// to the end within its grace), so none is lost: each is on A or B.
// Small records fill the pipe with tens of thousands: those go out without
// a RECEIPT each once the signal came, confirmed by DISCONNECT's, or the
// grace would not be enough (RabbitMQ: about 4000 a second, each waiting
// for its RECEIPT).
func TestInterruptedRelayLosesNoAcknowledgedMessage(t *testing.T) {
	for name, c := range map[string]struct {
		total int
		body  string
	}{
		"512-byte bodies": {3000, strings.Repeat("x", 512)}, // the pipe and the read-ahead hold a few hundred
		"1-byte bodies":   {40000, "m"},                     // they hold all of them
	} {
		t.Run(name, func(t *testing.T) { relayInterrupted(t, c.total, c.body) })
	}
}

func relayInterrupted(t *testing.T, total int, body string) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "--count", strconv.Itoa(total), "/queue/relay-a", body)
	require.Equal(t, 0, r.code, r.stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	sub := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "-0", "--ack", "client", "/queue/relay-a")
	snd := exec.CommandContext(ctx, binary, "send", "--server", srv, "-0", "--receipt", "/queue/relay-b")
	var subErr, sndErr syncBuffer
	sub.Stdout, sub.Stderr = pw, &subErr
	snd.Stdin, snd.Stderr = pr, &sndErr
	require.NoError(t, sub.Start())
	require.NoError(t, snd.Start())
	require.NoError(t, pw.Close())
	require.NoError(t, pr.Close())
	eventually(t, "messages relayed", func() bool { d, _ := b.Destination("/queue/relay-b"); return d.Enqueued > 100 })
	// A terminal signals both at once, in no set order; send first here,
	// so that it cannot have read its input to the end and finished
	// before its own signal (exit 130 all the same, and nothing to say).
	require.NoError(t, snd.Process.Signal(syscall.SIGINT))
	require.NoError(t, sub.Process.Signal(syscall.SIGINT))
	_ = sub.Wait()
	_ = snd.Wait()
	require.NoError(t, ctx.Err(), "hung: subscribe %q, send %q", subErr.String(), sndErr.String())
	assert.Equal(t, exitInterrupted, snd.ProcessState.ExitCode(), sndErr.String())
	eventually(t, "both connections gone", func() bool { return len(b.Connections()) == 0 })
	a, _ := b.Destination("/queue/relay-a")
	got, _ := b.Destination("/queue/relay-b")
	t.Logf("A left %d, B got %d; send: %s", a.Ready+a.Unacked, got.Enqueued, sndErr.String())
	assert.GreaterOrEqual(t, a.Ready+a.Unacked+int(got.Enqueued), total, "messages lost between subscribe and send")
	assert.Contains(t, sndErr.String(), "interrupted: ")
}

// A second signal ends an interrupted send at once, during its grace
// (the input stays open, so the grace would last interruptGrace): the
// process dies of the signal, where the graceful end exits with 130.
func TestASecondSignalEndsAnInterruptedSendAtOnce(t *testing.T) {
	b, srv := simBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, in, errb := sendLinesAfterOne(ctx, t, b, srv, "/queue/second-signal")
	defer in.Close()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	// A signal that comes before the first one was taken is the first
	// one's again: signal until the process has gone.
	eventually(t, "the run ended by a second SIGINT", func() bool {
		select {
		case <-exited:
			return true
		default:
			_ = cmd.Process.Signal(syscall.SIGINT)
			return false
		}
	})
	require.NoError(t, ctx.Err())
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGINT || ws.ExitStatus() == exitInterrupted,
		"killed by the second SIGINT: %v; stderr %q", cmd.ProcessState, errb.String())
	assert.NotContains(t, errb.String(), "interrupted:", "the graceful end, which waits for the grace to pass, not the second signal's")
}

// timeout(1) signals its command, then its process group: the command
// gets one SIGTERM twice at once. That is one signal, not a second one
// that kills: send still leaves gracefully and says how far it got.
func TestOneSignalDeliveredTwiceStillEndsSendGracefully(t *testing.T) {
	b, srv := floodBroker(t)
	q := "/queue/int-twice"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "send", "--server", srv, "--count", "100000000", q, "x")
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	eventually(t, "messages on "+q, func() bool { d, _ := b.Destination(q); return d.Enqueued > 100 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err())
	assert.Equal(t, exitTerminated, cmd.ProcessState.ExitCode(), errb.String())
	assert.Contains(t, errb.String(), "interrupted: ")
}

// An interrupted --lines or --null run cut before the end of its input
// says, on its one stderr line, that the records not yet read were not
// sent (with --reconnect a round trip a record, or an outage, often keeps
// the grace from reaching the end).
func TestInterruptedLineSaysTheUnreadInputWasNotSent(t *testing.T) {
	line := interruptedLine(interruption{receipt: true, reconnect: true, sent: 4, unconfirmed: 1, unread: true}, nil)
	assert.Equal(t, "interrupted: 4 confirmed, 1 sent but not confirmed (may or may not have arrived); the input not yet read was not sent", line)
	assert.NotContains(t, interruptedLine(interruption{receipt: true, sent: 4}, nil), "not yet read")
}

// With a window, the interrupted line names the first message not
// confirmed, where a script resumes (messages after it may be among the
// confirmed); not in a transaction, where none counts.
func TestInterruptedLineNamesTheFirstUnconfirmed(t *testing.T) {
	line := interruptedLine(interruption{receipt: true, sent: 264, unconfirmed: 3, firstUnconfirmed: 10}, errString("stomp: no receipt"))
	assert.Equal(t, "interrupted: 264 confirmed, 3 sent but not confirmed (may or may not have arrived); the first not confirmed is message 10", line)
	assert.NotContains(t, interruptedLine(interruption{receipt: true, sent: 4}, nil), "first not confirmed")
	assert.NotContains(t, interruptedLine(interruption{receipt: true, transaction: "t", sent: 4, firstUnconfirmed: 2}, nil), "first not confirmed")
}
