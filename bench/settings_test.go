package bench

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The settings each built-in scenario uses, as read from its code: the
// table `stomp bench` refuses flags by. Every scenario and every setting
// is checked, both ways.
func TestEveryScenarioDeclaresTheSettingsItUses(t *testing.T) {
	throughput := []Setting{SetSize, SetDuration, SetCount}
	want := map[string][]Setting{
		"publish":                   append(slices.Clone(throughput), SetReceipts),
		"consume-auto":              append(slices.Clone(throughput), SetLent),
		"consume-client-individual": append(slices.Clone(throughput), SetLent, SetInflight),
		"pubsub":                    append(slices.Clone(throughput), SetReceipts, SetLent, SetPublishers, SetConsumers),
		"latency":                   append(slices.Clone(throughput), SetWarmup, SetLent),
		"latency-pull":              append(slices.Clone(throughput), SetWarmup, SetLent),
		"connections":               {SetConnections, SetFanout},
	}
	var names []string
	for _, sc := range Scenarios() {
		names = append(names, sc.Name)
		require.Contains(t, want, sc.Name, "a scenario this test does not know: add it to the table")
		for _, x := range AllSettings() {
			assert.Equal(t, slices.Contains(want[sc.Name], x), sc.Uses(x), "%s uses %s", sc.Name, x)
		}
		require.NoError(t, sc.checkSettings())
	}
	assert.ElementsMatch(t, names, keys(want))
	for _, x := range AllSettings() {
		assert.NotEmpty(t, UsersOf(x), "%s is used by no scenario", x)
	}
	assert.Equal(t, []string{"consume-auto", "latency", "connections"}, Unused([]string{"consume-auto", "pubsub", "latency", "connections"}, SetReceipts))
	assert.Equal(t, []string{"connections"}, Unused(nil, SetDuration), "no name: every scenario")
}

func keys(m map[string][]Setting) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A scenario gets in its Params only the settings it declares, the
// others zero: one that reads a setting it did not declare sees nothing
// of it, so the table cannot fall behind the code unnoticed.
func TestScenarioGetsOnlyTheSettingsItDeclares(t *testing.T) {
	cfg := Config{Sizes: []int{7}, Duration: 3, Warmup: 2, Messages: 5, Receipts: true, Lent: true, Publishers: 2, Consumers: 3,
		Inflight: 9, Connections: 11, Fanout: 4, Timeout: 6, ClientProcess: []string{"x"}}
	require.NoError(t, cfg.defaults())
	full := Params{Size: 7, Duration: 3, Warmup: 2, Messages: 5, Receipts: true, Lent: true, Publishers: 2, Consumers: 3,
		Inflight: 9, Connections: 11, Fanout: 4, Timeout: 6, ClientProcess: []string{"x"}}
	for _, c := range []struct {
		uses []Setting
		want Params
	}{
		{nil, Params{Timeout: 6, ClientProcess: []string{"x"}}},
		{AllSettings(), full},
		{[]Setting{SetConnections, SetFanout}, Params{Connections: 11, Fanout: 4, Timeout: 6, ClientProcess: []string{"x"}}},
		{[]Setting{SetSize, SetWarmup, SetLent, SetPublishers, SetConsumers},
			Params{Size: 7, Warmup: 2, Lent: true, Publishers: 2, Consumers: 3, Timeout: 6, ClientProcess: []string{"x"}}},
		{[]Setting{SetDuration, SetCount, SetReceipts, SetInflight},
			Params{Duration: 3, Messages: 5, Receipts: true, Inflight: 9, Timeout: 6, ClientProcess: []string{"x"}}},
	} {
		var got []Params
		record := func(_ context.Context, _ *Target, p Params) (Measure, error) {
			p.Destination = ""
			got = append(got, p)
			return Measure{Messages: 1, MsgPerSec: 1}, nil
		}
		sc := Scenario{Name: "x", Chart: ChartThroughput, Settings: c.uses, Raw: record, Ours: record}
		_, err := measure(context.Background(), &cfg, sc, &Target{Name: "none"}, 7, 1)
		require.NoError(t, err)
		assert.Equal(t, []Params{c.want, c.want}, got, "%v", c.uses)
	}
}

// Register refuses a scenario whose settings are not a table it could
// be held to: an unknown one, one named twice, publishers without
// consumers.
func TestRegisterRefusesSettingsItCannotHold(t *testing.T) {
	some := fixed(Measure{Messages: 1})
	for _, c := range []struct {
		uses []Setting
		want string
	}{
		{[]Setting{"speed"}, `bench: scenario "y": unknown setting "speed"`},
		{[]Setting{SetSize, SetSize}, `bench: scenario "y": setting "size" declared twice`},
		{[]Setting{SetPublishers}, `bench: scenario "y": declare "publishers" and "consumers" together`},
	} {
		err := Register(Scenario{Name: "y", Peer: RoleSink, Chart: ChartThroughput, Settings: c.uses, Raw: some, Ours: some})
		assert.EqualError(t, err, c.want)
	}
	_, ok := Lookup("y")
	assert.False(t, ok)
}
