package api

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// earlyReceiptBroker answers CONNECT, reads the headers of the first
// frame that asks for a receipt (a SEND), answers its RECEIPT at once,
// before reading its body, and then runs then with the body's length
// still to read (content-length, and the NUL after it).
func earlyReceiptBroker(t *testing.T, then func(conn net.Conn, r *bufio.Reader, rest int64)) *scripted {
	return newScripted(t, func(conn net.Conn, _ *frames.Decoder) {
		r := bufio.NewReader(conn)
		// CONNECT: up to its NUL.
		if _, err := r.ReadString(0); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		// The SEND's headers only.
		rid, length, err := readSendHeaders(r)
		if err != nil {
			return
		}
		_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + rid + "\n\n\x00"))
		then(conn, r, length+1)
	})
}

// readSendHeaders reads a receipted SEND's command and headers, up to the
// blank line, and returns its receipt id and content-length (-1 when it
// has none).
func readSendHeaders(r *bufio.Reader) (rid string, length int64, err error) {
	length = -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", 0, err
		}
		h := strings.TrimRight(line, "\r\n")
		if v, ok := strings.CutPrefix(h, "receipt:"); ok {
			rid = v
		}
		if v, ok := strings.CutPrefix(h, "content-length:"); ok {
			length, _ = strconv.ParseInt(v, 10, 64)
		}
		if h == "" && rid != "" {
			return rid, length, nil
		}
	}
}

