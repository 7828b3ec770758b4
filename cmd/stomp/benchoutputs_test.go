package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/bench"
)

// Every output a run was asked for is written, though one fails: a
// --json path with a typo loses only the JSON, a stdout that is gone (a
// pipe to `head`, a closed terminal) only the table, and the error names
// every output that failed. Before, the table was written first and the
// first failure ended the writing: the --markdown and --charts files
// were lost with the JSON, and all of them with stdout.
func TestBenchWritesEveryOutputThoughOneFails(t *testing.T) {
	run := func(t *testing.T, jsonPath, mdPath string, out *failingWriter) (charts string, err error) {
		dir := t.TempDir()
		charts = filepath.Join(dir, "charts")
		bf := &benchFlags{jsonOut: jsonPath, markdown: mdPath, chartsDir: charts, chartFormat: "svg",
			conn: benchConn{timeout: 10 * time.Second},
			cfg:  bench.Config{Scenarios: []string{"publish"}, Sizes: []int{0}, Duration: 10 * time.Millisecond, Messages: 50, Runs: 1, Publishers: 1, Consumers: 1, Inflight: 1024, Connections: 10, Fanout: 1}}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var errw failingWriter
		err = runBench(ctx, bf, out, &errw)
		return charts, err
	}
	t.Run("bad --json path", func(t *testing.T) {
		md := filepath.Join(t.TempDir(), "table.md")
		charts, err := run(t, filepath.Join(t.TempDir(), "no-such-dir", "r.json"), md, &failingWriter{})
		t.Logf("runBench: %v", err)
		assert.ErrorContains(t, err, "--json")
		assert.FileExists(t, md, "--markdown was asked for; only --json failed")
		assert.DirExists(t, charts, "--charts was asked for; only --json failed")
	})
	t.Run("stdout gone", func(t *testing.T) {
		js, md := filepath.Join(t.TempDir(), "r.json"), filepath.Join(t.TempDir(), "table.md")
		_, err := run(t, js, md, &failingWriter{fail: true})
		t.Logf("runBench: %v", err)
		assert.ErrorContains(t, err, "broken pipe", "the table's failure is reported")
		assert.FileExists(t, js, "the JSON does not go to stdout")
		assert.FileExists(t, md, "the Markdown does not go to stdout")
	})
	t.Run("two outputs fail", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "no-such-dir")
		charts, err := run(t, filepath.Join(bad, "r.json"), filepath.Join(bad, "table.md"), &failingWriter{fail: true})
		t.Logf("runBench: %v", err)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "\n", "one line, as run prints one")
		for _, what := range []string{"--json", "--markdown", "the table"} {
			assert.Contains(t, err.Error(), what, "every failed output is named")
		}
		assert.DirExists(t, charts, "--charts was asked for; the others failed")
	})
}

// A run that measures nothing (its broker refuses the first connection)
// still writes the JSON, marked partial with the error, for a script that
// waits for the file.
func TestBenchWritesTheJSONOfARunThatMeasuredNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // a port that refuses
	js := filepath.Join(t.TempDir(), "r.json")
	bf := &benchFlags{jsonOut: js, chartFormat: "png",
		conn: benchConn{servers: []string{"stomp://" + addr}, timeout: 5 * time.Second},
		cfg:  bench.Config{Scenarios: []string{"publish"}, Sizes: []int{0}, Duration: 10 * time.Millisecond, Runs: 1, Publishers: 1, Consumers: 1, Inflight: 1024, Connections: 10, Fanout: 1}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = runBench(ctx, bf, &failingWriter{}, &failingWriter{})
	require.Error(t, err)
	b, rerr := os.ReadFile(js)
	require.NoError(t, rerr, "the JSON is written though nothing was measured")
	var rep struct {
		Partial bool   `json:"partial"`
		Error   string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Partial)
	assert.Contains(t, rep.Error, "raw reference")
}

type failingWriter struct{ fail bool }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("write |1: broken pipe")
	}
	return len(p), nil
}
