package api

import (
	"context"
	"time"

	"github.com/stompactor/stompactor/actors"
)

// set applies a change to a setting that may change at any time.
func (s *STOMP) set(f func(*config) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := f(&s.cfg)
	s.updateSecrets()
	s.pushLogLevelLocked()
	return err
}

// pushLogLevelLocked makes the engine and the logger log as LogLevel
// says: frame logging is the engine's, and it follows LogLevel at once,
// as the lines the engine makes at all and those the logger takes. s.mu
// is held (or the client is not shared yet).
func (s *STOMP) pushLogLevelLocked() {
	if h, ok := s.logger.Handler().(*redactHandler); ok {
		h.level.Store(int32(s.cfg.logLevel))
	}
	if s.eng != nil {
		s.eng.SetLogFrames(s.cfg.logLevel >= 3)
		s.eng.SetLogLevel(s.engineLogLevelLocked())
		// Not a log setting, but one the engine follows at once too.
		s.eng.SetAbsoluteWrites(s.cfg.absoluteTimeout)
	}
}

// setConnectTime applies a change to a setting that Connect reads: it is
// refused while connected or connecting.
func (s *STOMP) setConnectTime(name string, f func(*config) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.connectingLocked() {
		// Say which: a Connect that waits in the queue of calls (or
		// for its broker) keeps the client connecting, not connected.
		state := actors.Connecting
		if s.eng != nil && s.eng.State() != actors.Disconnected {
			state = s.eng.State()
		}
		return newError(CodeConnectedSetting, name+" cannot change while "+state.String()+"; Disconnect first")
	}
	err := f(&s.cfg)
	s.updateSecrets()
	return err
}

// get reads a setting.
func get[T any](s *STOMP, f func(*config) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(&s.cfg)
}

// Connected reports whether the client is connected (CONNECTED received
// and the connection not ended). Default false.
func (s *STOMP) Connected() bool {
	eng, err := s.engine()
	return err == nil && eng != nil && eng.State() == actors.Connected
}

// SetConnected(true) connects to RemoteHost:RemotePort like Connect;
// SetConnected(false) disconnects like Disconnect.
func (s *STOMP) SetConnected(on bool) error {
	if !on {
		return s.Disconnect()
	}
	host, port := get(s, func(c *config) string { return c.remoteHost }), get(s, func(c *config) int { return c.remotePort })
	return s.ConnectContext(context.Background(), host, port)
}

// ContentType is the content-type header of outgoing messages. Default ""
// (SendMessage then sends text/plain, SendData no content-type).
func (s *STOMP) ContentType() string { return get(s, func(c *config) string { return c.contentType }) }

// SetContentType sets ContentType.
func (s *STOMP) SetContentType(ct string) error {
	return s.set(func(c *config) error { return c.setContentType(ct) })
}

// Headers returns the custom headers sent with every outgoing message, in
// the order they are sent. Default none.
func (s *STOMP) Headers() []Header {
	return get(s, func(c *config) []Header { return append([]Header(nil), c.headers...) })
}

// AddHeader adds a custom header to outgoing messages (SEND frames). The
// headers the client sets itself (destination, transaction, receipt,
// content-length, subscription, id, ack, message-id) cannot be added: they
// come from the call and the properties (TransactionID, RequestReceipts),
// and AddHeader refuses them with ErrInvalidArgument.
//
// The custom headers form a list, as in the reference: adding a key that
// is already there adds a second entry, it does not replace the first,
// and every entry goes out with each message, in the order added (a STOMP
// 1.2 receiver keeps the first of a repeated key; ResetHeaders empties
// the list). Two exceptions: content-type is the caller's on SEND, so the
// first custom content-type replaces ContentType (later ones follow it);
// and a key given in a Send call's SendOptions.Headers replaces every
// custom header of that key for that message. A name
// holding a colon, a line break or a NUL, or a value holding a NUL, is
// refused here; a line break in a value is checked when a message is
// sent, against the negotiated version (see "Headers" in the package
// documentation). SendCustomFrame writes any frame by hand. Custom
// headers go on every message of every goroutine: a header of one
// message alone (a correlation-id, a reply-to) goes in SendOptions.Headers
// (Send).
func (s *STOMP) AddHeader(key, value string) error {
	return s.set(func(c *config) error { return c.addHeader(Header{Key: key, Value: value}) })
}

