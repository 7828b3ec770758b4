package bench

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// peerEnv makes the test binary serve as a peer process (the way `stomp
// bench peer` does), so the tests exercise Config.PeerProcess. It serves
// as the library's own self peer does (serveSelfPeer).
const peerEnv = "STOMPACTOR_BENCH_TEST_PEER"

func TestMain(m *testing.M) {
	if os.Getenv(peerEnv) == "1" {
		os.Exit(serveSelfPeer(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}
