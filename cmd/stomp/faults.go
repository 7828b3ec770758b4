package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// faultHelp documents --fault for the broker and proxy commands alike.
var faultHelp = "--fault KIND[,key=value...] plans a fault; keys: name, conn, dir (to-client|to-server),\n" +
	"after-bytes, after-frames, on (a command that crosses dir: the client's, like send, only with\n" +
	"dir=to-server), nth, after (duration), times, delay, jitter, chunk, mask,\n" +
	"message, fatal, receipt-of (send-error answers the Nth receipt asked for), seed. Kinds:\n" + wrap(strings.Join(faultKinds(), ", ")+".", 100) + "\n" +
	"Faults that choose at random (random-chunks, jitter) draw from their seed (default --seed), so a\n" +
	"rerun with the same plan fails the same way (delay-writes to-client writes each frame on its own, so\n" +
	"the same frames get the same waits; to-server, how the client's bytes split into reads depends on\n" +
	"timing, and only the sequence of waits repeats). Each fault is printed as it fires; delay-writes,\n" +
	"split-writes and random-chunks act on every write, so only their first action on each connection is."

// faultFlags are the --fault and --seed flags of the broker and proxy
// commands.
type faultFlags struct {
	specs []string
	seed  uint64
}

func (ff *faultFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&ff.specs, "fault", nil, "a planned fault, KIND[,key=value...] (repeatable)")
	f.Uint64Var(&ff.seed, "seed", 0, "seed of the faults that name none with seed=")
	// Completes the kind; the keys that follow it are in the help.
	_ = cmd.RegisterFlagCompletionFunc("fault", cobra.FixedCompletions(faultKinds(), cobra.ShellCompDirectiveNoFileComp))
}

// plan parses every --fault; a bad one is a usage error.
func (ff *faultFlags) plan() (sim.Plan, error) {
	var plan sim.Plan
	for i, spec := range ff.specs {
		f, err := parseFault(spec, i+1, ff.seed)
		if err != nil {
			return nil, &usageError{err: err}
		}
		plan = append(plan, f)
	}
	if err := plan.Validate(); err != nil {
		return nil, &usageError{err: fmt.Errorf("--fault: %w", err)}
	}
	return plan, nil
}

func faultKinds() []string {
	var out []string
	for k := sim.FaultKind(1); k < 64; k++ {
		s := k.String()
		if strings.HasPrefix(s, "FaultKind(") {
			break
		}
		out = append(out, kebab(s))
	}
	return out
}

// kebab spells a kind the way the flag takes it: "DropConn" -> "drop-conn".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wrap breaks s into lines of at most width bytes, indented by two spaces,
// at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString("  ")
			line = 2
		} else {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

// normKind lets "drop-conn", "dropconn" and "DropConn" name the same kind.
func normKind(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

// parseFault reads one --fault value; n numbers its default name.
func parseFault(spec string, n int, seed uint64) (sim.Fault, error) {
	parts := strings.Split(spec, ",")
	f := sim.Fault{Name: "fault-" + strconv.Itoa(n), Seed: seed}
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
		if err := setFaultKey(&f, k, v); err != nil {
			return f, fmt.Errorf("--fault %s=%s: %v", k, v, err)
		}
	}
	return f, nil
}

// setFaultKey sets the field of f that key k names.
func setFaultKey(f *sim.Fault, k, v string) error {
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
		var i int64
		i, err = strconv.ParseInt(v, 10, 64)
		f.AfterBytes = i
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
		var u uint64
		u, err = strconv.ParseUint(v, 0, 8)
		f.Mask = byte(u)
	case "message":
		f.Message = v
	case "fatal":
		f.Fatal, err = strconv.ParseBool(v)
	case "receipt-of":
		f.ReceiptOf = atoi()
	case "seed":
		f.Seed, err = strconv.ParseUint(v, 10, 64)
	default:
		return fmt.Errorf("unknown key (one of name, conn, dir, after-bytes, after-frames, on, nth, after, times, delay, jitter, chunk, mask, message, fatal, receipt-of, seed)")
	}
	return err
}

// faultQueueSize bounds the fault events waiting to be printed; beyond it
// events are counted, not printed, so a slow terminal never holds up a
// connection.
const faultQueueSize = 1024

// faultPrinter prints fault events as they fire, from a bounded queue, on
// a goroutine of its own. hook may be called from any goroutine, also
// after stop (a timed fault's timer can outlive Close by a moment): events
// are then counted, not printed.
type faultPrinter struct {
	w    io.Writer
	ch   chan sim.FaultEvent
	done chan struct{}

	mu      sync.Mutex // never held while blocking
	stopped bool       // ch is closed
	fired   int
	dropped int
	quiet   int                   // repeated piece events not printed
	seen    map[pieceKey]struct{} // bounded by clearing (see print)
}

// pieceKey names the repeated actions of one fault on one stream.
type pieceKey struct {
	fault string
	conn  int
	dir   sim.Direction
}

func newFaultPrinter(w io.Writer) *faultPrinter {
	p := &faultPrinter{w: w, ch: make(chan sim.FaultEvent, faultQueueSize), done: make(chan struct{}), seen: map[pieceKey]struct{}{}}
	go p.loop()
	return p
}

// hook is the sim fault hook: it never blocks.
func (p *faultPrinter) hook(e sim.FaultEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fired++
	if p.stopped {
		return
	}
	select {
	case p.ch <- e:
	default:
		p.dropped++
	}
}

func (p *faultPrinter) loop() {
	defer close(p.done)
	for e := range p.ch {
		p.print(e)
	}
}

func (p *faultPrinter) print(e sim.FaultEvent) {
	switch e.Kind {
	case sim.DelayWrites, sim.SplitWrites, sim.RandomChunks:
		k := pieceKey{e.Fault, e.Conn, e.Dir}
		p.mu.Lock()
		_, again := p.seen[k]
		if again {
			p.quiet++
		} else {
			if len(p.seen) >= faultQueueSize {
				clear(p.seen)
			}
			p.seen[k] = struct{}{}
		}
		p.mu.Unlock()
		if again {
			return
		}
		fmt.Fprintf(p.w, "fault: %v (repeats on every later write: not printed)\n", e)
	default:
		fmt.Fprintf(p.w, "fault: %v\n", e)
	}
}

// stopWait bounds how long stop waits for the queued events to be printed.
const stopWait = 5 * time.Second

// printed waits until a printer's loop ended (done closed), at most
// stopWait: a stderr nobody reads may never take what is queued. It
// reports whether the loop ended.
func printed(done <-chan struct{}) bool {
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// stop prints what is queued (waiting at most stopWait for the writer) and
// returns a summary line.
func (p *faultPrinter) stop() string {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.ch)
	}
	p.mu.Unlock()
	printed(p.done)
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%d fault actions", p.fired)
	if p.quiet > 0 || p.dropped > 0 {
		s += fmt.Sprintf(" (%d repeated ones and %d beyond the print queue not printed)", p.quiet, p.dropped)
	}
	return s
}
