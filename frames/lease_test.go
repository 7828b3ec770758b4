package frames

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Frames of a busy stream live in leased memory. Released frames give
// their memory back; a frame still held keeps its chunk out of reuse, so
// its headers and body stay as they were whatever its neighbours do.
func TestLeasedFramesStayIntactWhileHeld(t *testing.T) {
	var stream strings.Builder
	var want []*Frame
	for i := range 300 {
		body := bytes.Repeat([]byte{byte('a' + i%26)}, []int{10, 300, 2000, 70000}[i%4])
		f := New(CmdMessage, "destination", "/queue/a", "message-id", fmt.Sprintf("ID:%d", i), "subscription", "0")
		f.Body = body
		one, err := AppendFrame(nil, f, V12)
		require.NoError(t, err)
		stream.Write(one)
		want = append(want, fr(CmdMessage, string(body), "destination", "/queue/a", "message-id", fmt.Sprintf("ID:%d", i), "subscription", "0", "content-length", fmt.Sprint(len(body))))
	}
	d := NewDecoder(strings.NewReader(stream.String()), V12, Limits{})
	d.SetLeasing(true)
	var kept []*Frame
	var keptWant []*Frame
	leased := 0
	for i := range want {
		f, err := d.DecodeOwned()
		require.NoError(t, err)
		l := d.Lease()
		if l != nil {
			leased++
		}
		require.Equal(t, want[i], exact(&f), "frame %d", i)
		if i%3 == 0 {
			kept, keptWant = append(kept, &f), append(keptWant, want[i])
			continue
		}
		// Released at once: its memory may serve the next frames.
		l.Release()
	}
	require.Greater(t, leased, 250, "frames of a busy stream are leased")
	for i, f := range kept {
		require.Equal(t, keptWant[i], exact(f), "kept frame %d", i)
	}
}

// A large frame released after use costs no allocation for the next one.
func TestLeasedLargeFramesAreReused(t *testing.T) {
	f := New(CmdMessage, "destination", "/queue/a", "subscription", "0")
	f.Body = bytes.Repeat([]byte("x"), 64<<10)
	one, err := AppendFrame(nil, f, V12)
	require.NoError(t, err)
	d := NewDecoder(&loopReader{data: bytes.Repeat(one, 4)}, V12, Limits{})
	d.SetLeasing(true)
	decode := func(release bool) func() {
		return func() {
			g, err := d.DecodeOwned()
			if err != nil || len(g.Body) != 64<<10 {
				panic(err)
			}
			if release {
				d.Lease().Release()
			}
		}
	}
	held := testing.AllocsPerRun(50, decode(false))
	released := testing.AllocsPerRun(50, decode(true))
	require.GreaterOrEqual(t, held, 1.0, "a frame held costs its memory")
	require.LessOrEqual(t, released, 0.1, "a frame released lends its memory to the next")

	// By default a large frame's memory is its own, exactly its size.
	d = NewDecoder(&loopReader{data: bytes.Repeat(one, 4)}, V12, Limits{})
	g, err := d.DecodeOwned()
	require.NoError(t, err)
	require.Nil(t, d.Lease())
	require.Equal(t, len(g.Body), cap(g.Body))
}

// With leasing, a frame read alone (a round trip's reply) is leased too,
// so frames given back cost no allocation; without, each has memory of
// its own.
func TestLeasingCoversFramesReadAlone(t *testing.T) {
	f := New(CmdMessage, "destination", "/queue/a", "message-id", "m-1", "subscription", "0")
	f.Body = bytes.Repeat([]byte("x"), 100)
	one, err := AppendFrame(nil, f, V12)
	require.NoError(t, err)
	decode := func(d *Decoder, release bool) func() {
		return func() {
			g, err := d.DecodeOwned()
			if err != nil || len(g.Body) != 100 {
				panic(err)
			}
			if release {
				d.Lease().Release()
			}
		}
	}
	own := NewDecoder(&oneFrameReader{frame: one}, V12, Limits{})
	_, err = own.DecodeOwned()
	require.NoError(t, err)
	require.Nil(t, own.Lease(), "a frame read alone has memory of its own by default")
	own.Release()
	leased := NewDecoder(&oneFrameReader{frame: one}, V12, Limits{})
	leased.SetLeasing(true)
	_, err = leased.DecodeOwned()
	require.NoError(t, err)
	require.NotNil(t, leased.Lease(), "with leasing a frame read alone is leased")
	leased.Lease().Release()
	leased.Release()
	if raceEnabled {
		return // the pool drops leases at random: nothing to count
	}
	require.GreaterOrEqual(t, testing.AllocsPerRun(100, decode(own, false)), 1.0)
	require.LessOrEqual(t, testing.AllocsPerRun(100, decode(leased, true)), 0.2)
}
