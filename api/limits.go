package api

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/frames"
)

// ReceiveLimits bound what the client takes from the broker, beside
// MaxLineLength (the longest header line). A frame over a limit ends the
// connection with ErrFrameLimit, whose message names the limit and the
// setting that raises it. Zero fields take the defaults: a 4 MiB body,
// 100 headers, a frame of the body limit plus 256 KiB. A subscription's
// queue is bounded in bytes too (see SubscribeOptions), so raising
// MaxBody does not let a slow handler pin memory without end. Over a
// WebSocket (WebSocketURL), one incoming message may hold at most the
// frame limit plus 256 KiB (frames may share a message); a larger one
// ends the connection with ErrFrameLimit too, and MaxFrame (or MaxBody,
// when MaxFrame is 0) raises it.
type ReceiveLimits struct {
	MaxBody    int // the largest body, bytes (the MaxBodySize setting)
	MaxHeaders int // the most header lines of a frame (MaxHeaders)
	MaxFrame   int // the largest whole frame, bytes (MaxFrameSize)
}

// WithReceiveLimits sets the receive limits. Default ReceiveLimits{}.
func WithReceiveLimits(l ReceiveLimits) Option {
	return setOpt("ReceiveLimits", func(c *config, l ReceiveLimits) error {
		return c.all(
			func(c *config) error { return setInt(&c.rareW().recvLimits.MaxBody, maxBodyBound, l.MaxBody) },
			func(c *config) error { return setInt(&c.rareW().recvLimits.MaxHeaders, maxHeadersBound, l.MaxHeaders) },
			func(c *config) error { return setInt(&c.rareW().recvLimits.MaxFrame, maxFrameBound, l.MaxFrame) },
		)
	}, l)
}

var (
	maxBodyBound    = intBound{name: "MaxBodySize", min: 0, max: math.MaxInt32, meaning: "a size in bytes (0: 4 MiB)"}
	maxHeadersBound = intBound{name: "MaxHeaders", min: 0, max: 1 << 16, meaning: "a number of header lines (0: 100)"}
	maxFrameBound   = intBound{name: "MaxFrameSize", min: 0, max: math.MaxInt32, meaning: "a size in bytes (0: MaxBodySize + 256 KiB)"}
)

// limits is the engine's view of the receive limits.
func (c *config) limits() frames.Limits {
	return frames.Limits{MaxHeaderLine: c.maxLineLength, MaxBody: c.rare.recvLimits.MaxBody,
		MaxHeaders: c.rare.recvLimits.MaxHeaders, MaxFrame: c.rare.recvLimits.MaxFrame}
}

// wsSlack is what a WebSocket message may hold beyond the largest frame:
// heart-beat EOLs that share its message (transport.DefaultWSReadLimit is
// the default frame limit plus the same).
const wsSlack = 256 << 10

// wsReadLimit is the largest incoming WebSocket message: the largest frame
// the decoder takes (MaxFrameSize, by default MaxBodySize + 256 KiB) plus
// wsSlack, so that a frame accepted over TCP is accepted over a WebSocket.
func (c *config) wsReadLimit() int64 {
	return int64(c.limits().Effective().MaxFrame) + wsSlack
}

// wsLimitHint is what an over-limit WebSocket message's error adds: the
// read limit follows MaxFrameSize (which follows MaxBodySize when 0).
const wsLimitHint = " (raise it with the MaxFrameSize setting, or MaxBodySize when MaxFrameSize is 0)"

// limitSetting names the setting that raises each receive limit.
var limitSetting = map[frames.Limit]string{
	frames.LimitHeaderLine: "MaxLineLength",
	frames.LimitHeaders:    "MaxHeaders",
	frames.LimitBody:       "MaxBodySize",
	frames.LimitFrame:      "MaxFrameSize",
}

// limitHint is what a frame-limit error adds: the setting to raise.
func limitHint(err error) string {
	var le *frames.LimitError
	if !errors.As(err, &le) {
		return ""
	}
	if name, ok := limitSetting[le.Limit]; ok {
		return " (raise it with the " + name + " setting)"
	}
	return ""
}

// heartbeatTolerance settings: 0 chooses (1.5, or 2.5 with ActiveMQ); a
// value above 1 multiplies the negotiated incoming interval before server
// silence ends the connection, whatever the broker.
func (c *config) setHeartbeatTolerance(f float64) error {
	if f != 0 && (math.IsNaN(f) || f <= 1 || f > 100) {
		return invalid("HeartbeatTolerance takes 0 (automatic) or a factor above 1 and at most 100, not %v", f)
	}
	c.rareW().heartbeatTolerance = f
	return nil
}

// WithHeartbeatTolerance sets HeartbeatTolerance: how many negotiated
// incoming intervals may pass without a byte from the server before the
// connection is deemed dead. Default 0: 1.5, raised to 2.5 for ActiveMQ
// (whose heart-beats come up to two intervals apart); a value set here
// is used for every broker.
func WithHeartbeatTolerance(f float64) Option {
	return setOpt("HeartbeatTolerance", (*config).setHeartbeatTolerance, f)
}

// Settings beyond the reference: receive limits and heart-beat tolerance.
var limitSettings = []setting{
	intSetting(maxBodyBound, true, func(c *config) int { return c.rare.recvLimits.MaxBody }, func(c *config, n int) error { return setInt(&c.rareW().recvLimits.MaxBody, maxBodyBound, n) }),
	intSetting(maxHeadersBound, true, func(c *config) int { return c.rare.recvLimits.MaxHeaders }, func(c *config, n int) error { return setInt(&c.rareW().recvLimits.MaxHeaders, maxHeadersBound, n) }),
	intSetting(maxFrameBound, true, func(c *config) int { return c.rare.recvLimits.MaxFrame }, func(c *config, n int) error { return setInt(&c.rareW().recvLimits.MaxFrame, maxFrameBound, n) }),
	{name: "HeartbeatTolerance", connect: true,
		get: configGet(func(c *config) string { return strconv.FormatFloat(c.rare.heartbeatTolerance, 'g', -1, 64) }),
		set: func(c *config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return invalid("HeartbeatTolerance takes a number, not %q", v)
			}
			return c.setHeartbeatTolerance(f)
		}},
}
