package api

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigSettings(t *testing.T) {
	cases := []struct {
		name, def, set, want, bad string
	}{
		{"AckTransactionId", "", "tx9", "tx9", "a\nb"},
		{"CollapseHeaders", "true", "false", "false", "maybe"},
		{"LogLevel", "1", "3", "3", "4"},
		{"RequestAckReceipts", "false", "true", "true", "2"},
		{"RequestSubscriptionReceipts", "false", "1", "true", "x"},
		{"RequestTransactionReceipts", "false", "TRUE", "true", "x"},
		{"SupportedVersions", "1.0,1.1,1.2", "1.2, 1.1", "1.2,1.1", "2.0"},
		{"VirtualHost", "", "/", "/", "a\rb"},
		{"ConnectionTimeout", "0", "30", "30", "-1"},
		{"AbsoluteTimeout", "false", "true", "true", "yes please"},
		{"ProcessIdleEvents", "true", "false", "false", "x"},
		{"SelectWaitMillis", "20", "250", "250", "soon"},
		{"FirewallAutoDetect", "false", "true", "true", "x"},
		{"FirewallHost", "", "proxy.local", "proxy.local", "two words"},
		{"FirewallPassword", "", "pw", "pw", ""},
		{"FirewallPort", "0", "1080", "1080", "65536"},
		{"FirewallType", "0", "3", "3", "7"},
		{"FirewallUser", "", "me", "me", ""},
		// Before the durations, which turn it on (keepalive_test.go).
		{"TCPKeepAlive", "false", "true", "true", "x"},
		{"KeepAliveInterval", "0", "1000", "1000", "-5"},
		{"KeepAliveTime", "0", "2000", "2000", "x"},
		{"Linger", "true", "false", "false", "x"},
		{"LingerTime", "0", "5", "5", "x"},
		{"LocalHost", "", "127.0.0.1", "127.0.0.1", "a b"},
		{"LocalPort", "0", "40000", "40000", "-1"},
		{"MaxLineLength", "102400", "4096", "4096", "0"},
		{"MaxTransferRate", "0", "1000000", "1000000", "-1"},
		{"TcpNoDelay", "true", "false", "false", "x"},
		{"UseIPv6", "auto", "NEVER", "never", "sometimes"},
		{"InBufferSize", "0", "65536", "65536", "-1"},
		{"OutBufferSize", "0", "65536", "65536", "big"},
	}
	s := newClient(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.Config(c.name)
			require.NoError(t, err)
			assert.Equal(t, c.def, got, "default")
			out, err := s.Config(c.name + "=" + c.set)
			require.NoError(t, err)
			assert.Equal(t, "", out)
			got, err = s.Config(strings.ToUpper(c.name))
			require.NoError(t, err, "names are case-insensitive")
			assert.Equal(t, c.want, got)
			if c.bad != "" {
				_, err = s.Config(c.name + "=" + c.bad)
				assert.ErrorIs(t, err, ErrInvalidArgument, "value %q", c.bad)
				got, _ = s.Config(c.name)
				assert.Equal(t, c.want, got, "a bad value changes nothing")
			}
		})
	}
}

func TestConfigReadOnlyWriteOnlyUnknown(t *testing.T) {
	s := newClient(t)
	for _, name := range []string{"ErrorHeaders", "OpenTransactions", "ProtocolVersion", "ServerInfo", "SessionId"} {
		got, err := s.Config(name)
		require.NoError(t, err, name)
		assert.Equal(t, "", got, name+" is empty when not connected")
		_, err = s.Config(name + "=x")
		assert.ErrorIs(t, err, ErrSettingAccess, name)
	}
	_, err := s.Config("SendCustomFrame")
	assert.ErrorIs(t, err, ErrSettingAccess)
	_, err = s.Config("SendCustomFrame=0a")
	assert.ErrorIs(t, err, ErrNotConnected)
	_, err = s.Config("NoSuchSetting")
	assert.ErrorIs(t, err, ErrUnknownSetting)
	_, err = s.Config("NoSuchSetting=1")
	assert.ErrorIs(t, err, ErrUnknownSetting)
	_, err = s.Config("SSLProvider=x")
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = s.Config("")
	assert.ErrorIs(t, err, ErrUnknownSetting)
}

