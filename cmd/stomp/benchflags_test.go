package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/bench"
)

// --receipts is refused, before anything runs, for the scenarios that
// send no receipt (it was recorded on their results, and ignored).
func TestBenchRefusesReceiptsWhereNoneAreSent(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--receipts", "--scenario", "latency"},
		{"bench", "--receipts"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "--receipts applies to publish, pubsub only", args)
	}
}

// bench takes the connection flags it honours (one --server, --login,
// --passcode, --timeout) and refuses the others as unknown: it accepted
// them all and measured without them (a proxy that did not exist, TLS
// against a plain peer, --debug logging nothing).
func TestBenchRefusesTheConnectionFlagsItCannotHonour(t *testing.T) {
	base := []string{"bench", "--scenario", "publish", "--size", "0", "--duration", "10ms"}
	for _, extra := range [][]string{
		{"--proxy", "socks5://127.0.0.1:1"},
		{"--proxy-from-env"},
		{"--tls"},
		{"--tls-ca", "ca.pem"},
		{"--heartbeat", "10,10"},
		{"--stomp-version", "1.0"},
		{"--debug"},
		{"--reconnect"},
		{"--config", "MaxBodySize=1"},
	} {
		r := stomp(t, "", append(append([]string(nil), base...), extra...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", extra, r.stderr)
		assert.Contains(t, r.stderr, "unknown flag: "+extra[0], extra)
	}
	r := stomp(t, "", append(base, "--server", "stomp://127.0.0.1:1", "--server", "stomp://127.0.0.1:2")...)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "one --server, not 2")
	r = stomp(t, "", "bench", "--help")
	assert.Equal(t, 0, r.code, r.stderr)
	for _, flag := range []string{"--server", "--login", "--passcode", "--timeout"} {
		assert.Contains(t, r.stdout, flag)
	}
	assert.NotContains(t, r.stdout, "--tls")
}

// The top-level figures of --json are found under the names the harness
// gives (they vanished with --lent or --publishers), and rounded as the
// tables print them (they were truncated: 26 µs in the JSON, 27 in the
// table).
func TestBenchJSONTopLevelFollowsTheTable(t *testing.T) {
	l := &bench.Latency{P50us: 26.9, P90us: 40.6, P99us: 71.7, MaxUs: 2221.5}
	rep := &bench.Report{Results: []bench.Result{
		{Scenario: "pubsub 2→3 lent", Chart: bench.ChartThroughput, Size: 100, Ours: bench.Measure{MsgPerSec: 505370}},
		{Scenario: "latency lent", Chart: bench.ChartLatency, Size: 100, Raw: bench.Measure{Latency: l}, Ours: bench.Measure{Latency: l}, Ratio: 1, RatioP99: 1},
	}}
	out := newBenchResult(rep)
	assert.Equal(t, 505370.0, out.MsgPerSec)
	var md strings.Builder
	assert.NoError(t, rep.WriteMarkdown(&md))
	assert.Equal(t, [4]int64{27, 41, 72, 2222}, [4]int64{out.LatencyP50us, out.LatencyP90us, out.LatencyP99us, out.LatencyMaxus})
	assert.Contains(t, md.String(), fmt.Sprintf("%d / %d µs", out.LatencyP50us, out.LatencyP99us), md.String())
}

// --inflight 0 is refused: it was accepted ("not negative") and run as
// 1024, which the JSON then reported.
func TestBenchRefusesInflightZero(t *testing.T) {
	r := stomp(t, "", "bench", "--inflight", "0", "--scenario", "consume-client-individual")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--inflight")
}

// A run that fails part-way still writes the table, the JSON and the
// Markdown of what it measured, and says on stderr that they are
// partial: it wrote nothing but progress lines. consume-auto in 1µs
// counts nothing, an error, after publish has been measured.
func TestBenchWritesWhatAFailedRunMeasured(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.md")
	r := stomp(t, "", "bench", "--scenario", "publish,consume-auto", "--size", "0", "--duration", "1us", "--json", js, "--markdown", md)
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the 1 results measured before it (partial)")
	assert.Contains(t, r.stderr, "consume-auto, 0 B: raw reference: counted no message")
	assert.Contains(t, r.stdout, "publish")
	var rep bench.Report
	raw, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Len(t, rep.Results, 1)
	assert.Equal(t, "publish", rep.Results[0].Scenario)
	table, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(table), "| publish (sink, in process) |")
}

// --count below --publishers is refused: each publisher sends one
// message at least, so the run sent more than the count it recorded.
func TestBenchRefusesACountBelowThePublishers(t *testing.T) {
	r := stomp(t, "", "bench", "--count", "1", "--publishers", "3", "--scenario", "pubsub")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--count 1 is below --publishers 3")
}

// The help says what a --destination prefix does on a real broker:
// /queue/ leaves queues behind, and any other prefix counts as a topic.
func TestBenchHelpSaysWhatDestinationsDo(t *testing.T) {
	r := stomp(t, "", "bench", "--help")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "/queue/ leaves a queue per measurement behind")
	assert.Contains(t, r.stdout, "is counted")
	assert.Contains(t, r.stdout, "as a topic")
}

// The files of a run that fails part-way say they are partial: the JSON
// (which scripts read) has "partial": true and the error, the Markdown
// (pasted as written) a line under its table. Only stderr said so, and
// the JSON even listed the failed scenario among its scenarios.
func TestBenchFilesOfAFailedRunSayTheyArePartial(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.md")
	r := stomp(t, "", "bench", "--scenario", "publish,consume-auto", "--size", "0", "--duration", "1us", "--json", js, "--markdown", md)
	require.Equal(t, exitFailure, r.code, r.stderr)
	require.Contains(t, r.stderr, "(partial)")
	var rep struct {
		Partial bool   `json:"partial"`
		Error   string `json:"error"`
	}
	raw, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.True(t, rep.Partial, "bench.json does not say it is partial:\n%s", raw)
	assert.Contains(t, rep.Error, "consume-auto, 0 B: raw reference: counted no message")
	table, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(table), "\n(partial: the run stopped early, consume-auto, 0 B: raw reference: counted no message",
		"bench.md does not say it is partial:\n%s", table)
	assert.Contains(t, r.stdout, "(partial: the run stopped early")
}
