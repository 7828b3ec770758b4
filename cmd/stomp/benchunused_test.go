package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/bench"
)

// benchFlagValue is a valid value of each flag a scenario may not use,
// nil for a boolean flag.
var benchFlagValue = map[bench.Setting][]string{
	bench.SetSize: {"100"}, bench.SetDuration: {"10ms"}, bench.SetWarmup: {"10ms"}, bench.SetCount: {"100"},
	bench.SetReceipts: nil, bench.SetLent: nil, bench.SetPublishers: {"2"}, bench.SetConsumers: {"2"},
	bench.SetInflight: {"5"}, bench.SetConnections: {"5"}, bench.SetFanout: {"2"},
}

// Every flag of `stomp bench` is either one every scenario uses or a
// bench.Setting, which each scenario declares it uses or not: a new flag
// must be put in one or the other, or it would be taken silently by the
// scenarios that ignore it.
func TestEveryBenchFlagIsForAllOrASetting(t *testing.T) {
	all := []string{"scenario", "runs", "destination", "peer-process", "json", "charts", "markdown", "chart-format",
		"cpuprofile", "memprofile", "server", "login", "passcode", "timeout"}
	settings := map[string]bool{}
	for _, x := range bench.AllSettings() {
		settings[string(x)] = true
		_, ok := benchFlagValue[x]
		assert.True(t, ok, "no test value for %s", x.Flag())
	}
	seen := map[string]bool{}
	newBench().Flags().VisitAll(func(f *pflag.Flag) {
		seen[f.Name] = true
		assert.True(t, slices.Contains(all, f.Name) != settings[f.Name],
			"--%s: either a flag every scenario uses or a bench.Setting, not both nor neither", f.Name)
	})
	for name := range settings {
		assert.True(t, seen[name], "bench.Setting %q is no flag of stomp bench", name)
	}
	for _, name := range all {
		assert.True(t, seen[name], "--%s is no flag of stomp bench", name)
	}
}

// A flag given for a scenario that does not use it is refused before
// anything runs, exit 2, naming the flag and the scenario: --publishers
// for latency, --size for connections, --inflight for consume-auto...
// were taken and ignored, and the results read as if they had applied.
// Every scenario, with every flag it does not use.
func TestBenchRefusesAFlagTheScenarioDoesNotUse(t *testing.T) {
	for _, sc := range bench.Scenarios() {
		for _, x := range bench.AllSettings() {
			if sc.Uses(x) {
				continue
			}
			args := append([]string{"bench", "--scenario", sc.Name, x.Flag()}, benchFlagValue[x]...)
			r := stomp(t, "", args...)
			assert.Equal(t, exitUsage, r.code, "%v: want a usage error; stderr:\n%s\nstdout:\n%s", args, r.stderr, r.stdout)
			assert.Contains(t, r.stderr, x.Flag(), args)
			assert.Contains(t, r.stderr, sc.Name, args)
			assert.Empty(t, r.stdout, "%v: nothing measured", args)
		}
	}
	r := stomp(t, "", "bench", "--scenario", "latency,latency-pull", "--publishers", "2")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--publishers is not used by scenarios latency, latency-pull: it applies to pubsub only")
}

// A flag given its default value changes nothing and is taken for any
// scenario, so a script can pass the same flags to every one: every
// setting flag at its default, for every scenario, is neither refused nor
// noted (--lent=false and --publishers 1 once were refused where
// --receipts=false was taken). --warmup, whose default no value says,
// counts whenever it is given. The run is stopped before measuring by a
// --chart-format checked after the flags.
func TestBenchTakesAFlagGivenItsDefaultForAnyScenario(t *testing.T) {
	var defaults []string
	fs := newBench().Flags()
	for _, x := range bench.AllSettings() {
		if x == bench.SetWarmup {
			continue
		}
		f := fs.Lookup(string(x))
		require.NotNil(t, f, x.Flag())
		v := strings.Trim(f.DefValue, "[]") // a slice flag's default reads [a,b]
		defaults = append(defaults, x.Flag()+"="+v)
	}
	require.NoError(t, fs.Parse(defaults))
	assert.Empty(t, givenFlags(fs), "flags given their default: %v", defaults)

	fs = newBench().Flags()
	require.NoError(t, fs.Parse([]string{"--warmup", "0", "--lent=true", "--publishers", "1"}))
	assert.Equal(t, []string{"lent", "warmup"}, givenFlags(fs))

	for _, sc := range bench.Scenarios() {
		args := append([]string{"bench", "--scenario", sc.Name, "--chart-format", "gif"}, defaults...)
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: stderr:\n%s", args, r.stderr)
		assert.Contains(t, r.stderr, "--chart-format", args)
		assert.NotContains(t, r.stderr, "not used by", args)
		assert.Empty(t, r.stdout, args)
	}
}

// A flag that some chosen scenarios use is taken, with a note naming
// those that run without it; one that all chosen use says nothing.
// Checked for every scenario and flag, beside one that uses the flag
// (or none: connections alone uses --connections).
func TestBenchNotesTheScenariosThatRunWithoutAFlag(t *testing.T) {
	for _, sc := range bench.Scenarios() {
		for _, x := range bench.AllSettings() {
			if x == bench.SetReceipts {
				continue // refused as soon as one scenario sends none
			}
			users := bench.UsersOf(x)
			require.NotEmpty(t, users, "no scenario uses %s", x.Flag())
			chosen := []string{sc.Name}
			if !sc.Uses(x) {
				chosen = append(chosen, users[0])
			}
			var errw bytes.Buffer
			bf := &benchFlags{set: []string{string(x)}, scenarioSet: true}
			bf.cfg.Scenarios = chosen
			require.NoError(t, unusedFlags(bf, &errw), "%s with %v", x.Flag(), chosen)
			if sc.Uses(x) {
				assert.Empty(t, errw.String(), "%s with %v", x.Flag(), chosen)
			} else {
				assert.Equal(t, "stomp: bench: note: "+x.Flag()+" is not used by scenario "+sc.Name+", which runs without it (it applies to "+
					strings.Join(users, ", ")+" only)\n", errw.String())
			}
		}
	}
}
