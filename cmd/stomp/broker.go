package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

func newBroker() *cobra.Command {
	var (
		listen    string
		users     []string
		faults    []string
		heartbeat string
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded STOMP broker simulator, optionally with planned faults",
		Long: "Runs the simulator until Ctrl-C.\n\n--fault KIND[,key=value...] plans a fault; keys: name, conn, dir (to-client|to-server),\n" +
			"after-bytes, after-frames, on (a command), nth, after (duration), times, delay, jitter, chunk, mask,\n" +
			"message, fatal, seed. Kinds: " + strings.Join(faultKinds(), ", ") + ".",
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
			out, in, err := parseHeartbeat(heartbeat)
			if err != nil {
				return err
			}
			opts = append(opts, sim.WithHeartbeat(out, in))
			var plan sim.Plan
			for i, f := range faults {
				ft, err := parseFault(f, i+1)
				if err != nil {
					return &usageError{err: err}
				}
				plan = append(plan, ft)
			}
			if len(plan) > 0 {
				opts = append(opts, sim.WithPlan(plan))
			}
			b, err := sim.NewBroker(opts...)
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "simulator listening on %s (%d faults planned); Ctrl-C stops it\n", b.Addr(), len(plan))
			<-cmd.Context().Done()
			st := b.Stats()
			fmt.Fprintf(cmd.OutOrStdout(), "stopping: %+v\n", st)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:61613", "address to listen on")
	f.StringArrayVar(&users, "user", nil, "accepted login:passcode (repeatable; none means any login)")
	f.StringArrayVar(&faults, "fault", nil, "a planned fault, KIND[,key=value...] (repeatable)")
	f.StringVar(&heartbeat, "heartbeat", "0,0", "the broker's heart-beat offer, send,receive in milliseconds")
	return cmd
}

func redactPair(s string) string {
	if l, _, ok := strings.Cut(s, ":"); ok {
		return l + ":***"
	}
	return "***"
}

func faultKinds() []string {
	var out []string
	for k := sim.FaultKind(1); k < 64; k++ {
		s := k.String()
		if strings.HasPrefix(s, "FaultKind(") {
			break
		}
		out = append(out, s)
	}
	return out
}

// normKind lets "drop-conn", "dropconn" and "DropConn" name the same kind.
func normKind(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

func parseFault(spec string, n int) (sim.Fault, error) {
	parts := strings.Split(spec, ",")
	f := sim.Fault{Name: "fault-" + strconv.Itoa(n)}
	for k := sim.FaultKind(1); k < 64; k++ {
		if normKind(k.String()) == normKind(parts[0]) {
			f.Kind = k
		}
	}
	if f.Kind == 0 {
		return f, fmt.Errorf("--fault %q: unknown kind (one of %s)", parts[0], strings.Join(faultKinds(), ", "))
	}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return f, fmt.Errorf("--fault: %q is not key=value", kv)
		}
		var err error
		atoi := func() int { var i int; i, err = strconv.Atoi(v); return i }
		dur := func() time.Duration { var d time.Duration; d, err = time.ParseDuration(v); return d }
		switch k {
		case "name":
			f.Name = v
		case "conn":
			f.Conn = atoi()
		case "dir":
			switch v {
			case "to-client":
				f.Dir = sim.ToClient
			case "to-server":
				f.Dir = sim.ToServer
			default:
				err = fmt.Errorf("want to-client or to-server")
			}
		case "after-bytes":
			f.AfterBytes = int64(atoi())
		case "after-frames":
			f.AfterFrames = atoi()
		case "on":
			c, ok := frames.ParseCommand(strings.ToUpper(v))
			if !ok {
				err = fmt.Errorf("unknown command")
			}
			f.OnCommand = c
		case "nth":
			f.Nth = atoi()
		case "after":
			f.After = dur()
		case "times":
			f.Times = atoi()
		case "delay":
			f.Delay = dur()
		case "jitter":
			f.Jitter = dur()
		case "chunk":
			f.Chunk = atoi()
		case "mask":
			f.Mask = byte(atoi())
		case "message":
			f.Message = v
		case "fatal":
			f.Fatal, err = strconv.ParseBool(v)
		case "seed":
			var u uint64
			u, err = strconv.ParseUint(v, 10, 64)
			f.Seed = u
		default:
			return f, fmt.Errorf("--fault: unknown key %q", k)
		}
		if err != nil {
			return f, fmt.Errorf("--fault %s=%s: %v", k, v, err)
		}
	}
	return f, nil
}
