package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/stompactor/stompactor/api"
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

// programVersion describes the build, two lines: the module's build as
// the library reports it (api.BuildInfo: path, version, revision when
// recorded, Go version), and the platform.
//
//	stomp github.com/stompactor/stompactor (devel) revision 0123abc..., built with go1.25.1
//	linux/amd64
func programVersion() string {
	return "stomp " + api.BuildInfo() + "\n" + runtime.GOOS + "/" + runtime.GOARCH + "\n"
}
