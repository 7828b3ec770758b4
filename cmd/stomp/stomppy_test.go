package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stomppyScript is the Python client the README's rehearsal runs.
const stomppyScript = "../../scripts/stomppy-reconnect.py"

// stomppyPython returns a Python interpreter that imports stomp.py
// (Debian's python3-stomp, which scripts/brokers/up.sh installs), or why
// there is none. $STOMPACTOR_PYTHON overrides the search; Debian's own
// /usr/bin/python3 comes before whatever python3 is first on PATH.
func stomppyPython() (string, string) {
	candidates := []string{os.Getenv("STOMPACTOR_PYTHON"), "/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if py == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := exec.CommandContext(ctx, py, "-c", "import stomp").Run()
		cancel()
		if err == nil {
			return py, ""
		}
	}
	return "", "no python3 that imports stomp (apt-get install python3-stomp; scripts/brokers/up.sh does it as root)"
}

// requireOrSkip skips the test for reason, except under CI=true where the
// test scripts must have provided what is missing.
func requireOrSkip(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s, and CI=true requires it", reason)
	}
	t.Skip(reason)
}

// TestStompPyReconnectsThroughProxy is the README's rehearsal: stomp.py,
// a client this project did not write, publishes and consumes through
// `stomp proxy` in front of RabbitMQ while the proxy cuts its connection
// twice, once losing a SEND and once a MESSAGE.
func TestStompPyReconnectsThroughProxy(t *testing.T) {
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		requireOrSkip(t, "no RabbitMQ: STOMPACTOR_RABBITMQ_ADDR is not set (scripts/brokers/up.sh starts one)")
	}
	python, why := stomppyPython()
	if python == "" {
		requireOrSkip(t, why)
	}
	d := startDaemon(t, "proxy", "--target", addr,
		"--fault", "drop-conn,name=publisher-cut,conn=1,dir=to-server,on=send,nth=4",
		"--fault", "drop-conn,name=consumer-cut,conn=2,on=message,nth=3")
	_, port, err := net.SplitHostPort(listenAddr(t, d.waitLine(t, "listening on")))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	queue := fmt.Sprintf("/queue/stomppy-%d", time.Now().UnixNano())
	cmd := exec.CommandContext(ctx, python, stomppyScript, "--port", port, "--queue", queue, "--count", "6", "--deadline", "60")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	out := stdout.String()
	t.Logf("stomp.py printed:\n%s", out)
	require.NoError(t, err, "stderr: %s", stderr.String())

	assert.Contains(t, out, "connected to RabbitMQ/")
	assert.Contains(t, out, "connection lost before the RECEIPT of message 4, which is sent again: reconnecting\n")
	assert.Regexp(t, `connection lost after [0-5] of 6 messages: reconnecting\n`, out)
	assert.Len(t, regexp.MustCompile(`(?m)^reconnected after \d+ attempts?$`).FindAllString(out, -1), 2)
	for n := 1; n <= 6; n++ {
		assert.Equal(t, 1, strings.Count(out, fmt.Sprintf("sent %d, confirmed\n", n)), "message %d confirmed once", n)
		assert.Equal(t, 1, strings.Count(out, fmt.Sprintf("received %d\n", n)), "message %d received once, copies aside", n)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Regexp(t, regexp.MustCompile(`^done: 6 sent and confirmed \(1 sent again after a cut\), 6 received \([0-6] redelivered copies dropped\), 2 reconnects$`), lines[len(lines)-1])

	d.waitLine(t, "fault: conn 1: publisher-cut (DropConn) to-server at frame 4 (SEND)")
	d.waitLine(t, "fault: conn 2: consumer-cut (DropConn) at frame")
	require.Equal(t, exitInterrupted, d.stop(t))
	assert.Contains(t, d.waitLine(t, "stopping: "), "2 fault actions")
}
