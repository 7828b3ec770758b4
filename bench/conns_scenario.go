package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// connsSide measures one side (the raw reference or the client) of the
// connections scenario: in a fresh process when p.ClientProcess is set,
// else here.
func connsSide(raw bool) func(ctx context.Context, t *Target, p Params) (Measure, error) {
	return func(ctx context.Context, t *Target, p Params) (Measure, error) {
		cp := ConnsParams{N: p.Connections, Fanout: p.Fanout, Timeout: p.Timeout, Topic: "/topic/" + strings.TrimPrefix(strings.TrimPrefix(p.Destination, "/topic/"), "/queue/")}
		var (
			m   ConnsMeasure
			err error
		)
		if len(p.ClientProcess) > 0 {
			m, err = connsInProcess(ctx, p.ClientProcess, t, cp, raw)
		} else {
			m, err = MeasureConns(ctx, t, cp, raw)
		}
		if err != nil {
			return Measure{}, err
		}
		return Measure{Messages: m.Deliveries, MsgPerSec: m.DeliveriesPerSec, MemPerConn: m.RSSPerConn, Conns: &m}, nil
	}
}

// ConnsArgs is the command line that measures one side of the
// connections scenario in a process of its own, after argv (e.g. the
// stomp binary, "bench", "conns"); the process prints its ConnsMeasure
// as JSON.
func ConnsArgs(t *Target, p ConnsParams, raw bool) []string {
	args := []string{"--target", t.Addr, "--n", strconv.Itoa(p.N), "--fanout", strconv.Itoa(p.Fanout),
		"--topic", p.Topic, "--vhost", t.vhost(), "--timeout", p.Timeout.String()}
	if raw {
		args = append(args, "--raw")
	}
	return args
}

// connsInProcess measures one side in a process of its own: argv and
// ConnsArgs, with --until-stdin-closed. Its stdin is a pipe this process
// holds open and never writes: when this process ends, killed included
// (SIGKILL, the OOM killer, a CI step's timeout), the pipe closes and the
// child ends too, rather than keeping its connections open and measuring
// on to its own --timeout. ctx's end kills it.
func connsInProcess(ctx context.Context, argv []string, t *Target, p ConnsParams, raw bool) (ConnsMeasure, error) {
	p.withDefaults()
	args := append(append(append([]string(nil), argv[1:]...), ConnsArgs(t, p, raw)...), "--until-stdin-closed")
	cmd := exec.CommandContext(ctx, argv[0], args...)
	// Secrets go by the environment, not the command line.
	cmd.Env = append(os.Environ(), "STOMP_LOGIN="+t.Login, "STOMP_PASSCODE="+t.Passcode)
	var stdout bytes.Buffer
	stderr := &headBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	// Closed by Wait once the child has exited.
	if _, err := cmd.StdinPipe(); err != nil {
		return ConnsMeasure{}, err
	}
	err := cmd.Run()
	var m ConnsMeasure
	if jerr := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &m); jerr != nil && err == nil {
		err = fmt.Errorf("reading its result %q: %w", stdout.String(), jerr)
	}
	if err != nil {
		return m, fmt.Errorf("bench: the connections process: %w (stderr: %s)", err, strings.TrimSpace(stderr.String()))
	}
	return m, nil
}
