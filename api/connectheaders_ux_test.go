package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The client's own CONNECT headers are refused in any case: "Host" or
// "ACCEPT-VERSION" is a mistake for the setting, never a header of its
// own.
func TestConnectHeadersOwnRefusedInAnyCase(t *testing.T) {
	for _, k := range []string{"Host", "ACCEPT-VERSION", "Passcode", "Login", "Heart-Beat"} {
		s := NewSTOMP(WithConnectHeader(k, "v"))
		err := s.Connect("127.0.0.1", 1)
		s.Close()
		require.ErrorIs(t, err, ErrInvalidArgument, k)
		s = newClient(t)
		_, err = s.Config("ConnectHeaders=" + k + ":v")
		require.ErrorIs(t, err, ErrInvalidArgument, k)
	}
}

// The ConnectHeaders setting trims the names of its headers, as setting
// names are trimmed around '=': "ConnectHeaders = client-id:app" sends
// client-id, not " client-id". The value is kept as given (STOMP reads a
// space after the colon as part of it).
func TestConnectHeadersSettingTrimsNames(t *testing.T) {
	s := newClient(t)
	_, err := s.Config("ConnectHeaders = client-id:app\n x-other :v w")
	require.NoError(t, err)
	v, err := s.Config("ConnectHeaders")
	require.NoError(t, err)
	require.Equal(t, "client-id:app\nx-other:v w", v)
}

// A setting Connect reads, changed while a Connect is under way but not
// connected yet (a Timeout 0 Connect waiting in the queue of calls), is
// refused with a message that says connecting, not connected.
func TestConnectTimeSettingRefusedWhileConnectingSaysConnecting(t *testing.T) {
	s := newClient(t)
	s.mu.Lock()
	s.connecting = true
	s.mu.Unlock()
	err := s.SetUser("someone")
	s.mu.Lock()
	s.connecting = false
	s.mu.Unlock()
	require.ErrorIs(t, err, ErrConnectedSetting)
	require.Contains(t, err.Error(), "while connecting")
	require.NotContains(t, err.Error(), "while connected")
}
