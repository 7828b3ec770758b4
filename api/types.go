package api

import (
	"slices"
	"strconv"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Header is one STOMP header: the codec's own type, so that a message's
// headers reach a handler as they were decoded, without a copy. Its
// String renders "key:value", with the value of a secret header
// (named like a secret: passcode, authorization, x-auth-token...;
// frames.IsSecretHeader) redacted.
type Header = frames.Header

// Subscription is one live subscription, as listed by Subscriptions.
type Subscription struct {
	ID          string
	Destination string
	// AckMode is the subscription's acknowledgement mode.
	AckMode AckMode
	// Delivered counts the messages delivered to it so far: received,
	// and not dropped by a full queue (FullDrop). Stats.MessagesIn counts
	// the dropped ones too.
	Delivered int64
}

// FirewallType is the kind of proxy a connection goes through. The values
// are the ones Config("FirewallType=N") takes.
type FirewallType int

// Firewall types.
const (
	FirewallNone    FirewallType = 0  // connect directly (the default)
	FirewallTunnel  FirewallType = 1  // an HTTP proxy, through CONNECT
	FirewallSOCKS4  FirewallType = 2  // a SOCKS 4 proxy
	FirewallSOCKS5  FirewallType = 3  // a SOCKS 5 proxy
	FirewallSOCKS4A FirewallType = 10 // a SOCKS 4a proxy
)

func (t FirewallType) valid() bool {
	switch t {
	case FirewallNone, FirewallTunnel, FirewallSOCKS4, FirewallSOCKS5, FirewallSOCKS4A:
		return true
	}
	return false
}

// String returns the type's name.
func (t FirewallType) String() string {
	switch t {
	case FirewallNone:
		return "none"
	case FirewallTunnel:
		return "tunnel"
	case FirewallSOCKS4:
		return "socks4"
	case FirewallSOCKS5:
		return "socks5"
	case FirewallSOCKS4A:
		return "socks4a"
	}
	return "FirewallType(" + strconv.Itoa(int(t)) + ")"
}

// Firewall holds the firewall (proxy) properties: Connect reaches the
// broker through the proxy they name (TLS, when enabled, runs end to end
// through it), except for the hosts of ProxyExceptionsList. A failure of
// the proxy is ErrProxyFailed, its cause a *transport.ProxyError.
// Settings the proxy's protocol cannot carry (a tunnel User with ':', a
// SOCKS5 User or Password over 255 bytes, an IPv6 broker through SOCKS4)
// are ErrInvalidArgument, with a *transport.ProxyError of kind
// ProxyBadRequest as the cause: refused when set, or (for the broker's
// address, or a proxy taken from the environment) by Connect before it
// dials; a Reconnect policy does not retry them. A broker name that
// SOCKS4 (which resolves names here) finds no IPv4 address for is not
// such a setting: DNS may answer otherwise later. That attempt fails
// with ErrConnectFailed (cause: a ProxyError of kind ProxyUnresolved),
// and a Reconnect policy goes on.
type Firewall struct {
	// AutoDetect takes the proxy from the environment when it names one:
	// HTTPS_PROXY, else ALL_PROXY (or their lower-case forms), as a URL
	// whose scheme is the type (http or none: a tunnel; socks4, socks4a,
	// socks5, socks5h) and whose user information is the login; the
	// hosts of NO_PROXY are then reached directly too. When the
	// environment names none, the other fields apply. Default false.
	AutoDetect bool
	// Type is the kind of proxy. SOCKS4 resolves the broker's name here,
	// SOCKS4A and SOCKS5 let the proxy resolve it. Default FirewallNone.
	Type FirewallType
	// Host is the proxy's name or address. Default "".
	Host string
	// Port is the proxy's port; 0 means the type's usual port (1080 for
	// SOCKS, 80 for a tunnel). Default 0.
	Port int
	// User and Password authenticate to the proxy: Basic credentials for
	// a tunnel, the username/password method for SOCKS5, the user id for
	// SOCKS4 (which has no password). Default "". Password is never
	// logged, put in an error, printed by String or GoString, given to
	// log/slog (LogValue) or encoded by encoding/json (MarshalJSON).
	User, Password string
}

// String describes the firewall with its password redacted.
func (f Firewall) String() string {
	s := "Firewall{Type:" + f.Type.String() + " Host:" + f.Host + " Port:" + strconv.Itoa(f.Port) +
		" AutoDetect:" + strconv.FormatBool(f.AutoDetect) + " User:" + f.User
	if f.Password != "" {
		s += " Password:<redacted>"
	}
	return s + "}"
}

// GoString is String, so that %#v redacts the password too. LogValue
// and MarshalJSON redact it for log/slog and encoding/json.
func (f Firewall) GoString() string { return f.String() }

// SSLSettings holds the TLS properties. With Enabled, Connect runs a TLS
// handshake (over the proxy, if any) before CONNECT. The server's
// certificate must chain to a trusted root (the system's, or
// SSLCACertFilePaths', plus SSLServerCACerts) and name RemoteHost, unless
// AcceptServerCertEncoded or the SSLServerAuthentication handler accepts
// it; else Connect fails with ErrCertRejected. The TLS versions and
// suites are the SSLEnabledProtocols and SSLEnabledCipherSuites settings.
type SSLSettings struct {
	// Enabled turns TLS on. Default false.
	Enabled bool
	// AcceptServerCertEncoded, when set, is a server certificate (PEM or
	// base64 DER) accepted even if no trusted root signed it, when the
	// server presents exactly it; other certificates are verified as
	// usual. "*" accepts any certificate without verification: that is
	// insecure (anyone on the path can impersonate the broker), for tests
	// only: each connection then logs a warning saying so (slog's Warn
	// level, taken from LogLevel 1, and OnLog). Default "".
	AcceptServerCertEncoded string
	// CertEncoded is the client certificate (PEM or base64 DER); its
	// private key comes from the same PEM or from CertStore. Default "".
	CertEncoded string
	// CertStore holds the client certificate and its private key: PEM
	// blocks or a PKCS#12 store, inline or in the file it names (see
	// CertStoreType); certificates other than the one matching the key
	// are sent as its chain. A PEM key may be encrypted, as PKCS#8
	// ("ENCRYPTED PRIVATE KEY", PBES2) or with OpenSSL's legacy
	// "Proc-Type: 4,ENCRYPTED" headers; PKCS#8 keys under the older PBES1
	// schemes are refused with ErrUnsupported. The certificate is sent
	// only when the server asks for one, and only if it chains to one of
	// the CAs the server names as acceptable (Go's rule); a broker that
	// refuses it, or requires one that was not sent, makes Connect fail
	// with ErrTLSFailed saying so. String and errors quote a file name
	// but never inline content, which they show by its kind and length
	// ("<inline base64, 980B>"), even when CertStoreType took it for a
	// file name. Default "".
	CertStore string
	// CertStorePassword opens a PKCS#12 store and decrypts an encrypted
	// PEM key (in CertStore or CertEncoded); a wrong one is
	// ErrInvalidArgument. Default "". Never logged, printed by String or
	// GoString, given to log/slog (LogValue) or encoded by encoding/json
	// (MarshalJSON).
	CertStorePassword string
	// CertStoreType says what CertStore is. Default CertStoreAuto.
	CertStoreType CertStoreType
	// CertSubject picks the client certificate among those matching the
	// key; "" or "*" takes the first of them. Text holding '=' is a
	// subject written as fields, as the reference writes one
	// ("CN=client, O=Example", "E=me@example.org"), or Go's form of it:
	// it picks only a certificate that has every field given, each value
	// compared whole ("O=Example" never picks "O=Example, Inc.", nor
	// "C=U" "C=US"). Fields are split on commas and on '+' outside double
	// quotes (a piece without '=' belongs to the value before it, so
	// "O=Example, Inc." is one field), blanks around names and values are
	// ignored, and so is case; E, EMAIL and EMAILADDRESS name the e-mail
	// field, a dotted OID names any, and a value "#" and hex (as Go
	// prints the e-mail field) is the string it encodes. Text with '='
	// that is not such fields picks nothing. Text without '=' is a
	// partial value: it picks a certificate one of whose fields has it
	// as its whole value ("client" for CN=client), and, when none has,
	// one whose subject in Go's form ("CN=client-2,O=Example") holds it,
	// ignoring case. Among several certificates picked alike, the first
	// in the store is taken. Default "".
	CertSubject string
}

// String describes the settings with the store password redacted, the
// certificates shortened to their length, and an inline store (PEM or
// PKCS#12, both of which hold the private key) shown by its kind and
// length only, whatever CertStoreType says: a base64 PKCS#12 left with
// the automatic type is hidden too.
func (s SSLSettings) String() string {
	out := "SSLSettings{Enabled:" + strconv.FormatBool(s.Enabled) +
		" AcceptServerCert:" + certShown(s.AcceptServerCertEncoded) +
		" Cert:" + certShown(s.CertEncoded) +
		" CertStore:" + certStoreString(s.CertStore, s.CertStoreType) + " CertStoreType:" + strconv.Itoa(int(s.CertStoreType)) +
		" CertSubject:" + s.CertSubject
	if s.CertStorePassword != "" {
		out += " CertStorePassword:<redacted>"
	}
	return out + "}"
}

// GoString is String, so that %#v redacts the password too. LogValue
// and MarshalJSON redact the same for log/slog and encoding/json.
func (s SSLSettings) GoString() string { return s.String() }

// certStoreString shows a CertStore file name as it is, and an inline
// store (PEM, base64 or raw PKCS#12, which hold the private key) only by
// its kind and length: storeShown.
func certStoreString(store string, typ CertStoreType) string {
	shown, _ := storeShown(store, typ)
	return shown
}

// IPv6Mode chooses the address family of connections (the UseIPv6
// setting, which also takes the reference's numbers and booleans: 0 or
// false is IPv6Never, 1 or true IPv6Only, 2 IPv6First).
type IPv6Mode string

// Address family choices.
const (
	IPv6Auto  IPv6Mode = "auto"       // the family of the resolver's first address, the other as fallback (the default)
	IPv6Only  IPv6Mode = "only"       // IPv6 only
	IPv6Never IPv6Mode = "never"      // IPv4 only
	IPv6First IPv6Mode = "ipv6-first" // IPv6 addresses first, IPv4 as fallback
)

// AckMode is a subscription's acknowledgement mode.
type AckMode string

// Acknowledgement modes.
const (
	// AckAuto: the broker considers a message acknowledged once sent. The
	// default.
	AckAuto AckMode = "auto"
	// AckClient: an ACK acknowledges the message and every earlier one of
	// the subscription (a NACK, on RabbitMQ and the simulator, rejects
	// them all too). The client keeps track, per subscription and
	// connection: an Ack or Nack of a message an ACK or NACK already
	// written covered returns ErrAlreadyAcked and writes nothing (the
	// broker no longer has that message, and most end the connection
	// over it), so workers may acknowledge in any order without breaking
	// the connection; so does a handler's return, silently. But with
	// several workers, one's ACK covers the earlier messages others are
	// still handling: the broker drops them then, so a worker that then
	// fails on one cannot give it back (its Nack returns ErrAlreadyAcked)
	// and that message is lost. Use AckClientIndividual when workers
	// finish out of order: it keeps every unfinished message. An ACK that
	// joins a transaction counts once written, even if the transaction is
	// then aborted.
	AckClient AckMode = "client"
	// AckClientIndividual: each message is acknowledged on its own, so an
	// unfinished message stays with the broker whatever others are
	// acknowledged: the mode for several workers. STOMP 1.1 and later.
	AckClientIndividual AckMode = "client-individual"
)

// FullPolicy says what happens when a subscription's queue of received,
// not yet handled messages is full.
type FullPolicy int

// Full-queue policies.
const (
	// FullBlock stops reading from the socket until the handler catches
	// up, so TCP slows the broker down (the default). Heart-beat checks
	// are paused meanwhile.
	FullBlock FullPolicy = iota
	// FullDrop drops the message (only for messages that may be lost).
	FullDrop
	// FullError ends the connection with ErrQueueFull.
	FullError
)

func (p FullPolicy) engine() actors.FullPolicy {
	switch p {
	case FullDrop:
		return actors.FullDrop
	case FullError:
		return actors.FullError
	}
	return actors.FullBlock
}

// DefaultQueueBytes is SubscribeOptions.QueueBytes' default: 16 MiB.
const DefaultQueueBytes = actors.DefaultQueueBytes

// SubscribeOptions are the choices of SubscribeWith beyond the destination.
type SubscribeOptions struct {
	// ID is the subscription id; "" assigns "sub-N", a number the client
	// has not used before, passing over ids in use. An id the program
	// chooses should not have that form: a Subscribe with "sub-3" while
	// the automatic "sub-3" lives is refused (ErrInvalidArgument, the id
	// is in use), and one made while a Subscribe with an automatic id is
	// under way may meet it, so that one of the two is refused.
	ID string
	// AckMode is the acknowledgement mode. Default AckAuto.
	AckMode AckMode
	// Headers are extra SUBSCRIBE headers: a durable subscription's name
	// (activemq.subscriptionName, x-queue-name, ...), selectors. On
	// ActiveMQ a durable subscription also needs the client's client-id
	// on CONNECT (WithConnectHeader) to be resumed after a reconnect. The
	// headers the client sets itself (destination, id, ack, receipt and
	// the others AddHeader lists) are refused with ErrInvalidArgument: ID
	// and AckMode set them. Default none.
	Headers []Header
	// Prefetch bounds the messages the broker sends this subscription
	// before they are acknowledged, so that a slow handler cannot fill
	// its queue and stop the socket for the other subscriptions. It
	// applies to the client ack modes (brokers do not apply a prefetch to
	// auto). The client writes it as the header the broker reads, chosen
	// by the server header of CONNECTED: prefetch-count for RabbitMQ and
	// the simulator, activemq.prefetchSize for ActiveMQ 5, and both for
	// any other broker, since a broker ignores a SUBSCRIBE header it does
	// not know. 0 takes the client's Prefetch setting (WithPrefetch),
	// whose default, 0, means QueueSize-1 (1 for a QueueSize of 1, see
	// below; the whole QueueSize for a Pull subscription, whose Receive
	// gives a message's place back as it takes it), or none with
	// ManualAck (the program
	// then decides when messages are acknowledged, and a bound could
	// stall it); a negative value sends none (the broker's own default).
	// Setting it and a prefetch header in Headers is an error. Default 0.
	//
	// A handler that waits for a RECEIPT (Ack with RequestAckReceipts, a
	// send or a transaction with a receipt) needs the prefetch below
	// QueueSize. The message being handled keeps its place in the queue
	// until its handler returns, acknowledged or not, and RECEIPTs come
	// on the same socket as the messages, behind them. With a prefetch
	// of QueueSize or more, the broker answers an ACK with one more
	// message, which finds the queue full: the reader stops in front of
	// it (OnFull FullBlock), the RECEIPT behind it is not read, and the
	// handler's wait ends at Timeout (ErrReceiptTimeout; the ACK itself
	// did reach the broker). The default leaves that place free. With a
	// QueueSize of 1 it cannot (a prefetch of 0 means none to brokers),
	// so such a subscription, in a client ack mode with the default
	// prefetch and no prefetch header, gets a queue of 2 and a prefetch
	// of 1: the handled message's place and the broker's one message. An
	// explicit Prefetch of QueueSize or more is accepted, for handlers
	// that wait for no RECEIPT. The queue's byte bound (QueueBytes) can
	// stop the reader the same way: it must hold Prefetch+1 messages.
	// In ack mode auto no prefetch bounds the broker, so a handler that
	// waits for a RECEIPT while its queue is full (or another
	// subscription's on the same connection, as they share one reader)
	// stalls until its Timeout; prefer a client ack mode there, or wait
	// outside the handler.
	Prefetch int
	// QueueSize bounds the messages received but not yet handled, the
	// one being handled included (it keeps its place until its handler
	// returns). Default 256. A QueueSize of 1 with the default Prefetch
	// in a client ack mode is taken as 2 (see Prefetch).
	QueueSize int
	// QueueBytes bounds the bytes (headers and bodies) of those messages,
	// the one being handled included: a queue of 256 messages of 4 MiB
	// would otherwise hold 1 GiB. A message larger than the whole bound
	// is still taken, alone. The prefetch counts messages, not bytes, so
	// with large messages this bound, not the broker, may be what stops
	// the socket. Default 16 MiB (DefaultQueueBytes).
	QueueBytes int
	// OnFull says what happens when that queue is full, in messages or in
	// bytes. Default FullBlock.
	OnFull FullPolicy
	// ManualAck makes the handler's return send nothing: the program calls
	// Ack or Nack for each message later, from any goroutine. Default
	// false: the handler's return sends ACK, or NACK when it cleared
	// MessageInEvent.Ack, for ack modes other than auto.
	ManualAck bool
	// Handler receives this subscription's messages instead of the
	// OnMessageIn handler. Default nil: OnMessageIn's.
	Handler func(*MessageInEvent)
	// MaxDeliveries, when >0, takes a poison message out of the way: a
	// message whose handler asked for a NACK (cleared Ack) or panicked
	// comes back from the broker; once it was delivered MaxDeliveries
	// times it goes to DeadLetter and is acknowledged instead (unless
	// DeadLetter fails: see there). Deliveries
	// are counted by the broker where it says (RabbitMQ quorum queues'
	// x-delivery-count), else by the client, by KeyHeader or message-id.
	// Client ack modes without ManualAck only. Default 0: no limit.
	MaxDeliveries int
	// DeadLetter receives the messages MaxDeliveries takes out of the way
	// (Ack and Nack do nothing on them: the client acknowledges them once
	// DeadLetter returns). A DeadLetter that panics, or ends its goroutine
	// (runtime.Goexit), has not taken its message: it is treated as a
	// MessageIn handler that does the same, reported with OnError and
	// counted in Stats.Panics, and the message is NACKed (on STOMP 1.0,
	// which has no NACK, left unacknowledged, and in ack mode client the
	// later ACKs of the subscription, which would cover it, are held back
	// on that connection: see MessageInEvent.Ack), so the broker keeps it
	// and delivers it again, to DeadLetter again. A hook whose store is
	// unavailable panics to refuse a message. Default nil: they are only
	// counted (Stats.DeadLettered) and acknowledged.
	DeadLetter func(*MessageInEvent)
	// KeyHeader names a header that identifies a message across its
	// deliveries (a producer's DedupHeader, say), for brokers whose
	// message-id changes with each delivery (RabbitMQ's does). Default
	// message-id.
	KeyHeader string
	// Lent lends each message to the handler (and DeadLetter) for the
	// length of the call: the *MessageInEvent, its strings, Headers and
	// Data are valid until the handler returns, and the client then uses
	// the event and the message's memory for later messages. Copy what you
	// keep (string(ev.Data), strings.Clone; ParsedHeaders of it is lent
	// too, and empty once the handler returned). In exchange a busy consumer
	// makes about a third of the garbage: a message costs no allocation of
	// its own, and the collector runs a third as often. With a handler,
	// not with ManualAck (an acknowledgement after the handler would name
	// a message whose memory is gone) nor with tracing on (spans keep the
	// message's ids). With Pull, each message Receive returns is lent
	// until its caller gives it back with Release
	// (MessageInEvent.Release): a large message's memory then serves the
	// next instead of going to the collector. While a subscription of the
	// client lends, every message it reads lives in pooled memory, rounded
	// up to a power of two past 1 KiB: a large message that another
	// subscription's handler keeps holds up to twice its size.
	Lent bool
	// Pull keeps the subscription's messages until Receive takes them,
	// instead of calling a handler: the loop a request-reply client or a
	// worker writes. A caller waiting in Receive while the connection is
	// otherwise idle reads the socket on its own goroutine, so a message
	// reaches it with no hand-off between goroutines (from a fast broker,
	// a round trip a quarter shorter than through a handler). Messages
	// that need an acknowledgement are
	// acknowledged with Ack or Nack. In ack mode auto, the messages
	// received and not yet taken when Disconnect ends it are still
	// returned by Receive afterwards (see Disconnect). Not with Handler,
	// MaxDeliveries or DeadLetter; OnMessageIn is not called for them.
	// With tracing, each
	// message Receive returns is a "receive" span (WithTracing).
	Pull bool
}

// toFrameHeaders copies the caller's headers, which it may change later.
func toFrameHeaders(hs []Header) frames.Headers {
	if len(hs) == 0 {
		return nil
	}
	return frames.Headers(slices.Clone(hs))
}

// fromFrameHeaders gives a frame's headers to an event: as they are (the
// frame belongs to the event), or, with collapse and repeated keys, only
// the first of each key (the one STOMP says counts).
func fromFrameHeaders(hs frames.Headers, collapse bool) []Header {
	if !collapse || !repeats(hs) {
		return hs
	}
	out := make([]Header, 0, len(hs))
	for _, h := range hs {
		if !hasKey(out, h.Key) {
			out = append(out, h)
		}
	}
	return out
}

// repeats reports whether a key appears twice.
func repeats(hs frames.Headers) bool {
	for i := range hs {
		if hasKey(hs[:i], hs[i].Key) {
			return true
		}
	}
	return false
}

func hasKey(hs []Header, key string) bool {
	for _, h := range hs {
		if h.Key == key {
			return true
		}
	}
	return false
}
