package api

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/transport"
)

// The validating setters of config. Properties, options and Config all
// go through them; none checks the connection state (the callers do).

func invalid(format string, args ...any) *Error {
	return newError(CodeInvalidArgument, fmt.Sprintf(format, args...))
}

func (c *config) setRemoteHost(h string) error {
	if strings.ContainsAny(h, " \t\r\n") {
		return invalid("RemoteHost %q contains white space", h)
	}
	c.remoteHost = h
	return nil
}

func (c *config) setRemotePort(p int) error {
	if err := setInt(&c.remotePort, remotePortBound, p); err != nil {
		return err
	}
	c.remotePortSet = true
	return nil
}

func (c *config) setUser(u string) error {
	if err := checkValue("User", frames.CmdConnect, frames.HdrLogin, u); err != nil {
		return err
	}
	c.user = u
	return nil
}

func (c *config) setPassword(p string) error {
	if err := checkValue("Password", frames.CmdConnect, frames.HdrPasscode, p); err != nil {
		return err
	}
	c.password = p
	return nil
}

func (c *config) setContentType(ct string) error {
	if err := checkValue("ContentType", frames.CmdSend, frames.HdrContentType, ct); err != nil {
		return err
	}
	c.contentType = ct
	return nil
}

func (c *config) addHeader(h Header) error {
	if err := checkExtraHeader("custom headers", frames.CmdSend, h); err != nil {
		return err
	}
	c.headers = append(c.headers, h)
	return nil
}

func (c *config) setIncomingHeartbeat(d time.Duration) error {
	return setDuration(&c.incomingHeartbeat, incomingHeartbeatBound, d)
}

func (c *config) setOutgoingHeartbeat(d time.Duration) error {
	return setDuration(&c.outgoingHeartbeat, outgoingHeartbeatBound, d)
}

func (c *config) setRequestReceipts(on bool) error { c.requestReceipts = on; return nil }

func (c *config) setTimeout(d time.Duration) error { return setDuration(&c.timeout, timeoutBound, d) }

func (c *config) setTransactionID(id string) error {
	if err := checkValue("TransactionID", frames.CmdSend, frames.HdrTransaction, id); err != nil {
		return err
	}
	c.transactionID = id
	return nil
}

func (c *config) setLocalHost(h string) error {
	if strings.ContainsAny(h, " \t\r\n") {
		return invalid("LocalHost %q contains white space", h)
	}
	c.localHost = h
	return nil
}

func (c *config) setLocalPort(p int) error { return setInt(&c.localPort, localPortBound, p) }

func (c *config) setFirewall(fw Firewall) error {
	if !fw.Type.valid() {
		return invalid("FirewallType %d is not a firewall type", int(fw.Type))
	}
	if err := firewallPortBound.check(int64(fw.Port)); err != nil {
		return err
	}
	if strings.ContainsAny(fw.Host, " \t\r\n") {
		return invalid("FirewallHost %q contains white space", fw.Host)
	}
	// Credentials the protocol cannot carry are refused now; a target it
	// cannot carry (IPv6 through SOCKS 4) is refused by Connect.
	if err := transport.CheckProxy(fw.Type.proto(), transport.HostPort(fw.Host, fw.Port), fw.User, fw.Password, ""); err != nil {
		return badProxySetting("the firewall settings", err)
	}
	c.secW().fw = fw
	return nil
}

