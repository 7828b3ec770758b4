package api

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The bounds of every numeric setting, written once. A property counts in
// its unit (Timeout in seconds), an option takes a time.Duration, Config
// reads and writes the unit's whole numbers: each converts its number with
// the setting's bound, which refuses what does not fit instead of letting
// it wrap, and the setter that writes the field checks it again. The most
// of any setting fits an int on every platform, so a getter never wraps.

// durationBound is a duration setting: the unit its property and Config
// name count in, and the most of them. The least is 0.
type durationBound struct {
	name string
	unit time.Duration
	max  int64
	// whole rounds a fraction of the unit up: heart-beats go on the wire
	// in whole milliseconds, so the value kept is the one sent.
	whole bool
}

// intBound is a whole-number setting and its range.
type intBound struct {
	name    string
	min     int64
	max     int64
	meaning string // what the number is, for errors ("a TCP port")
}

// maxLinuxKeepAlive is the most seconds Linux takes for TCP_KEEPIDLE and
// TCP_KEEPINTVL; a larger value would be refused by the kernel without a
// word (Go ignores the error).
const maxLinuxKeepAlive = 32767

var (
	timeoutBound           = durationBound{name: "Timeout", unit: time.Second, max: math.MaxInt32}
	incomingHeartbeatBound = durationBound{name: "IncomingHeartbeat", unit: time.Millisecond, max: math.MaxInt32, whole: true}
	outgoingHeartbeatBound = durationBound{name: "OutgoingHeartbeat", unit: time.Millisecond, max: math.MaxInt32, whole: true}
	connectionTimeoutBound = durationBound{name: "ConnectionTimeout", unit: time.Second, max: math.MaxInt32}
	selectWaitBound        = durationBound{name: "SelectWaitMillis", unit: time.Millisecond, max: math.MaxInt32}
	keepAliveTimeBound     = durationBound{name: "KeepAliveTime", unit: time.Millisecond, max: maxLinuxKeepAlive * 1000}
	keepAliveIntervalBound = durationBound{name: "KeepAliveInterval", unit: time.Millisecond, max: maxLinuxKeepAlive * 1000}
	lingerTimeBound        = durationBound{name: "LingerTime", unit: time.Second, max: math.MaxInt32}
	reconnectDelayBound    = durationBound{name: "ReconnectDelay", unit: time.Millisecond, max: math.MaxInt32}
	maxReconnectDelayBound = durationBound{name: "MaxReconnectDelay", unit: time.Millisecond, max: math.MaxInt32}
	stableAfterBound       = durationBound{name: "ReconnectStableAfter", unit: time.Millisecond, max: math.MaxInt32}
	disconnectTimeoutBound = durationBound{name: "DisconnectTimeout", unit: time.Second, max: math.MaxInt32}

	remotePortBound      = intBound{name: "RemotePort", min: 1, max: 65535, meaning: "a TCP port"}
	localPortBound       = intBound{name: "LocalPort", min: 0, max: 65535, meaning: "a TCP port (0: any)"}
	firewallPortBound    = intBound{name: "FirewallPort", min: 0, max: 65535, meaning: "a TCP port (0: the type's usual one)"}
	logLevelBound        = intBound{name: "LogLevel", min: 0, max: 3, meaning: "a log level"}
	maxLineLengthBound   = intBound{name: "MaxLineLength", min: 1, max: math.MaxInt32, meaning: "a length in bytes"}
	maxTransferRateBound = intBound{name: "MaxTransferRate", min: 0, max: math.MaxInt32, meaning: "bytes per second (0: unlimited)"}
	inBufferSizeBound    = intBound{name: "InBufferSize", min: 0, max: math.MaxInt32, meaning: "a size in bytes (0: the system's)"}
	outBufferSizeBound   = intBound{name: "OutBufferSize", min: 0, max: math.MaxInt32, meaning: "a size in bytes (0: the system's)"}
	maxAttemptsBound     = intBound{name: "MaxReconnectAttempts", min: 0, max: math.MaxInt32, meaning: "a number of attempts (0: no limit)"}
	prefetchBound        = intBound{name: "Prefetch", min: -1, max: math.MaxInt32, meaning: "a number of messages (0: the QueueSize less one, at least 1, whole for Pull; -1: the broker's default)"}
)

func unitName(unit time.Duration) string {
	switch unit {
	case time.Second:
		return "seconds"
	case time.Millisecond:
		return "milliseconds"
	}
	return unit.String() + " units"
}

// check returns d as the setting keeps it, or why it does not fit.
func (b durationBound) check(d time.Duration) (time.Duration, error) {
	limit := time.Duration(b.max) * b.unit
	if d < 0 || d > limit {
		return 0, invalid("%s %v is out of range: it takes 0 to %d %s (%v)", b.name, d, b.max, unitName(b.unit), limit)
	}
	if b.whole && d%b.unit != 0 {
		d += b.unit - d%b.unit
	}
	return d, nil
}

// fromUnits converts n units (a property's or Config's number) to the
// duration, refusing a number out of range before it is multiplied.
func (b durationBound) fromUnits(n int64) (time.Duration, error) {
	if n < 0 || n > b.max {
		return 0, invalid("%s takes 0 to %d %s, not %d", b.name, b.max, unitName(b.unit), n)
	}
	return time.Duration(n) * b.unit, nil
}

// parse reads a Config value: a whole number of units.
func (b durationBound) parse(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, invalid("%s takes a whole number of %s from 0 to %d, not %q", b.name, unitName(b.unit), b.max, v)
	}
	return b.fromUnits(n)
}

