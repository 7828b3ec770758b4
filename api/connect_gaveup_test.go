package api

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// deadAddr is a loopback port nobody listens on (taken free, then closed).
func deadAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return "127.0.0.1", port
}

// codeOf is err's Code, or -1 when it is no *Error.
func codeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

// The error table: "202 ErrConnectFailed  the broker could not be
// reached", "203 ErrConnectionLost  the connection ended during the
// call". A Connect that never reached a broker is ErrConnectFailed with a
// Reconnect policy whose MaxAttempts ran out, as without one, so start-up
// code that checks errors.Is(err, ErrConnectFailed) keeps working when
// reconnecting is turned on; the message counts the attempts.
func TestConnectThatGaveUpReachingTheBrokerIsConnectFailed(t *testing.T) {
	h, p := deadAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	plain := newClient(t)
	errPlain := plain.ConnectContext(ctx, h, p)
	if !errors.Is(errPlain, ErrConnectFailed) {
		t.Fatalf("without Reconnect: %v, want ErrConnectFailed", errPlain)
	}

	s := newClient(t, WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxAttempts: 2}))
	err := s.ConnectContext(ctx, h, p)
	if !errors.Is(err, ErrConnectFailed) || codeOf(err) != CodeConnectFailed {
		t.Errorf("with Reconnect{MaxAttempts: 2}, a Connect that never reached the broker returned %v (code %d), want ErrConnectFailed (202)", err, codeOf(err))
	}
	if errors.Is(err, ErrConnectionLost) {
		t.Errorf("%v: no connection was ever up, so none was lost", err)
	}
	if err != nil && !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("%q does not count the attempts", err)
	}
}
