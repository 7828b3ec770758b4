package sim

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// Option configures a Broker. NewBroker skips a nil Option.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) {
	if f != nil {
		f(c)
	}
}

// config holds every broker setting; NewBroker fills it from the options.
type config struct {
	listen        string
	listener      net.Listener // WithListener: used instead of listen
	versions      []frames.Version
	vhosts        []string
	users         map[string]string
	hbSend        time.Duration
	hbRecv        time.Duration
	hbTolerance   float64
	limits        frames.Limits
	outbound      int
	maxQueued     int
	queuePrefixes []string
	topicPrefixes []string
	plan          Plan
	faultHook     func(FaultEvent)
	flowHook      func(FlowEvent)
	serverName    string
	frameLog      int
	closedLog     int
	linger        time.Duration
}

// Defaults of the broker's options.
const (
	DefaultListenAddr         = "127.0.0.1:0"        // WithListenAddr
	DefaultServerName         = "stompactor-sim/1.0" // WithServerName
	DefaultHeartbeatTolerance = 2.0                  // WithHeartbeatTolerance
	DefaultOutboundQueue      = 1024                 // WithOutboundQueue
	DefaultMaxQueued          = 100000               // WithMaxQueued
	DefaultFrameLog           = 256                  // WithFrameLog
	DefaultClosedLog          = 4                    // WithClosedLog
	DefaultLinger             = time.Second          // WithLinger (the Proxy uses it too)
)

func defaultConfig() *config {
	return &config{
		listen:        DefaultListenAddr,
		versions:      append([]frames.Version(nil), frames.Versions...),
		hbTolerance:   DefaultHeartbeatTolerance,
		limits:        frames.DefaultLimits(),
		outbound:      DefaultOutboundQueue,
		maxQueued:     DefaultMaxQueued,
		queuePrefixes: []string{"/queue/"},
		topicPrefixes: []string{"/topic/"},
		serverName:    DefaultServerName,
		frameLog:      DefaultFrameLog,
		closedLog:     DefaultClosedLog,
		linger:        DefaultLinger,
	}
}

func (c *config) validate() error {
	if len(c.versions) == 0 {
		return errors.New("sim: no protocol version enabled")
	}
	for _, v := range c.versions {
		if !v.Valid() {
			return fmt.Errorf("sim: invalid protocol version %v", v)
		}
	}
	if c.hbSend < 0 || c.hbRecv < 0 {
		return errors.New("sim: negative heart-beat interval")
	}
	if c.hbTolerance < 1 {
		return fmt.Errorf("sim: heart-beat tolerance %v is below 1", c.hbTolerance)
	}
	if c.outbound < 1 {
		return fmt.Errorf("sim: outbound queue size %d is below 1", c.outbound)
	}
	if c.maxQueued < 1 {
		return fmt.Errorf("sim: max queued %d is below 1", c.maxQueued)
	}
	if c.frameLog < 0 {
		return fmt.Errorf("sim: negative frame log size %d", c.frameLog)
	}
	if c.closedLog < 0 {
		return fmt.Errorf("sim: negative closed connection log size %d", c.closedLog)
	}
	if c.linger <= 0 {
		return fmt.Errorf("sim: linger %v is not positive", c.linger)
	}
	for _, p := range append(append([]string(nil), c.queuePrefixes...), c.topicPrefixes...) {
		if p == "" {
			return errors.New("sim: empty destination prefix")
		}
	}
	return c.plan.Validate()
}

// WithListenAddr sets the TCP address the broker listens on. The default
// is "127.0.0.1:0", an ephemeral loopback port; Addr reports the one
// chosen. An empty address starts no listener: the broker then serves only
// ServePipe connections.
func WithListenAddr(addr string) Option {
	return optionFunc(func(c *config) { c.listen = addr })
}

// WithListener makes the broker accept connections on ln instead of
// listening on WithListenAddr's address: a listener with a listen backlog
// of the caller's choosing, say, or one that counts what it accepts. A
// broker that NewBroker returned owns ln: Close closes it.
func WithListener(ln net.Listener) Option {
	return optionFunc(func(c *config) { c.listener = ln })
}

// WithVersions sets the protocol versions the broker accepts. The default
// is 1.0, 1.1 and 1.2.
func WithVersions(vs ...frames.Version) Option {
	return optionFunc(func(c *config) { c.versions = append([]frames.Version(nil), vs...) })
}

// WithVirtualHosts sets the virtual hosts the broker serves. A CONNECT whose
// host header names another one, or a 1.1/1.2 CONNECT without a host
// header, is refused with an ERROR. By default no virtual host is
// configured and every host header is accepted.
func WithVirtualHosts(hosts ...string) Option {
	return optionFunc(func(c *config) { c.vhosts = append(c.vhosts, hosts...) })
}

// WithUser adds a login and its passcode. Once any user is configured, a
// CONNECT must carry a known login and its passcode or it is refused with an
// ERROR and the connection is closed. By default there are no users and
// every CONNECT is accepted whatever its login.
func WithUser(login, passcode string) Option {
	return optionFunc(func(c *config) {
		if c.users == nil {
			c.users = make(map[string]string)
		}
		c.users[login] = passcode
	})
}

