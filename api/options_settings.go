package api

import (
	"time"

	"github.com/stompactor/stompactor/frames"
)

// Options for the configuration settings. Each writes the field its
// Config name does.

// WithAckTransactionID sets AckTransactionId, the transaction every
// acknowledgement joins. Default "".
func WithAckTransactionID(id string) Option {
	return setOpt("AckTransactionId", func(c *config, v string) error {
		return settingSet(c, "AckTransactionId", v)
	}, id)
}

// WithCollapseHeaders sets CollapseHeaders: keep only the first of
// repeated header keys of incoming messages. Default true.
func WithCollapseHeaders(on bool) Option {
	return setOpt("CollapseHeaders", func(c *config, v bool) error { c.collapseHeaders = v; return nil }, on)
}

// WithLogLevel sets LogLevel: 0 none, 1 info and errors, 2 verbose
// (acknowledgements, connection steps), 3 every frame (passcodes
// redacted); a change applies at once, connected or not. It bounds both
// OnLog and the WithLogger logger (whose handler's level applies too).
// Default 1.
func WithLogLevel(level int) Option {
	return setOpt("LogLevel", (*config).setLogLevel, level)
}

// WithRequestAckReceipts sets RequestAckReceipts. Default false.
func WithRequestAckReceipts(on bool) Option {
	return setOpt("RequestAckReceipts", func(c *config, v bool) error { c.requestAckReceipts = v; return nil }, on)
}

// WithRequestSubscriptionReceipts sets RequestSubscriptionReceipts.
// Default false.
func WithRequestSubscriptionReceipts(on bool) Option {
	return setOpt("RequestSubscriptionReceipts", func(c *config, v bool) error { c.requestSubscriptionReceipts = v; return nil }, on)
}

// WithRequestTransactionReceipts sets RequestTransactionReceipts.
// Default false.
func WithRequestTransactionReceipts(on bool) Option {
	return setOpt("RequestTransactionReceipts", func(c *config, v bool) error { c.requestTransactionReceipts = v; return nil }, on)
}

// WithSupportedVersions sets SupportedVersions, the versions offered on
// CONNECT ("1.0", "1.1", "1.2"). Each argument may also be a
// comma-separated list, the setting's own form, so
// WithSupportedVersions("1.1,1.2") and WithSupportedVersions("1.1", "1.2")
// are the same. Default all three.
func WithSupportedVersions(versions ...string) Option {
	return setOpt("SupportedVersions", func(c *config, vs []string) error {
		var out []frames.Version
		for _, s := range vs {
			v, err := parseVersions(s)
			if err != nil {
				return err
			}
			out = append(out, v...)
		}
		return c.setSupportedVersions(out)
	}, versions)
}

// WithVirtualHost sets VirtualHost, the host header of CONNECT. Default
// "": RemoteHost. RabbitMQ wants "/" (or the name of one of its vhosts).
func WithVirtualHost(host string) Option {
	return setOpt("VirtualHost", (*config).setVirtualHost, host)
}

// WithConnectionTimeout sets ConnectionTimeout. Default 0: Timeout. With
// Timeout 0 Connect does not wait, and ConnectionTimeout bounds only the
// attempt.
func WithConnectionTimeout(d time.Duration) Option {
	return setOpt("ConnectionTimeout", (*config).setConnectionTimeout, d)
}

// WithAbsoluteTimeout sets AbsoluteTimeout. Default false.
//
// false makes Timeout an inactivity timeout where a wait is for bytes to
// leave: SendMessage, SendData, Send, Ack, Nack and SendCustomFrame first
// wait for a place in the outgoing queue, which holds a bounded number of
// frames. That wait is absolute: a call that gets no place within Timeout
// of its start fails with ErrTimeout, its frame not written, however many
// bytes the socket takes meanwhile (places are not handed out in order,
// so those bytes may be of frames sent after the call started). Once the
// frame has its place, the call waits for as long as the socket keeps
// taking bytes (those queued ahead of the frame, then its own) and fails
// only once it took none for Timeout, counted from the start of the call
// or from the last bytes it took since the frame got its place: with
// ErrTimeout while the frame waits for room in the writer's buffer, with
// ErrOutcomeUnknown once it is queued for writing (it may still leave),
// unless the socket's write deadline, which fires at about the same time,
// ends the connection first. Once the frame is written, what is left of
// the wait (its RECEIPT, with RequestReceipts) is bounded by Timeout from
// the end of the write. Socket writes follow it too: a large buffer is
// written in pieces of 256 KiB, each with a write deadline of Timeout, so
// a body that takes many times Timeout to leave at a steady rate goes,
// and a peer that stops reading ends the connection about Timeout after
// it stopped (over WebSocket a buffer is written whole, each write being
// a message of its own, which a frame must not be split across: there the
// write deadline counts from the start of the buffer). Every other wait
// stays absolute, counted from the start of the call: Connect,
// Disconnect, Subscribe, Unsubscribe, the transactions, Receive, an
// at-least-once send's wait for room in the outbox. So does a context's
// deadline, always: it is the caller's.
//
// true makes every timeout absolute, as a deadline counted from the start
// of the call (or of one socket write, however large), and makes Timeout,
// not ConnectionTimeout, bound Connect. It can change while connected; a
// change applies to the calls and socket writes that start after it.
func WithAbsoluteTimeout(on bool) Option {
	return setOpt("AbsoluteTimeout", func(c *config, v bool) error { c.absoluteTimeout = v; return nil }, on)
}

