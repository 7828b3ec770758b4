package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stompactor/stompactor/sim"
)

// The simulator's stopping summary is a few labelled lines, not a Go
// struct dump.
func TestBrokerStatsSummaryIsReadable(t *testing.T) {
	var b strings.Builder
	writeBrokerStats(&b, sim.Stats{
		Counters: sim.Counters{Accepted: 3, Sent: 10, Delivered: 9, Acked: 8, Nacked: 1, Redelivered: 1,
			Errors: 1, HeartbeatTimeouts: 0, AuthFailures: 2},
		Connections: 1,
		Queued:      2,
		Destinations: []sim.DestinationInfo{
			{Name: "/queue/a", Ready: 2, Unacked: 1, Subscribers: 1, Enqueued: 10, Delivered: 9},
			{Name: "/topic/b", Topic: true, Subscribers: 2},
		},
	})
	assert.Equal(t, `connections: 3 accepted, 1 open, 2 logins refused, 0 connections dropped for heart-beat silence
messages: 10 sent, 9 delivered, 8 acked, 1 nacked, 1 redelivered, 2 waiting; 1 ERROR frame sent
destinations: 2
  /queue/a (queue): 10 in, 9 out, 2 waiting, 1 unacked, 1 subscriber
  /topic/b (topic): 0 in, 0 out, 0 waiting, 0 unacked, 2 subscribers
`, b.String())

	b.Reset()
	writeBrokerStats(&b, sim.Stats{})
	assert.Equal(t, `connections: 0 accepted, 0 open, 0 logins refused, 0 connections dropped for heart-beat silence
messages: 0 sent, 0 delivered, 0 acked, 0 nacked, 0 redelivered, 0 waiting; 0 ERROR frames sent
destinations: none
`, b.String())

	b.Reset()
	many := make([]sim.DestinationInfo, maxStatsDestinations+5)
	for i := range many {
		many[i].Name = "/queue/q"
	}
	writeBrokerStats(&b, sim.Stats{Destinations: many})
	assert.Equal(t, maxStatsDestinations, strings.Count(b.String(), "/queue/q"))
	assert.Contains(t, b.String(), "  and 5 more\n")
}
