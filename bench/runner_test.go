package bench

import (
	"context"
	"testing"

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
		"raw reference: counted no message in 1s: measure longer (--duration)": {Name: "x", Chart: ChartThroughput, Raw: fixed(Measure{}), Ours: fixed(some)},
		"client: counted no message in 1s: measure longer (--duration)":        {Name: "x", Chart: ChartThroughput, Raw: fixed(some), Ours: fixed(Measure{})},
	} {
		_, err := measure(context.Background(), &cfg, sc, &Target{Name: "none"}, 0, 1)
		assert.EqualError(t, err, want)
	}
	_, err := measure(context.Background(), &cfg, Scenario{Name: "x", Chart: ChartThroughput, Raw: fixed(some), Ours: fixed(some)}, &Target{Name: "none"}, 0, 1)
	assert.NoError(t, err)
}
