package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Chart says which chart a scenario's results are drawn in.
type Chart string

// The charts.
const (
	ChartThroughput Chart = "throughput" // msg/s by body size, beside the raw reference
	ChartLatency    Chart = "latency"    // round-trip percentiles
	ChartMemory     Chart = "memory"     // memory per connection
)

// Role is the kind of peer a scenario talks to.
type Role string

// The peer roles. Config.Broker, when set, also stands in for the sink.
const (
	RoleSink     Role = "sink"     // a frame-parsing sink (Sink)
	RoleFirehose Role = "firehose" // a MESSAGE firehose (Firehose)
	RoleBroker   Role = "broker"   // the simulator or a broker by address
)

// Params are the settings of one measurement.
type Params struct {
	Size        int           // body size in bytes
	Duration    time.Duration // how long to measure
	Warmup      time.Duration // latency: round trips before measuring
	Messages    int64         // most messages to measure; 0: Duration decides
	Receipts    bool          // every SEND waits for its RECEIPT
	Lent        bool          // the client's subscriptions lend their messages (api.SubscribeOptions.Lent)
	Publishers  int           // publishing connections (pubsub)
	Consumers   int           // consuming connections (pubsub)
	Inflight    int64         // firehose: most unacknowledged messages (client-individual)
	Timeout     time.Duration // bound on every wait for a peer
	Destination string        // unique to this measurement
	Connections int           // connections: how many to open
	Fanout      int           // connections: topic messages fanned out to all
	// ClientProcess, when set, is the command line of a fresh process that
	// measures the connections scenario's side (see ClientProcess in
	// Config).
	ClientProcess []string
}

// Scenario is one way of using a messaging path, measured twice in every
// run: by a raw loop over the socket (the reference) and by the client
// through the public api package. Add one by writing a Scenario and
// passing it to Register (a "connections" scenario measuring memory per
// idle subscribed connection would set Chart to ChartMemory and report
// Measure.MemPerConn).
type Scenario struct {
	Name  string
	Doc   string
	Peer  Role
	Chart Chart
	// Settings are the settings of Config the scenario uses (see
	// Setting): it gets only those in its Params, `stomp bench` refuses
	// the flag of any other for it, and they decide what its results
	// are named (SetReceipts, SetLent, SetPublishers). A scenario without
	// SetSize runs once per run, not once per body size.
	Settings []Setting
	// OwnPeer says the scenario's figures are the memory and goroutines
	// of the process that measures them, which a built-in peer in that
	// process would swell: unless Config.ClientProcess measures the
	// sides elsewhere, Run starts the scenario's built-in peer in a
	// process of its own even without Config.PeerProcess, by running the
	// program's own executable again (any program importing this package
	// serves a peer when its environment asks it to).
	OwnPeer bool
	Raw     func(ctx context.Context, t *Target, p Params) (Measure, error)
	Ours    func(ctx context.Context, t *Target, p Params) (Measure, error)
}

var (
	registryMu sync.Mutex
	registry   = builtin()
)

// Register adds a scenario. Its name must be new and its functions set.
func Register(s Scenario) error {
	if s.Name == "" || s.Raw == nil || s.Ours == nil {
		return fmt.Errorf("bench: scenario %q needs a name, Raw and Ours", s.Name)
	}
	switch s.Peer {
	case RoleSink, RoleFirehose, RoleBroker:
	default:
		return fmt.Errorf("bench: scenario %q: unknown peer role %q", s.Name, s.Peer)
	}
	switch s.Chart {
	case ChartThroughput, ChartLatency, ChartMemory:
	default:
		return fmt.Errorf("bench: scenario %q: unknown chart %q", s.Name, s.Chart)
	}
	if err := s.checkSettings(); err != nil {
		return err
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, o := range registry {
		if o.Name == s.Name {
			return fmt.Errorf("bench: scenario %q registered twice", s.Name)
		}
	}
	registry = append(registry, s)
	return nil
}

// Scenarios returns every registered scenario, in registration order.
func Scenarios() []Scenario {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]Scenario(nil), registry...)
}

// Lookup returns the scenario named name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// builtin lists the scenarios this package ships, each with the
// settings it uses (the table `stomp bench --help` prints).
func builtin() []Scenario {
	return []Scenario{
		{Name: "publish", Peer: RoleSink, Chart: ChartThroughput,
			Settings: []Setting{SetSize, SetDuration, SetCount, SetReceipts},
			Doc:      "one connection publishes as fast as it can; a RECEIPT on the last message ends the measurement",
			Raw:      rawPublish, Ours: oursPublish},
		{Name: "consume-auto", Peer: RoleFirehose, Chart: ChartThroughput,
			Settings: []Setting{SetSize, SetDuration, SetCount, SetLent},
			Doc:      "one connection consumes the firehose, ack mode auto",
			Raw:      rawConsumer("auto"), Ours: oursConsumer("auto")},
		{Name: "consume-client-individual", Peer: RoleFirehose, Chart: ChartThroughput,
			Settings: []Setting{SetSize, SetDuration, SetCount, SetLent, SetInflight},
			Doc:      "one connection consumes the firehose and ACKs every message; the firehose keeps at most Inflight unacknowledged",
			Raw:      rawConsumer("client-individual"), Ours: oursConsumer("client-individual")},
		{Name: "pubsub", Peer: RoleBroker, Chart: ChartThroughput,
			Settings: []Setting{SetSize, SetDuration, SetCount, SetReceipts, SetLent, SetPublishers, SetConsumers},
			Doc:      "Publishers connections publish through the broker to Consumers connections, until every message is delivered",
			Raw:      rawPubSub, Ours: oursPubSub},
		{Name: "latency", Peer: RoleBroker, Chart: ChartLatency,
			Settings: []Setting{SetSize, SetDuration, SetWarmup, SetCount, SetLent},
			Doc:      "one message in flight: publish, wait until the consumer has it, again; after a warm-up",
			Raw:      rawLatency, Ours: oursLatency},
		{Name: "latency-pull", Peer: RoleBroker, Chart: ChartLatency,
			Settings: []Setting{SetSize, SetDuration, SetWarmup, SetCount, SetLent},
			Doc:      "latency, the consumer taking each message with Receive (SubscribeOptions.Pull), which reads the socket on the goroutine that waits (lent: and gives it back with Release)",
			Raw:      rawLatency, Ours: oursLatencyPull},
		{Name: "connections", Peer: RoleBroker, Chart: ChartMemory, OwnPeer: true,
			Settings: []Setting{SetConnections, SetFanout},
			Doc:      "Connections idle subscribed connections (heart-beats off) from one process: memory, heap, stack and goroutines per connection, time to connect them all, then Fanout topic messages fanned out to all of them",
			Raw:      connsSide(true), Ours: connsSide(false)},
	}
}
