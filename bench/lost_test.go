package bench

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// dyingBroker answers CONNECT, and a RECEIPT to every frame that asks for
// one, until the first frame whose command is dieOn: it then runs before
// (when set) on that connection and closes every connection it holds.
type dyingBroker struct {
	srv    *server
	mu     sync.Mutex
	conns  []net.Conn
	dieOn  frames.Command
	before func(c net.Conn, f *frames.Frame)
}

func newDyingBroker(t *testing.T, dieOn frames.Command, before func(net.Conn, *frames.Frame)) *dyingBroker {
	db := &dyingBroker{dieOn: dieOn, before: before}
	srv, err := startServer("", db.serve)
	require.NoError(t, err)
	db.srv = srv
	t.Cleanup(func() { _ = srv.Close() })
	return db
}

func (db *dyingBroker) serve(c net.Conn) {
	db.mu.Lock()
	db.conns = append(db.conns, c)
	db.mu.Unlock()
	dec := frames.NewDecoder(c, frames.V12, peerLimits)
	w := frames.NewWriter(c, frames.Encoder{Version: frames.V12})
	for {
		f, err := dec.Decode()
		if err != nil {
			return
		}
		if f.Command == frames.Heartbeat {
			continue
		}
		if f.Command == db.dieOn {
			if db.before != nil {
				db.before(c, f)
			}
			db.mu.Lock()
			for _, o := range db.conns {
				_ = o.Close()
			}
			db.mu.Unlock()
			return
		}
		reply := receiptFor(f)
		if f.Command == frames.CmdConnect || f.Command == frames.CmdStomp {
			reply = frames.New(frames.CmdConnected, frames.HdrVersion, "1.2", frames.HdrHeartBeat, "0,0")
		}
		if reply != nil && (w.WriteFrame(reply) != nil || w.Flush() != nil) {
			return
		}
	}
}

func (db *dyingBroker) target() *Target { return &Target{Name: "dying", Addr: db.srv.Addr()} }

type sideFunc = func(context.Context, *Target, Params) (Measure, error)

// The broker dies on the first SEND. Each side of each scenario that
// publishes ends with an error as soon as it is lost: the client's side
// waited for its handler until the run's whole timeout (latency) or for
// --timeout (pubsub), then blamed a message that did not come back.
func TestClientSideEndsWhenItsBrokerDies(t *testing.T) {
	p := Params{Size: 10, Duration: 500 * time.Millisecond, Timeout: 15 * time.Second, Publishers: 1, Consumers: 1}
	for name, s := range map[string]sideFunc{
		"raw latency": rawLatency, "ours latency": oursLatency, "ours latency-pull": oursLatencyPull,
		"raw pubsub": rawPubSub, "ours pubsub": oursPubSub, "raw publish": rawPublish, "ours publish": oursPublish,
	} {
		t.Run(name, func(t *testing.T) {
			db := newDyingBroker(t, frames.CmdSend, nil)
			p.Destination = "/topic/x"
			start := time.Now()
			_, err := s(context.Background(), db.target(), p)
			took := time.Since(start)
			t.Logf("%v after %s", err, took.Round(time.Millisecond))
			assert.Error(t, err)
			assert.Less(t, took, 5*time.Second, "a lost connection is seen when it is lost, not after --timeout")
		})
	}
}

// The firehose sends 10 MESSAGEs and closes the connection. Both sides
// report it; the client's side returned no error and a rate of 10
// messages over the whole duration.
func TestClientSideEndsWhenItsFirehoseDies(t *testing.T) {
	ten := func(c net.Conn, f *frames.Frame) {
		w := frames.NewWriter(c, frames.Encoder{Version: frames.V12})
		for i := range 10 {
			_ = w.WriteFrame(frames.New(frames.CmdMessage, frames.HdrMessageID, "m"+strconv.Itoa(i),
				frames.HdrSubscription, f.Header(frames.HdrID), frames.HdrDestination, f.Header(frames.HdrDestination)))
		}
		_ = w.Flush()
	}
	p := Params{Duration: 300 * time.Millisecond, Timeout: 10 * time.Second, Destination: "/topic/x", Inflight: 1024}
	for name, s := range map[string]sideFunc{"raw": rawConsumer("auto"), "ours": oursConsumer("auto")} {
		db := newDyingBroker(t, frames.CmdSubscribe, ten)
		m, err := s(context.Background(), db.target(), p)
		t.Logf("%s: %d messages, err %v", name, m.Messages, err)
		assert.Error(t, err, "%s: the peer closed the connection mid-measure", name)
	}
}

// Bodies over the client's and the simulator's default limit of 4 MiB
// are carried: the client's side consumed none of them, and reported a
// rate of 0 with no error; the simulator refused them.
func TestBodiesOverFourMiBAreCarried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Scenarios: []string{"consume-auto", "pubsub"}, Sizes: []int{4<<20 + 1}, Messages: 2,
		Duration: 10 * time.Second, Timeout: 10 * time.Second})
	require.NoError(t, err)
	for _, r := range rep.Results {
		assert.Equal(t, int64(2), r.Raw.Messages, r.Scenario)
		assert.Equal(t, int64(2), r.Ours.Messages, r.Scenario)
	}
}