// Options, properties and Config write one field: each sees the others.
func TestOneValuePerSetting(t *testing.T) {
	s := newClient(t,
		WithRemoteHost("h"), WithRemotePort(1234), WithUser("u"), WithPassword("pw"),
		WithContentType("text/x"), WithHeader("a", "1"), WithIncomingHeartbeat(1500*time.Millisecond),
		WithOutgoingHeartbeat(2*time.Second), WithRequestReceipts(true), WithTimeout(1500*time.Millisecond),
		WithTransactionID("t"), WithLocalHost("127.0.0.1"), WithLocalPort(5000),
		WithFirewall(Firewall{Type: FirewallTunnel, Host: "fw", Port: 8080, User: "fu", Password: "fp"}),
		WithSSL(SSLSettings{Enabled: true, CertStore: "store", CertStoreType: CertStorePEMFile, CertSubject: "*"}),
		WithAckTransactionID("at"), WithCollapseHeaders(false), WithLogLevel(2),
		WithRequestAckReceipts(true), WithRequestSubscriptionReceipts(true), WithRequestTransactionReceipts(true),
		WithSupportedVersions("1.1"), WithVirtualHost("/"), WithConnectionTimeout(3*time.Second),
		WithAbsoluteTimeout(true), WithManualEvents(), WithSelectWait(5*time.Millisecond),
		WithTCPKeepAlive(true, 7*time.Second, 3*time.Second), WithLinger(false, 2*time.Second),
		WithMaxLineLength(999), WithMaxTransferRate(100), WithTCPNoDelay(false), WithIPv6(IPv6Only),
		WithBufferSizes(10, 20),
	)
	assert.Equal(t, "h", s.RemoteHost())
	assert.Equal(t, 1234, s.RemotePort())
	assert.Equal(t, "u", s.User())
	assert.Equal(t, "pw", s.Password())
	assert.Equal(t, "text/x", s.ContentType())
	assert.Equal(t, []Header{{Key: "a", Value: "1"}}, s.Headers())
	assert.Equal(t, 1500, s.IncomingHeartbeat())
	assert.Equal(t, 2000, s.OutgoingHeartbeat())
	assert.True(t, s.RequestReceipts())
	assert.Equal(t, 2, s.Timeout(), "rounded up to whole seconds")
	assert.Equal(t, "t", s.TransactionID())
	assert.Equal(t, "127.0.0.1", s.LocalHost())
	assert.Equal(t, 5000, s.LocalPort())
	assert.Equal(t, FirewallTunnel, s.FirewallType())
	assert.Equal(t, "fw", s.FirewallHost())
	assert.Equal(t, 8080, s.FirewallPort())
	assert.Equal(t, "fu", s.FirewallUser())
	assert.Equal(t, "fp", s.FirewallPassword())
	assert.False(t, s.FirewallAutoDetect())
	assert.True(t, s.SSLEnabled())
	assert.Equal(t, "store", s.SSLCertStore())
	assert.Equal(t, CertStorePEMFile, s.SSLCertStoreType())
	assert.Equal(t, "*", s.SSLCertSubject())
	assert.Equal(t, "", s.SSLServerCertEncoded())
	want := map[string]string{
		"AckTransactionId": "at", "CollapseHeaders": "false", "LogLevel": "2", "RequestAckReceipts": "true",
		"RequestSubscriptionReceipts": "true", "RequestTransactionReceipts": "true", "SupportedVersions": "1.1",
		"VirtualHost": "/", "ConnectionTimeout": "3", "AbsoluteTimeout": "true", "ProcessIdleEvents": "false",
		"SelectWaitMillis": "5", "TCPKeepAlive": "true", "KeepAliveTime": "7000", "KeepAliveInterval": "3000",
		"Linger": "false", "LingerTime": "2", "MaxLineLength": "999", "MaxTransferRate": "100",
		"TcpNoDelay": "false", "UseIPv6": "only", "InBufferSize": "10", "OutBufferSize": "20",
		"LocalHost": "127.0.0.1", "LocalPort": "5000", "FirewallHost": "fw", "FirewallPort": "8080",
		"FirewallType": "1", "FirewallUser": "fu", "FirewallPassword": "fp", "FirewallAutoDetect": "false",
	}
	for name, v := range want {
		got, err := s.Config(name)
		require.NoError(t, err, name)
		assert.Equal(t, v, got, name)
	}

	// A setter changes what Config reads, and Config what a getter reads.
	require.NoError(t, s.SetLocalPort(6000))
	got, _ := s.Config("LocalPort")
	assert.Equal(t, "6000", got)
	_, err := s.Config("FirewallHost=other")
	require.NoError(t, err)
	assert.Equal(t, "other", s.FirewallHost())
}

