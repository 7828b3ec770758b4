// Command stomp is stompactor's command line: send and receive STOMP
// messages, run the embedded broker simulator (with planned faults), put
// the same planned faults in front of a real broker for a client in any
// language (`stomp proxy`), and watch the library work end to end with
// `stomp demo`.
//
// Exit codes: 0 success; 1 a runtime failure (connection, protocol, broker
// error); 2 bad usage (flags, arguments, and the values the library
// refuses before dialing whatever the server, found once, before any
// server is tried; a refusal of one server's address, such as an IPv6
// broker through SOCKS4, is that server's failure); 130 interrupted (SIGINT, Ctrl-C)
// and 143 terminated (SIGTERM), for every command, broker and proxy too;
// 141 when subscribe's standard output is a pipe whose reader has gone.
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
	"time"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT
	exitTerminated  = 143 // 128 + SIGTERM
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
// line on stderr. SIGINT and SIGTERM cancel the command's context; the run
// then ends silently with 128 plus the signal's number (130, 143), as a
// shell reports a program the signal killed (send first says how far it
// got). A second signal kills at once, unless it comes within
// duplicateSignal of the first: timeout(1) signals its command and then
// its process group, so the command gets one signal twice.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var caught os.Signal
	finished, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		var first time.Time
		for {
			select {
			case sig := <-sigs:
				switch {
				case caught == nil:
					caught, first = sig, time.Now()
					cancel()
				case time.Since(first) >= duplicateSignal:
					killedBy(sig)
				}
			case <-finished:
				return
			}
		}
	}()
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	signal.Stop(sigs)
	close(finished)
	<-watched
	if caught != nil {
		return exitSignal(caught)
	}
	if err == nil {
		return exitOK
	}
	var se *silentExit
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintln(stderr, "stomp: "+errorLine(err))
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// duplicateSignal is how soon after the first signal another one is taken
// for the same one delivered twice, not a second Ctrl-C.
const duplicateSignal = 300 * time.Millisecond

// killedBy ends the process at once by sig's default action, as a second
// Ctrl-C does to a program that does not catch it; a signal that was
// ignored when the program started stays ignored, and the exit code then
// says the same (128 + its number).
func killedBy(sig os.Signal) {
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	raise(sig)
	os.Exit(exitSignal(sig))
}

// exitSignal is the exit code for a run a signal ended: 128 + its number.
func exitSignal(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return exitInterrupted
}

// errorLine renders err for stderr without the "stomp: " prefixes the
// library's errors carry (run prints its own).
func errorLine(err error) string {
	s := err.Error()
	for strings.HasPrefix(s, "stomp: ") {
		s = strings.TrimPrefix(s, "stomp: ")
	}
	s = strings.ReplaceAll(s, ": stomp: ", ": ")
	s = strings.ReplaceAll(s, "; stomp: ", "; ")
	return oneLine(s)
}

// oneLine is the first line of s with control characters escaped
// (brokerText): an error may quote a broker's words, which must not reach
// the terminal raw.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return brokerText(s, maxErrorLine)
}

// maxErrorLine bounds an error line on stderr.
const maxErrorLine = 16 << 10
