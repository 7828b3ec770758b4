package api

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A send is confirmed by its own RECEIPT and nothing else. A proxy
// withholds the SEND's RECEIPT; the RECEIPT of a SUBSCRIBE written after
// it passes. The send must then fail with ErrReceiptTimeout, never return
// nil. Against the simulator always, and against RabbitMQ when the test
// scripts started it.
func TestSendIsConfirmedOnlyByItsOwnReceipt(t *testing.T) {
	targets := map[string][]Option{"sim": nil}
	b := newBroker(t)
	addrs := map[string]string{"sim": b.Addr()}
	if addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR"); addr != "" {
		addrs["rabbitmq"] = addr
		targets["rabbitmq"] = []Option{WithUser(os.Getenv("STOMPACTOR_RABBITMQ_LOGIN")), WithPassword(os.Getenv("STOMPACTOR_RABBITMQ_PASSCODE")), WithVirtualHost("/")}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("STOMPACTOR_RABBITMQ_ADDR is not set, and CI=true requires RabbitMQ")
	}
	for name, opts := range targets {
		t.Run(name, func(t *testing.T) {
			proxy, err := sim.NewProxy(addrs[name], sim.Plan{{Name: "send receipt lost", Kind: sim.WithholdReceipt}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = proxy.Close() })
			s := newClient(t, append(opts, WithRequestReceipts(true), WithRequestSubscriptionReceipts(true), WithTimeout(wait))...)
			h, p := hostPort(t, proxy.Addr())
			require.NoError(t, s.Connect(h, p))
			dest := "/queue/exact-receipt-" + strconv.FormatInt(time.Now().UnixNano(), 36)

			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			sent := make(chan error, 1)
			go func() { sent <- s.SendMessageContext(ctx, dest, "only its own receipt confirms me") }()
			waitFor(t, "the proxy to withhold the SEND's RECEIPT", func() bool { return len(proxy.FaultEvents()) == 1 })
			_, err = s.Subscribe(dest, false)
			require.NoError(t, err, "the SUBSCRIBE's receipt passes the proxy")
			err = recv(t, sent)
			require.Error(t, err, "a send whose RECEIPT never came was reported as confirmed")
			require.True(t, errors.Is(err, ErrReceiptTimeout) || errors.Is(err, ErrOutcomeUnknown), "got %v", err)
		})
	}
}

// RabbitMQ refuses a persistent SEND to a full queue whose overflow policy
// is reject-publish, and never confirms it (3.10's STOMP adapter closes the
// connection on the refusal). While another goroutine subscribes with a
// receipt, the refused send must fail, every time.
func TestSendRefusedByRabbitMQIsNotConfirmed(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_ADDR", "STOMPACTOR_RABBITMQ_CTL")
	prefix := "reject-publish-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	policy := prefix + "-policy"
	ctl := func(args ...string) {
		out, err := exec.Command(env[1], args...).CombinedOutput()
		require.NoError(t, err, "rabbitmqctl %v: %s", args, out)
	}
	ctl("set_policy", policy, "^"+prefix, `{"max-length":1,"overflow":"reject-publish"}`, "--apply-to", "queues")
	t.Cleanup(func() { _ = exec.Command(env[1], "clear_policy", policy).Run() })
	h, p := hostPort(t, env[0])
	for try := range 5 {
		s := newClient(t, WithUser("guest"), WithPassword("guest"), WithVirtualHost("/"),
			WithRequestReceipts(true), WithRequestSubscriptionReceipts(true), WithTimeout(wait))
		require.NoError(t, s.Connect(h, p))
		require.NoError(t, s.AddHeader("persistent", "true"))
		dest := fmt.Sprintf("/queue/%s-%d", prefix, try)
		require.NoError(t, s.SendMessage(dest, "fills the queue"))
		refused := make(chan error, 1)
		go func() { refused <- s.SendMessage(dest, "refused: the queue is full") }()
		_, _ = s.Subscribe(fmt.Sprintf("/queue/%s-other-%d", prefix, try), false)
		err := recv(t, refused)
		require.Error(t, err, "try %d: a send RabbitMQ refused was reported as confirmed", try)
		require.True(t, errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrServer), "try %d: got %v", try, err)
		s.Close()
	}
}

// A connection that drops where a send's RECEIPT was coming leaves the
// send's outcome unknown, and nothing awaited: the broker may have taken
// the message. The client connects again and its next send is confirmed.
func TestSendReceiptOutcomeUnknownWhenTheConnectionDrops(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "drop before the receipt", Kind: sim.DropConn, OnCommand: frames.CmdReceipt, Conn: 1}}))
	s := connectTo(t, b, "1.2", WithRequestReceipts(true), WithTimeout(wait))
	err := s.SendMessage("/queue/unknown", "taken or not")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Zero(t, s.Stats().ReceiptsPending)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, s.SendMessage("/queue/unknown", "confirmed"))
	require.Zero(t, s.Stats().ReceiptsPending)
}
