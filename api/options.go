package api

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Option configures a STOMP at NewSTOMP (and again at Reset). Every option
// that names a setting writes the same field as that setting's property
// setter and its Config name: there is one value per setting, however it
// was set. An option with an invalid value does not panic: every Connect
// returns the first such error (Reset applies the options again, so only
// fixing the option helps).
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// setOpt builds an option from a validating config setter.
func setOpt[T any](name string, set func(*config, T) error, v T) Option {
	return optionFunc(func(c *config) {
		if err := set(c, v); err != nil && c.optErr == nil {
			c.optErr = actors.NewError(CodeInvalidArgument, "stomp: option "+name+": "+errorDetail(err), err)
		}
	})
}

func errorDetail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message[len("stomp: "):]
	}
	return err.Error()
}

// Defaults of the settings that are not zero values.
const (
	DefaultRemotePort    = 61613
	DefaultSSLRemotePort = 61612 // RemotePort's default with SSLEnabled
	DefaultTimeout       = 60 * time.Second
	DefaultLogLevel      = 1
	DefaultSelectWait    = 20 * time.Millisecond
	DefaultMaxLineLength = frames.DefaultMaxHeaderLine
	// DefaultDisconnectTimeout is how long Disconnect waits for the
	// broker's RECEIPT (the DisconnectTimeout setting).
	DefaultDisconnectTimeout = 5 * time.Second
)

// eventQueueSize bounds each of a client's queues: events waiting for
// their handlers, and calls made with Timeout 0 waiting to run. The queues
// grow only as far as they are used.
const eventQueueSize = 4096

// eventQueueBytes bounds what the events waiting for their handlers hold
// of what the broker sent: server ERRORs' headers, bodies and messages,
// and log lines (a frame log line quotes a frame's headers). Past it a
// log line is dropped (EventsDropped) and an ERROR's event comes with its
// Message only (Error.Truncated), so that a broker flooding a slow OnError
// handler with ERRORs costs at most this much plus about a kilobyte per
// event. 8 MiB holds 128 ERRORs with a body of MaxErrorBody.
const eventQueueBytes = 8 << 20

// config is every setting of a STOMP. It is guarded by STOMP.mu.
type config struct {
	// Properties.
	remoteHost        string
	remotePort        int // DefaultRemotePort or DefaultSSLRemotePort until set
	user, password    string
	contentType       string
	headers           []Header
	incomingHeartbeat time.Duration
	outgoingHeartbeat time.Duration
	timeout           time.Duration
	transactionID     string
	localHost         string
	localPort         int

	// Configuration settings.
	ackTransactionID            string
	logLevel                    int
	supportedVersions           []frames.Version
	virtualHost                 string
	connectionTimeout           time.Duration
	selectWait                  time.Duration
	keepAliveTime               time.Duration
	keepAliveInterval           time.Duration
	lingerTime                  time.Duration
	maxLineLength               int
	maxTransferRate             int
	ipv6                        IPv6Mode
	inBufferSize, outBufferSize int
	prefetch                    int           // Prefetch: subscriptions' default (SubscribeOptions.Prefetch)
	disconnectTimeout           time.Duration // DisconnectTimeout: the wait for DISCONNECT's RECEIPT

	// TLS, proxy and WebSocket settings, which most clients never set:
	// shared and read-only until one is written (secW).
	sec *secureConfig
	// Resilience, at-least-once publishing, receive limits: the same,
	// for the other settings most clients never set (rareW).
	rare *rareConfig

	tracer *tracer // WithTracing (tracing.go); nil: off

	// Not settings: fixed for the client's life.
	engine      *actors.Engine
	logger      *slog.Logger
	sslSessions tls.ClientSessionCache // made by the first TLS Connect with ReuseSSLSession

	optErr *Error // the first invalid option

	// The flags, together: among the other fields each would take eight
	// bytes, and a config is part of every client.
	remotePortSet               bool // the user set remotePort
	requestReceipts             bool
	collapseHeaders             bool
	requestAckReceipts          bool
	requestSubscriptionReceipts bool
	requestTransactionReceipts  bool
	absoluteTimeout             bool
	manualEvents                bool
	tcpKeepAlive                bool
	linger                      bool
	tcpNoDelay                  bool
	sslReuseSession             bool // ReuseSSLSession (tls_settings.go)
	sslRenegotiation            bool // SSLEnableRenegotiation
}

