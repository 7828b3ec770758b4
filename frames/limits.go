package frames

// Limits bound what the decoder accepts. A zero field takes its default.
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

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

func (l Limits) withDefaults() Limits {
	if l.MaxCommand <= 0 {
		l.MaxCommand = DefaultMaxCommand
	}
	if l.MaxHeaderLine <= 0 {
		l.MaxHeaderLine = DefaultMaxHeaderLine
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	if l.MaxFrame <= 0 {
		l.MaxFrame = l.MaxBody + defaultFrameSlack
	}
	return l
}
