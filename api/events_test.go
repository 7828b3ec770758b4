package api

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doEventsUntil calls DoEvents until cond holds.
func doEventsUntil(t *testing.T, s *STOMP, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		default:
		}
		require.NoError(t, s.DoEvents())
	}
}

func TestManualEvents(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := newClient(t, WithManualEvents(), WithSelectWait(5*time.Millisecond))
	var connected, messages int
	var msgGoroutineIsCaller bool
	caller := make(chan struct{})
	s.OnConnected(func(*ConnectedEvent) { connected++ })
	s.OnMessageIn(func(e *MessageInEvent) {
		messages++
		select {
		case <-caller: // closed: we run inside the test's DoEvents
			msgGoroutineIsCaller = true
		default:
		}
	})
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/m", true)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/m", "x"))
	waitFor(t, "the message to reach the client", func() bool {
		ci, _ := b.Connection(1)
		return ci.Unacked == 1
	})
	assert.Equal(t, 0, connected, "nothing runs before DoEvents")
	assert.Equal(t, 0, messages)
	assert.Empty(t, received(t, b, 1, frames.CmdAck), "the message waits for DoEvents, unacknowledged")

	close(caller)
	doEventsUntil(t, s, "events", func() bool { return connected == 1 && messages == 1 })
	assert.True(t, msgGoroutineIsCaller)
	waitFrame(t, b, 1, frames.CmdAck)

	// Without events DoEvents returns after SelectWaitMillis.
	start := time.Now()
	require.NoError(t, s.DoEvents())
	assert.Less(t, time.Since(start), wait)

	// Back to automatic events: what waits runs by itself.
	require.NoError(t, s.SendMessage("/queue/m", "y"))
	waitFor(t, "second delivery", func() bool { ci, _ := b.Connection(1); return ci.Unacked == 1 })
	_, err = s.Config("ProcessIdleEvents=true")
	require.NoError(t, err)
	waitFor(t, "second ACK", func() bool { return len(received(t, b, 1, frames.CmdAck)) == 2 })
}

// With automatic events DoEvents has nothing to run: it waits for the
// event goroutine to handle an event of the client (or SelectWaitMillis,
// here an hour, or Close). A program's wait loop so wakes as soon as a
// handler ran. Events keep coming until DoEvents returned: only one
// handled while it waits can end its wait.
func TestDoEventsInAutomaticModeReturnsOnceAnEventWasHandled(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithSelectWait(time.Hour))
	var handled atomic.Int64
	s.OnMessageOut(func(*MessageOutEvent) { handled.Add(1) })
	returned := make(chan error, 1)
	go func() { returned <- s.DoEvents() }()
	var err error
	waitFor(t, "DoEvents to return", func() bool {
		select {
		case err = <-returned:
			return true
		default:
		}
		require.NoError(t, s.SendMessage("/queue/doevents", "x"))
		return false
	})
	require.NoError(t, err)
	assert.Positive(t, handled.Load())
}

func TestLogLevels(t *testing.T) {
	for _, level := range []int{0, 1, 2, 3} {
		t.Run(strings.Repeat("I", level+1), func(t *testing.T) {
			b := newBroker(t)
			s := newClient(t, WithLogLevel(level), WithUser("u"), WithPassword("p4ssc0de"))
			logs := collect(s.OnLog)
			got := collect(s.OnMessageIn)
			disconnected := collect(s.OnDisconnected)
			h, p := hostPort(t, b.Addr())
			require.NoError(t, s.Connect(h, p))
			_, err := s.Subscribe("/queue/log", true)
			require.NoError(t, err)
			require.NoError(t, s.SendMessage("/queue/log", "x"))
			recv(t, got)
			require.NoError(t, s.Disconnect())
			recv(t, disconnected) // events run in order: every log before it is in
			types := map[string]bool{}
			maxLevel := 0
		drain:
			for {
				select {
				case e := <-logs:
					types[e.LogType] = true
					maxLevel = max(maxLevel, e.LogLevel)
					assert.NotContains(t, e.Message, "p4ssc0de")
				default:
					break drain
				}
			}
			assert.LessOrEqual(t, maxLevel, level)
			assert.Equal(t, level >= 1, types["Info"], "Info logs at level %d", level)
			assert.Equal(t, level >= 2, types["Ack"], "Ack logs at level %d", level)
			assert.Equal(t, level >= 3, types["Frame"], "Frame logs at level %d", level)
		})
	}
}