// WithSelectWait sets SelectWaitMillis, the longest DoEvents waits for an
// event to run (ProcessIdleEvents false) or to be handled (true; see
// DoEvents). Default 20 milliseconds.
func WithSelectWait(d time.Duration) Option {
	return setOpt("SelectWaitMillis", (*config).setSelectWait, d)
}

// WithLocalHost sets LocalHost. Default "".
func WithLocalHost(host string) Option { return setOpt("LocalHost", (*config).setLocalHost, host) }

// WithLocalPort sets LocalPort. Default 0.
func WithLocalPort(port int) Option { return setOpt("LocalPort", (*config).setLocalPort, port) }

// WithTCPKeepAlive sets TCPKeepAlive, KeepAliveTime and KeepAliveInterval:
// TCP keep-alive probes after idle, repeated every interval (0 durations
// take the system's; at most 32767 seconds, the most Linux takes). A bad
// duration sets none of the three. Default off.
//
// on says whether probes are sent, whatever the durations: the option
// names all three, so its on is the last word. (The KeepAliveTime and
// KeepAliveInterval settings, written alone above 0, turn TCPKeepAlive
// on, as in the reference.)
func WithTCPKeepAlive(on bool, idle, interval time.Duration) Option {
	return setOpt("TCPKeepAlive", func(c *config, v [2]time.Duration) error {
		return c.all(
			func(c *config) error { return c.setKeepAliveTime(v[0]) },
			func(c *config) error { return c.setKeepAliveInterval(v[1]) },
			func(c *config) error { c.tcpKeepAlive = on; return nil },
		)
	}, [2]time.Duration{idle, interval})
}

// WithLinger sets Linger and LingerTime. Linger true (the default) closes
// gracefully: with LingerTime 0 (the default) in the background, else
// waiting up to LingerTime for unsent data. Linger false resets the
// connection on close.
func WithLinger(on bool, d time.Duration) Option {
	return setOpt("Linger", func(c *config, d time.Duration) error {
		return c.all(
			func(c *config) error { c.linger = on; return nil },
			func(c *config) error { return c.setLingerTime(d) },
		)
	}, d)
}

// WithMaxLineLength sets MaxLineLength, the longest header line accepted
// from the server, in bytes. Default 102400.
func WithMaxLineLength(n int) Option {
	return setOpt("MaxLineLength", (*config).setMaxLineLength, n)
}

// WithMaxTransferRate sets MaxTransferRate, the most bytes per second
// written; 0 is unlimited. Default 0.
func WithMaxTransferRate(n int) Option {
	return setOpt("MaxTransferRate", (*config).setMaxTransferRate, n)
}

// WithTCPNoDelay sets TcpNoDelay: send small writes at once (Nagle's
// algorithm off). Default true.
func WithTCPNoDelay(on bool) Option {
	return setOpt("TcpNoDelay", func(c *config, v bool) error { c.tcpNoDelay = v; return nil }, on)
}

// WithIPv6 sets UseIPv6. Default IPv6Auto.
func WithIPv6(m IPv6Mode) Option { return setOpt("UseIPv6", (*config).setIPv6, m) }

// WithBufferSizes sets InBufferSize and OutBufferSize, the socket's
// receive and send buffers in bytes; 0 keeps the system's. Default 0.
func WithBufferSizes(in, out int) Option {
	return setOpt("InBufferSize", func(c *config, v [2]int) error {
		return c.all(
			func(c *config) error { return c.setInBufferSize(v[0]) },
			func(c *config) error { return c.setOutBufferSize(v[1]) },
		)
	}, [2]int{in, out})
}

// WithPrefetch sets Prefetch, the default of SubscribeOptions.Prefetch:
// how many unacknowledged messages the broker may send a subscription in
// a client ack mode. 0 (the default) means one less than each
// subscription's QueueSize (1 with a QueueSize of 1, whose queue then
// gets a second place; its whole QueueSize for a Pull subscription),
// or none with ManualAck; -1 sends none (the broker's own default). A
// handler that waits for a RECEIPT needs a prefetch below its QueueSize:
// see SubscribeOptions.Prefetch.
func WithPrefetch(n int) Option {
	return setOpt("Prefetch", (*config).setPrefetch, n)
}

// WithDisconnectTimeout sets DisconnectTimeout: how long Disconnect waits
// for the broker's RECEIPT of DISCONNECT (and, before it, for running
// message handlers to finish), in place of Timeout; 0 means Timeout.
// Unlike Config("DisconnectTimeout=N") it accepts fractions of a second.
// Default 5 seconds.
func WithDisconnectTimeout(d time.Duration) Option {
	return setOpt("DisconnectTimeout", (*config).setDisconnectTimeout, d)
}

// settingSet writes a setting through its table row, for options whose
// validation lives there.
func settingSet(c *config, name, v string) error {
	row, _ := lookupSetting(name)
	return row.set(c, v)
}
