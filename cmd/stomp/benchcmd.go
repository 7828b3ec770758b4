package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stompactor/stompactor/bench"
)

// benchResult is what `stomp bench --json` writes: the harness's report
// (settings and every result, raw reference beside the client), plus the
// figures the first version of this command wrote at the top level, for
// scripts that read them: the client's pub→sub msg/s and its round-trip
// percentiles, at the first body size.
type benchResult struct {
	*bench.Report
	MsgPerSec    float64 `json:"msg_per_sec,omitempty"`
	LatencyP50us int64   `json:"latency_p50_us,omitempty"`
	LatencyP90us int64   `json:"latency_p90_us,omitempty"`
	LatencyP99us int64   `json:"latency_p99_us,omitempty"`
	LatencyMaxus int64   `json:"latency_max_us,omitempty"`
}

func newBenchResult(rep *bench.Report) *benchResult {
	out := &benchResult{Report: rep}
	us := func(v float64) int64 { return int64(math.Round(v)) } // as the tables print them
	for _, r := range rep.Results {
		// The harness names a result "<scenario>" and what changes its
		// meaning after a space: "pubsub 2→3", "latency lent".
		base, _, _ := strings.Cut(r.Scenario, " ")
		if base == "pubsub" && out.MsgPerSec == 0 {
			out.MsgPerSec = r.Ours.MsgPerSec
		}
		if l := r.Ours.Latency; base == "latency" && l != nil && out.LatencyMaxus == 0 {
			out.LatencyP50us, out.LatencyP90us = us(l.P50us), us(l.P90us)
			out.LatencyP99us, out.LatencyMaxus = us(l.P99us), us(l.MaxUs)
		}
	}
	return out
}

// benchConn are the connection flags `stomp bench` honours: a broker,
// its login and the bound on each wait. Both sides of a scenario use
// them; the raw side speaks plain STOMP 1.2 over TCP by hand, so TLS,
// proxies, heart-beats, another version, failover or the client's other
// settings could apply to the client's side alone, and bench takes none
// of those flags (cobra refuses them as unknown).
type benchConn struct {
	servers  []string
	login    string
	passcode string
	timeout  time.Duration
}

func (c *benchConn) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&c.servers, "server", nil, "a broker in place of the simulator and the sink: stomp://user:pass@host:port/vhost (plain TCP only:\n"+
		"the raw side cannot speak TLS, WebSocket nor a proxy; no failover: one --server)")
	f.StringVar(&c.login, "login", "", "login (default $STOMP_LOGIN)")
	f.StringVar(&c.passcode, "passcode", "", "passcode (default $STOMP_PASSCODE; never echoed)")
	f.DurationVar(&c.timeout, "timeout", 30*time.Second, "bound on every wait for a peer")
}

// benchFlags are the choices of `stomp bench`.
type benchFlags struct {
	conn        benchConn
	cfg         bench.Config
	peerProcess bool
	jsonOut     string
	chartsDir   string
	markdown    string
	chartFormat string
	cpuProfile  string
	memProfile  string
	// warmupSet and scenarioSet say the flags were given: --warmup 0
	// turns the warm-up off, and an empty --scenario is refused (left
	// out, it means all).
	warmupSet, scenarioSet bool
	// set are the flags given on the command line with a value other
	// than their default (givenFlags), by name: one that no chosen
	// scenario uses is refused, one that only some use is noted.
	set []string
}