// ResetHeaders removes every custom header.
func (s *STOMP) ResetHeaders() {
	_ = s.set(func(c *config) error { c.headers = nil; return nil })
}

// IncomingHeartbeat is, before connecting, how often (in milliseconds) the
// server should send heart-beats; once connected, the negotiated interval
// (0: none). Server silence for 1.5 times it ends the connection. Default
// 0: none.
func (s *STOMP) IncomingHeartbeat() int {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return ceilUnits(info.HeartbeatIn, time.Millisecond)
		}
	}
	return get(s, func(c *config) int { return ceilUnits(c.incomingHeartbeat, time.Millisecond) })
}

// SetIncomingHeartbeat sets IncomingHeartbeat in milliseconds (0 to
// 2147483647). It cannot change while connected.
func (s *STOMP) SetIncomingHeartbeat(ms int) error {
	return s.setConnectTime("IncomingHeartbeat", func(c *config) error {
		d, err := incomingHeartbeatBound.fromUnits(int64(ms))
		if err != nil {
			return err
		}
		return c.setIncomingHeartbeat(d)
	})
}

// OutgoingHeartbeat is, before connecting, how often (in milliseconds) the
// client offers to send heart-beats; once connected, the negotiated
// interval (0: none). Default 0: none.
func (s *STOMP) OutgoingHeartbeat() int {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return ceilUnits(info.HeartbeatOut, time.Millisecond)
		}
	}
	return get(s, func(c *config) int { return ceilUnits(c.outgoingHeartbeat, time.Millisecond) })
}

// SetOutgoingHeartbeat sets OutgoingHeartbeat in milliseconds (0 to
// 2147483647). It cannot change while connected.
func (s *STOMP) SetOutgoingHeartbeat(ms int) error {
	return s.setConnectTime("OutgoingHeartbeat", func(c *config) error {
		d, err := outgoingHeartbeatBound.fromUnits(int64(ms))
		if err != nil {
			return err
		}
		return c.setOutgoingHeartbeat(d)
	})
}

// ParsedHeaders returns the headers of the last message handed to a
// MessageIn handler (collapsed as CollapseHeaders says), a Lent one's
// too, as a copy: the client keeps no message alive for it. Go has no
// per-handler property, and handlers of different subscriptions may run at
// once: a handler should read its event's Headers, which are the same
// list and always its own. Default none.
func (s *STOMP) ParsedHeaders() []Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parsed == nil {
		return nil
	}
	return s.parsed.headers()
}

// Password is the passcode sent on CONNECT. It never appears in a log, an
// error or String. Default "" (none sent).
func (s *STOMP) Password() string { return get(s, func(c *config) string { return c.password }) }

// SetPassword sets Password. It cannot change while connected.
func (s *STOMP) SetPassword(p string) error {
	return s.setConnectTime("Password", func(c *config) error { return c.setPassword(p) })
}

// User is the login sent on CONNECT. Default "" (none sent).
func (s *STOMP) User() string { return get(s, func(c *config) string { return c.user }) }

// SetUser sets User. It cannot change while connected.
func (s *STOMP) SetUser(u string) error {
	return s.setConnectTime("User", func(c *config) error { return c.setUser(u) })
}

// ReadyToSend reports whether a message would be queued without waiting:
// connected, and the outgoing queue not full. OnReadyToSend fires when a
// connection is up and when a full queue has room again.
func (s *STOMP) ReadyToSend() bool {
	eng, err := s.connected()
	return err == nil && eng.ReadyToSend()
}

// RemoteHost is the broker's host name or address. Default "".
func (s *STOMP) RemoteHost() string { return get(s, func(c *config) string { return c.remoteHost }) }

// SetRemoteHost sets RemoteHost. It cannot change while connected.
func (s *STOMP) SetRemoteHost(h string) error {
	return s.setConnectTime("RemoteHost", func(c *config) error { return c.setRemoteHost(h) })
}

// RemotePort is the broker's port. Default 61613, or 61612 (the usual
// STOMP over TLS port) while SSLEnabled is set and the port was never set
// (by SetRemotePort, WithRemotePort or Connect).
func (s *STOMP) RemotePort() int { return get(s, func(c *config) int { return c.remotePort }) }

