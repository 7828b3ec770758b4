package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixed is a side of a scenario that returns m.
func fixed(m Measure) func(context.Context, *Target, Params) (Measure, error) {
	return func(context.Context, *Target, Params) (Measure, error) { return m, nil }
}

// A measurement in which a side counted no message (a duration shorter
// than the subscription's round trip) is an error naming the side, not a
// row of zeros that reads as a result.
func TestAMeasureOfNothingIsAnError(t *testing.T) {
	cfg := Config{}
	require.NoError(t, cfg.defaults())
	some := Measure{Messages: 5, MsgPerSec: 5}
	for want, sc := range map[string]Scenario{
		"raw reference: counted no message in 1s: measure longer (--duration)": {Name: "x", Chart: ChartThroughput, Settings: []Setting{SetDuration}, Raw: fixed(Measure{}), Ours: fixed(some)},
		"client: counted no message in 1s: measure longer (--duration)":        {Name: "x", Chart: ChartThroughput, Settings: []Setting{SetDuration}, Raw: fixed(some), Ours: fixed(Measure{})},
		// One that takes no --duration is not told to measure longer.
		"client: counted no message": {Name: "x", Chart: ChartMemory, Raw: fixed(some), Ours: fixed(Measure{})},
	} {
		_, err := measure(context.Background(), &cfg, sc, &Target{Name: "none"}, 0, 1)
		assert.EqualError(t, err, want)
	}
	_, err := measure(context.Background(), &cfg, Scenario{Name: "x", Chart: ChartThroughput, Raw: fixed(some), Ours: fixed(some)}, &Target{Name: "none"}, 0, 1)
	assert.NoError(t, err)
}

// --receipts and --publishers/--consumers change what a row means (one
// message in flight; a rate of deliveries): the row's name says them, in
// the tables as in the JSON, as it says lent.
func TestRowsNameTheirReceiptsAndConnections(t *testing.T) {
	cfg := Config{Receipts: true, Publishers: 2, Consumers: 3}
	require.NoError(t, cfg.defaults())
	some := fixed(Measure{Messages: 5, MsgPerSec: 5})
	r, err := measure(context.Background(), &cfg, Scenario{Name: "x", Chart: ChartThroughput, Settings: []Setting{SetReceipts, SetPublishers, SetConsumers}, Raw: some, Ours: some}, &Target{Name: "none"}, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, "x 2→3 receipts", r.Scenario)
	assert.True(t, r.Receipts)
	assert.Equal(t, [2]int{2, 3}, [2]int{r.Publishers, r.Consumers})
	var md, table strings.Builder
	rep := &Report{Results: []Result{r}}
	require.NoError(t, rep.WriteMarkdown(&md))
	require.NoError(t, rep.WriteTable(&table))
	assert.Contains(t, md.String(), "| x 2→3 receipts (none) |")
	assert.Contains(t, table.String(), "x 2→3 receipts")

	cfg = Config{Publishers: 1, Consumers: 1}
	require.NoError(t, cfg.defaults())
	r, err = measure(context.Background(), &cfg, Scenario{Name: "x", Chart: ChartThroughput, Settings: []Setting{SetPublishers, SetConsumers}, Raw: some, Ours: some}, &Target{Name: "none"}, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, "x", r.Scenario, "one publisher and one consumer: the default, unnamed")
}

// A result records the receipts and connection counts only where its
// scenario honours them (latency's said "publishers 2, consumers 3,
// receipts", having used one of each and no receipt), and receipts are
// refused for a scenario that sends none.
func TestResultsRecordOnlyWhatApplied(t *testing.T) {
	cfg := Config{Publishers: 2, Consumers: 3}
	require.NoError(t, cfg.defaults())
	some := fixed(Measure{Messages: 5, MsgPerSec: 5})
	r, err := measure(context.Background(), &cfg, Scenario{Name: "x", Chart: ChartThroughput, Peer: RoleBroker, Raw: some, Ours: some}, &Target{Name: "none"}, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, "x", r.Scenario)
	assert.Zero(t, r.Publishers)
	assert.Zero(t, r.Consumers)

	_, err = Run(context.Background(), Config{Scenarios: []string{"publish", "latency", "consume-auto"}, Receipts: true})
	assert.EqualError(t, err, "bench: receipts apply to publish, pubsub only, not to latency, consume-auto")
}

