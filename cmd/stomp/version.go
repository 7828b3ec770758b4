package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the program's version (module, commit, Go), as stomp --version does",
		Long: "Prints the program's version: its module and version (\"(devel)\" when built from a checkout),\n" +
			"the commit it was built from when known, and the Go toolchain. The STOMP protocol version a\n" +
			"command offers is its --stomp-version flag.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), programVersion())
			return err
		},
	}
}

// programVersion describes the build from debug.ReadBuildInfo, two lines:
//
//	stomp github.com/stompactor/stompactor (devel) commit 0123abc (modified)
//	go1.25.1 linux/amd64
func programVersion() string {
	var b strings.Builder
	b.WriteString("stomp")
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.WriteString(" " + bi.Main.Path + " " + bi.Main.Version)
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			b.WriteString(" commit " + rev)
			if modified == "true" {
				b.WriteString(" (modified)")
			}
		}
	}
	b.WriteString("\n" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n")
	return b.String()
}
