// Package metrics exports the counters of api.STOMP clients to Prometheus.
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.NewCollector("orders", client))
//
// The collector reads each client's Stats snapshot at scrape time; it owns
// no goroutine and keeps no state of its own.
package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompactor/stompactor/api"
)

// Collector is a prometheus.Collector for one or more clients, each named
// by a "client" label.
type Collector struct {
	mu      sync.Mutex // guards clients: Add and Remove may come at any time
	clients map[string]*api.STOMP
	descs   []counterDesc
	subDesc *prometheus.Desc
}

type counterDesc struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(api.Stats) int64
}

// NewCollector returns a collector for client, labelled client=name. Add
// and Remove change its clients at any time, registered or not.
func NewCollector(name string, client *api.STOMP) *Collector {
	c := &Collector{clients: map[string]*api.STOMP{}}
	c.clients[name] = client
	d := func(metric, help string, kind prometheus.ValueType, v func(api.Stats) int64) {
		c.descs = append(c.descs, counterDesc{
			desc:  prometheus.NewDesc("stompactor_"+metric, help, []string{"client"}, nil),
			kind:  kind,
			value: v,
		})
	}
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	d("frames_in_total", "STOMP frames received, heart-beats not counted.", counter, func(s api.Stats) int64 { return s.FramesIn })
	d("frames_out_total", "STOMP frames written, heart-beats not counted.", counter, func(s api.Stats) int64 { return s.FramesOut })
	d("bytes_in_total", "Bytes read from the socket.", counter, func(s api.Stats) int64 { return s.BytesIn })
	d("bytes_out_total", "Bytes written to the socket.", counter, func(s api.Stats) int64 { return s.BytesOut })
	d("messages_in_total", "MESSAGE frames received, dropped ones included.", counter, func(s api.Stats) int64 { return s.MessagesIn })
	d("messages_out_total", "SEND frames written.", counter, func(s api.Stats) int64 { return s.MessagesOut })
	d("acks_total", "ACK frames sent.", counter, func(s api.Stats) int64 { return s.Acks })
	d("nacks_total", "NACK frames sent.", counter, func(s api.Stats) int64 { return s.Nacks })
	d("receipts_pending", "Receipts awaited right now.", gauge, func(s api.Stats) int64 { return s.ReceiptsPending })
	d("heartbeats_in_total", "Heart-beats received while negotiated (a frame's padding EOL not counted).", counter, func(s api.Stats) int64 { return s.HeartbeatsIn })
	d("heartbeats_out_total", "Heart-beats sent.", counter, func(s api.Stats) int64 { return s.HeartbeatsOut })
	d("heartbeats_missed_total", "Connections ended because the server went silent.", counter, func(s api.Stats) int64 { return s.HeartbeatsMissed })
	d("dropped_total", "Messages dropped: received ones (counted in messages_in_total) by full queues or while disconnecting, and sends queued behind a DISCONNECT.", counter, func(s api.Stats) int64 { return s.Dropped })
	d("connects_total", "Connections made.", counter, func(s api.Stats) int64 { return s.Connects })
	d("disconnects_total", "Connections ended.", counter, func(s api.Stats) int64 { return s.Disconnects })
	d("reconnects_total", "Connections restored by the reconnect policy.", counter, func(s api.Stats) int64 { return s.Reconnects })
	d("connects_queued_total", "Automatic reconnect attempts that waited for a slot of their engine's MaxConcurrentConnects.", counter, func(s api.Stats) int64 { return s.ConnectsQueued })
	d("panics_total", "Panics recovered in handlers and actors, and handlers that ended their goroutine (runtime.Goexit).", counter, func(s api.Stats) int64 { return s.Panics })
	d("events_dropped_total", "Events dropped by a full event queue.", counter, func(s api.Stats) int64 { return s.EventsDropped })
	c.subDesc = prometheus.NewDesc("stompactor_subscription_messages_total", "Messages delivered to each live subscription: received, and not dropped by a full queue.", []string{"client", "subscription"}, nil)
	return c
}

// Add includes another client, labelled client=name (replacing the
// client of that name, if any).
func (c *Collector) Add(name string, client *api.STOMP) {
	c.mu.Lock()
	c.clients[name] = client
	c.mu.Unlock()
}

// Remove leaves out the client named name from the next scrape on: a
// service that holds many connections removes each one it closes, so that
// the collector does not keep it alive.
func (c *Collector) Remove(name string) {
	c.mu.Lock()
	delete(c.clients, name)
	c.mu.Unlock()
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
	ch <- c.subDesc
}

// Collect reads each client's Stats and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	type named struct {
		name   string
		client *api.STOMP
	}
	clients := make([]named, 0, len(c.clients))
	for name, client := range c.clients {
		clients = append(clients, named{name, client})
	}
	c.mu.Unlock()
	for _, nc := range clients {
		name, client := nc.name, nc.client
		st := client.Stats()
		for _, d := range c.descs {
			ch <- prometheus.MustNewConstMetric(d.desc, d.kind, float64(d.value(st)), name)
		}
		for id, n := range st.Subscriptions {
			ch <- prometheus.MustNewConstMetric(c.subDesc, prometheus.CounterValue, float64(n), name, id)
		}
	}
}