// A broker that answers a SEND's receipt after reading only its headers,
// and then stops reading: the RECEIPT reached the client while the client
// was still writing the frame, so it cannot be the broker's answer to the
// whole frame. It is held until the frame's last byte is written, which
// never happens: the send is not confirmed.
func TestReceiptBeforeTheFrameIsWrittenDoesNotConfirm(t *testing.T) {
	gotResult := make(chan struct{})
	srv := earlyReceiptBroker(t, func(net.Conn, *bufio.Reader, int64) {
		select {
		case <-gotResult:
		case <-time.After(wait):
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithRequestReceipts(true), WithTimeout(time.Second))
	require.NoError(t, s.Connect(srv.host, srv.port))
	big := make([]byte, 32<<20) // more than the socket buffers hold
	err := s.SendData("/q", big)
	close(gotResult)
	require.Error(t, err, "confirmed by a RECEIPT that came while the frame was still being written: the broker never read its body")
	require.True(t, errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrReceiptTimeout),
		"not confirmed, and said so: %v", err)
}

// The same with AtLeastOnce: the early RECEIPT does not take the message
// out of the outbox (done(nil)) while its body is still being written.
func TestEarlyReceiptLeavesTheMessageInTheOutbox(t *testing.T) {
	gotResult := make(chan struct{})
	srv := earlyReceiptBroker(t, func(net.Conn, *bufio.Reader, int64) {
		select {
		case <-gotResult:
		case <-time.After(wait):
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithAtLeastOnce(AtLeastOnce{Enabled: true}), WithTimeout(5*time.Second))
	require.NoError(t, s.Connect(srv.host, srv.port))
	done := make(chan error, 1)
	require.NoError(t, s.SendDataAsync(t.Context(), "/q", make([]byte, 32<<20), func(err error) { done <- err }))
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Second):
		err = errTimeoutForTest
	}
	outbox := s.Stats().Outbox
	close(gotResult)
	if err == errTimeoutForTest {
		require.EqualValues(t, 1, outbox, "still in the outbox: held")
		return
	}
	require.Error(t, err, "done(nil): the outbox let go of a message whose body the broker never read (Outbox now %d)", outbox)
}

var errTimeoutForTest = &Error{Code: CodeTimeout, Message: "test: no done yet"}

// A broker that answers once it read the headers, and then reads the
// rest of the frame, has the whole frame: its early RECEIPT, held while
// the frame was being written, confirms it once the write ended. (A fast
// broker on a fast link does the same legitimately: it reads the frame
// and answers before the client's write returned.)
func TestEarlyReceiptConfirmsOnceTheFrameIsWritten(t *testing.T) {
	srv := earlyReceiptBroker(t, func(conn net.Conn, r *bufio.Reader, rest int64) {
		if _, err := io.CopyN(io.Discard, r, rest); err != nil {
			return
		}
		// Then DISCONNECT, answered.
		d := frames.NewDecoder(r, frames.V12, frames.Limits{})
		for {
			f, err := readFrame(d)
			if err != nil {
				return
			}
			if f.Command == frames.CmdDisconnect {
				_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + f.Header("receipt") + "\n\n\x00"))
				return
			}
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithRequestReceipts(true), WithTimeout(10*time.Second))
	require.NoError(t, s.Connect(srv.host, srv.port))
	require.NoError(t, s.SendData("/q", make([]byte, 8<<20)), "the broker read the whole frame: its RECEIPT confirms it")
	require.Zero(t, s.Stats().ReceiptsPending)
	require.NoError(t, s.Disconnect())
}

// A broker that answers after the headers and then hangs up, 2 MiB of
// the 32 MiB body read (the rest cannot all be in the socket buffers):
// the write fails mid-frame, so the held RECEIPT confirms nothing, and
// the call hears that its outcome is unknown.
func TestEarlyReceiptThenHangUpIsNotConfirmed(t *testing.T) {
	srv := earlyReceiptBroker(t, func(conn net.Conn, r *bufio.Reader, rest int64) {
		_, _ = io.CopyN(io.Discard, r, min(rest/2, 2<<20))
		// Resets rather than a FIN with the unread bytes: the client's
		// write fails at once.
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithRequestReceipts(true), WithTimeout(10*time.Second))
	require.NoError(t, s.Connect(srv.host, srv.port))
	err := s.SendData("/q", make([]byte, 32<<20))
	require.Error(t, err, "confirmed by a RECEIPT though the frame's write failed")
	require.True(t, errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrConnectionLost), "%v", err)
}

// The same with AtLeastOnce and Reconnect: the message whose write failed
// mid-frame after its early RECEIPT stays in the outbox and is sent again
// on the next connection, where the broker confirms the whole frame.
func TestEarlyReceiptThenHangUpResendsTheOutboxMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host, p, _ := net.SplitHostPort(ln.Addr().String())
	port, _ := strconv.Atoi(p)
	resent := make(chan int, 1)
	served := make(chan struct{})
	go func() {
		defer close(served)
		// The first connection: RECEIPT after the headers, then a
		// reset 2 MiB into the body.
		c1, err := ln.Accept()
		if err != nil {
			return
		}
		r := bufio.NewReader(c1)
		if _, err := r.ReadString(0); err == nil {
			_, _ = c1.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
			if rid, length, err := readSendHeaders(r); err == nil {
				_, _ = c1.Write([]byte("RECEIPT\nreceipt-id:" + rid + "\n\n\x00"))
				_, _ = io.CopyN(io.Discard, r, min(length/2, 2<<20))
			}
		}
		if tc, ok := c1.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c1.Close()
		// The next: whole frames, answered once read.
		c2, err := ln.Accept()
		if err != nil {
			return
		}
		defer c2.Close()
		d := frames.NewDecoder(bufio.NewReader(c2), frames.V12, frames.Limits{MaxFrame: 64 << 20, MaxBody: 64 << 20})
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = c2.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		for {
			f, err := readFrame(d)
			if err != nil {
				return
			}
			if f.Command == frames.CmdSend {
				resent <- len(f.Body)
			}
			if r := f.Header("receipt"); r != "" {
				_, _ = c2.Write([]byte("RECEIPT\nreceipt-id:" + r + "\n\n\x00"))
			}
			if f.Command == frames.CmdDisconnect {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case <-served:
		case <-time.After(wait):
			t.Error("the broker did not finish")
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(10*time.Second),
		WithAtLeastOnce(AtLeastOnce{Enabled: true}),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxAttempts: 5}))
	require.NoError(t, s.Connect(host, port))
	done := make(chan error, 1)
	const size = 32 << 20
	require.NoError(t, s.SendDataAsync(t.Context(), "/q", make([]byte, size), func(err error) { done <- err }))
	require.Equal(t, size, recv(t, resent), "sent again, whole, on the next connection")
	require.NoError(t, recv(t, done), "confirmed by the RECEIPT of the whole frame")
	require.Zero(t, s.Stats().Outbox)
	require.NoError(t, s.Disconnect())
}
