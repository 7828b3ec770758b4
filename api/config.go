package api

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"
)

// setting is one row of the configuration table: its name, how to read
// it, and how to write it. A nil get is write-only, a nil set and do
// read-only.
type setting struct {
	name    string
	connect bool                            // refused while connected
	get     func(s *STOMP) (string, error)  // reads the value
	set     func(c *config, v string) error // writes a config field
	do      func(s *STOMP, v string) error  // writes by acting
	// approx says how the setting differs from the reference's: where Go
	// can only approximate it, or a default or form differs (README's
	// reference table shows it).
	approx string
}

// Config sets a configuration setting with "Name=value" (returning "") or
// reads one with "Name". Names are case-insensitive; the settings and
// their values are listed in the package documentation. An unknown name,
// a bad value, reading a write-only setting or writing a read-only one is
// an error; settings Connect reads cannot change while connected.
func (s *STOMP) Config(setting string) (string, error) {
	name, value, write := strings.Cut(setting, "=")
	name = strings.TrimSpace(name)
	row, ok := lookupSetting(name)
	if !ok {
		if reason, ok := unsupportedSettings[strings.ToLower(name)]; ok {
			return "", newError(CodeUnsupported, "setting "+name+" is not supported: "+reason)
		}
		return "", newError(CodeUnknownSetting, "unknown setting "+strconv.Quote(name))
	}
	if !write {
		if row.get == nil {
			return "", newError(CodeSettingAccess, "setting "+row.name+" is write-only")
		}
		return row.get(s)
	}
	switch {
	case row.do != nil:
		return "", row.do(s, value)
	case row.set == nil:
		return "", newError(CodeSettingAccess, "setting "+row.name+" is read-only")
	case row.connect:
		return "", s.setConnectTime(row.name, func(c *config) error { return row.set(c, value) })
	default:
		return "", s.set(func(c *config) error { return row.set(c, value) })
	}
}

var (
	settingsOnce   sync.Once
	settingsByName map[string]*setting
)

func lookupSetting(name string) (*setting, bool) {
	settingsOnce.Do(func() {
		settingsByName = make(map[string]*setting, len(settingsTable))
		for i := range settingsTable {
			settingsByName[strings.ToLower(settingsTable[i].name)] = &settingsTable[i]
		}
	})
	row, ok := settingsByName[strings.ToLower(name)]
	return row, ok
}