// SetRemotePort sets RemotePort (1 to 65535). It cannot change while
// connected.
func (s *STOMP) SetRemotePort(p int) error {
	return s.setConnectTime("RemotePort", func(c *config) error { return c.setRemotePort(p) })
}

// RequestReceipts makes SendMessage, SendData and Send ask for the
// broker's RECEIPT and wait for it, so that a nil error means the broker
// has the message. With Timeout 0 they do not wait unless their context
// has a deadline (as no call does): a nil then means queued, not
// confirmed, and the outcome (an ERROR that refuses the message, a
// missing RECEIPT) goes to OnError. For a confirmation with Timeout 0, use
// SendDataAsync (at least once: its done callback hears the RECEIPT), or
// a context deadline. Default false: they
// return once the message is queued.
func (s *STOMP) RequestReceipts() bool {
	return get(s, func(c *config) bool { return c.requestReceipts })
}

// SetRequestReceipts sets RequestReceipts.
func (s *STOMP) SetRequestReceipts(on bool) error {
	return s.set(func(c *config) error { return c.setRequestReceipts(on) })
}

// Timeout bounds, in seconds, how long each call waits (a context's
// earlier deadline wins, and is absolute). 0 means calls do not wait:
// they return once the request is queued and report failure with OnError
// (SendMessage without receipts returns ErrWouldBlock when the queue is
// full). It also bounds socket writes. With AbsoluteTimeout false (the
// default) it is an inactivity timeout for the calls that write a frame
// (the sends, Ack, Nack, SendCustomFrame) and for socket writes: a wait
// for a place in the outgoing queue is counted from the call's start, but
// once the frame has its place a wait behind bytes being written, or for
// its own to leave, goes on while the socket keeps taking them, and the
// RECEIPT is awaited Timeout from the end of the write; every other
// call's wait is counted from its start.
// With AbsoluteTimeout true every wait is counted from the start of the
// call, and every socket write from its start (see WithAbsoluteTimeout).
// Rounded up when set in fractions by WithTimeout. Default 60.
func (s *STOMP) Timeout() int {
	return get(s, func(c *config) int { return ceilUnits(c.timeout, time.Second) })
}

// SetTimeout sets Timeout in seconds (0 to 2147483647).
func (s *STOMP) SetTimeout(seconds int) error {
	return s.set(func(c *config) error {
		d, err := timeoutBound.fromUnits(int64(seconds))
		if err != nil {
			return err
		}
		return c.setTimeout(d)
	})
}

// TransactionID is the transaction outgoing messages join; "" joins none.
// It must name a transaction open on the current connection (begun with
// BeginTransaction, not yet committed or aborted): a transaction ends with
// the connection it was begun on, as the broker ends it, and a message
// that names one of an earlier connection (after a reconnect, say) is
// refused with ErrUnknownTransaction before anything is written. Every
// message of every goroutine joins it, but those of Send, which name
// their own (SendOptions.TransactionID). Default "".
func (s *STOMP) TransactionID() string {
	return get(s, func(c *config) string { return c.transactionID })
}

// SetTransactionID sets TransactionID.
func (s *STOMP) SetTransactionID(id string) error {
	return s.set(func(c *config) error { return c.setTransactionID(id) })
}

// LocalHost is the local address connections are made from; "" lets the
// system choose. Also the LocalHost setting. Default "".
func (s *STOMP) LocalHost() string { return get(s, func(c *config) string { return c.localHost }) }

// SetLocalHost sets LocalHost. It cannot change while connected.
func (s *STOMP) SetLocalHost(h string) error {
	return s.setConnectTime("LocalHost", func(c *config) error { return c.setLocalHost(h) })
}

// LocalPort is the local port connections are made from; 0 lets the
// system choose. Also the LocalPort setting. Default 0.
func (s *STOMP) LocalPort() int { return get(s, func(c *config) int { return c.localPort }) }

// SetLocalPort sets LocalPort. It cannot change while connected.
func (s *STOMP) SetLocalPort(p int) error {
	return s.setConnectTime("LocalPort", func(c *config) error { return c.setLocalPort(p) })
}