func newBench() *cobra.Command {
	var bf benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the client against a raw socket loop: publish, consume, pub→sub and latency, by body size",
		Long: "Runs each scenario twice per size, as a raw socket loop (the reference) and through the client,\n" +
			"and prints msg/s, the ratio to the reference, CPU µs and allocations per message.\n\n" +
			"Scenarios: " + scenarioList() + ".\n\n" +
			"Peers: a frame-parsing sink (publish), a firehose (consume), the simulator (pubsub, latency), or with\n" +
			"--server a broker (stomp:// only), which then also takes the sink's place. --peer-process runs the\n" +
			"built-in peers in processes of their own (`stomp bench peer`), so that the CPU and allocation figures\n" +
			"and the profiles are the client's alone: use it for figures worth quoting.\n\n" +
			"Connection flags: --server (one, stomp://), --login, --passcode and --timeout apply to both sides; the others\n" +
			"of send and subscribe (TLS, proxies, heart-beats, --stomp-version, --config, --debug, --reconnect) are refused:\n" +
			"the raw side could not honour them, and the two sides would not measure the same path.\n\n" +
			"The flags each scenario uses, beside --scenario, --runs, --destination, --peer-process, the outputs and the\n" +
			"connection flags, which all use. A flag given that none of the scenarios chosen uses is refused (exit 2); one\n" +
			"that some of them do not use is taken, with a note on stderr naming those, which run without it (--receipts\n" +
			"is refused then too). Only a value other than the flag's default counts as given: --lent=false or --publishers 1\n" +
			"is taken for any scenario (--warmup counts whenever given: its default, a quarter of --duration, has no value).\n" +
			"The flags by scenario:\n" +
			indent(bench.SettingsTable(), "  "),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bf.warmupSet, bf.scenarioSet = cmd.Flags().Changed("warmup"), cmd.Flags().Changed("scenario")
			bf.set = givenFlags(cmd.Flags())
			return runBench(cmd.Context(), &bf, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	bf.conn.register(cmd)
	f := cmd.Flags()
	c := &bf.cfg
	f.StringSliceVar(&c.Scenarios, "scenario", nil, "scenarios to run, comma-separated or repeated (default all)")
	f.IntSliceVar(&c.Sizes, "size", []int{0, 100, 4 << 10, 64 << 10}, "body sizes in bytes, comma-separated, 0 to 16 MiB; above 4 MiB (the client's\n"+
		"default MaxBodySize) the client's limit and the built-in peers' take the size, and a broker that refuses it ends the run with its ERROR")
	f.DurationVar(&c.Duration, "duration", time.Second, "publishing window of each measurement (it ends once the last message published is\n"+
		"confirmed or delivered, which a broker with a backlog may take longer over; rates are over that whole time)")
	f.DurationVar(&c.Warmup, "warmup", 0, "latency warm-up before measuring (default a quarter of --duration; 0: none)")
	f.Int64Var(&c.Messages, "count", 0, "at most this many messages per measurement (0: --duration decides)")
	f.IntVar(&c.Runs, "runs", 1, "runs of each measurement, raw and client alternating; each side reports its run of median\n"+
		"msg/s (connections: memory per connection), the lower middle one of an even number (an odd number is better),\n"+
		"and latency the percentiles of all runs together")
	f.IntVar(&c.Publishers, "publishers", 1, "publishing connections of pubsub; unless both counts are 1, its results are named \"pubsub P→C\"\n"+
		"and its msg/s, CPU and allocations are per delivery (a message on a topic is delivered to each consumer)")
	f.IntVar(&c.Consumers, "consumers", 1, "consuming connections of pubsub (see --publishers)")
	f.BoolVar(&c.Receipts, "receipts", false, "every message waits for the broker's RECEIPT (one in flight), in "+receiptScenarios()+
		" only (refused for the others):\nresults named \"<scenario> receipts\"")
	f.BoolVar(&c.Lent, "lent", false, "the client's subscriptions lend each message to its handler (SubscribeOptions.Lent): results named \"<scenario> lent\"")
	f.Int64Var(&c.Inflight, "inflight", 1024, "most unacknowledged messages the firehose keeps in client-individual mode (at least 1: unbounded, it would\n"+
		"stream as in auto mode)")
	f.StringVar(&c.Destination, "destination", "/topic/stompactor-bench", "destination prefix, to which each measurement adds a suffix of its own;\n"+
		"/queue/ shares pubsub's messages among consumers; any other prefix (/topic/, /exchange/, /amq/queue/...) is counted\n"+
		"as a topic, each consumer getting every message; on a real broker, /queue/ leaves a queue per measurement behind")
	f.IntVar(&c.Connections, "connections", 1000, "connections the connections scenario opens")
	f.IntVar(&c.Fanout, "fanout", 3, "topic messages the connections scenario fans out to them")
	f.BoolVar(&bf.peerProcess, "peer-process", false, "run the built-in peers, and each side of the connections scenario, in their own processes\n"+
		"(without it, the connections scenario's simulator still runs in a process of its own: its memory and goroutines\n"+
		"would otherwise count as the client's)")
	f.StringVar(&bf.jsonOut, "json", "", "also write the report as JSON to this file")
	f.StringVar(&bf.chartsDir, "charts", "", "draw throughput, latency (and memory) charts into this directory")
	f.StringVar(&bf.markdown, "markdown", "", "also write the results as Markdown tables to this file (the README's speed table)")
	f.StringVar(&bf.chartFormat, "chart-format", "png", "chart format: png or svg")
	f.StringVar(&bf.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	f.StringVar(&bf.memProfile, "memprofile", "", "write an allocation profile of the run to this file")
	cmd.AddCommand(newBenchPeer(), newBenchConns())
	return cmd
}

func receiptScenarios() string {
	return strings.Join(bench.UsersOf(bench.SetReceipts), ", ")
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix)
}

func scenarioList() string {
	var names []string
	for _, s := range bench.Scenarios() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func runBench(ctx context.Context, bf *benchFlags, out, errw io.Writer) error {
	cf := &bf.conn
	c := bf.cfg
	for _, n := range []struct {
		flag string
		v    int64
	}{{"--publishers", int64(c.Publishers)}, {"--consumers", int64(c.Consumers)}, {"--runs", int64(c.Runs)},
		{"--inflight", c.Inflight}, {"--connections", int64(c.Connections)}, {"--fanout", int64(c.Fanout)}} {
		if n.v < 1 {
			return usagef("%s must be at least 1, not %d", n.flag, n.v)
		}
	}
	if c.Messages < 0 {
		return usagef("--count must not be negative, not %d", c.Messages)
	}
	if c.Duration <= 0 {
		return usagef("--duration must be more than 0, not %s", c.Duration)
	}
	// Values bench would otherwise replace by its defaults, as send and
	// subscribe refuse them.
	if cf.timeout <= 0 {
		return usagef("--timeout must be more than 0, not %s", cf.timeout)
	}
	if c.Warmup < 0 {
		return usagef("--warmup must not be negative, not %s (0: no warm-up)", c.Warmup)
	}
	if bf.warmupSet && c.Warmup == 0 {
		c.NoWarmup = true
	}
	if bf.scenarioSet && len(c.Scenarios) == 0 {
		return usagef("--scenario is empty: name one or more of %s (leave the flag out for all)", scenarioList())
	}
	if c.Messages > 0 && c.Messages < int64(c.Publishers) {
		return usagef("--count %d is below --publishers %d: each publisher sends one message at least", c.Messages, c.Publishers)
	}
	for _, s := range c.Sizes {
		if s < 0 || s > 16<<20 {
			return usagef("--size %d: want 0 to 16 MiB", s)
		}
	}
	for _, name := range c.Scenarios {
		if _, ok := bench.Lookup(name); !ok {
			return usagef("--scenario %q: want one of %s", name, scenarioList())
		}
	}
	if c.Receipts {
		if not := bench.Unused(c.Scenarios, bench.SetReceipts); len(not) > 0 {
			return usagef("--receipts applies to %s only (choose them with --scenario), not to %s", receiptScenarios(), strings.Join(not, ", "))
		}
	}
	if err := unusedFlags(bf, errw); err != nil {
		return err
	}
	if bf.chartFormat != "png" && bf.chartFormat != "svg" {
		return usagef("--chart-format %q: want png or svg", bf.chartFormat)
	}
	c.Timeout = cf.timeout
	c.Progress = errw
	if len(cf.servers) > 1 {
		return usagef("bench measures one broker: one --server, not %d (no failover)", len(cf.servers))
	}
	if len(cf.servers) > 0 {
		t, err := benchTarget(cf)
		if err != nil {
			return err
		}
		c.Broker = t
	}
	if bf.peerProcess {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--peer-process: %w", err)
		}
		c.PeerProcess = []string{exe, "bench", "peer"}
		c.ClientProcess = []string{exe, "bench", "conns"}
	}
	if bf.cpuProfile != "" {
		f, err := os.Create(bf.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	warnOutputs(bf, errw)
	rep, err := bench.Run(ctx, c)
	if rep == nil {
		return err // refused before measuring
	}
	if len(rep.Results) == 0 {
		// Nothing measured (the first measurement failed, or an
		// interrupt came first): the JSON alone is written, partial and
		// with the error, for a script that waits for it.
		if bf.jsonOut != "" {
			return joinLine(err, outputErr("--json", writeJSONFile(bf.jsonOut, newBenchResult(rep))))
		}
		return err
	}
	if err != nil {
		// A run that failed or was interrupted still gives what it
		// measured, said to be partial.
		fmt.Fprintf(errw, "stomp: bench: the run stopped early; the table and the files below hold the %d results measured before it (partial)\n", len(rep.Results))
	}
	return joinLine(err, writeBench(rep, bf, out))
}

// givenFlags names the flags given on the command line with a value
// other than their default: one given its default changes nothing, so a
// script may pass the same flags (--lent=$LENT, --publishers $P) to every
// scenario. --warmup given at all counts: its default is a quarter of
// --duration, which no value says, and --warmup 0 turns it off.
func givenFlags(fs *pflag.FlagSet) []string {
	var set []string
	fs.Visit(func(f *pflag.Flag) {
		if f.Name == string(bench.SetWarmup) || f.Value.String() != f.DefValue {
			set = append(set, f.Name)
		}
	})
	return set
}

// unusedFlags refuses a flag given on the command line that none of the
// chosen scenarios uses (the table of bench.Scenario's Settings): the run
// would have measured without it, and its results read as if it had
// applied. A flag that some of them use and others not is taken, and a
// note on errw names the scenarios that run without it. A flag given its
// default value is not in bf.set (givenFlags). --receipts, refused as
// soon as one chosen scenario sends no receipt, is left to its own check
// (of a value other than its default, false, too).
func unusedFlags(bf *benchFlags, errw io.Writer) error {
	chosen := bf.cfg.Scenarios
	if len(chosen) == 0 {
		chosen = strings.Split(scenarioList(), ", ")
	}
	for _, name := range bf.set {
		x := bench.Setting(name)
		if x == bench.SetReceipts || !slices.Contains(bench.AllSettings(), x) {
			continue
		}
		not := bench.Unused(chosen, x)
		if len(not) == 0 {
			continue
		}
		users := "no scenario"
		if u := bench.UsersOf(x); len(u) > 0 {
			users = strings.Join(u, ", ") + " only"
		}
		what, runs := "scenario", "runs"
		if len(not) > 1 {
			what, runs = "scenarios", "run"
		}
		if len(not) == len(chosen) {
			return usagef("%s is not used by %s %s: it applies to %s (leave it out, or choose those with --scenario)",
				x.Flag(), what, strings.Join(not, ", "), users)
		}
		fmt.Fprintf(errw, "stomp: bench: note: %s is not used by %s %s, which %s without it (it applies to %s)\n",
			x.Flag(), what, strings.Join(not, ", "), runs, users)
	}
	return nil
}

// warnOutputs warns, before the run, of an output file whose directory
// does not exist: the run goes on (the other outputs are still written),
// but the user may rather stop it than find out at its end.
func warnOutputs(bf *benchFlags, errw io.Writer) {
	for _, o := range []struct{ flag, path string }{{"--json", bf.jsonOut}, {"--markdown", bf.markdown}, {"--memprofile", bf.memProfile}} {
		if o.path == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Dir(o.path)); err != nil || !fi.IsDir() {
			fmt.Fprintf(errw, "stomp: bench: warning: %s %s: its directory %s does not exist; it will not be written (the other outputs will)\n", o.flag, o.path, filepath.Dir(o.path))
		}
	}
}

// writeBench writes the report as the flags ask: the allocation profile,
// the JSON, the Markdown and the charts, then the table on out. One that
// fails does not stop the others (a closed stdout loses only the table):
// every error is returned, joined.
func writeBench(rep *bench.Report, bf *benchFlags, out io.Writer) error {
	var errs []error
	if bf.memProfile != "" {
		errs = append(errs, outputErr("--memprofile", writeAllocs(bf.memProfile)))
	}
	if bf.jsonOut != "" {
		errs = append(errs, outputErr("--json", writeJSONFile(bf.jsonOut, newBenchResult(rep))))
	}
	if bf.markdown != "" {
		var b strings.Builder
		err := rep.WriteMarkdown(&b)
		if err == nil {
			err = os.WriteFile(bf.markdown, []byte(b.String()), 0o644)
		}
		errs = append(errs, outputErr("--markdown", err))
	}
	var charts []string
	if bf.chartsDir != "" {
		err := os.MkdirAll(bf.chartsDir, 0o755)
		if err == nil {
			charts, err = rep.WriteCharts(bf.chartsDir, bf.chartFormat)
		}
		errs = append(errs, outputErr("--charts", err))
	}
	err := rep.WriteTable(out)
	if err == nil && len(charts) > 0 {
		_, err = fmt.Fprintf(out, "\ncharts: %s\n", strings.Join(charts, ", "))
	}
	errs = append(errs, outputErr("the table (stdout)", err))
	return joinLine(errs...)
}

// outputErr names the output an error is of; nil stays nil.
func outputErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// joinLine joins the errors that are not nil as errors.Join does (each
// can be found with errors.Is and errors.As), on one line separated by
// "; ", as run prints one line of an error.
func joinLine(errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	format := strings.TrimSuffix(strings.Repeat("%w; ", len(kept)), "; ")
	args := make([]any, len(kept))
	for i, e := range kept {
		args[i] = e
	}
	return fmt.Errorf(format, args...)
}

// benchTarget turns the --server into the harness's broker, with
// the login resolved as for every command.
func benchTarget(cf *benchConn) (*bench.Target, error) {
	sv, err := parseServer(cf.servers[0])
	if err != nil {
		return nil, &usageError{err: err}
	}
	if sv.Scheme != "stomp" && sv.Scheme != "tcp" {
		return nil, usagef("bench measures plain stomp:// brokers (the raw reference speaks plain TCP), not %s://", sv.Scheme)
	}
	t := &bench.Target{Name: "broker " + sv.String(), Addr: sv.String(), Login: sv.Login, Passcode: sv.Passcode, VHost: sv.VHost}
	if cf.login != "" {
		t.Login = cf.login
	} else if t.Login == "" {
		t.Login = os.Getenv("STOMP_LOGIN")
	}
	if cf.passcode != "" {
		t.Passcode = cf.passcode
	} else if t.Passcode == "" {
		t.Passcode = os.Getenv("STOMP_PASSCODE")
	}
	// The raw reference writes CONNECT by hand: a line feed or a NUL in
	// a value (percent-decoded from the URL) would add a header or a
	// frame. Refused as bad usage, before anything is dialed.
	if err := t.Check(); err != nil {
		return nil, &usageError{err: err}
	}
	return t, nil
}

// writeAllocs writes the allocation profile (every allocation sampled
// since the process started; `go tool pprof -sample_index=alloc_space`).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func writeJSONFile(path string, v *benchResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		_ = f.Close()
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
