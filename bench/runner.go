package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is what Run measures and how.
type Config struct {
	// Scenarios to run, by name; empty runs every registered one.
	Scenarios []string
	// Sizes are the body sizes, in bytes, of sized scenarios. Default
	// 0, 100, 4096 and 65536.
	Sizes []int
	// Duration of each measurement. Default 1s.
	Duration time.Duration
	// Warmup of latency scenarios before measuring. Default (0)
	// Duration/4; negative is refused. The throughput scenarios have
	// none: each measures from its first message.
	Warmup time.Duration
	// NoWarmup turns the latency scenarios' warm-up off (Warmup 0 means
	// the default).
	NoWarmup bool
	// Messages bounds each measurement; 0: Duration alone decides.
	Messages int64
	// Runs of each measurement, the raw reference and the client
	// alternating; figures are those of the run of median figure (msg/s,
	// memory per connection; of an even number, the lower middle run),
	// percentiles those of every run together. Default 1.
	Runs int
	// Publishers and Consumers of pub→sub (SetPublishers). Default 1
	// each.
	Publishers, Consumers int
	// Receipts makes every SEND wait for its RECEIPT, in the scenarios
	// that publish (SetReceipts); Run refuses it for the others.
	Receipts bool
	// Lent makes the client's subscriptions lend their messages to their
	// handlers (api.SubscribeOptions.Lent) in the scenarios that consume.
	Lent bool
	// Inflight bounds the firehose's unacknowledged messages in
	// client-individual mode. Default (0 or less) 1024: the harness has
	// no unbounded setting (`stomp bench --inflight 0` is refused).
	Inflight int64
	// Timeout bounds every wait for a peer. Default (0) 30s; negative is
	// refused.
	Timeout time.Duration
	// Destination prefixes the destination names; each measurement adds
	// its own suffix. A /queue/ destination is shared by pub→sub's
	// consumers; any other is counted as a topic, which gives each
	// consumer every message (a broker's queue by another name, such as
	// RabbitMQ's /amq/queue/, then waits for deliveries that never
	// come). On a real broker a /queue/ destination leaves a queue behind
	// per measurement and run. Default
	// "/topic/stompactor-bench" (a topic nobody subscribes to is where
	// publish sends when the broker stands in for the sink).
	Destination string
	// Broker is the broker of the scenarios that need one, and stands in
	// for the sink too. Nil: the simulator (package sim). Run refuses,
	// with a *TargetError and before it dials, one whose login, passcode
	// or virtual host a CONNECT frame cannot carry (Target.Check).
	Broker *Target
	// PeerProcess, when set, runs the built-in peers (sink, firehose,
	// simulator) in processes of their own: it is the command line
	// (e.g. the stomp binary, "bench", "peer") the harness completes with
	// --kind, --listen and --until-stdin-closed (see ServePeer). Nil runs
	// them in this process, where they share its CPU and its figures.
	PeerProcess []string
	// PeerEnv is added to the peer processes' environment.
	PeerEnv []string
	// Connections is how many connections the connections scenario
	// opens, and Fanout how many topic messages it fans out to them.
	// Default 1000 and 3.
	Connections, Fanout int
	// ClientProcess, when set, measures each side of the connections
	// scenario in a fresh process: it is the command line (e.g. the stomp
	// binary, "bench", "conns") the harness completes with the target and
	// the counts (see `stomp bench conns`). A process's memory before its
	// first connection is the baseline, so a process that already ran
	// other scenarios measures less well. Nil measures in this process,
	// and then the scenario's simulator, which would count as the
	// client's memory and goroutines, runs in a process of its own even
	// without PeerProcess: this program, run again (Scenario.OwnPeer).
	ClientProcess []string
	// Progress, when set, gets one line per measurement.
	Progress io.Writer
}