// check refuses n out of range.
func (b intBound) check(n int64) error {
	if n < b.min || n > b.max {
		return invalid("%s %d is out of range: it takes %s from %d to %d", b.name, n, b.meaning, b.min, b.max)
	}
	return nil
}

// parse reads a Config value.
func (b intBound) parse(v string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, invalid("%s takes a whole number from %d to %d, not %q", b.name, b.min, b.max, v)
	}
	if err := b.check(n); err != nil {
		return 0, err
	}
	return int(n), nil
}

// setDuration writes a duration field once b accepts d.
func setDuration(field *time.Duration, b durationBound, d time.Duration) error {
	d, err := b.check(d)
	if err != nil {
		return err
	}
	*field = d
	return nil
}

// setInt writes an int field once b accepts n.
func setInt(field *int, b intBound, n int) error {
	if err := b.check(int64(n)); err != nil {
		return err
	}
	*field = n
	return nil
}

// ceilUnits converts d to whole units, rounding up so that a positive
// duration never reads as 0, and never wrapping (a negotiated heart-beat
// comes from the server, unbounded).
func ceilUnits(d, unit time.Duration) int {
	q := d / unit
	if d%unit > 0 {
		q++
	}
	if int64(q) > math.MaxInt {
		return math.MaxInt
	}
	return int(q)
}

// The setters of the numeric configuration settings; the properties'
// own are with the other fields (fields.go).

func (c *config) setLogLevel(n int) error { return setInt(&c.logLevel, logLevelBound, n) }

func (c *config) setConnectionTimeout(d time.Duration) error {
	return setDuration(&c.connectionTimeout, connectionTimeoutBound, d)
}

func (c *config) setSelectWait(d time.Duration) error {
	return setDuration(&c.selectWait, selectWaitBound, d)
}

// setKeepAliveTime and setKeepAliveInterval turn TCPKeepAlive on when
// given a value above 0, as the reference does: a program that sets only
// KeepAliveTime expects probes. 0 (the system's value) leaves TCPKeepAlive
// as it is, and so does a refused value.
func (c *config) setKeepAliveTime(d time.Duration) error {
	return c.setKeepAliveDuration(&c.keepAliveTime, keepAliveTimeBound, d)
}

func (c *config) setKeepAliveInterval(d time.Duration) error {
	return c.setKeepAliveDuration(&c.keepAliveInterval, keepAliveIntervalBound, d)
}

func (c *config) setKeepAliveDuration(dst *time.Duration, b durationBound, d time.Duration) error {
	if err := setDuration(dst, b, d); err != nil {
		return err
	}
	if d > 0 {
		c.tcpKeepAlive = true
	}
	return nil
}

func (c *config) setLingerTime(d time.Duration) error {
	return setDuration(&c.lingerTime, lingerTimeBound, d)
}

func (c *config) setMaxLineLength(n int) error {
	return setInt(&c.maxLineLength, maxLineLengthBound, n)
}

func (c *config) setMaxTransferRate(n int) error {
	return setInt(&c.maxTransferRate, maxTransferRateBound, n)
}

func (c *config) setInBufferSize(n int) error { return setInt(&c.inBufferSize, inBufferSizeBound, n) }

func (c *config) setOutBufferSize(n int) error {
	return setInt(&c.outBufferSize, outBufferSizeBound, n)
}

func (c *config) setReconnectDelay(d time.Duration) error {
	return setDuration(&c.rareW().reconnect.InitialDelay, reconnectDelayBound, d)
}

func (c *config) setMaxReconnectDelay(d time.Duration) error {
	return setDuration(&c.rareW().reconnect.MaxDelay, maxReconnectDelayBound, d)
}

func (c *config) setPrefetch(n int) error { return setInt(&c.prefetch, prefetchBound, n) }

func (c *config) setDisconnectTimeout(d time.Duration) error {
	return setDuration(&c.disconnectTimeout, disconnectTimeoutBound, d)
}

func (c *config) setStableAfter(d time.Duration) error {
	return setDuration(&c.rareW().reconnect.StableAfter, stableAfterBound, d)
}

func (c *config) setMaxReconnectAttempts(n int) error {
	return setInt(&c.rareW().reconnect.MaxAttempts, maxAttemptsBound, n)
}

// all applies setters in turn to a copy of c, and keeps the copy only
// when every one succeeds: an option that sets several settings sets all
// or none.
func (c *config) all(setters ...func(*config) error) error {
	next := *c
	for _, set := range setters {
		if err := set(&next); err != nil {
			return err
		}
	}
	*c = next
	return nil
}

// durationSetting is a Config row of a duration read and written in whole
// units of b.
func durationSetting(b durationBound, connect bool, read func(*config) time.Duration, set func(*config, time.Duration) error) setting {
	return setting{name: b.name, connect: connect,
		get: configGet(func(c *config) string { return strconv.Itoa(ceilUnits(read(c), b.unit)) }),
		set: func(c *config, v string) error {
			d, err := b.parse(v)
			if err != nil {
				return err
			}
			return set(c, d)
		}}
}

// intSetting is a Config row of a whole number in the range of b.
func intSetting(b intBound, connect bool, read func(*config) int, set func(*config, int) error) setting {
	return setting{name: b.name, connect: connect,
		get: configGet(func(c *config) string { return strconv.Itoa(read(c)) }),
		set: func(c *config, v string) error {
			n, err := b.parse(v)
			if err != nil {
				return err
			}
			return set(c, n)
		}}
}
