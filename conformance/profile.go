package conformance

import (
	"os"
	"strings"

	"github.com/stompactor/stompactor/frames"
)

// Profile is what the suite needs to know about one broker.
type Profile struct {
	Name            string
	Addr            string
	Host            string // virtual host for the host header
	Login, Passcode string
	Versions        []frames.Version
	// Queue and Topic turn a bare name into the broker's destination.
	Queue, Topic func(name string) string
	// Durable returns the SUBSCRIBE headers of a durable topic
	// subscription named name, and the CONNECT headers it needs.
	Durable func(name string) (sub, conn frames.Headers)
	// BadDestination is a destination the broker refuses with ERROR.
	BadDestination string
	// BrokerMaxFrame is the largest frame the broker accepts.
	BrokerMaxFrame int
	// NackTo, when set, names the dead-letter queue a NACKed message
	// from queue goes to; nil means the broker redelivers it.
	NackTo func(queue string) string
	// Unsupported maps a scenario to the reason this broker cannot run it.
	Unsupported map[string]string
	// Missing, when set, says why the broker is not available.
	Missing string
}

func prefixed(p string) func(string) string { return func(n string) string { return p + n } }

// RabbitMQ describes the node started by scripts/brokers/up.sh.
func RabbitMQ() Profile {
	p := Profile{
		Name:           "rabbitmq",
		Addr:           os.Getenv("STOMPACTOR_RABBITMQ_ADDR"),
		Host:           "/",
		Login:          envOr("STOMPACTOR_RABBITMQ_LOGIN", "guest"),
		Passcode:       envOr("STOMPACTOR_RABBITMQ_PASSCODE", "guest"),
		Versions:       []frames.Version{frames.V10, frames.V11, frames.V12},
		Queue:          prefixed("/queue/"),
		Topic:          prefixed("/topic/"),
		BadDestination: "/no-such-kind/x",
		BrokerMaxFrame: 128 << 20, // RabbitMQ's default max_message_size
		Durable: func(name string) (frames.Headers, frames.Headers) {
			// RabbitMQ names the durable queue after the subscription's
			// id, which the scenario sets to name.
			return frames.Headers{{Key: "durable", Value: "true"}, {Key: "auto-delete", Value: "false"}}, nil
		},
		Unsupported: map[string]string{},
	}
	if p.Addr == "" {
		p.Missing = "STOMPACTOR_RABBITMQ_ADDR not set (scripts/brokers/up.sh starts RabbitMQ)"
	}
	return p
}

// ActiveMQ describes the broker started by scripts/brokers/up.sh.
func ActiveMQ() Profile {
	p := Profile{
		Name:           "activemq",
		Addr:           os.Getenv("STOMPACTOR_ACTIVEMQ_ADDR"),
		Host:           "localhost",
		Login:          os.Getenv("STOMPACTOR_ACTIVEMQ_LOGIN"),
		Passcode:       os.Getenv("STOMPACTOR_ACTIVEMQ_PASSCODE"),
		Versions:       []frames.Version{frames.V10, frames.V11, frames.V12},
		Queue:          prefixed("/queue/"),
		Topic:          prefixed("/topic/"),
		BrokerMaxFrame: 100 << 20, // wireFormat.maxFrameSize's default
		Durable: func(name string) (frames.Headers, frames.Headers) {
			return frames.Headers{{Key: "activemq.subscriptionName", Value: name}}, frames.Headers{{Key: "client-id", Value: "cid-" + name}}
		},
		NackTo: func(string) string { return "/queue/ActiveMQ.DLQ" },
		Unsupported: map[string]string{
			"vhost-refused":         "ActiveMQ ignores the host header",
			"error-bad-destination": "ActiveMQ creates whatever destination it is sent to",
		},
	}
	if os.Getenv("STOMPACTOR_ACTIVEMQ_AUTH") != "simple" {
		p.Unsupported["login-refused"] = "ActiveMQ runs without authentication here (STOMPACTOR_ACTIVEMQ_AUTH=" + os.Getenv("STOMPACTOR_ACTIVEMQ_AUTH") + ")"
	}
	if p.Addr == "" {
		p.Missing = "STOMPACTOR_ACTIVEMQ_ADDR not set (scripts/brokers/up.sh starts ActiveMQ)"
	}
	return p
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func inCI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }
