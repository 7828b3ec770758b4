package main

import (
	"fmt"
	"io"

	"github.com/stompactor/stompactor/sim"
)

// maxStatsDestinations bounds the destinations the stopping summary
// lists, one line each; the rest are counted.
const maxStatsDestinations = 20

// writeBrokerStats prints what the simulator did, for a person reading
// the terminal after Ctrl-C: a line of connections, a line of messages,
// and a line per destination.
func writeBrokerStats(w io.Writer, st sim.Stats) {
	fmt.Fprintf(w, "connections: %d accepted, %d open, %s refused, %s dropped for heart-beat silence\n",
		st.Accepted, st.Connections, plural(st.AuthFailures, "login"), plural(st.HeartbeatTimeouts, "connection"))
	fmt.Fprintf(w, "messages: %d sent, %d delivered, %d acked, %d nacked, %d redelivered, %d waiting; %s sent\n",
		st.Sent, st.Delivered, st.Acked, st.Nacked, st.Redelivered, st.Queued, plural(st.Errors, "ERROR frame"))
	if len(st.Destinations) == 0 {
		fmt.Fprintln(w, "destinations: none")
		return
	}
	fmt.Fprintf(w, "destinations: %d\n", len(st.Destinations))
	for i, d := range st.Destinations {
		if i == maxStatsDestinations {
			fmt.Fprintf(w, "  and %d more\n", len(st.Destinations)-i)
			break
		}
		kind := "queue"
		if d.Topic {
			kind = "topic"
		}
		fmt.Fprintf(w, "  %s (%s): %d in, %d out, %d waiting, %d unacked, %s\n",
			d.Name, kind, d.Enqueued, d.Delivered, d.Ready, d.Unacked, plural(uint64(d.Subscribers), "subscriber"))
	}
}

// plural writes n things: "1 login", "2 logins".
func plural(n uint64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