// The configuration settings, one row each; the firewall and TLS ones are
// in config_secure.go, the WebSocket ones in websocket.go.
var settingsTable = append(append([]setting{
	stringSetting("AckTransactionId", false, func(c *config) *string { return &c.ackTransactionID }),
	boolSetting("CollapseHeaders", false, func(c *config) *bool { return &c.collapseHeaders }),
	{name: "ErrorHeaders", get: func(s *STOMP) (string, error) { return formatHeaders(s.ErrorHeaders()), nil }},
	intSetting(logLevelBound, false, func(c *config) int { return c.logLevel }, (*config).setLogLevel),
	{name: "OpenTransactions", get: func(s *STOMP) (string, error) { return strings.Join(s.OpenTransactions(), ","), nil }},
	{name: "ProtocolVersion", get: func(s *STOMP) (string, error) { return s.ProtocolVersion(), nil }},
	boolSetting("RequestAckReceipts", false, func(c *config) *bool { return &c.requestAckReceipts }),
	boolSetting("RequestSubscriptionReceipts", false, func(c *config) *bool { return &c.requestSubscriptionReceipts }),
	boolSetting("RequestTransactionReceipts", false, func(c *config) *bool { return &c.requestTransactionReceipts }),
	{name: "SendCustomFrame", do: sendCustomFrame},
	{name: "ServerInfo", get: func(s *STOMP) (string, error) { return s.ServerInfo(), nil }},
	{name: "SessionId", get: func(s *STOMP) (string, error) { return s.SessionID(), nil }},
	{name: "SupportedVersions", connect: true,
		get: configGet(func(c *config) string {
			vs := make([]string, len(c.supportedVersions))
			for i, v := range c.supportedVersions {
				vs[i] = v.String()
			}
			return strings.Join(vs, ",")
		}),
		set: func(c *config, v string) error {
			vs, err := parseVersions(v)
			if err != nil {
				return err
			}
			return c.setSupportedVersions(vs)
		}},
	connectHeadersSetting,
	{name: "VirtualHost", connect: true,
		get: configGet(func(c *config) string { return c.virtualHost }),
		set: func(c *config, v string) error { return c.setVirtualHost(v) }},
	durationSetting(connectionTimeoutBound, true, func(c *config) time.Duration { return c.connectionTimeout }, (*config).setConnectionTimeout),
	approx(boolSetting("AbsoluteTimeout", false, func(c *config) *bool { return &c.absoluteTimeout }),
		"false (the default) makes Timeout an inactivity timeout for the calls that write a frame (SendMessage, SendData, Send, Ack, Nack, SendCustomFrame) and for socket writes: a wait for a place in the outgoing queue is absolute (ErrTimeout Timeout after the start of the call, nothing written, however busy the socket), and once the frame has its place they wait on while the socket keeps taking the bytes ahead of the frame and its own (written in 256 KiB pieces, each with its write deadline; whole over WebSocket, where each write is a message), and a RECEIPT is awaited Timeout from the end of the write; every other wait (Connect, Disconnect, Subscribe, the transactions, Receive) and a context's deadline stay absolute. true makes every timeout absolute, counted from the start of the call or of the socket write, and makes Timeout, not ConnectionTimeout, bound Connect"),
	{name: "ProcessIdleEvents",
		get: configGet(func(c *config) string { return strconv.FormatBool(!c.manualEvents) }),
		do: func(s *STOMP, v string) error {
			on, err := parseBool("ProcessIdleEvents", v)
			if err != nil {
				return err
			}
			return s.setProcessIdleEvents(on)
		}},
	durationSetting(selectWaitBound, false, func(c *config) time.Duration { return c.selectWait }, (*config).setSelectWait),
	approx(durationSetting(keepAliveIntervalBound, true, func(c *config) time.Duration { return c.keepAliveInterval }, (*config).setKeepAliveInterval),
		"a value above 0 also turns TCPKeepAlive on, as in the reference; at most 32767 seconds (Linux's limit)"),
	approx(durationSetting(keepAliveTimeBound, true, func(c *config) time.Duration { return c.keepAliveTime }, (*config).setKeepAliveTime),
		"a value above 0 also turns TCPKeepAlive on, as in the reference; at most 32767 seconds (Linux's limit)"),
	boolSetting("Linger", true, func(c *config) *bool { return &c.linger }),
	durationSetting(lingerTimeBound, true, func(c *config) time.Duration { return c.lingerTime }, (*config).setLingerTime),
	{name: "LocalHost", connect: true,
		get: configGet(func(c *config) string { return c.localHost }),
		set: func(c *config, v string) error { return c.setLocalHost(v) }},
	intSetting(localPortBound, true, func(c *config) int { return c.localPort }, (*config).setLocalPort),
	intSetting(maxLineLengthBound, true, func(c *config) int { return c.maxLineLength }, (*config).setMaxLineLength),
	intSetting(maxTransferRateBound, true, func(c *config) int { return c.maxTransferRate }, (*config).setMaxTransferRate),
	boolSetting("TCPKeepAlive", true, func(c *config) *bool { return &c.tcpKeepAlive }),
	approx(boolSetting("TcpNoDelay", true, func(c *config) *bool { return &c.tcpNoDelay }),
		"true by default (Nagle's algorithm off, as Go's net package sets it), where the reference's default is false"),
	{name: "UseIPv6", connect: true,
		get: configGet(func(c *config) string { return string(c.ipv6) }),
		set: func(c *config, v string) error {
			m, err := parseIPv6(v)
			if err != nil {
				return err
			}
			return c.setIPv6(m)
		},
		approx: "also takes the reference's 0 or false (IPv4 only), 1 or true (IPv6 only) and 2 (IPv6, then IPv4); reads back the words auto, never, only, ipv6-first; the default is auto (the resolver's order), not IPv4 only"},
	intSetting(inBufferSizeBound, true, func(c *config) int { return c.inBufferSize }, (*config).setInBufferSize),
	intSetting(outBufferSizeBound, true, func(c *config) int { return c.outBufferSize }, (*config).setOutBufferSize),
	intSetting(prefetchBound, false, func(c *config) int { return c.prefetch }, (*config).setPrefetch),
	durationSetting(disconnectTimeoutBound, false, func(c *config) time.Duration { return c.disconnectTimeout }, (*config).setDisconnectTimeout),
	{name: "BuildInfo", get: func(*STOMP) (string, error) { return BuildInfo(), nil },
		approx: "this module's path and version and the Go that built the program, from runtime/debug.ReadBuildInfo"},
}, append(append(secureSettings, tlsSettings...), webSocketSettings...)...), append(append(reconnectSettings, atLeastOnceSettings...), limitSettings...)...)

