package api

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numeric is a numeric setting and the ways to write it.
type numeric struct {
	name   string
	lo, hi int64
	unit   time.Duration // a duration setting's unit; 0 for a number
	config bool          // Config has the name
	// set and get are the property, when there is one.
	set func(s *STOMP, n int) error
	get func(s *STOMP) int
	// opt builds the option from a number (unit 0) or a duration.
	opt func(v int64) Option
}

var numerics = []numeric{
	{name: "Timeout", hi: math.MaxInt32, unit: time.Second,
		set: (*STOMP).SetTimeout, get: (*STOMP).Timeout,
		opt: func(v int64) Option { return WithTimeout(time.Duration(v)) }},
	{name: "IncomingHeartbeat", hi: math.MaxInt32, unit: time.Millisecond,
		set: (*STOMP).SetIncomingHeartbeat, get: (*STOMP).IncomingHeartbeat,
		opt: func(v int64) Option { return WithIncomingHeartbeat(time.Duration(v)) }},
	{name: "OutgoingHeartbeat", hi: math.MaxInt32, unit: time.Millisecond,
		set: (*STOMP).SetOutgoingHeartbeat, get: (*STOMP).OutgoingHeartbeat,
		opt: func(v int64) Option { return WithOutgoingHeartbeat(time.Duration(v)) }},
	{name: "RemotePort", lo: 1, hi: 65535,
		set: (*STOMP).SetRemotePort, get: (*STOMP).RemotePort,
		opt: func(v int64) Option { return WithRemotePort(int(v)) }},
	{name: "LocalPort", hi: 65535, config: true,
		set: (*STOMP).SetLocalPort, get: (*STOMP).LocalPort,
		opt: func(v int64) Option { return WithLocalPort(int(v)) }},
	{name: "FirewallPort", hi: 65535, config: true,
		set: (*STOMP).SetFirewallPort, get: (*STOMP).FirewallPort,
		opt: func(v int64) Option { return WithFirewall(Firewall{Port: int(v)}) }},
	{name: "LogLevel", hi: 3, config: true,
		opt: func(v int64) Option { return WithLogLevel(int(v)) }},
	{name: "ConnectionTimeout", hi: math.MaxInt32, unit: time.Second, config: true,
		opt: func(v int64) Option { return WithConnectionTimeout(time.Duration(v)) }},
	{name: "SelectWaitMillis", hi: math.MaxInt32, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithSelectWait(time.Duration(v)) }},
	{name: "KeepAliveTime", hi: 32767000, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithTCPKeepAlive(true, time.Duration(v), 0) }},
	{name: "KeepAliveInterval", hi: 32767000, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithTCPKeepAlive(true, 0, time.Duration(v)) }},
	{name: "LingerTime", hi: math.MaxInt32, unit: time.Second, config: true,
		opt: func(v int64) Option { return WithLinger(true, time.Duration(v)) }},
	{name: "MaxLineLength", lo: 1, hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithMaxLineLength(int(v)) }},
	{name: "MaxTransferRate", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithMaxTransferRate(int(v)) }},
	{name: "InBufferSize", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithBufferSizes(int(v), 0) }},
	{name: "OutBufferSize", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithBufferSizes(0, int(v)) }},
	{name: "ReconnectDelay", hi: math.MaxInt32, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithReconnect(Reconnect{InitialDelay: time.Duration(v)}) }},
	{name: "MaxReconnectDelay", hi: math.MaxInt32, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithReconnect(Reconnect{MaxDelay: time.Duration(v)}) }},
	{name: "ReconnectStableAfter", hi: math.MaxInt32, unit: time.Millisecond, config: true,
		opt: func(v int64) Option { return WithReconnect(Reconnect{StableAfter: time.Duration(v)}) }},
	{name: "MaxReconnectAttempts", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithReconnect(Reconnect{MaxAttempts: int(v)}) }},
	{name: "MaxOutbox", hi: 1 << 20, config: true,
		opt: func(v int64) Option { return WithAtLeastOnce(AtLeastOnce{MaxOutbox: int(v)}) }},
	{name: "MaxBodySize", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithReceiveLimits(ReceiveLimits{MaxBody: int(v)}) }},
	{name: "MaxHeaders", hi: 1 << 16, config: true,
		opt: func(v int64) Option { return WithReceiveLimits(ReceiveLimits{MaxHeaders: int(v)}) }},
	{name: "MaxFrameSize", hi: math.MaxInt32, config: true,
		opt: func(v int64) Option { return WithReceiveLimits(ReceiveLimits{MaxFrame: int(v)}) }},
}

// read reads the setting in its units: Config's, else the property's.
func (n numeric) read(t *testing.T, s *STOMP) int64 {
	t.Helper()
	if n.config {
		v, err := s.Config(n.name)
		require.NoError(t, err)
		i, err := strconv.ParseInt(v, 10, 64)
		require.NoError(t, err)
		return i
	}
	return int64(n.get(s))
}

// optionValue is v units as the option takes it.
func (n numeric) optionValue(v int64) int64 {
	if n.unit == 0 {
		return v
	}
	return v * int64(n.unit)
}

