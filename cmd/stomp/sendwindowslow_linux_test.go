package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pacedReader lets at most chunk bytes through per tick: a broker on a
// slow link, whose pace the test sets (not the machine's load: a busy
// machine only makes it slower).
type pacedReader struct {
	c      net.Conn
	tick   <-chan time.Time
	chunk  int
	budget int
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.budget == 0 {
		<-p.tick
		p.budget = p.chunk
	}
	n, err := p.c.Read(b[:min(len(b), p.budget)])
	p.budget -= n
	return n, err
}

// slowBroker is a broker of one connection that reads at the pace of a
// pacedReader, from a socket with a small receive buffer (so the client's
// writes wait for it). It answers CONNECT, DISCONNECT and, when confirm
// is set, each SEND's receipt once the frame's last byte was read.
// sendEnd gets the time each SEND's last byte was read.
func slowBroker(t *testing.T, tick time.Duration, chunk int, confirm bool) (addr string, sendEnd <-chan time.Time) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ends := make(chan time.Time, 16)
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		br := bufio.NewReaderSize(&pacedReader{c: c, tick: ticker.C, chunk: chunk}, 4096)
		for {
			cmd, headers, err := readFrameHead(br)
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(headers["content-length"])
			if _, err := br.Discard(n); err != nil {
				return
			}
			if b, err := br.ReadByte(); err != nil || b != 0 {
				return
			}
			switch cmd {
			case "CONNECT", "STOMP":
				_, _ = c.Write([]byte("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"))
			case "SEND":
				ends <- time.Now()
				if confirm && headers["receipt"] != "" {
					_, _ = c.Write([]byte("RECEIPT\nreceipt-id:" + headers["receipt"] + "\n\n\x00"))
				}
			case "DISCONNECT":
				_, _ = c.Write([]byte("RECEIPT\nreceipt-id:" + headers["receipt"] + "\n\n\x00"))
				return
			}
		}
	}()
	return ln.Addr().String(), ends
}

// readFrameHead reads a frame's command and headers (heart-beat EOLs
// before it skipped).
func readFrameHead(br *bufio.Reader) (string, map[string]string, error) {
	var cmd string
	for cmd == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		cmd = strings.TrimRight(line, "\r\n")
	}
	headers := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return cmd, headers, nil
		}
		k, v, _ := strings.Cut(line, ":")
		if _, ok := headers[k]; !ok {
			headers[k] = v
		}
	}
}

// A large message whose write keeps going on a slow link has --timeout
// for its RECEIPT from its last byte, with a window as one at a time: the
// broker here takes 32 KiB every 10 ms, so the 8 MiB body takes at least
// 2.5 s to write (as the broker's clock shows), past a --timeout of 1 s
// while never pausing for more than a hundredth of it. With the window
// the run failed ("no RECEIPT within 1s", message 1 not confirmed): its
// timer counted from the send, not from the write's progress.
func TestSendWindowTimeoutCountsFromTheWritesProgress(t *testing.T) {
	const timeout = time.Second
	body := filepath.Join(t.TempDir(), "body")
	require.NoError(t, os.WriteFile(body, bytes.Repeat([]byte("x"), 8<<20), 0o644))
	for _, window := range []string{"256", "1"} {
		t.Run("window "+window, func(t *testing.T) {
			addr, ends := slowBroker(t, 10*time.Millisecond, 32<<10, true)
			start := time.Now()
			r := stomp(t, "", "send", "--server", "stomp://"+addr, "--receipt", "--window", window, "--timeout", timeout.String(),
				"--config", "OutBufferSize=65536", "--file", body, "/queue/slow")
			require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
			var end time.Time
			select {
			case end = <-ends:
			default:
				t.Fatal("the broker read no SEND")
			}
			// The scenario: the write lasted well past --timeout.
			assert.Greater(t, end.Sub(start), 2*timeout, "the write took longer than --timeout")
		})
	}
}

// The timeout still ends a run whose broker never confirms: once the
// large message's last byte was written the run fails, naming the
// timeout, well within a generous bound (it did not wait on for ever,
// heart-beats or no).
func TestSendWindowTimeoutStillEndsAnUnconfirmedLargeMessage(t *testing.T) {
	const timeout = time.Second
	body := filepath.Join(t.TempDir(), "body")
	require.NoError(t, os.WriteFile(body, bytes.Repeat([]byte("x"), 4<<20), 0o644))
	addr, ends := slowBroker(t, 10*time.Millisecond, 32<<10, false)
	r := stomp(t, "", "send", "--server", "stomp://"+addr, "--receipt", "--timeout", timeout.String(),
		"--config", "OutBufferSize=65536", "--config", "DisconnectTimeout=1", "--file", body, "/queue/slow")
	exited := time.Now()
	assert.Equal(t, exitFailure, r.code, "stderr:\n%s", r.stderr)
	assert.Contains(t, r.stderr, "no RECEIPT within 1s")
	select {
	case end := <-ends:
		assert.Less(t, exited.Sub(end), 20*timeout, "the run ended within a bound of the last byte")
	default:
		t.Fatal("the broker read no SEND")
	}
}