func (c *Config) defaults() error {
	if c.Broker != nil {
		if err := c.Broker.Check(); err != nil {
			return err
		}
	}
	if len(c.Sizes) == 0 {
		c.Sizes = []int{0, 100, 4 << 10, 64 << 10}
	}
	for _, s := range c.Sizes {
		if s < 0 || s > maxFirehoseBody {
			return fmt.Errorf("bench: body size %d out of range (0 to %d)", s, maxFirehoseBody)
		}
	}
	if c.Duration <= 0 {
		c.Duration = time.Second
	}
	if c.Warmup < 0 || c.Timeout < 0 {
		return fmt.Errorf("bench: a negative warm-up (%s) or timeout (%s)", c.Warmup, c.Timeout)
	}
	switch {
	case c.NoWarmup:
		c.Warmup = 0
	case c.Warmup == 0:
		c.Warmup = c.Duration / 4
	}
	c.Runs = max(c.Runs, 1)
	c.Publishers = max(c.Publishers, 1)
	c.Consumers = max(c.Consumers, 1)
	if c.Inflight <= 0 {
		c.Inflight = 1024
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Destination == "" {
		c.Destination = "/topic/stompactor-bench"
	}
	if c.Messages < 0 {
		return errors.New("bench: a negative message budget")
	}
	if c.Messages > 0 && c.Messages < int64(c.Publishers) {
		// Each publisher sends at least its last, confirmed, message.
		return fmt.Errorf("bench: a budget of %d messages for %d publishers: each sends one at least", c.Messages, c.Publishers)
	}
	if c.Connections <= 0 {
		c.Connections = 1000
	}
	if c.Fanout <= 0 {
		c.Fanout = 3
	}
	return nil
}

// Run measures every chosen scenario at every size, the raw reference and
// the client in turn, and returns the report. Peers are started once and
// stopped before it returns. A run that stops early (an error, ctx's end)
// returns the report of what it measured, marked Partial, with the
// error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	var chosen []Scenario
	if len(cfg.Scenarios) == 0 {
		chosen = Scenarios()
	}
	for _, name := range cfg.Scenarios {
		s, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("bench: no scenario %q (have %s)", name, names())
		}
		chosen = append(chosen, s)
	}
	if cfg.Receipts {
		if err := receiptsApply(chosen); err != nil {
			return nil, err
		}
	}
	rep := &Report{Started: time.Now().UTC(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPUs: runtime.NumCPU(), Settings: Settings{Sizes: cfg.Sizes, Duration: cfg.Duration.Seconds(),
			Messages: int(cfg.Messages), Runs: cfg.Runs, Publishers: cfg.Publishers, Consumers: cfg.Consumers,
			Receipts: cfg.Receipts, Lent: cfg.Lent, Inflight: cfg.Inflight, PeerProcess: len(cfg.PeerProcess) > 0, Broker: "sim"}}
	if cfg.Broker != nil {
		rep.Broker = cfg.Broker.Addr
	}
	ps := &peers{cfg: &cfg, targets: map[peerKey]*Target{}}
	defer ps.close()
	seq := 0
	for _, sc := range chosen {
		rep.Scenarios = append(rep.Scenarios, sc.Name)
		t, err := ps.forScenario(ctx, sc)
		if err != nil {
			return rep.stopped(interrupted(ctx, err))
		}
		sizes := cfg.Sizes
		if !sc.Uses(SetSize) {
			sizes = []int{0}
		}
		for _, size := range sizes {
			seq++
			r, err := measure(ctx, &cfg, sc, t, size, seq)
			if err != nil {
				return rep.stopped(fmt.Errorf("%s, %d B: %w", sc.Name, size, err))
			}
			rep.Results = append(rep.Results, r)
			if cfg.Progress != nil {
				fmt.Fprintln(cfg.Progress, r.summary())
				for _, w := range []string{r.few(), r.duplicated()} {
					if w != "" {
						fmt.Fprintln(cfg.Progress, w)
					}
				}
			}
		}
	}
	return rep, nil
}

// stopped marks the report of a run that stopped early with err as
// partial, for the files written from it to say so.
func (rep *Report) stopped(err error) (*Report, error) {
	rep.Partial, rep.Error = true, err.Error()
	return rep, err
}

// receiptsApply refuses Config.Receipts for scenarios that send no
// receipts, rather than recording a setting that did not apply.
func receiptsApply(chosen []Scenario) error {
	var not, do []string
	for _, s := range Scenarios() {
		if s.Uses(SetReceipts) {
			do = append(do, s.Name)
		}
	}
	for _, s := range chosen {
		if !s.Uses(SetReceipts) {
			not = append(not, s.Name)
		}
	}
	if len(not) > 0 {
		return fmt.Errorf("bench: receipts apply to %s only, not to %s", strings.Join(do, ", "), strings.Join(not, ", "))
	}
	return nil
}

func names() string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return fmt.Sprint(out)
}

