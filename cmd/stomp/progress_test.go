package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summaryLine is what a finished run of 1000 steps prints.
const summaryLine = `^sent 1000/1000 in [0-9.]+[µnm]?s( \([0-9]+/s\))?\n$`

func TestProgressToABufferIsOneSummaryLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "sent", 1000)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ { // out of order, as the bench publishers report
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w + 1; i <= 1000; i += 4 {
				p.step(i)
			}
		}()
	}
	wg.Wait()
	p.done()
	p.done()
	assert.NotContains(t, buf.String(), "\r")
	assert.Regexp(t, summaryLine, buf.String())
}

func TestProgressToAFileIsOneSummaryLine(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	p := newProgress(f, "sent", 1000)
	assert.False(t, p.tty, "a regular file is not a terminal")
	for i := 1; i <= 1000; i++ {
		p.step(i)
	}
	p.done()
	raw, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "\r")
	assert.Regexp(t, summaryLine, string(raw))
}

func TestProgressOnATerminalRedraws(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "sent", 1000)
	p.tty = true // as isTerminal says for a terminal
	for i := 1; i <= 1000; i++ {
		p.step(i)
	}
	p.done()
	out := buf.String()
	assert.Equal(t, 21, strings.Count(out, "\r"), "a frame every 5%%, then the summary over it")
	assert.Contains(t, out, "\r[##########..........]  50% sent 500/1000")
	assert.Contains(t, out, "\r[####################] 100% sent 1000/1000")
	last := out[strings.LastIndex(out, "\r")+1:]
	assert.Regexp(t, `^sent 1000/1000 in \S+( \([0-9]+/s\))? *\n$`, last)
	assert.Equal(t, 1, strings.Count(out, "\n"))
}

func TestProgressShortRunIsSilent(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "sent", 99)
	for i := 1; i <= 99; i++ {
		p.step(i)
	}
	p.done()
	assert.Empty(t, buf.String())
}

func TestSendProgressInALog(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--count", "300", "/queue/progress", "x")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "\r", "stderr is a pipe here, as in a CI log")
	assert.Regexp(t, `^sent 300/300 in \S+( \([0-9]+/s\))?\n$`, r.stderr)
}
