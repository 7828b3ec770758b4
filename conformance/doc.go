// Package conformance holds one suite of STOMP scenarios that runs,
// unchanged, against every broker stompactor is checked with: the embedded
// simulator, RabbitMQ and ActiveMQ. What legitimately differs between
// brokers (destination names, virtual hosts, durable-subscription headers,
// features a broker lacks) lives in a Profile, never in a scenario.
//
// Real brokers are found through the environment written by
// scripts/brokers/up.sh (STOMPACTOR_RABBITMQ_ADDR, STOMPACTOR_ACTIVEMQ_ADDR,
// ...). A broker that is not configured is skipped with a line saying so,
// except under CI=true, where it fails the run.
package conformance
