package api_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// broker starts an in-process broker for the examples and returns its host
// and port; a real program connects to its own broker instead.
func broker() (*sim.Broker, string, int) {
	b, err := sim.NewBroker()
	if err != nil {
		panic(err)
	}
	host, port, _ := net.SplitHostPort(b.Addr())
	n, _ := strconv.Atoi(port)
	return b, host, n
}

func ExampleSTOMP_Connect() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP(api.WithUser("guest"), api.WithPassword("guest"))
	defer s.Close()
	if err := s.Connect(host, port); err != nil {
		fmt.Println("connect:", err)
		return
	}
	fmt.Println("connected with STOMP", s.ProtocolVersion())
	if err := s.Disconnect(); err != nil {
		fmt.Println("disconnect:", err)
	}
	fmt.Println("connected:", s.Connected())
	// Output:
	// connected with STOMP 1.2
	// connected: false
}

func ExampleSTOMP_Subscribe() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP()
	defer s.Close()
	got := make(chan string, 1)
	s.OnMessageIn(func(e *api.MessageInEvent) {
		got <- e.Destination + ": " + e.Text()
		// e.Ack stays true: returning sends the ACK.
	})
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	id, err := s.Subscribe("/queue/orders", true) // true: the broker waits for our ACKs
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = s.SendMessage("/queue/orders", "order 1")
	fmt.Println(<-got)
	fmt.Println(s.Unsubscribe(id))
	// Output:
	// /queue/orders: order 1
	// <nil>
}

func ExampleSTOMP_SendMessage() {
	b, host, port := broker()
	defer b.Close()

	// With RequestReceipts each send waits until the broker confirms it.
	s := api.NewSTOMP(api.WithRequestReceipts(true))
	defer s.Close()
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	_ = s.SetContentType("application/json")
	_ = s.AddHeader("persistent", "true")
	fmt.Println(s.SendMessage("/queue/events", `{"id":1}`))
	fmt.Println(s.SendData("/queue/blobs", []byte{0x00, 0x01}))
	// Output:
	// <nil>
	// <nil>
}

func ExampleSTOMP_BeginTransaction() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP()
	defer s.Close()
	got := make(chan string, 2)
	s.OnMessageIn(func(e *api.MessageInEvent) { got <- e.Text() })
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	_, _ = s.Subscribe("/queue/tx", false)

	_ = s.BeginTransaction("tx1")
	_ = s.SetTransactionID("tx1") // messages join the transaction
	_ = s.SendMessage("/queue/tx", "first")
	_ = s.SendMessage("/queue/tx", "second")
	_ = s.SetTransactionID("")
	open, _ := s.Config("OpenTransactions")
	fmt.Println("open:", open)
	_ = s.CommitTransaction("tx1") // now the broker delivers both
	fmt.Println(<-got, <-got)
	// Output:
	// open: tx1
	// first second
}

// Send gives one message its own headers and transaction: goroutines
// that send at once never see each other's, as they would through
// AddHeader and TransactionID.
func ExampleSTOMP_Send() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP(api.WithHeader("x-app", "billing")) // on every message
	defer s.Close()
	got := make(chan *api.MessageInEvent, 2)
	s.OnMessageIn(func(e *api.MessageInEvent) { got <- e })
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	_, _ = s.Subscribe("/queue/requests", false)
	ctx := context.Background()

	// A request with a correlation id and a reply address of its own.
	err := s.Send(ctx, "/queue/requests", []byte(`{"invoice":42}`), api.SendOptions{
		Headers:     []api.Header{{Key: "correlation-id", Value: "req-1"}, {Key: "reply-to", Value: "/queue/replies"}},
		ContentType: "application/json",
	})
	fmt.Println("sent:", err)

	// A message that joins a transaction, and only it.
	_ = s.BeginTransaction("tx1")
	_ = s.Send(ctx, "/queue/requests", []byte("audit"), api.SendOptions{TransactionID: "tx1"})
	_ = s.CommitTransaction("tx1")

	for range 2 {
		e := <-got
		header := func(key string) string {
			for _, h := range e.Headers {
				if h.Key == key {
					return h.Value
				}
			}
			return "-"
		}
		fmt.Printf("%s content-type=%s correlation-id=%s reply-to=%s x-app=%s\n",
			e.Text(), e.ContentType, header("correlation-id"), header("reply-to"), header("x-app"))
	}
	// Output:
	// sent: <nil>
	// {"invoice":42} content-type=application/json correlation-id=req-1 reply-to=/queue/replies x-app=billing
	// audit content-type= correlation-id=- reply-to=- x-app=billing
}

func ExampleSTOMP_Ack() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP()
	defer s.Close()
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	// ManualAck: the handler's return sends nothing; the message is
	// acknowledged later, from any goroutine.
	work := make(chan *api.MessageInEvent, 1)
	_, err := s.SubscribeWith(context.Background(), "/queue/jobs", api.SubscribeOptions{
		AckMode:   api.AckClientIndividual,
		ManualAck: true,
		Handler:   func(e *api.MessageInEvent) { work <- e },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = s.SendMessage("/queue/jobs", "job 1")
	job := <-work
	fmt.Println("processing", job.Text())
	fmt.Println("ack:", s.Ack(context.Background(), job))
	fmt.Println("again:", s.Ack(context.Background(), job))
	// Output:
	// processing job 1
	// ack: <nil>
	// again: stomp: message already acknowledged
}

func ExampleSTOMP_Config() {
	s := api.NewSTOMP()
	defer s.Close()
	_, _ = s.Config("VirtualHost=/") // RabbitMQ's default virtual host
	_, _ = s.Config("SupportedVersions=1.1,1.2")
	v, _ := s.Config("supportedversions")
	fmt.Println(v)
	_, err := s.Config("NoSuchSetting")
	fmt.Println(err)
	// Output:
	// 1.1,1.2
	// stomp: unknown setting "NoSuchSetting"
}

func ExampleSTOMP_Receive() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP()
	defer s.Close()
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	// Pull: the messages wait for Receive instead of going to a handler.
	id, err := s.SubscribeWith(ctx, "/queue/jobs", api.SubscribeOptions{Pull: true, AckMode: api.AckClientIndividual})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, job := range []string{"resize", "encode"} {
		_ = s.SendMessage("/queue/jobs", job)
	}
	for range 2 {
		ev, err := s.Receive(ctx, id) // waits; ctx bounds the wait
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("job:", ev.Text())
		_ = s.Ack(ctx, ev) // done: the broker forgets it
	}
	// Output:
	// job: resize
	// job: encode
}

// A loop that keeps nothing of its messages borrows them: with Lent, each
// message Receive returns is the client's again once Release gives it
// back, and the next ones reuse its memory and its event.
func ExampleMessageInEvent_Release() {
	b, host, port := broker()
	defer b.Close()

	s := api.NewSTOMP()
	defer s.Close()
	if err := s.Connect(host, port); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := s.SubscribeWith(ctx, "/queue/sizes", api.SubscribeOptions{Pull: true, Lent: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{"small", strings.Repeat("x", 70000)} {
		_ = s.SendMessage("/queue/sizes", body)
	}
	total := 0
	for range 2 {
		ev, err := s.Receive(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		total += len(ev.Data) // used while lent: nothing of it is kept
		ev.Release()          // ev, its Data and Headers are the client's again
	}
	fmt.Println("bytes:", total)
	// Output:
	// bytes: 70005
}
