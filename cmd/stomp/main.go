// Command stomp is stompactor's command line: send and receive STOMP
// messages, run the embedded broker simulator (with planned faults), put
// the same planned faults in front of a real broker for a client in any
// language (`stomp proxy`), and watch the library work end to end with
// `stomp demo`.
//
// Exit codes: 0 success; 1 a runtime failure (connection, protocol, broker
// error); 2 bad usage (flags, arguments); 130 interrupted (Ctrl-C).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// exitReaderGone is the exit code when the reader of standard output has
// gone: 128+SIGPIPE, what a write into the broken pipe would have given.
const exitReaderGone = 128 + int(syscall.SIGPIPE)

// silentExit ends the run with an exit code and nothing on stderr.
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError marks errors that are the user's invocation, not the broker.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code. Errors are one
// line on stderr.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var se *silentExit
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintln(stderr, "stomp: "+oneLine(strings.ReplaceAll(err.Error(), ": stomp: ", ": ")))
	var ue *usageError
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		return exitUsage
	case ctx.Err() != nil:
		return exitInterrupted
	}
	return exitFailure
}

func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