// checkCert accepts "", PEM, or base64 (of DER).
func checkCert(name, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.Contains(s, "-----BEGIN") {
		if b, _ := pem.Decode([]byte(s)); b == nil {
			return invalid("%s holds a malformed PEM block", name)
		}
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err != nil {
		return invalid("%s is neither PEM nor base64", name)
	}
	return nil
}

func (c *config) setSSL(s SSLSettings) error {
	if strings.TrimSpace(s.AcceptServerCertEncoded) != "*" {
		if err := checkCert("SSLAcceptServerCertEncoded", s.AcceptServerCertEncoded); err != nil {
			return err
		}
	}
	if err := checkCert("SSLCertEncoded", s.CertEncoded); err != nil {
		return err
	}
	if err := s.CertStoreType.check(); err != nil {
		return err
	}
	c.secW().ssl = s
	if !c.remotePortSet {
		// The reference's SSL port, until the user names one.
		c.remotePort = DefaultRemotePort
		if s.Enabled {
			c.remotePort = DefaultSSLRemotePort
		}
	}
	return nil
}

func (c *config) setSupportedVersions(vs []frames.Version) error {
	if len(vs) == 0 {
		return invalid("SupportedVersions names no version")
	}
	seen := map[frames.Version]bool{}
	out := make([]frames.Version, 0, len(vs))
	for _, v := range vs {
		if !v.Valid() {
			return invalid("SupportedVersions: %v is not a STOMP version", v)
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	c.supportedVersions = out
	return nil
}

func parseVersions(s string) ([]frames.Version, error) {
	var out []frames.Version
	for _, p := range strings.Split(s, ",") {
		v, err := frames.ParseVersion(strings.TrimSpace(p))
		if err != nil {
			return nil, invalid("SupportedVersions: %q is not 1.0, 1.1 or 1.2", strings.TrimSpace(p))
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *config) setIPv6(m IPv6Mode) error {
	switch m {
	case IPv6Auto, IPv6Only, IPv6Never, IPv6First:
		c.ipv6 = m
		return nil
	}
	return invalid("UseIPv6 %q is not auto, only, never or ipv6-first", string(m))
}

// parseIPv6 reads UseIPv6: a mode's name, or the reference's forms: 0 or
// false (IPv4 only), 1 or true (IPv6 only), 2 (IPv6 with IPv4 as
// fallback).
func parseIPv6(v string) (IPv6Mode, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "0", "false":
		return IPv6Never, nil
	case "1", "true":
		return IPv6Only, nil
	case "2":
		return IPv6First, nil
	case string(IPv6Auto), string(IPv6Only), string(IPv6Never), string(IPv6First):
		return IPv6Mode(v), nil
	}
	return "", invalid("UseIPv6 takes auto, only, never, ipv6-first, 0 (IPv4 only), 1 (IPv6 only), 2 (IPv6, then IPv4), true or false, not %q", v)
}

// connectWait is how long Connect waits: ConnectionTimeout when set
// (unless AbsoluteTimeout makes Timeout the one bound), else Timeout.
// Connect's wait is absolute whatever AbsoluteTimeout says: its
// inactivity meaning (callWriting) is for the waits of frames being
// written (the sends, Ack, Nack, SendCustomFrame) and for socket writes,
// and the handshake moves too few bytes for it to matter.
func (c *config) connectWait() time.Duration {
	if c.connectionTimeout > 0 && !c.absoluteTimeout {
		return c.connectionTimeout
	}
	return c.timeout
}

// connectConfig builds the engine's connection settings, or says why the
// settings cannot connect. The dialer is a chain: TCP (to the broker, or
// to the proxy), then the proxy's CONNECT when a firewall is set, then
// TLS when SSLEnabled (or WebSocketURL is wss://), whose events and
// outcome go to s, then the WebSocket handshake when WebSocketURL is set.
// via describes the WebSocket and the proxy used, for the log ("" when
// none).
func (c *config) connectConfig(s *STOMP) (cc actors.ConnectConfig, via string, err error) {
	host := c.virtualHost
	if host == "" {
		host = c.remoteHost
	}
	tcp := transport.TCPOptions{
		LocalHost: c.localHost, LocalPort: c.localPort, NoDelay: c.tcpNoDelay,
		KeepAlive: c.tcpKeepAlive, KeepAliveTime: c.keepAliveTime, KeepAliveInterval: c.keepAliveInterval,
		ReadBuffer: c.inBufferSize, WriteBuffer: c.outBufferSize,
	}
	switch {
	case !c.linger: // reset the connection on close
		tcp.Linger, tcp.LingerTime = true, 0
	case c.lingerTime > 0:
		tcp.Linger, tcp.LingerTime = true, c.lingerTime
	}
	switch c.ipv6 {
	case IPv6Only, IPv6Never, IPv6First:
		tcp.IPv6 = string(c.ipv6)
	}
	route, err := c.proxyRoute(c.remoteHost, c.remotePort, os.Getenv)
	if err != nil {
		return actors.ConnectConfig{}, "", err
	}
	if route.typ != FirewallNone {
		via = " through the " + route.typ.String() + " proxy at " + route.addr + " (" + route.from + ")"
	}
	tcpDial := transport.TCP(tcp)
	dial, err := c.failoverDialer(route.dialer(tcpDial), tcpDial, os.Getenv)
	if err != nil {
		return actors.ConnectConfig{}, "", err
	}
	useTLS := c.sec.ssl.Enabled
	ws, overWS := c.webSocketTarget()
	if overWS {
		if useTLS && !ws.Secure {
			return actors.ConnectConfig{}, "", invalid("SSLEnabled is true but WebSocketURL is ws://: use wss:// for TLS")
		}
		useTLS = ws.Secure
	}
	if useTLS {
		ts, err := c.tlsSetup()
		if err != nil {
			return actors.ConnectConfig{}, "", err
		}
		dial = s.sslDialer(dial, ts)
	}
	if overWS {
		// wss:// hands the WebSocket a dialer that has run TLS already.
		dial = transport.WebSocket(dial, c.sec.webSocketURL, transport.WSOptions{Subprotocols: subprotocols(c.supportedVersions), ReadLimit: c.wsReadLimit()})
		via = " over WebSocket " + transport.RedactURL(ws.URL.String()) + via
	}
	wait := c.connectWait()
	addr, failover := transport.HostPort(c.remoteHost, c.remotePort), append([]string(nil), c.rare.failover...)
	if overWS {
		// The URL is the one dialed, whatever the address: say so in the
		// log and in ConnectedServer, and do not take turns through
		// failover servers that would not be dialed.
		addr, failover = ws.Addr(), nil
	}
	return actors.ConnectConfig{
		Addr:               addr,
		Dial:               dial,
		Versions:           append([]frames.Version(nil), c.supportedVersions...),
		Host:               host,
		Login:              c.user,
		Passcode:           c.password,
		ConnectHeaders:     append(frames.Headers(nil), c.rare.connectHeaders...),
		HeartbeatOut:       c.outgoingHeartbeat,
		HeartbeatIn:        c.incomingHeartbeat,
		ConnectTimeout:     wait,
		WriteTimeout:       c.timeout,
		Limits:             c.limits(),
		HeartbeatTolerance: c.rare.heartbeatTolerance,
		MaxTransferRate:    c.maxTransferRate,
		Failover:           failover,
		Reconnect: actors.ReconnectPolicy{
			Enabled: c.rare.reconnect.Enabled, InitialDelay: c.rare.reconnect.InitialDelay,
			MaxDelay: c.rare.reconnect.MaxDelay, MaxAttempts: c.rare.reconnect.MaxAttempts,
			StableAfter: c.rare.reconnect.StableAfter,
		},
		Credentials: s.credentialsFor(c.rare.credentials),
		Scrub:       s.scrub,
	}, via, nil
}

func (c *config) setVirtualHost(h string) error {
	if err := checkValue("VirtualHost", frames.CmdConnect, frames.HdrHost, h); err != nil {
		return err
	}
	c.virtualHost = h
	return nil
}