// measure runs one scenario at one size cfg.Runs times, raw and client
// alternating, and keeps the median.
func measure(ctx context.Context, cfg *Config, sc Scenario, t *Target, size, seq int) (Result, error) {
	// The scenario gets the settings it declares, the others zero.
	p := only(sc, Params{Size: size, Duration: cfg.Duration, Warmup: cfg.Warmup, Messages: cfg.Messages,
		Receipts: cfg.Receipts, Publishers: cfg.Publishers, Consumers: cfg.Consumers,
		Inflight: cfg.Inflight, Timeout: cfg.Timeout, Lent: cfg.Lent,
		Connections: cfg.Connections, Fanout: cfg.Fanout, ClientProcess: cfg.ClientProcess})
	var raws, ours []Measure
	for run := range cfg.Runs {
		base := cfg.Destination + "-" + sc.Name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(seq) + "-" + strconv.Itoa(run)
		p.Destination = base + "-raw"
		r, err := sc.Raw(ctx, t, p)
		if err == nil {
			err = counted(r, sc, p)
		}
		if err != nil {
			return Result{}, fmt.Errorf("raw reference: %w", interrupted(ctx, err))
		}
		p.Destination = base + "-ours"
		o, err := sc.Ours(ctx, t, p)
		if err == nil {
			err = counted(o, sc, p)
		}
		if err != nil {
			return Result{}, fmt.Errorf("client: %w", interrupted(ctx, err))
		}
		raws, ours = append(raws, r), append(ours, o)
	}
	res := Result{Scenario: sc.Name, Chart: sc.Chart, Size: size, Peer: t.Name, Receipts: p.Receipts, Runs: cfg.Runs,
		Raw: median(raws, sc.Chart), Ours: median(ours, sc.Chart)}
	// Duplicates are of every run, not only the median one's: any says
	// the broker delivered a message twice.
	res.Raw.Duplicates, res.Ours.Duplicates = duplicates(raws), duplicates(ours)
	// The settings that change what a row means are in its name, for
	// the tables and charts that show nothing else of them.
	if sc.Uses(SetPublishers) {
		res.Publishers, res.Consumers = cfg.Publishers, cfg.Consumers
		if cfg.Publishers != 1 || cfg.Consumers != 1 {
			res.Scenario += fmt.Sprintf(" %d→%d", cfg.Publishers, cfg.Consumers)
		}
	}
	if p.Receipts {
		res.Scenario += " receipts"
	}
	if p.Lent {
		res.Scenario += " lent"
	}
	if !sc.Uses(SetSize) {
		res.Size = 0
	}
	res.ratios()
	return res, nil
}

// fewMessages is the count below which a side's figures are dominated by
// what happens once a measurement (its first write, its last RECEIPT, a
// collection) rather than by its messages.
const fewMessages = 10

// few returns a warning when a side of r counted fewer than fewMessages
// messages (large bodies in a short --duration, a small --count), else
// "".
func (r Result) few() string {
	if r.Chart == ChartMemory || min(r.Raw.Messages, r.Ours.Messages) >= fewMessages {
		return ""
	}
	return fmt.Sprintf("%s %s: warning: the raw reference counted %d messages, the client %d: too few for steady figures (measure longer: --duration, --count)",
		r.Scenario, SizeName(r.Size), r.Raw.Messages, r.Ours.Messages)
}

// duplicated returns a warning when either side of r was delivered a
// message-id it had had already (see Measure.Duplicates), else "".
func (r Result) duplicated() string {
	if r.Raw.Duplicates == 0 && r.Ours.Duplicates == 0 {
		return ""
	}
	return fmt.Sprintf("%s %s: warning: the broker delivered a message again (the same message-id) %d times to the raw reference, %d to the client: counted apart, not as messages",
		r.Scenario, SizeName(r.Size), r.Raw.Duplicates, r.Ours.Duplicates)
}

func duplicates(ms []Measure) int64 {
	var n int64
	for _, m := range ms {
		n += m.Duplicates
	}
	return n
}

// counted refuses a measure of no message: its rate of 0 (and its
// percentiles of nothing) would read as a figure.
func counted(m Measure, sc Scenario, p Params) error {
	if m.Messages > 0 {
		return nil
	}
	if !sc.Uses(SetDuration) {
		return errors.New("counted no message")
	}
	return fmt.Errorf("counted no message in %s: measure longer (--duration)", p.Duration)
}

// median returns the run of median figure, the one the chart reports
// (memory per connection, else msg/s; of an even number of runs, the
// lower of the two middle ones), with the latency of every run together
// when there is one.
func median(ms []Measure, chart Chart) Measure {
	figure := func(m Measure) float64 { return m.MsgPerSec }
	if chart == ChartMemory {
		figure = func(m Measure) float64 { return m.MemPerConn }
	}
	sorted := slices.Clone(ms)
	sort.SliceStable(sorted, func(i, j int) bool { return figure(sorted[i]) < figure(sorted[j]) })
	out := sorted[(len(sorted)-1)/2]
	if out.hist != nil {
		all := &Histogram{}
		for _, m := range ms {
			if m.hist != nil {
				all.Merge(m.hist)
			}
		}
		out.hist = all
		out.Latency = latencyOf(all)
	}
	return out
}

// ratios sets Ratio (and RatioP99) from the two sides' figures.
func (r *Result) ratios() {
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	switch r.Chart {
	case ChartLatency:
		if r.Raw.Latency != nil && r.Ours.Latency != nil {
			r.Ratio = div(r.Ours.Latency.P50us, r.Raw.Latency.P50us)
			r.RatioP99 = div(r.Ours.Latency.P99us, r.Raw.Latency.P99us)
		}
	case ChartMemory:
		r.Ratio = div(r.Ours.MemPerConn, r.Raw.MemPerConn)
	default:
		r.Ratio = div(r.Ours.MsgPerSec, r.Raw.MsgPerSec)
	}
}