// secureConfig is the part of a config few clients set: TLS, proxies,
// WebSocket (options_secure.go). Every config starts with a pointer to one
// shared, read-only value of defaults (a client's settings are a large
// object, and these fields are a third of it), and copies it on its first
// write (secW), so copies of a config never share a written one.
type secureConfig struct {
	fw                           Firewall
	ssl                          SSLSettings
	sslCACerts                   string   // SSLCACerts: PEM chain sent after the client certificate
	sslServerCACerts             string   // SSLServerCACerts: PEM roots trusted beside the system's
	sslCAFiles                   []string // SSLCACertFilePaths: PEM files of roots, in place of the system's
	sslMinVersion, sslMaxVersion uint16   // SSLEnabledProtocols
	sslCipherSuites              []uint16 // SSLEnabledCipherSuites; nil: Go's choice
	tls12Groups, tls13Groups     []tls.CurveID
	tls13KeyShares               []tls.CurveID
	proxyExceptions              []string // ProxyExceptionsList
	webSocketURL                 string   // WebSocketURL (websocket.go)
}

// rareConfig is the part of a config few clients set, besides TLS,
// proxies and WebSocket: like secureConfig, every config starts with a
// pointer to one shared, read-only value of defaults and copies it on its
// first write.
type rareConfig struct {
	// Resilience (reconnect.go).
	reconnect Reconnect
	failover  []string

	credentials Credentials // WithCredentials
	// connectHeaders are the extra CONNECT headers (connectheaders.go),
	// replaced whole, never changed in place: copies share them.
	connectHeaders []Header

	atLeastOnce AtLeastOnce // WithAtLeastOnce (atleastonce.go)

	recvLimits         ReceiveLimits // WithReceiveLimits (limits.go)
	heartbeatTolerance float64       // WithHeartbeatTolerance (limits.go)

	// resolver resolves the broker names SOCKS4 sends as addresses (nil:
	// net.DefaultResolver); a test hook, so tests need no DNS.
	resolver *net.Resolver
}

// defaultRare is every config's rareConfig until it writes one.
var defaultRare rareConfig

// rareW returns c's rareConfig for writing: a copy of its own.
func (c *config) rareW() *rareConfig {
	n := *c.rare
	c.rare = &n
	return c.rare
}

// defaultSecure is every config's secureConfig until it writes one.
var defaultSecure = secureConfig{sslMinVersion: tls.VersionTLS12, sslMaxVersion: tls.VersionTLS13}

// secW returns c's secureConfig for writing: a copy of its own.
func (c *config) secW() *secureConfig {
	n := *c.sec
	c.sec = &n
	return c.sec
}

func newConfig(opts []Option) config {
	var c config
	c.init(opts)
	return c
}

