package bench

import (
	"time"
)

// Measure is what one side (the raw reference or the client) did in one
// scenario: throughput, the process's CPU and allocations per message, and
// for latency scenarios the percentiles of a round trip.
type Measure struct {
	Messages        int64   `json:"messages"`
	Seconds         float64 `json:"seconds"`
	MsgPerSec       float64 `json:"msg_per_sec"`
	MBPerSec        float64 `json:"mb_per_sec"`
	CPUMicrosPerMsg float64 `json:"cpu_us_per_msg"`
	AllocsPerMsg    float64 `json:"allocs_per_msg"`
	BytesPerMsg     float64 `json:"bytes_allocated_per_msg"`
	// GCPerSec is how many collections ran per second of the measure,
	// and GCCPUShare the collector's share of the CPU the process used,
	// both as the Go runtime counts them, from the start of the measure
	// to the end of the last collection in it: together they say how
	// GC-bound it is. GCCPUShare is nil, and gc_cpu_share left out of the
	// JSON, when no collection ran during the measure (see gcShare).
	GCPerSec   float64  `json:"gc_per_sec"`
	GCCPUShare *float64 `json:"gc_cpu_share,omitempty"`
	// Latency holds round-trip percentiles in latency scenarios.
	Latency *Latency `json:"latency,omitempty"`
	// MemPerConn is the memory one connection costs, in bytes, in
	// scenarios that open many (Chart ChartMemory).
	MemPerConn float64 `json:"mem_per_conn_bytes,omitempty"`
	// Conns is the whole measure of the connections scenario.
	Conns *ConnsMeasure `json:"connections,omitempty"`
	// Duplicates counts the deliveries of a message-id the consumer
	// had already had (a broker's redelivery or copy), in the scenarios
	// that consume through a broker (pub→sub, latency), in all the runs
	// of a result: they are not in Messages, and a result with any is
	// warned of (on the progress output and under the tables).
	Duplicates int64 `json:"duplicates,omitempty"`

	hist *Histogram // kept to merge runs
}

// Latency is the distribution of one-message round trips, in microseconds.
type Latency struct {
	Count  uint64  `json:"count"`
	P50us  float64 `json:"p50_us"`
	P90us  float64 `json:"p90_us"`
	P99us  float64 `json:"p99_us"`
	P999us float64 `json:"p99_9_us"`
	MaxUs  float64 `json:"max_us"`
}

// latencyOf summarizes a histogram.
func latencyOf(h *Histogram) *Latency {
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return &Latency{Count: h.Count(), P50us: us(h.Quantile(0.5)), P90us: us(h.Quantile(0.9)),
		P99us: us(h.Quantile(0.99)), P999us: us(h.Quantile(0.999)), MaxUs: us(h.Max())}
}

// Result is one scenario at one body size: the client's figures beside the
// raw reference measured in the same run, and their ratio.
type Result struct {
	Scenario string `json:"scenario"`
	Chart    Chart  `json:"chart"`
	Size     int    `json:"size"`
	// Peer names what the scenario talked to and where it ran.
	Peer       string `json:"peer"`
	Receipts   bool   `json:"receipts,omitempty"`
	Publishers int    `json:"publishers,omitempty"`
	Consumers  int    `json:"consumers,omitempty"`
	// Runs is how many interleaved raw and client runs the figures are the
	// median of (latency: the percentiles of all runs together).
	Runs int     `json:"runs"`
	Raw  Measure `json:"raw"`
	Ours Measure `json:"ours"`
	// Ratio is ours ÷ raw: of msg/s for throughput (higher is better), of
	// the p50 for latency and of bytes for memory (lower is better).
	Ratio float64 `json:"ratio"`
	// RatioP99 is ours ÷ raw of the p99, in latency scenarios.
	RatioP99 float64 `json:"ratio_p99,omitempty"`
}

// Report is one harness run: its settings and every result.
type Report struct {
	Started time.Time `json:"started"`
	Go      string    `json:"go"`
	OS      string    `json:"os"`
	CPUs    int       `json:"cpus"`
	Settings
	Results []Result `json:"results"`
	// Partial says that the run stopped early (it failed, or its context
	// ended), and Error why: Results hold what it measured before. Both
	// are left out of the JSON of a complete run.
	Partial bool   `json:"partial,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Settings are the choices of a run that a reader of its figures needs.
type Settings struct {
	Scenarios   []string `json:"scenarios"`
	Sizes       []int    `json:"sizes"`
	Duration    float64  `json:"duration_seconds"`
	Messages    int      `json:"messages,omitempty"` // most messages per measurement; 0: Duration decides
	Runs        int      `json:"runs"`
	Publishers  int      `json:"publishers"`
	Consumers   int      `json:"consumers"`
	Receipts    bool     `json:"receipts"`
	Lent        bool     `json:"lent,omitempty"`
	Inflight    int64    `json:"inflight"`
	PeerProcess bool     `json:"peer_process"`
	Broker      string   `json:"broker"` // "sim" or the broker's address
}

// side is one of a result's two measures, named as tables print it.
type side struct {
	name string
	m    Measure
}

// sides returns the raw loop's measure and the client's, in that order.
func (r Result) sides() [2]side {
	return [2]side{{"raw", r.Raw}, {"stompactor", r.Ours}}
}
