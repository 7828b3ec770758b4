package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "stomp",
		Short: "Send, receive and simulate STOMP messaging with stompactor",
		Long: "stomp talks to STOMP 1.0/1.1/1.2 brokers through the stompactor library.\n" +
			"With no --server it runs against the embedded simulator where that makes sense (demo).\n\n" +
			"Exit codes: 0 ok, 1 runtime failure, 2 bad usage (flags and arguments, refused before any server is\n" +
			"tried), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM); a signal ends every command\n" +
			"(broker and proxy too) with 128+its number, quietly but for send, which first leaves gracefully\n" +
			"and says how far it got (see send --help). subscribe exits 141 once the reader of its standard\n" +
			"output pipe has gone.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.Version = programVersion()
	root.SetVersionTemplate("{{.Version}}")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cf := &connFlags{}
	connecting := []*cobra.Command{newDemo(cf), newSend(cf), newSubscribe(cf)}
	for _, c := range connecting {
		cf.register(c)
	}
	root.AddCommand(connecting...)
	// bench takes only the connection flags it honours (benchConn).
	root.AddCommand(newBench(), newBroker(), newProxy(), newVersion())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	return root
}

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.Contains(s, "accepts ") ||
		strings.HasPrefix(s, "requires at least") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag")
}