// init sets c to the defaults and then applies opts, in place: a config
// is too large to build on the side and copy (that costs a heap copy).
func (c *config) init(opts []Option) {
	*c = config{
		remotePort:        DefaultRemotePort,
		timeout:           DefaultTimeout,
		collapseHeaders:   true,
		logLevel:          DefaultLogLevel,
		supportedVersions: append([]frames.Version(nil), frames.Versions...),
		selectWait:        DefaultSelectWait,
		linger:            true,
		maxLineLength:     DefaultMaxLineLength,
		tcpNoDelay:        true,
		disconnectTimeout: DefaultDisconnectTimeout,
		ipv6:              IPv6Auto,
		sec:               &defaultSecure,
		rare:              &defaultRare,
		sslReuseSession:   true,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
}

// WithEngine runs the client's actors in e (see actors.NewEngine), to keep
// a group of clients apart from the others: their own goroutines, their
// own actor system, their own bound on the automatic reconnect attempts
// that run at once (actors.EngineOptions.MaxConcurrentConnects; Connect
// itself is never held back). By default every client of the process
// shares actors.DefaultEngine(), which costs nothing while no client is
// connected and lets 64 reconnect attempts run at once.
// Close the engine after its clients.
func WithEngine(e *actors.Engine) Option {
	return optionFunc(func(c *config) { c.engine = e })
}

// WithLogger sends the client's logs to l, with passcodes and proxy
// passwords redacted. LogLevel bounds what l takes, as it bounds OnLog: 0
// nothing, 1 errors, warnings and info, 2 the verbose lines (slog's debug
// level) too, 3 the frame lines too (debug); l's handler's own level
// applies as well. By default logs go only to OnLog; the library never
// prints.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithManualEvents queues events (MessageIn included) until DoEvents runs
// them on the caller's goroutine; it is Config("ProcessIdleEvents=false").
// By default events run on the client's own goroutines. A message whose
// MessageIn handler still waits for DoEvents when the client closes is
// not handed on, unless a DoEvents (or Disconnect) already running takes
// it first: it is counted in Stats.Dropped (one that needs an ACK the
// broker redelivers).
func WithManualEvents() Option {
	return optionFunc(func(c *config) { c.manualEvents = true })
}

// WithRemoteHost sets RemoteHost. Default "".
func WithRemoteHost(host string) Option { return setOpt("RemoteHost", (*config).setRemoteHost, host) }

// WithRemotePort sets RemotePort. Default 61613, or 61612 with
// SSLEnabled.
func WithRemotePort(port int) Option { return setOpt("RemotePort", (*config).setRemotePort, port) }

// WithUser sets User, the login sent on CONNECT. Default "" (none sent).
func WithUser(user string) Option { return setOpt("User", (*config).setUser, user) }

// WithPassword sets Password, the passcode sent on CONNECT. Default ""
// (none sent).
func WithPassword(password string) Option {
	return setOpt("Password", (*config).setPassword, password)
}

// WithContentType sets ContentType. Default "".
func WithContentType(ct string) Option { return setOpt("ContentType", (*config).setContentType, ct) }

// WithHeader adds a custom header to outgoing messages, with AddHeader's
// rules. Default: none.
func WithHeader(key, value string) Option {
	return setOpt("Header", (*config).addHeader, Header{Key: key, Value: value})
}

// WithIncomingHeartbeat sets how often the server should send heart-beats
// (IncomingHeartbeat, in milliseconds there): up to 2147483647 ms, a
// fraction of a millisecond rounded up. Default 0: none.
func WithIncomingHeartbeat(d time.Duration) Option {
	return setOpt("IncomingHeartbeat", (*config).setIncomingHeartbeat, d)
}

// WithOutgoingHeartbeat sets how often the client offers to send
// heart-beats (OutgoingHeartbeat): up to 2147483647 ms, a fraction of a
// millisecond rounded up. Default 0: none.
func WithOutgoingHeartbeat(d time.Duration) Option {
	return setOpt("OutgoingHeartbeat", (*config).setOutgoingHeartbeat, d)
}

// WithRequestReceipts sets RequestReceipts. Default false.
func WithRequestReceipts(on bool) Option {
	return setOpt("RequestReceipts", (*config).setRequestReceipts, on)
}

// WithTimeout sets Timeout, up to 2147483647 seconds; 0 makes calls
// return without waiting. Unlike SetTimeout it accepts fractions of a
// second. Default 60 seconds.
func WithTimeout(d time.Duration) Option { return setOpt("Timeout", (*config).setTimeout, d) }

// WithTransactionID sets TransactionID. Default "".
func WithTransactionID(id string) Option {
	return setOpt("TransactionID", (*config).setTransactionID, id)
}

// WithFirewall sets every firewall property at once. Default: no firewall.
func WithFirewall(fw Firewall) Option { return setOpt("Firewall", (*config).setFirewall, fw) }

// WithSSL sets every SSL property at once. Default: TLS disabled.
func WithSSL(s SSLSettings) Option { return setOpt("SSL", (*config).setSSL, s) }
