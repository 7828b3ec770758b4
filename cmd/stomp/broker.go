package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/sim"
)

func newBroker() *cobra.Command {
	var (
		listen    string
		users     []string
		usersFile string
		faults    faultFlags
		heartbeat string
		maxQueued int
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded STOMP broker simulator, optionally with planned faults",
		Long: "Runs the simulator until Ctrl-C (exit 130) or SIGTERM (exit 143), then prints what it did:\n" +
			"connections, messages, and each destination's counts.\n\n" +
			"Once more than --max-queued messages wait in its destinations together, the simulator stops\n" +
			"reading from every connection that publishes (their SENDs, and their DISCONNECT, wait), until\n" +
			"consumers have drained half of them; each pause and resume is a line on stderr.\n\n" + faultHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := []sim.Option{sim.WithListenAddr(listen)}
			for _, u := range users {
				l, p, ok := strings.Cut(u, ":")
				if !ok {
					return usagef("--user %q: want login:passcode", redactPair(u))
				}
				opts = append(opts, sim.WithUser(l, p))
			}
			accounts := len(users)
			if usersFile != "" {
				fromFile, err := readUsersFile(usersFile)
				if err != nil {
					return err
				}
				for _, u := range fromFile {
					opts = append(opts, sim.WithUser(u[0], u[1]))
				}
				accounts += len(fromFile)
			}
			out, in, err := parseHeartbeat(heartbeat)
			if err != nil {
				return err
			}
			opts = append(opts, sim.WithHeartbeat(out, in))
			if maxQueued < 1 {
				return usagef("--max-queued must be at least 1")
			}
			flow := newFlowPrinter(cmd.ErrOrStderr())
			defer flow.stop()
			opts = append(opts, sim.WithMaxQueued(maxQueued), sim.WithFlowHook(flow.hook))
			plan, err := faults.plan()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			printer := newFaultPrinter(w)
			opts = append(opts, sim.WithPlan(plan), sim.WithFaultHook(printer.hook))
			b, err := sim.NewBroker(opts...)
			if err != nil {
				printer.stop()
				return err
			}
			if accounts == 0 && listensBeyondLoopback(listen) {
				warnOpenBroker(cmd.ErrOrStderr(), listen)
			}
			fmt.Fprintf(w, "simulator listening on %s (%d faults planned); Ctrl-C stops it\n", b.Addr(), len(plan))
			<-cmd.Context().Done()
			st := b.Stats()
			_ = b.Close()
			fmt.Fprintf(w, "stopping: %s\n", printer.stop())
			writeBrokerStats(w, st)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:61613", "address to listen on")
	f.StringArrayVar(&users, "user", nil, "accepted login:passcode (repeatable; with neither this nor --users-file, any login is accepted)")
	f.StringVar(&usersFile, "users-file", "", "file of accepted logins, one login:passcode a line ('#' comments; at least one), kept out of argv and shell history")
	faults.register(cmd)
	f.IntVar(&maxQueued, "max-queued", sim.DefaultMaxQueued, "messages waiting in all destinations beyond which publishers are no longer read")
	f.StringVar(&heartbeat, "heartbeat", "0,0", "the broker's heart-beat offer, send,receive in milliseconds")
	return cmd
}

func redactPair(s string) string {
	if l, _, ok := strings.Cut(s, ":"); ok {
		return l + ":***"
	}
	return "***"
}
