// Package chaos holds soaks: producers publishing at least once and
// consumers acknowledging each message, through the api package, while
// connections are cut (sim's fault proxy), a broker is killed with SIGKILL
// and restarted, or a node of a RabbitMQ cluster is killed. Each checks
// that no message whose send was confirmed is lost, and reports sends,
// confirmations, losses, duplicates and the time from a cut to the
// consumers' resubscription. STOMPACTOR_SOAK_MESSAGES sets the messages
// per producer (1500 in CI).
package chaos