// --runs reports the run of median figure: memory per connection for the
// connections scenario (it was the memory of the run of median msg/s),
// and of an even number of runs the lower middle one (it was the upper).
func TestMedianIsOfTheReportedFigure(t *testing.T) {
	runs := []Measure{
		{MsgPerSec: 1000, MemPerConn: 30000},
		{MsgPerSec: 2000, MemPerConn: 10000},
		{MsgPerSec: 3000, MemPerConn: 20000},
	}
	assert.Equal(t, 20000.0, median(runs, ChartMemory).MemPerConn)
	assert.Equal(t, 2000.0, median(runs, ChartThroughput).MsgPerSec)
	assert.Equal(t, 1000.0, median([]Measure{{MsgPerSec: 3000}, {MsgPerSec: 1000}}, ChartThroughput).MsgPerSec, "the lower of two")
	assert.Equal(t, 2000.0, median(append(runs, Measure{MsgPerSec: 4000}), ChartThroughput).MsgPerSec, "the lower middle of four")
}

// A message budget below the publishers is refused: each sends one at
// least (split gave each 1), more than the budget the report records.
func TestABudgetBelowThePublishersIsRefused(t *testing.T) {
	cfg := Config{Messages: 1, Publishers: 3}
	assert.EqualError(t, cfg.defaults(), "bench: a budget of 1 messages for 3 publishers: each sends one at least")
}

// A side that counted fewer than ten messages (a 16 MiB body with a small
// --count or a short --duration) gets a warning on the progress log: what
// a measurement does once weighs as much as its messages there.
func TestFewMessagesAreWarnedOf(t *testing.T) {
	few := Result{Scenario: "publish", Chart: ChartThroughput, Size: 16 << 20, Raw: Measure{Messages: 2}, Ours: Measure{Messages: 40}}
	assert.Equal(t, "publish 16 MiB: warning: the raw reference counted 2 messages, the client 40: too few for steady figures (measure longer: --duration, --count)", few.few())
	enough := few
	enough.Raw.Messages = 10
	assert.Empty(t, enough.few())
	conns := Result{Scenario: "connections", Chart: ChartMemory, Raw: Measure{Messages: 3}, Ours: Measure{Messages: 3}}
	assert.Empty(t, conns.few(), "the connections scenario measures memory per connection, not messages")

	var log strings.Builder
	_, err := Run(context.Background(), Config{Scenarios: []string{"publish"}, Sizes: []int{0}, Messages: 2, Progress: &log})
	require.NoError(t, err)
	assert.Contains(t, log.String(), "publish 0 B: warning: the raw reference counted 2 messages, the client 2")
}

// A run that stops early returns what it measured marked partial, with
// its error, and the table and the Markdown written from it say so under
// their rows (only the progress log did; the files read as a complete
// run's). A complete run's JSON has neither field.
func TestARunThatStopsEarlyIsMarkedPartial(t *testing.T) {
	rep, err := Run(context.Background(), Config{Scenarios: []string{"publish", "consume-auto"}, Sizes: []int{0}, Duration: time.Microsecond})
	require.Error(t, err)
	require.Len(t, rep.Results, 1)
	assert.True(t, rep.Partial)
	assert.Equal(t, err.Error(), rep.Error)
	note := "(partial: the run stopped early, " + err.Error() + "; these are the results measured before it)"
	var md, table strings.Builder
	require.NoError(t, rep.WriteMarkdown(&md))
	require.NoError(t, rep.WriteTable(&table))
	assert.Contains(t, md.String(), note)
	assert.Contains(t, table.String(), note)

	rep.Partial, rep.Error = false, ""
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "partial")
	assert.NotContains(t, string(js), `"error"`)
	md.Reset()
	require.NoError(t, rep.WriteMarkdown(&md))
	assert.NotContains(t, md.String(), "partial")
}
