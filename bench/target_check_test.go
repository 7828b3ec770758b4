package bench

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// TestTargetCheckRefusesWhatCONNECTCannotCarry: a Target whose login,
// passcode or virtual host holds a line feed, a carriage return or a NUL
// byte is refused with a *TargetError naming the field (not quoting the
// value), by Check, Run and MeasureConns, before anything is dialed.
func TestTargetCheckRefusesWhatCONNECTCannotCarry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	addr := ln.Addr().String()
	for _, c := range []struct {
		field string
		t     Target
	}{
		{"Login", Target{Addr: addr, Login: "bob\x00SEND\ndestination:/queue/evil\n\nboom"}},
		{"Passcode", Target{Addr: addr, Login: "bob", Passcode: "pw\nx-injected:1"}},
		{"Passcode", Target{Addr: addr, Passcode: "pw\rx"}},
		{"VHost", Target{Addr: addr, VHost: "/\nx-injected:1"}},
	} {
		for name, run := range map[string]func() error{
			"Check": c.t.Check,
			"Run": func() error {
				_, err := Run(context.Background(), Config{Broker: &c.t, Scenarios: []string{"publish"}, Sizes: []int{0}, Messages: 1, Timeout: 2 * time.Second})
				return err
			},
			"MeasureConns raw": func() error {
				_, err := MeasureConns(context.Background(), &c.t, ConnsParams{N: 1, Fanout: 1, Timeout: 2 * time.Second}, true)
				return err
			},
			"MeasureConns": func() error {
				_, err := MeasureConns(context.Background(), &c.t, ConnsParams{N: 1, Fanout: 1, Timeout: 2 * time.Second}, false)
				return err
			},
		} {
			err := run()
			var te *TargetError
			if assert.ErrorAs(t, err, &te, "%s %s", name, c.field) {
				assert.Equal(t, c.field, te.Field, name)
				var se *frames.SyntaxError
				assert.True(t, errors.As(err, &se), name)
				assert.NotContains(t, err.Error(), "injected", name)
				assert.NotContains(t, err.Error(), "evil", name)
			}
		}
	}
	select {
	case <-accepted:
		t.Fatal("a refused target was dialed")
	default:
	}
	// A target that CONNECT can carry passes, its values as they are.
	assert.NoError(t, (&Target{Addr: addr, Login: "bob", Passcode: "p:w\\é", VHost: "/"}).Check())
	wire, err := (&Target{Login: "bob", Passcode: "pw"}).rawConnect()
	require.NoError(t, err)
	assert.Equal(t, "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\nlogin:bob\npasscode:pw\n\n\x00", wire)
}