func TestSlogLoggerGetsRedactedLogs(t *testing.T) {
	sink := &logSink{}
	logger := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		f, err := readFrame(d)
		if err != nil {
			return
		}
		// A broker that echoes the passcode in its error.
		_, _ = conn.Write([]byte("ERROR\nmessage:bad passcode " + f.Header("passcode") + "\n\nyou sent " + f.Header("passcode") + "\x00"))
	})
	s := newClient(t, WithLogger(logger), WithLogLevel(3), WithUser("guest"), WithPassword("Sup3rSecret"))
	logs := collect(s.OnLog)
	errs := collect(s.OnConnected)
	err := s.Connect(srv.host, srv.port)
	require.ErrorIs(t, err, ErrServer)
	assert.NotContains(t, err.Error(), "Sup3rSecret")
	assert.Contains(t, err.Error(), "<redacted>")
	var ae *Error
	require.ErrorAs(t, err, &ae)
	assert.NotContains(t, string(ae.Body), "Sup3rSecret")
	assert.NotContains(t, formatHeaders(ae.Headers), "Sup3rSecret")
	assert.NotContains(t, ae.Message+string(ae.Body)+ae.Headers.Value("message"), "Sup3rSecret")
	ce := recv(t, errs)
	assert.NotContains(t, ce.Description, "Sup3rSecret")
	s.Close()
	close(logs)
	for e := range logs {
		assert.NotContains(t, e.Message, "Sup3rSecret")
	}
	lines := sink.all()
	require.NotEmpty(t, lines)
	for _, l := range lines {
		assert.NotContains(t, l, "Sup3rSecret")
	}
	assert.True(t, containsAny(lines, "passcode:<redacted>"), "the CONNECT frame is logged, redacted")
}

func containsAny(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestEventHandlersRunInOrderAndSurvivePanics(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	var order []string
	done := make(chan struct{})
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) { order = append(order, e.ConnectionEvent) })
	s.OnConnected(func(*ConnectedEvent) {
		order = append(order, "Connected")
		panic("a buggy handler")
	})
	s.OnSubscribed(func(*SubscribedEvent) { order = append(order, "Subscribed") })
	s.OnDisconnected(func(*DisconnectedEvent) { order = append(order, "Disconnected"); close(done) })
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/o", false)
	require.NoError(t, err)
	require.NoError(t, s.Disconnect())
	recv(t, done)
	assert.Equal(t, []string{"dialing", "connected-tcp", "connecting", "connected", "Connected", "Subscribed", "disconnecting", "Disconnected"}, order)
}

func TestTimeoutZeroReportsFailuresWithOnError(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	require.NoError(t, s.SetTimeout(0))
	require.NoError(t, s.CommitTransaction("never-begun"), "does not wait")
	e := recv(t, errs)
	assert.Equal(t, CodeUnknownTransaction, e.ErrorCode)

	id, err := s.Subscribe("/queue/async", false)
	require.NoError(t, err)
	assert.NotEmpty(t, id, "the id is known at once")
	require.NoError(t, s.Unsubscribe(id))
	require.NoError(t, s.Unsubscribe("no-such-id"))
	assert.Equal(t, CodeUnknownSubscription, recv(t, errs).ErrorCode)

	// A deadline on the context makes the call wait after all.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	assert.ErrorIs(t, s.CommitTransactionContext(ctx, "never-begun"), ErrUnknownTransaction)
}

func TestEventsDropped(t *testing.T) {
	s := newClient(t, WithManualEvents())
	assert.Equal(t, int64(0), s.EventsDropped())
}

// ProcessIdleEvents set from two goroutines at once leaves the event
// queue in the mode the configuration says: the two change together,
// under the client's lock. They did not, and a client whose setting said
// DoEvents could find its handlers run on the queue's own goroutine,
// racing the state they share with the goroutine that calls DoEvents.
func TestProcessIdleEventsAndTheQueueAgree(t *testing.T) {
	s := NewSTOMP(WithManualEvents())
	defer s.Close()
	q := s.eventQueue()
	for round := range 2000 {
		var wg sync.WaitGroup
		wg.Add(2)
		for _, on := range []bool{round%2 == 0, round%2 != 0} {
			go func() {
				defer wg.Done()
				_ = s.setProcessIdleEvents(on)
			}()
		}
		wg.Wait()
		s.mu.Lock()
		manual := s.cfg.manualEvents
		s.mu.Unlock()
		q.mu.Lock()
		queueManual := q.manual
		q.mu.Unlock()
		require.Equal(t, manual, queueManual, "round %d: the setting says manual=%v", round, manual)
	}
}
