package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stomp bench runs every scenario, with its peers in their own processes
// (this binary's `bench peer`), and writes the table, the JSON report,
// the charts and both profiles. Only the structure is checked.
func TestBenchEveryScenarioPeerProcess(t *testing.T) {
	dir := t.TempDir()
	js, charts := filepath.Join(dir, "bench.json"), filepath.Join(dir, "charts")
	cpu, mem, md := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof"), filepath.Join(dir, "speed.md")
	r := stomp(t, "", "bench", "--duration", "100ms", "--warmup", "20ms", "--size", "0,4096", "--peer-process", "--connections", "200",
		"--json", js, "--charts", charts, "--chart-format", "svg", "--cpuprofile", cpu, "--memprofile", mem, "--markdown", md)
	require.Equal(t, 0, r.code, r.stderr)
	for _, s := range []string{"throughput:", "latency:", "publish", "consume-auto", "consume-client-individual", "pubsub", "latency-pull", "connections", "own process"} {
		assert.Contains(t, r.stdout, s)
	}
	raw, err := os.ReadFile(js)
	require.NoError(t, err)
	var rep struct {
		PeerProcess bool `json:"peer_process"`
		Results     []struct {
			Scenario string  `json:"scenario"`
			Size     int     `json:"size"`
			Ratio    float64 `json:"ratio"`
			Raw      struct {
				Messages int64 `json:"messages"`
			} `json:"raw"`
			Ours struct {
				Messages int64 `json:"messages"`
			} `json:"ours"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.True(t, rep.PeerProcess)
	assert.Len(t, rep.Results, 6*2+1, "six scenarios at two sizes, and connections once")
	for _, res := range rep.Results {
		assert.Positive(t, res.Raw.Messages, "%s %d", res.Scenario, res.Size)
		assert.Positive(t, res.Ours.Messages, "%s %d", res.Scenario, res.Size)
		assert.Positive(t, res.Ratio, "%s %d", res.Scenario, res.Size)
	}
	table, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, (2+6*2)+(2+2), strings.Count(string(table), "|\n"), "a header, a rule and a row per result; a header, a rule and both sides of connections:\n%s", table)
	for _, f := range []string{filepath.Join(charts, "throughput.svg"), filepath.Join(charts, "latency.svg"), cpu, mem} {
		st, err := os.Stat(f)
		require.NoError(t, err)
		assert.Positive(t, st.Size(), f)
	}
}

func TestBenchBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--scenario", "nope"},
		{"bench", "--size", "-1"},
		{"bench", "--chart-format", "gif"},
		{"bench", "--runs", "0"},
		{"bench", "--server", "ws://127.0.0.1:1/ws"},
		{"bench", "peer", "--kind", "nope"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
	}
}

// stomp bench peer prints its address, serves, and ends on Ctrl-C.
func TestBenchPeerCommand(t *testing.T) {
	for _, kind := range []string{"sink", "firehose", "sim"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "bench", "peer", "--kind", kind, "--listen", "127.0.0.1:0")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			line, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err)
			addr := strings.TrimSpace(line)
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
			_, err = c.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00"))
			require.NoError(t, err)
			buf := make([]byte, 9)
			_, err = io.ReadFull(c, buf)
			require.NoError(t, err)
			assert.Equal(t, "CONNECTED", string(buf))
			_ = c.Close()
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			var ee *exec.ExitError
			require.ErrorAs(t, cmd.Wait(), &ee)
			assert.Equal(t, exitInterrupted, ee.ExitCode(), "Ctrl-C: 128+SIGINT")
		})
	}
}

// Against RabbitMQ (when the test scripts started one) the publish
// scenario runs with the raw writer to the same broker as its reference.
func TestBenchRabbitMQPublish(t *testing.T) {
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		t.Skip("no RabbitMQ (scripts/brokers/up.sh starts one)")
	}
	login, pass := os.Getenv("STOMPACTOR_RABBITMQ_LOGIN"), os.Getenv("STOMPACTOR_RABBITMQ_PASSCODE")
	if login == "" {
		login, pass = "guest", "guest"
	}
	r := stomp(t, "", "bench", "--server", "stomp://"+addr+"/", "--login", login, "--passcode", pass,
		"--scenario", "publish", "--size", "100", "--duration", "300ms")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "broker "+addr)
}
