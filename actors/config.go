package actors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/transport"
)

// FullPolicy says what the reader does when a subscription's delivery queue
// is full.
type FullPolicy uint8

const (
	// FullBlock stops reading the socket until the queue has room, so TCP
	// pushes back on the broker. The pause is not counted as server
	// silence by the heart-beat checker. This is the default.
	FullBlock FullPolicy = iota
	// FullDrop drops the message (counted in Stats.Dropped). Only safe
	// for subscriptions whose messages may be lost, such as auto-ack
	// topics; for client ack modes the broker redelivers on reconnect.
	FullDrop
	// FullError ends the connection with ErrQueueFull.
	FullError
)

// ConnectConfig is everything one connection attempt needs. The api package
// builds it from its properties at Connect time.
type ConnectConfig struct {
	// Addr is "host:port" of the broker.
	Addr string
	// Dial opens the stream; nil means plain TCP with default options.
	// The connection it returns is the engine's from then on: closing it
	// elsewhere while the connection is quiet goes unnoticed until the
	// next write, since a quiet plain TCP connection is waited for by the
	// engine's poller, which a socket closed on this side leaves silently.
	Dial transport.Dialer
	// Versions to advertise in accept-version. Default: 1.0, 1.1, 1.2.
	Versions []frames.Version
	// Host is the virtual host header. Default: the host part of Addr.
	Host string
	// Login and Passcode authenticate; empty means none is sent.
	Login, Passcode string
	// Credentials, when set, supplies the login and passcode for each
	// connection attempt (the first, and every reconnect or failover),
	// in place of Login and Passcode: logins with expiring tokens
	// survive reconnects. It runs on a goroutine of the attempt, bounded
	// by ConnectTimeout through ctx; an error fails the attempt.
	Credentials func(ctx context.Context, server string) (login, passcode string, err error)
	// UseStompCommand sends STOMP instead of CONNECT (1.1 and later).
	UseStompCommand bool
	// OmitContentLength leaves content-length out of text bodies.
	OmitContentLength bool
	// ConnectHeaders are extra headers for the CONNECT frame.
	ConnectHeaders frames.Headers
	// HeartbeatOut is how often we offer to send heart-beats, HeartbeatIn
	// how often we want them. 0 means none in that direction; the
	// CONNECT frame counts whole milliseconds, so a fraction of one is
	// rounded up; a negative value, or one over 2^31-1 ms, is refused. A
	// heart-beat header in ConnectHeaders stands for both.
	HeartbeatOut, HeartbeatIn time.Duration
	// HeartbeatTolerance multiplies the negotiated incoming interval
	// before silence ends the connection. 0 chooses: 1.5, or 2.5 with
	// ActiveMQ, which sends heart-beats up to two intervals apart. A value
	// set here (above 1) is used as it is.
	HeartbeatTolerance float64
	// ConnectTimeout bounds dialing plus the CONNECT/CONNECTED exchange
	// when the caller's context has no earlier deadline. Default 30s.
	ConnectTimeout time.Duration
	// WriteTimeout bounds one socket write. Default 30s.
	WriteTimeout time.Duration
	// Limits bound what the reader accepts. Zero fields take defaults.
	Limits frames.Limits
	// MaxPendingWrites bounds the outgoing queue, in frames. Default 1024.
	MaxPendingWrites int
	// MaxPendingReceipts bounds receipts awaited at once by callers
	// (RequestReceipts sends, SUBSCRIBE, transactions...); past it such a
	// frame fails with ErrTooManyReceipts, unwritten. The outbox's
	// messages (SendReliable) do not count: OutboxConfig.Max bounds them.
	// Default 4096.
	MaxPendingReceipts int
	// MaxTransferRate limits outgoing bytes per second; 0 is unlimited.
	MaxTransferRate int
	// Failover lists more brokers ("host:port"), tried in turn after
	// Addr: with a Reconnect policy, from the first Connect on.
	Failover []string
	// Reconnect says whether and how to reconnect after an established
	// connection is lost. Default: no reconnecting.
	Reconnect ReconnectPolicy
	// Scrub, when set, hides secrets in a broker's words before the
	// engine cuts them to MaxQuotedText into a message (an ERROR's
	// Message, and so its log line and event): a passcode the broker
	// echoed is replaced whole, where a scrub of the cut text would find
	// only a piece of it. It must be safe for concurrent use. The data
	// (Error.Headers and Body) keeps the words as they came.
	Scrub func(string) string
}

