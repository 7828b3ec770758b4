package frames

import (
	"errors"
	"fmt"
)

// Limit names a decoder limit.
type Limit string

// The decoder limits.
const (
	LimitCommand    Limit = "command length"
	LimitHeaderLine Limit = "header line length"
	LimitHeaders    Limit = "header count"
	LimitBody       Limit = "body size"
	LimitFrame      Limit = "frame size"
)

// LimitError reports a frame that breaks one of the decoder's limits.
type LimitError struct {
	Limit Limit // which limit
	Max   int   // its configured value
}

func (e *LimitError) Error() string {
	unit := " bytes"
	if e.Limit == LimitHeaders {
		unit = " headers"
	}
	return fmt.Sprintf("stomp: frame exceeds the %s limit of %d%s", e.Limit, e.Max, unit)
}

// Is makes errors.Is(err, ErrLimit) true for every *LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// SyntaxError reports a frame that breaks the protocol's grammar, or a
// frame that the chosen version cannot represent when encoding.
type SyntaxError struct {
	Command Command // the frame's command, when known
	Reason  string
}

func (e *SyntaxError) Error() string {
	if e.Command != CmdInvalid {
		return "stomp: malformed " + e.Command.String() + " frame: " + e.Reason
	}
	return "stomp: malformed frame: " + e.Reason
}

// Is makes errors.Is(err, ErrSyntax) true for every *SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Sentinels matched by errors.Is.
var (
	ErrLimit  = errors.New("stomp: frame limit exceeded")
	ErrSyntax = errors.New("stomp: malformed frame")
)

func syntaxErr(cmd Command, format string, args ...any) error {
	return &SyntaxError{Command: cmd, Reason: fmt.Sprintf(format, args...)}
}