func configGet(f func(*config) string) func(*STOMP) (string, error) {
	return func(s *STOMP) (string, error) { return get(s, f), nil }
}

func parseBool(name, v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, invalid("%s takes true or false, not %q", name, v)
	}
	return b, nil
}

func parseInt(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, invalid("%s takes a whole number from %d to %d, not %q", name, lo, hi, v)
	}
	return n, nil
}

func boolSetting(name string, connect bool, field func(*config) *bool) setting {
	return setting{name: name, connect: connect,
		get: configGet(func(c *config) string { return strconv.FormatBool(*field(c)) }),
		set: func(c *config, v string) error {
			b, err := parseBool(name, v)
			if err == nil {
				*field(c) = b
			}
			return err
		}}
}

// rareBoolSetting is boolSetting for a flag of the rareConfig, which is
// written through a copy of its own.
func rareBoolSetting(name string, connect bool, field func(*rareConfig) *bool) setting {
	return setting{name: name, connect: connect,
		get: configGet(func(c *config) string { return strconv.FormatBool(*field(c.rare)) }),
		set: func(c *config, v string) error {
			b, err := parseBool(name, v)
			if err == nil {
				*field(c.rareW()) = b
			}
			return err
		}}
}

func stringSetting(name string, connect bool, field func(*config) *string) setting {
	return setting{name: name, connect: connect,
		get: configGet(func(c *config) string { return *field(c) }),
		set: func(c *config, v string) error {
			if strings.ContainsAny(v, "\r\n\x00") {
				return invalid("%s contains a line break or a NUL byte", name)
			}
			*field(c) = v
			return nil
		}}
}

// sendCustomFrame decodes hex bytes (white space allowed) and writes them
// as they are.
func sendCustomFrame(s *STOMP, v string) error {
	raw, err := hex.DecodeString(strings.Join(strings.Fields(v), ""))
	if err != nil || len(raw) == 0 {
		return invalid("SendCustomFrame takes the frame's bytes in hex")
	}
	return s.sendCustomFrame(raw)
}

func formatHeaders(hs []Header) string {
	lines := make([]string, len(hs))
	for i, h := range hs {
		lines[i] = h.String()
	}
	return strings.Join(lines, "\n")
}

// setProcessIdleEvents switches between events run by the client (true)
// and events queued for DoEvents (false).
func (s *STOMP) setProcessIdleEvents(on bool) error {
	return s.set(func(c *config) error {
		c.manualEvents = !on
		s.setManualEventsLocked(!on) // set holds s.mu
		return nil
	})
}

// The read-only live settings, also as methods.

// ErrorHeaders returns the headers of the last ERROR frame received (the
// ErrorHeaders setting), as the broker sent them (raw: escape a value
// before printing it). Default none.
func (s *STOMP) ErrorHeaders() []Header {
	if p := s.errHeader.Load(); p != nil {
		return append([]Header(nil), (*p)...)
	}
	return nil
}

// OpenTransactions lists the transactions open on this connection, sorted
// (the OpenTransactions setting, comma-separated there).
func (s *STOMP) OpenTransactions() []string {
	eng, err := s.connected()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(s.snapshot().timeout, listWait))
	defer cancel()
	return eng.OpenTransactions(ctx)
}

// ProtocolVersion is the negotiated protocol version ("1.2"), or "" when
// not connected.
func (s *STOMP) ProtocolVersion() string {
	if v := s.version(); v != 0 {
		return v.String()
	}
	return ""
}

// ServerInfo is the server header of CONNECTED, or "" when not connected,
// as the broker sent it (raw: it may hold control characters; String and
// the ConnectedEvent's Description show it escaped).
func (s *STOMP) ServerInfo() string {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return info.Server
		}
	}
	return ""
}

// SessionID is the session header of CONNECTED, or "" when not connected.
func (s *STOMP) SessionID() string {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return info.Session
		}
	}
	return ""
}