// ReconnectPolicy makes the client keep trying: at Connect, through Addr
// and then each Failover broker in turn until one answers; and when it
// loses an established connection (not after Disconnect, Interrupt or
// Close), again through Addr and the Failover brokers, resubscribing every
// live subscription with its id, ack mode and headers. Open transactions
// end with the old connection, as the broker ends them; messages received
// but not yet acknowledged are redelivered by the broker.
//
// The wait before each attempt is drawn at random from zero up to a
// ceiling ("full jitter", see delay) that grows with each failed attempt
// and is reset only by a connection that stays up for StableAfter: a
// connection that dies right after CONNECTED (a broker that refuses what
// it is sent, a message the client cannot take) does not make the client
// hammer the broker, and many clients that lose one broker together do
// not come back at once.
type ReconnectPolicy struct {
	// Enabled turns reconnecting on. Default false.
	Enabled bool
	// InitialDelay is the wait before the first attempt. Default 100ms.
	InitialDelay time.Duration
	// MaxDelay caps the wait between attempts. Default 30s.
	MaxDelay time.Duration
	// Multiplier grows the wait after each failed attempt. Default 2.
	Multiplier float64
	// MaxAttempts gives up after this many attempts since the last
	// stable connection; 0 never gives up. Default 0.
	MaxAttempts int
	// StableAfter is how long a connection must stay up to reset the
	// wait between attempts. Default MaxDelay.
	StableAfter time.Duration

	// jitter draws the fraction of the ceiling an attempt waits, in
	// [0, 1); nil draws from math/rand/v2's generator (safe from any
	// goroutine, and cheap). Tests set it to make the waits known.
	jitter func() float64
}

// delay is the wait before attempt n (1-based), "full jitter": drawn
// uniformly from [0, d), where d, its ceiling, grows exponentially from
// InitialDelay and is capped at MaxDelay. Many clients that lose one
// broker together thus spread their attempts over the whole of d, not
// over its upper half, and a client's attempts still come further apart
// on average as d grows.
func (p ReconnectPolicy) delay(n int) time.Duration {
	u := 0.0
	if p.jitter != nil {
		u = p.jitter()
	} else {
		u = rand.Float64()
	}
	return time.Duration(u * float64(p.ceiling(n)))
}

// ceiling is the most attempt n (1-based) waits: InitialDelay times
// Multiplier for each attempt before it, capped at MaxDelay.
func (p ReconnectPolicy) ceiling(n int) time.Duration {
	d := float64(p.InitialDelay)
	for i := 1; i < n && d < float64(p.MaxDelay); i++ {
		d *= p.Multiplier
	}
	return time.Duration(min(d, float64(p.MaxDelay)))
}

// defaultHeartbeatTolerance is the read tolerance when none is set.
const defaultHeartbeatTolerance = 1.5

// maxHeartbeat is the largest heart-beat interval a CONNECT frame
// carries (the spec's header is two 31-bit millisecond counts).
const maxHeartbeat = (1<<31 - 1) * time.Millisecond

// checkHeartbeats takes a heart-beat header of ConnectHeaders as the
// intervals it names, refuses intervals a CONNECT frame cannot carry, and
// rounds a fraction of a millisecond up: what CONNECT says is then what
// the negotiation assumes.
func (c *ConnectConfig) checkHeartbeats() error {
	if v, ok := c.ConnectHeaders.Get(frames.HdrHeartBeat); ok {
		out, in, err := parseHeartBeat(v)
		if err != nil {
			return NewError(CodeInvalidArgument, fmt.Sprintf("stomp: ConnectHeaders: heart-beat %q is not two counts of milliseconds", v), nil)
		}
		c.HeartbeatOut, c.HeartbeatIn = out, in
	}
	for _, d := range []*time.Duration{&c.HeartbeatOut, &c.HeartbeatIn} {
		if *d < 0 || *d > maxHeartbeat {
			return NewError(CodeInvalidArgument, fmt.Sprintf("stomp: heart-beat interval %v is out of range (0 to %v)", *d, maxHeartbeat), nil)
		}
		*d = (*d + time.Millisecond - 1).Truncate(time.Millisecond)
	}
	return nil
}

func (c *ConnectConfig) withDefaults() {
	if len(c.Versions) == 0 {
		c.Versions = []frames.Version{frames.V10, frames.V11, frames.V12}
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxPendingWrites <= 0 {
		c.MaxPendingWrites = 1024
	}
	if c.MaxPendingReceipts <= 0 {
		c.MaxPendingReceipts = 4096
	}
	if c.Reconnect.InitialDelay <= 0 {
		c.Reconnect.InitialDelay = 100 * time.Millisecond
	}
	if c.Reconnect.MaxDelay <= 0 {
		c.Reconnect.MaxDelay = 30 * time.Second
	}
	if c.Reconnect.Multiplier < 1 {
		c.Reconnect.Multiplier = 2
	}
	if c.Reconnect.StableAfter <= 0 {
		c.Reconnect.StableAfter = c.Reconnect.MaxDelay
	}
	if c.Dial == nil {
		c.Dial = transport.TCP(transport.TCPOptions{NoDelay: true})
	}
}
