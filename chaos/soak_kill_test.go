package chaos

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// The soaks below kill brokers: scripts/test runs them alone, after every
// other test, with STOMPACTOR_ALLOW_BROKER_RESTART=1.
func allowKills(t *testing.T) string {
	t.Helper()
	if os.Getenv("STOMPACTOR_ALLOW_BROKER_RESTART") != "1" {
		t.Skip("kills brokers: scripts/test runs it alone with STOMPACTOR_ALLOW_BROKER_RESTART=1")
	}
	dir := os.Getenv("STOMPACTOR_BROKERS_DIR")
	if dir == "" {
		t.Fatal("STOMPACTOR_BROKERS_DIR is not set: the brokers were not started by scripts/brokers/up.sh")
	}
	return dir
}

// restartScript runs scripts/brokers/restart.sh DIR BROKER ARGS.
func restartScript(t *testing.T, dir, broker string, args ...string) time.Duration {
	t.Helper()
	start := time.Now()
	script := os.Getenv("STOMPACTOR_CLUSTER_RESTART")
	if script == "" {
		script = "../scripts/brokers/restart.sh"
	}
	out, err := exec.Command(script, append([]string{dir, broker}, args...)...).CombinedOutput()
	require.NoError(t, err, "restart.sh %s %v: %s", broker, args, out)
	return time.Since(start)
}

// killer kills broker with SIGKILL and revives it, logging how long each
// took.
func killer(dir, broker string) (kill, revive func(t *testing.T, k int)) {
	return func(t *testing.T, k int) {
			d := restartScript(t, dir, broker, "--kill")
			t.Logf("kill %d: %s killed (SIGKILL) in %s; producers go on", k+1, broker, d.Round(time.Millisecond))
		}, func(t *testing.T, k int) {
			d := restartScript(t, dir, broker, "--start")
			t.Logf("kill %d: %s back in %s", k+1, broker, d.Round(time.Millisecond))
		}
}

// Producers at least once and consumers in client-individual mode while
// RabbitMQ is killed with SIGKILL and restarted twice: persistent messages
// to a durable queue, so nothing the broker confirmed is lost.
func TestSoakBrokerKilled(t *testing.T) {
	dir := allowKills(t)
	addr, login, pass := rabbit(t)
	n := soakMessages(1500)
	sk := soak{addrs: []string{addr}, login: login, pass: pass,
		dest:      "/queue/soak-kill-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		producers: 2, consumers: 2, perProducer: n,
		sendHeaders: []api.Header{{Key: "persistent", Value: "true"}},
		timeout:     4 * time.Minute}
	sk.kill, sk.revive = killer(dir, "rabbitmq")
	res := sk.run(t)
	t.Log(res)
	require.Empty(t, res.lost, "confirmed messages lost")
	require.Positive(t, res.confirmed)
	require.GreaterOrEqual(t, len(res.cuts), 2, "the consumers lived through the kills")
}

// The same while a node of a three-node RabbitMQ cluster is killed: the
// messages go to a quorum queue (a member on every node), the clients
// fail over to a surviving node, and nothing confirmed is lost.
func TestSoakClusterNodeKilled(t *testing.T) {
	dir := allowKills(t)
	addrs := strings.Split(os.Getenv("STOMPACTOR_CLUSTER_ADDRS"), ",")
	if len(addrs) < 3 {
		if os.Getenv("CI") == "true" {
			t.Fatal("STOMPACTOR_CLUSTER_ADDRS is not set, and CI=true requires the RabbitMQ cluster")
		}
		t.Skip("no RabbitMQ cluster: scripts/brokers/up.sh rabbitmq-cluster starts one")
	}
	login, pass := os.Getenv("STOMPACTOR_CLUSTER_LOGIN"), os.Getenv("STOMPACTOR_CLUSTER_PASSCODE")
	if login == "" {
		login, pass = "guest", "guest"
	}
	n := soakMessages(1500)
	// Quorum queues need the same declaration on every connection's first
	// frame to them: the header goes on every SEND and SUBSCRIBE.
	quorum := api.Header{Key: "x-queue-type", Value: "quorum"}
	sk := soak{addrs: addrs, login: login, pass: pass,
		dest:      "/queue/soak-cluster-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		producers: 2, consumers: 2, perProducer: n,
		sendHeaders: []api.Header{{Key: "persistent", Value: "true"}, quorum},
		subHeaders:  []api.Header{quorum},
		timeout:     4 * time.Minute}
	sk.kill, sk.revive = killer(dir, "rabbitmq-cluster:1")
	res := sk.run(t)
	t.Log(res)
	require.Empty(t, res.lost, "confirmed messages lost")
	require.Positive(t, res.confirmed)
	require.GreaterOrEqual(t, len(res.cuts), 1, "the consumers lived through the kills")
}