// TestNumericBounds writes every numeric setting at its bounds, just past
// them and far past them (numbers that would wrap when multiplied by the
// unit), through its property, its option and its Config name: what fits
// reads back as written, what does not is refused with
// ErrInvalidArgument and changes nothing.
func TestNumericBounds(t *testing.T) {
	for _, n := range numerics {
		t.Run(n.name, func(t *testing.T) {
			// Just past each bound, then numbers that wrap when multiplied
			// by a unit (to seconds, to milliseconds), then the extremes.
			bad := []int64{n.lo - 1, n.hi + 1, 9223372037, 18446744073710, math.MaxInt64, math.MinInt64}
			if n.set != nil {
				s := newClient(t)
				for _, v := range []int64{n.lo, n.hi} {
					require.NoError(t, n.set(s, int(v)), "property %d", v)
					assert.Equal(t, v, int64(n.get(s)), "property %d reads back", v)
				}
				for _, v := range bad {
					if int64(int(v)) != v {
						continue // not an int on this platform
					}
					assert.ErrorIs(t, n.set(s, int(v)), ErrInvalidArgument, "property %d", v)
					assert.Equal(t, n.hi, int64(n.get(s)), "property %d changes nothing", v)
				}
			}
			if n.config {
				s := newClient(t)
				for _, v := range []int64{n.lo, n.hi} {
					_, err := s.Config(n.name + "=" + strconv.FormatInt(v, 10))
					require.NoError(t, err, "Config %d", v)
					assert.Equal(t, v, n.read(t, s), "Config %d reads back", v)
				}
				texts := []string{"18446744073709551616", "-18446744073709551616"} // past int64
				for _, v := range bad {
					texts = append(texts, strconv.FormatInt(v, 10))
				}
				for _, text := range texts {
					_, err := s.Config(n.name + "=" + text)
					assert.ErrorIs(t, err, ErrInvalidArgument, "Config %s", text)
					assert.Equal(t, n.hi, n.read(t, s), "Config %s changes nothing", text)
				}
			}
			for _, v := range []int64{n.lo, n.hi} {
				s := newClient(t, n.opt(n.optionValue(v)))
				assert.Equal(t, v, n.read(t, s), "option %d reads back", v)
			}
			for _, v := range []int64{n.optionValue(n.lo) - 1, n.optionValue(n.hi) + 1, math.MaxInt64, math.MinInt64} {
				if n.unit == 0 && int64(int(v)) != v {
					continue
				}
				s := newClient(t, n.opt(v))
				err := s.Connect("127.0.0.1", 1)
				assert.ErrorIs(t, err, ErrInvalidArgument, "option %d", v)
				if err != nil {
					assert.Contains(t, err.Error(), "option ")
				}
			}
		})
	}
}

// The cases of the issue, by their words.
func TestNumbersThatDoNotFitAreRefused(t *testing.T) {
	s := newClient(t)
	// Numbers past 32 bits: an int holds them only where it has 64 (the
	// case of the issue); variables, so that the file builds on a 32-bit
	// platform too.
	huge, large, hugeMillis := int64(18446744074), int64(9223372037), int64(18446744073710)
	if strconv.IntSize == 64 {
		err := s.SetTimeout(int(huge))
		require.ErrorIs(t, err, ErrInvalidArgument, "it used to set 0.29 s")
		assert.Equal(t, 60, s.Timeout())
		err = s.SetTimeout(int(large))
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.NotContains(t, err.Error(), "negative", "too large is not negative")
		assert.Contains(t, err.Error(), "Timeout takes 0 to 2147483647 seconds, not 9223372037")
		require.ErrorIs(t, s.SetOutgoingHeartbeat(int(hugeMillis)), ErrInvalidArgument, "it used to set 1 ms")
		assert.Equal(t, 0, s.OutgoingHeartbeat())
	}

	s = newClient(t, WithOutgoingHeartbeat(math.MaxInt64))
	assert.GreaterOrEqual(t, s.OutgoingHeartbeat(), 0, "it used to read back negative")
	assert.ErrorIs(t, s.Connect("127.0.0.1", 1), ErrInvalidArgument)
}

// A heart-beat goes on the wire in whole milliseconds: a fraction is
// rounded up when set, so the value read is the one sent (it used to
// send 1 while reading 2).
func TestHeartbeatFractionRoundedUpOnTheWire(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithOutgoingHeartbeat(1500*time.Microsecond), WithIncomingHeartbeat(time.Microsecond))
	assert.Equal(t, 2, s.OutgoingHeartbeat())
	assert.Equal(t, 1, s.IncomingHeartbeat())
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	connect := waitFrame(t, b, 1, frames.CmdConnect)
	assert.Equal(t, "2,1", connect.Header(frames.HdrHeartBeat))
	require.NoError(t, s.Disconnect())
}

// The reference's bit mask of SSLEnabledProtocols: a bit that names no
// protocol is refused, not ignored.
func TestSSLEnabledProtocolsMaskBounds(t *testing.T) {
	s := newClient(t)
	for _, v := range []string{"0x43C00", "-1", "0x100000000", "18446744073709551616"} {
		_, err := s.Config("SSLEnabledProtocols=" + v)
		assert.ErrorIs(t, err, ErrInvalidArgument, v)
	}
	got, err := s.Config("SSLEnabledProtocols")
	require.NoError(t, err)
	assert.Equal(t, "TLS1.2,TLS1.3", got, "refused values change nothing")
	_, err = s.Config("SSLEnabledProtocols=0x3000")
	require.NoError(t, err)
	got, _ = s.Config("SSLEnabledProtocols")
	assert.Equal(t, "TLS1.3", got)
}