// WithHeartbeat sets the broker's heart-beat offer: send is the smallest
// interval at which it can send heart-beats, recv the interval at which it
// wants to receive them (the sx,sy of its CONNECTED frame). Each direction
// is then negotiated with the client's CONNECT by the specification's rule:
// the larger of the two values, or none when either is zero. The default is
// 0, 0: no heart-beats.
func WithHeartbeat(send, recv time.Duration) Option {
	return optionFunc(func(c *config) { c.hbSend, c.hbRecv = send, recv })
}

// WithHeartbeatTolerance sets how many negotiated client heart-beat
// intervals may pass without a byte from the client before the broker
// drops the connection. The default is 2; values below 1 are rejected.
func WithHeartbeatTolerance(f float64) Option {
	return optionFunc(func(c *config) { c.hbTolerance = f })
}

// WithLimits sets the limits applied to frames from clients; a frame over a
// limit is answered with an ERROR and the connection is closed. Zero fields
// take the frames package defaults (frames.DefaultLimits).
func WithLimits(l frames.Limits) Option {
	return optionFunc(func(c *config) { c.limits = l })
}

// WithOutboundQueue sets how many frames may wait in one connection's
// outbound queue before the broker stops delivering messages to it until
// its writer drains the queue. The default is 1024.
func WithOutboundQueue(n int) Option {
	return optionFunc(func(c *config) { c.outbound = n })
}

// WithMaxQueued sets how many ready (not yet delivered) messages all the
// destinations may hold together before the broker stops reading from
// connections that publish; it resumes once consumers have drained half of
// them. The default is 100000.
func WithMaxQueued(n int) Option {
	return optionFunc(func(c *config) { c.maxQueued = n })
}

// WithQueuePrefixes replaces the destination prefixes that name queues.
// The default is "/queue/". A destination matching no queue or topic
// prefix is refused with an ERROR.
func WithQueuePrefixes(prefixes ...string) Option {
	return optionFunc(func(c *config) { c.queuePrefixes = append([]string(nil), prefixes...) })
}

// WithTopicPrefixes replaces the destination prefixes that name topics.
// The default is "/topic/".
func WithTopicPrefixes(prefixes ...string) Option {
	return optionFunc(func(c *config) { c.topicPrefixes = append([]string(nil), prefixes...) })
}

// WithPlan applies a fault plan to the broker's connections: each fault
// applies to the connection its Conn field names, or to every connection
// when Conn is 0. The default is no faults.
func WithPlan(p Plan) Option {
	return optionFunc(func(c *config) { c.plan = append(Plan(nil), p...) })
}

// WithFaultHook has fn called with each FaultEvent as the plan's fault
// acts, besides recording it for FaultEvents. fn runs on the goroutine of
// the connection the fault acted on, possibly on several at once, and that
// connection waits for it: it must return quickly and not call back into
// the broker. The default is none.
func WithFaultHook(fn func(FaultEvent)) Option {
	return optionFunc(func(c *config) { c.faultHook = fn })
}

// FlowEvent says the broker stopped or resumed reading from the
// connections that publish (WithMaxQueued).
type FlowEvent struct {
	Paused    bool // true: stopped reading publishers; false: resumed
	Queued    int  // ready messages held in all destinations then
	MaxQueued int  // the WithMaxQueued limit
}

// WithFlowHook has fn called each time the broker stops reading from the
// connections that publish, because more than WithMaxQueued messages are
// ready, and each time it resumes, once consumers have drained half of
// them. fn runs on the broker's event loop: it must return quickly and not
// call back into the broker. The default is none.
func WithFlowHook(fn func(FlowEvent)) Option {
	return optionFunc(func(c *config) { c.flowHook = fn })
}

// WithServerName sets the server header of CONNECTED frames. The default
// is "stompactor-sim/1.0".
func WithServerName(name string) Option {
	return optionFunc(func(c *config) { c.serverName = name })
}

// WithFrameLog sets how many of the most recent frames received on each
// connection the broker keeps for ConnInfo.Received. The default is 256;
// 0 keeps none.
func WithFrameLog(n int) Option {
	return optionFunc(func(c *config) { c.frameLog = n })
}

// WithLinger sets how long the broker waits, after sending a fatal ERROR or
// the RECEIPT of a DISCONNECT on a TCP connection, for the client to close
// its side before closing the socket. The default is one second.
func WithLinger(d time.Duration) Option {
	return optionFunc(func(c *config) { c.linger = d })
}

// destKind says whether a destination is a queue or a topic.
type destKind uint8

const (
	kindNone destKind = iota
	kindQueue
	kindTopic
)

// classify maps a destination name to its kind by the configured prefixes.
func (c *config) classify(name string) destKind {
	for _, p := range c.queuePrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return kindQueue
		}
	}
	for _, p := range c.topicPrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return kindTopic
		}
	}
	return kindNone
}
