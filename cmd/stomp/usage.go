package main

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/transport"
)

// Bad usage found before connecting: flag values and arguments no broker
// could make work are refused with exit 2, named by their flag, once (not
// once per --server), so that a script can tell them from a broker that
// is down (exit 1, worth a retry).

// maxHeartbeatMillis is the library's bound on each heart-beat
// (api.STOMP.SetOutgoingHeartbeat: 0 to 2147483647 milliseconds).
const maxHeartbeatMillis = math.MaxInt32

// check refuses the connection flags' values that no connect could use.
// What the library's own options refuse when a client connects is bad
// usage too (see asUsage).
func (f *connFlags) check() error {
	if f.timeout <= 0 {
		return usagef("--timeout must be more than 0, not %s", f.timeout)
	}
	_, _, err := parseHeartbeat(f.heartbeat)
	return err
}

// asUsage turns the library's refusal of a setting or argument
// (api.ErrInvalidArgument, which Connect finds before anything is
// dialed: an option's value, a -H header, a --tls-cert store its password
// does not open, a proxy setting) into bad usage: the invocation is at
// fault, not the server, and no retry would help. A refusal that depends
// on the server's address is not bad usage (see serverRefusal): the
// caller records it and tries the next --server.
func asUsage(err error) (error, bool) {
	if errors.Is(err, api.ErrInvalidArgument) && !serverRefusal(err) {
		return &usageError{err: err}, true
	}
	return err, false
}

// serverRefusal reports whether err is a refusal of one server's address,
// which another --server may not meet: a proxy that cannot carry the
// target (an IPv6 broker through SOCKS4, a host name too long for
// SOCKS), as api.Firewall documents. The proxy's credentials are the same
// for every server, so the target is checked alone: a refusal that holds
// with no credentials at all is the address's.
func serverRefusal(err error) bool {
	_, ok := refusedTarget(err)
	return ok
}

// refusedTarget returns the address of a serverRefusal: the broker's, or
// with --reconnect one of its failover servers'.
func refusedTarget(err error) (string, bool) {
	var pe *transport.ProxyError
	if !errors.As(err, &pe) || pe.Kind != transport.ProxyBadRequest || pe.Target == "" {
		return "", false
	}
	return pe.Target, transport.CheckProxy(pe.Proxy, pe.Addr, "", "", pe.Target) != nil
}

// sendHints say which flag or argument gives the headers the client
// writes on SEND itself.
var sendHints = map[string]string{
	"destination":    "the DESTINATION argument",
	"receipt":        "--receipt",
	"transaction":    "--transaction",
	"content-length": "the body's length",
}

// checkDestination refuses an empty DESTINATION argument.
func checkDestination(dest string) error {
	if dest == "" {
		return usagef("DESTINATION is empty")
	}
	return nil
}

// checkSendArgs refuses, before any input is read or server tried, an
// empty destination and a -H header the client writes itself.
func checkSendArgs(dest string, headers []string) error {
	if err := checkDestination(dest); err != nil {
		return err
	}
	return checkOwnHeaders(headers, sendHints)
}

// checkOwnHeaders refuses a -H header the client writes itself, saying
// which flag or argument gives it (hints).
func checkOwnHeaders(headers []string, hints map[string]string) error {
	for _, h := range headers {
		k, _, _ := strings.Cut(h, ":")
		hint, listed := hints[k]
		if !actors.OwnHeader(k) && !listed {
			continue
		}
		msg := fmt.Sprintf("-H %s: the client writes the %q header itself", k, k)
		if hint != "" {
			msg += ", from " + hint
		}
		return usagef("%s", msg)
	}
	return nil
}

// parseHeaders turns the -H values into headers: each name:value, split at
// the first colon (the value may hold more), the name not empty.
func parseHeaders(headers []string) ([]api.Header, error) {
	var out []api.Header
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || k == "" {
			return nil, usagef("-H %q: want name:value", h)
		}
		out = append(out, api.Header{Key: k, Value: v})
	}
	return out, nil
}

// subscribeHints say which flag or argument gives the headers the client
// writes on SUBSCRIBE itself, the prefetch among them: subscribe sets it
// from --count (see its help), and the library refuses a prefetch header
// beside it.
var subscribeHints = map[string]string{
	"destination":              "the DESTINATION argument",
	"ack":                      "--ack",
	"id":                       "its own subscription id",
	actors.HdrPrefetchCount:    "--count (subscribe sets the prefetch itself)",
	actors.HdrActiveMQPrefetch: "--count (subscribe sets the prefetch itself)",
}

// checkSubscribeArgs refuses, before any server is tried, an empty
// destination and a -H header that is not name:value or that the client
// writes itself, and returns the headers.
func checkSubscribeArgs(dest string, headers []string) ([]api.Header, error) {
	if err := checkDestination(dest); err != nil {
		return nil, err
	}
	if err := checkOwnHeaders(headers, subscribeHints); err != nil {
		return nil, err
	}
	return parseHeaders(headers)
}