func TestPropertySetterValidation(t *testing.T) {
	s := newClient(t)
	for name, err := range map[string]error{
		"RemotePort 0":        s.SetRemotePort(0),
		"RemotePort 65536":    s.SetRemotePort(65536),
		"RemoteHost space":    s.SetRemoteHost("a b"),
		"LocalPort -1":        s.SetLocalPort(-1),
		"Timeout -1":          s.SetTimeout(-1),
		"Heartbeat -1":        s.SetIncomingHeartbeat(-1),
		"OutHeartbeat -1":     s.SetOutgoingHeartbeat(-1),
		"User newline":        s.SetUser("a\nb"),
		"Password newline":    s.SetPassword("a\nb"),
		"ContentType CR":      s.SetContentType("a\rb"),
		"TransactionID LF":    s.SetTransactionID("a\nb"),
		"FirewallType 5":      s.SetFirewallType(5),
		"FirewallPort":        s.SetFirewallPort(-2),
		"SSLCertEncoded":      s.SetSSLCertEncoded("not base64 !!"),
		"SSLAcceptPEM":        s.SetSSLAcceptServerCertEncoded("-----BEGIN CERTIFICATE-----\nbroken"),
		"SSLCertStoreType 42": s.SetSSLCertStoreType(42),
	} {
		assert.ErrorIs(t, err, ErrInvalidArgument, name)
	}
	assert.Equal(t, DefaultRemotePort, s.RemotePort())
	require.NoError(t, s.SetSSLCertEncoded("aGVsbG8="))
	assert.Equal(t, "aGVsbG8=", s.SSLCertEncoded())
	require.NoError(t, s.SetSSLAcceptServerCertEncoded(""))
	require.NoError(t, s.SetSSLCertStore("file.pem"))
	require.NoError(t, s.SetSSLCertStorePassword("pw"))
	assert.Equal(t, "pw", s.SSLCertStorePassword())
	require.NoError(t, s.SetFirewallAutoDetect(true))
	assert.True(t, s.FirewallAutoDetect())
	require.NoError(t, s.SetSSLEnabled(true))
	assert.True(t, s.SSLEnabled())
	assert.Equal(t, "", s.SSLAcceptServerCertEncoded())
}

func TestInvalidOptionReportedByConnect(t *testing.T) {
	s := newClient(t, WithRemotePort(0), WithLogLevel(9))
	err := s.Connect("127.0.0.1", 1)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "RemotePort", "the first bad option is named")
	assert.ErrorIs(t, s.Reset(), nil)
	assert.ErrorIs(t, s.Connect("127.0.0.1", 1), ErrInvalidArgument, "Reset applies the options again")
}

func TestTimeoutProperty(t *testing.T) {
	s := newClient(t)
	assert.Equal(t, 60, s.Timeout())
	require.NoError(t, s.SetTimeout(0))
	assert.Equal(t, 0, s.Timeout())
	require.NoError(t, s.SetTimeout(3))
	assert.Equal(t, 3, s.Timeout())
}
