package bench

import (
	"fmt"
	"slices"
	"strings"
)

// Setting names a setting of Config that only some scenarios use. Its
// value is the name of the `stomp bench` flag that sets it (without the
// dashes), which the command uses to refuse a flag none of the chosen
// scenarios would honour.
//
// Every scenario lists the ones it uses in Scenario.Uses, and Run hands
// a scenario only those: in the Params it gets, the others are zero. A
// scenario that reads a setting it did not declare sees the zero value
// and measures nothing worth having, which the harness tests show, so
// the list cannot quietly fall behind the code. The settings every
// scenario uses (Runs, Timeout, Destination, Broker, PeerProcess,
// ClientProcess) are no Setting.
type Setting string

// The settings a scenario may use.
const (
	// SetSize: the scenario runs once per body size (Config.Sizes,
	// Params.Size); one that does not runs once, its results at 0 B.
	SetSize Setting = "size"
	// SetDuration: Config.Duration bounds each measurement.
	SetDuration Setting = "duration"
	// SetWarmup: round trips before measuring (Config.Warmup).
	SetWarmup Setting = "warmup"
	// SetCount: Config.Messages bounds each measurement.
	SetCount Setting = "count"
	// SetReceipts: every SEND can wait for its RECEIPT (Config.Receipts):
	// its results are then named "<name> receipts". Run refuses
	// Config.Receipts for a scenario without it.
	SetReceipts Setting = "receipts"
	// SetLent: the client's subscriptions can lend their messages
	// (Config.Lent): its results are then named "<name> lent".
	SetLent Setting = "lent"
	// SetPublishers and SetConsumers: the scenario opens
	// Config.Publishers and Config.Consumers connections; unless both
	// are 1 its results are named "<name> P→C", and its rates are of
	// deliveries (each consumer's copy on a topic). A scenario declares
	// both or neither.
	SetPublishers Setting = "publishers"
	SetConsumers  Setting = "consumers"
	// SetInflight: the firehose keeps at most Config.Inflight messages
	// unacknowledged.
	SetInflight Setting = "inflight"
	// SetConnections: how many connections to open (Config.Connections).
	SetConnections Setting = "connections"
	// SetFanout: how many topic messages to fan out (Config.Fanout).
	SetFanout Setting = "fanout"
)

// AllSettings returns every Setting, in the order the flags are listed.
func AllSettings() []Setting {
	return []Setting{SetSize, SetDuration, SetWarmup, SetCount, SetReceipts, SetLent,
		SetPublishers, SetConsumers, SetInflight, SetConnections, SetFanout}
}

// Flag is the setting's `stomp bench` flag: "--size".
func (s Setting) Flag() string { return "--" + string(s) }

// Uses says the scenario declares setting x.
func (s Scenario) Uses(x Setting) bool { return slices.Contains(s.Settings, x) }

// checkSettings refuses a scenario's list with a setting it does not
// know, one named twice, or publishers without consumers (or the other
// way round).
func (s Scenario) checkSettings() error {
	for i, x := range s.Settings {
		if !slices.Contains(AllSettings(), x) {
			return fmt.Errorf("bench: scenario %q: unknown setting %q", s.Name, x)
		}
		if slices.Contains(s.Settings[:i], x) {
			return fmt.Errorf("bench: scenario %q: setting %q declared twice", s.Name, x)
		}
	}
	if s.Uses(SetPublishers) != s.Uses(SetConsumers) {
		return fmt.Errorf("bench: scenario %q: declare %q and %q together", s.Name, SetPublishers, SetConsumers)
	}
	return nil
}

// UsersOf returns the names of the registered scenarios that use x, in
// registration order.
func UsersOf(x Setting) []string {
	var out []string
	for _, s := range Scenarios() {
		if s.Uses(x) {
			out = append(out, s.Name)
		}
	}
	return out
}

// Unused returns the names of the scenarios among chosen (by name; empty
// is every registered one) that do not use x.
func Unused(chosen []string, x Setting) []string {
	if len(chosen) == 0 {
		for _, s := range Scenarios() {
			chosen = append(chosen, s.Name)
		}
	}
	var out []string
	for _, name := range chosen {
		if s, ok := Lookup(name); ok && !s.Uses(x) {
			out = append(out, name)
		}
	}
	return out
}

// SettingsTable returns, one line per scenario, the flags it uses, for
// `stomp bench --help`:
//
//	publish: --size --duration --count --receipts
func SettingsTable() string {
	var b strings.Builder
	for _, s := range Scenarios() {
		b.WriteString(s.Name + ":")
		for _, x := range AllSettings() { // in flag order, whatever the declaration's
			if s.Uses(x) {
				b.WriteString(" " + x.Flag())
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// only returns p with the settings sc does not use at their zero value.
func only(sc Scenario, p Params) Params {
	if !sc.Uses(SetSize) {
		p.Size = 0
	}
	if !sc.Uses(SetDuration) {
		p.Duration = 0
	}
	if !sc.Uses(SetWarmup) {
		p.Warmup = 0
	}
	if !sc.Uses(SetCount) {
		p.Messages = 0
	}
	if !sc.Uses(SetReceipts) {
		p.Receipts = false
	}
	if !sc.Uses(SetLent) {
		p.Lent = false
	}
	if !sc.Uses(SetPublishers) {
		p.Publishers, p.Consumers = 0, 0
	}
	if !sc.Uses(SetInflight) {
		p.Inflight = 0
	}
	if !sc.Uses(SetConnections) {
		p.Connections = 0
	}
	if !sc.Uses(SetFanout) {
		p.Fanout = 0
	}
	return p
}
