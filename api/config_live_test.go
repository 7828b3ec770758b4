package api

import (
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// liveSettings is doc.go's list of the settings that may change while
// connected: "Every setting but the read-only ones and A, B, ... and the
// Request...Receipts and AckTransactionId ones is read by Connect".
func liveSettings(t *testing.T) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)Every setting but the read-only ones and(.*?)is read by Connect`).FindStringSubmatch(configSection(t))
	require.NotNil(t, m, "doc.go no longer lists the settings that may change while connected")
	var live []string
	for _, word := range regexp.MustCompile(`[A-Z][A-Za-z.]+`).FindAllString(strings.ReplaceAll(m[1], "//", " "), -1) {
		pattern := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(word), `\.\.\.`, `\w*`) + "$")
		found := false
		for _, row := range settingsTable {
			if pattern.MatchString(row.name) {
				live, found = append(live, row.name), true
			}
		}
		require.True(t, found, "doc.go's list of settings that may change while connected names %s, which is no setting", word)
	}
	return live
}

// Connected, each setting Config reads and writes is written back with
// its own value: the ones doc.go lists are accepted, every other one is
// refused with ErrConnectedSetting.
func TestConfigChangeableWhileConnectedAsDocumented(t *testing.T) {
	live := liveSettings(t)
	s := connectTo(t, newBroker(t), "1.2")
	for _, row := range settingsTable {
		if row.get == nil || (row.set == nil && row.do == nil) {
			continue
		}
		v, err := s.Config(row.name)
		require.NoError(t, err, row.name)
		_, err = s.Config(row.name + "=" + v)
		if slices.Contains(live, row.name) {
			assert.NoError(t, err, "doc.go says %s may change while connected", row.name)
		} else {
			assert.ErrorIs(t, err, ErrConnectedSetting, "%s is not in doc.go's list of settings that may change while connected, yet it changed", row.name)
		}
	}
}

// AtLeastOnce and DedupHeader may change while connected: each send reads
// them. A message already in the outbox keeps what it was given: after
// AtLeastOnce is turned off and DedupHeader renamed, it is still sent
// again after a reconnect, with its first header and id, until its
// RECEIPT; the sends after each change follow the new values.
func TestAtLeastOnceAndDedupHeaderChangeWhileConnected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host, port := hostPort(t, ln.Addr().String())
	sends := make(chan *frames.Frame, 8)
	cut := make(chan struct{}) // closes the first connection
	served := make(chan struct{})
	go func() {
		defer close(served)
		for i := range 2 {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			serveSends(conn, i == 0, sends, cut)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case <-served:
		case <-time.After(wait):
			t.Error("the server did not finish")
		}
	})

	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(wait),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	require.NoError(t, s.Connect(host, port))
	_, err = s.Config("AtLeastOnce=true")
	require.NoError(t, err)
	_, err = s.Config("DedupHeader=x-first")
	require.NoError(t, err)
	outcome := make(chan error, 1)
	require.NoError(t, s.SendMessageAsync(t.Context(), "/queue/a", "kept", func(err error) { outcome <- err }))
	first := recv(t, sends)
	id := first.Header("x-first")
	require.NotEmpty(t, id, "the send after DedupHeader was set carries no id")
	require.NotEmpty(t, first.Header(frames.HdrReceipt))

	// The broker holds the RECEIPT; meanwhile both settings change.
	_, err = s.Config("DedupHeader=x-second")
	require.NoError(t, err)
	_, err = s.Config("AtLeastOnce=false")
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.Stats().Outbox)

	// The connection is lost: the client reconnects and sends the kept
	// message again, as it was.
	close(cut)
	again := recv(t, sends)
	assert.Equal(t, "kept", string(again.Body))
	assert.Equal(t, id, again.Header("x-first"), "a resent message lost its id")
	assert.False(t, again.Headers.Has("x-second"), "a message in the outbox took the new DedupHeader")
	require.NoError(t, recv(t, outcome), "the kept message was not confirmed")

	// AtLeastOnce off: a plain send, no receipt, no id.
	require.NoError(t, s.SendMessage("/queue/a", "plain"))
	plain := recv(t, sends)
	assert.Equal(t, "plain", string(plain.Body))
	assert.False(t, plain.Headers.Has(frames.HdrReceipt), "a send after AtLeastOnce=false asked for a receipt")
	assert.False(t, plain.Headers.Has("x-second"))

	// On again: the send waits for its RECEIPT and carries the new header.
	_, err = s.Config("AtLeastOnce=true")
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/a", "again"))
	last := recv(t, sends)
	assert.Equal(t, "again", string(last.Body))
	assert.NotEmpty(t, last.Header("x-second"))
	assert.False(t, last.Headers.Has("x-first"))
	assert.EqualValues(t, 0, s.Stats().Outbox)
	s.Close()
}

// serveSends answers CONNECT and hands on each SEND; on the first
// connection (hold) it confirms nothing and ends when cut closes, on the
// next it confirms every SEND that asks for a receipt.
func serveSends(conn net.Conn, hold bool, sends chan<- *frames.Frame, cut <-chan struct{}) {
	defer conn.Close()
	d := frames.NewDecoder(conn, frames.V12, frames.Limits{})
	if _, err := readFrame(d); err != nil { // CONNECT
		return
	}
	if _, err := conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00")); err != nil {
		return
	}
	if hold {
		ended := make(chan struct{})
		defer close(ended)
		go func() {
			select {
			case <-cut:
			case <-ended:
			}
			_ = conn.Close()
		}()
	}
	for {
		f, err := readFrame(d)
		if err != nil {
			return
		}
		if f.Command != frames.CmdSend {
			continue
		}
		sends <- f
		if r := f.Header(frames.HdrReceipt); r != "" && !hold {
			if _, err := conn.Write([]byte("RECEIPT\nreceipt-id:" + r + "\n\n\x00")); err != nil {
				return
			}
		}
	}
}
