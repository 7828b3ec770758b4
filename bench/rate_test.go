package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A rate is written with the unit its rounded figure belongs to: never
// "1000.0 k".
func TestRateTextKeepsItsUnit(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 9999: "9999", 9999.6: "10.0 k", 10000: "10.0 k", 999_940: "999.9 k", 999_960: "1.00 M",
		1_000_000: "1.00 M", 1_234_567: "1.23 M",
	} {
		assert.Equal(t, want, rate(v), "%v", v)
	}
}
