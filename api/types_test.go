package api

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/stompactor/stompactor/actors"
	"github.com/stretchr/testify/assert"
)

func TestRedactHandler(t *testing.T) {
	var buf bytes.Buffer
	s := newClient(t, WithPassword("pa55word"), WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	l := s.logger.With("conn", "pa55word").WithGroup("g")
	l.Info("saw pa55word", "a", "pa55word", "err", errors.New("bad pa55word"),
		slog.Group("inner", "b", "pa55word"), "n", 3, "any", fmt.Stringer(nil))
	out := buf.String()
	assert.NotContains(t, out, "pa55word")
	assert.Contains(t, out, "<redacted>")
	assert.Contains(t, out, "n=3")
}

func TestTypesPrintWithoutSecrets(t *testing.T) {
	fw := Firewall{Type: FirewallSOCKS4A, Host: "h", Password: "fw-secret"}
	ssl := SSLSettings{CertStorePassword: "store-secret", CertEncoded: "abcd"}
	for _, text := range []string{fmt.Sprintf("%v %+v %#v %s", fw, fw, fw, fw), fmt.Sprintf("%v %+v %#v", ssl, ssl, ssl)} {
		assert.NotContains(t, text, "secret")
	}
	assert.Contains(t, fw.String(), "socks4a")
	for ft, name := range map[FirewallType]string{FirewallNone: "none", FirewallTunnel: "tunnel", FirewallSOCKS4: "socks4", FirewallSOCKS5: "socks5", 42: "FirewallType(42)"} {
		assert.Equal(t, name, ft.String())
	}
	assert.Equal(t, "passcode:<redacted>", Header{Key: "passcode", Value: "x"}.String())
	assert.Equal(t, "k:v", Header{Key: "k", Value: "v"}.String())
	assert.Equal(t, actors.FullBlock, FullBlock.engine())
	assert.Equal(t, actors.FullDrop, FullDrop.engine())
	assert.Equal(t, actors.FullError, FullError.engine())
}

func TestSubscriptionOrder(t *testing.T) {
	ids := []string{"sub-10", "zeta", "sub-2", "alpha", "sub-1"}
	sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
	assert.Equal(t, []string{"sub-1", "sub-2", "sub-10", "alpha", "zeta"}, ids)
}

func TestManualQueueDropsLowPriorityFirst(t *testing.T) {
	s := newClient(t, WithManualEvents())
	s.OnReadyToSend(func(*ReadyToSendEvent) {})
	s.OnLog(func(*LogEvent) {})
	for range eventQueueSize * 3 / 4 {
		s.post(&actors.ReadyToSendEvent{})
	}
	s.post(&actors.LogEvent{Message: "dropped"})
	assert.Equal(t, int64(1), s.EventsDropped())
	for range eventQueueSize / 4 {
		s.post(&actors.ReadyToSendEvent{})
	}
	s.post(&actors.ReadyToSendEvent{})
	assert.Equal(t, int64(2), s.EventsDropped(), "state events are dropped only when the queue is full")
}

// An event nobody handles is not queued: no queue, no goroutine.
func TestUnhandledEventsAreNotQueued(t *testing.T) {
	s := newClient(t, WithManualEvents())
	for range eventQueueSize * 2 {
		s.post(&actors.ReadyToSendEvent{})
		s.post(&actors.ConnectionStatusEvent{Status: "connected"})
	}
	assert.Nil(t, s.events.Load(), "a queue made for nothing")
	assert.Zero(t, s.EventsDropped())
	s.OnReadyToSend(func(*ReadyToSendEvent) {})
	s.post(&actors.ReadyToSendEvent{})
	s.post(&actors.ConnectionStatusEvent{Status: "connected"})
	q := s.events.Load()
	q.mu.Lock()
	queued := q.n
	q.mu.Unlock()
	assert.Equal(t, 1, queued, "the handled one only")
}

func TestSSLEventsRegister(t *testing.T) {
	s := newClient(t)
	s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) { e.Accept = true })
	s.OnSSLStatus(func(*SSLStatusEvent) {})
	h := s.handlersNow()
	assert.NotNil(t, h.sslAuth)
	assert.NotNil(t, h.sslStatus)
	s.OnSSLStatus(nil)
	assert.Nil(t, s.handlersNow().sslStatus)
}

// An inline CertStore holds the client's private key: SSLSettings.String
// (and so %v and %#v) must not print it.
func TestSSLSettingsStringHidesInlineKey(t *testing.T) {
	ca := newCA(t, "review CA")
	c := ca.issue(t, "client", true, false)
	store := c.certPEM + c.keyPEM
	keyBody := strings.Split(strings.TrimSpace(c.keyPEM), "\n")[1]
	ssl := SSLSettings{Enabled: true, CertStore: store}
	for _, out := range []string{ssl.String(), fmt.Sprintf("%v", ssl), fmt.Sprintf("%#v", ssl), fmt.Sprint(newClient(t, WithSSL(ssl)).SSL())} {
		assert.NotContains(t, out, keyBody)
		assert.NotContains(t, out, "PRIVATE KEY")
	}
	// A path is still shown.
	assert.Contains(t, SSLSettings{CertStore: "/etc/stomp/client.pem"}.String(), "/etc/stomp/client.pem")
}
