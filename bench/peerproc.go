package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// peerStartTimeout bounds how long a peer process may take to say where
// it listens, and stopTimeout how long it may take to end once asked.
const (
	peerStartTimeout = 30 * time.Second
	peerStopTimeout  = 10 * time.Second
)

// startProcess runs a peer of the given kind in a process of its own:
// argv (e.g. the stomp binary and "bench", "peer") followed by --kind,
// --listen 127.0.0.1:0 and --until-stdin-closed. It reads the address
// from the first line the process writes. Stopping closes the process's
// stdin, which ends it; one that does not end in time is killed.
func startProcess(ctx context.Context, argv, env []string, kind string) (string, func() error, error) {
	if len(argv) == 0 {
		return "", nil, errors.New("bench: no peer command")
	}
	args := append(append([]string(nil), argv[1:]...), "--kind", kind, "--listen", "127.0.0.1:0", "--until-stdin-closed")
	cmd := exec.Command(argv[0], args...)
	cmd.Env = append(os.Environ(), env...)
	stderr := &headBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("bench: starting the %s peer: %w", kind, err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- strings.TrimSpace(line)
		// Anything more the peer prints is read and dropped, so it
		// never blocks on a full pipe.
		_, _ = r.WriteTo(discard{})
		exited <- cmd.Wait()
	}()
	stop := func() error {
		_ = stdin.Close()
		select {
		case err := <-exited:
			return err
		case <-time.After(peerStopTimeout):
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("bench: the %s peer did not end within %s; killed", kind, peerStopTimeout)
		}
	}
	fail := func(err error) (string, func() error, error) {
		_ = cmd.Process.Kill()
		_ = stop()
		return "", nil, fmt.Errorf("bench: the %s peer process: %w (stderr: %s)", kind, err, strings.TrimSpace(stderr.String()))
	}
	timer := time.NewTimer(peerStartTimeout)
	defer timer.Stop()
	select {
	case line := <-lines:
		if _, _, err := net.SplitHostPort(line); err != nil {
			return fail(fmt.Errorf("want its address on the first line, got %q", line))
		}
		return line, stop, nil
	case <-timer.C:
		return fail(fmt.Errorf("no address within %s", peerStartTimeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// headBuffer keeps the first max bytes written to it, for error messages.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - t.b.Len(); room > 0 {
		t.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
