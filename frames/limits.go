package frames

import "math"

// Limits bound what the decoder accepts. A zero or negative field takes its
// default; a field above math.MaxInt/4 is lowered to that, which keeps the
// decoder's size arithmetic clear of overflow.
type Limits struct {
	// MaxCommand is the longest command line, without its EOL.
	// Default 32 bytes.
	MaxCommand int
	// MaxHeaderLine is the longest header line, without its EOL.
	// Default 100 KiB.
	MaxHeaderLine int
	// MaxHeaders is the most header lines in one frame. Default 100.
	MaxHeaders int
	// MaxBody is the largest body. Default 4 MiB.
	MaxBody int
	// MaxFrame is the largest whole frame: command, headers, body and
	// terminators. Default MaxBody + 256 KiB.
	MaxFrame int
}

// Default limit values, close to RabbitMQ's own.
const (
	DefaultMaxCommand    = 32
	DefaultMaxHeaderLine = 100 << 10
	DefaultMaxHeaders    = 100
	DefaultMaxBody       = 4 << 20
	defaultFrameSlack    = 256 << 10
)

// maxLimit is the largest value a limit can take.
const maxLimit = math.MaxInt / 4

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

// Effective returns l as the decoder applies it: every zero or negative
// field replaced by its default, every field lowered to the largest value
// a limit can take.
func (l Limits) Effective() Limits { return l.withDefaults() }

func (l Limits) withDefaults() Limits {
	def := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return min(v, maxLimit)
	}
	l.MaxCommand = def(l.MaxCommand, DefaultMaxCommand)
	l.MaxHeaderLine = def(l.MaxHeaderLine, DefaultMaxHeaderLine)
	l.MaxHeaders = def(l.MaxHeaders, DefaultMaxHeaders)
	l.MaxBody = def(l.MaxBody, DefaultMaxBody)
	l.MaxFrame = def(l.MaxFrame, min(l.MaxBody+defaultFrameSlack, maxLimit))
	return l
}
