package sim_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A test plans the faults its client must survive, starts a broker with
// them and points the client under test at the broker's address. Here raw
// STOMP frames stand in for that client: the second MESSAGE arrives twice
// and the connection drops instead of delivering the third, the same way
// on every run.
func ExampleWithPlan() {
	plan := sim.Plan{
		{Name: "dup", Kind: sim.DuplicateMessage, Nth: 2},
		{Name: "cut", Kind: sim.DropConn, OnCommand: frames.CmdMessage, Nth: 3},
	}
	b, err := sim.NewBroker(sim.WithPlan(plan))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	// The client under test would connect to b.Addr().
	conn, err := net.DialTimeout("tcp", b.Addr(), 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00"+
		"SUBSCRIBE\nid:0\ndestination:/queue/q\nreceipt:sub\n\n\x00"+
		"SEND\ndestination:/queue/q\nreceipt:s1\n\none\x00"+
		"SEND\ndestination:/queue/q\nreceipt:s2\n\ntwo\x00"+
		"SEND\ndestination:/queue/q\nreceipt:s3\n\nthree\x00")
	if err != nil {
		log.Fatal(err)
	}
	dec := frames.NewDecoder(conn, frames.V12, frames.DefaultLimits())
	for {
		f, err := dec.Decode()
		if err != nil {
			fmt.Println("connection closed")
			break
		}
		switch f.Command {
		case frames.CmdMessage:
			fmt.Println(f.Command, string(f.Body))
		case frames.CmdReceipt:
			fmt.Println(f.Command, f.Header("receipt-id"))
		case frames.CmdError:
			fmt.Println(f.Command, f.Header("message"))
		default:
			fmt.Println(f.Command)
		}
	}
	for _, e := range b.FaultEvents() {
		fmt.Println(e)
	}
	// Output:
	// CONNECTED
	// RECEIPT sub
	// MESSAGE one
	// RECEIPT s1
	// MESSAGE two
	// MESSAGE two
	// RECEIPT s2
	// connection closed
	// conn 1: dup (DuplicateMessage) at frame 4 (MESSAGE)
	// conn 1: cut (DropConn) at frame 6 (MESSAGE)
}

// In front of a real broker the proxy gives a client written in any
// language the same planned faults: start it, point the client under test
// at p.Addr() instead of the broker, and read what fired in FaultEvents or
// as it fires in a hook. This plan refuses the first connection, sends
// every connection an ERROR in place of its tenth MESSAGE (a SendError
// fires just before the frame it triggers on, and Fatal closes the
// connection, so the tenth MESSAGE is lost: the client gets nine) and,
// from the second connection on, stops the broker's heart-beats after a
// minute. A simulator stands in for the real broker so that the example
// runs; give NewProxy the STOMP address of a RabbitMQ or ActiveMQ instead
// (plain TCP: the proxy reads the broker's frames, so it cannot sit in
// front of TLS).
func ExampleNewProxy() {
	broker, err := sim.NewBroker()
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close()
	plan := sim.Plan{
		{Name: "refused", Kind: sim.RefuseAccept, Conn: 1},
		{Name: "error", Kind: sim.SendError, OnCommand: frames.CmdMessage, Nth: 10, Fatal: true, Message: "rehearsal"},
		{Name: "silent", Kind: sim.StopHeartbeats, After: time.Minute},
	}
	p, err := sim.NewProxy(broker.Addr(), plan, sim.ProxyListenAddr("127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// The client under test: here raw frames. Its first connection is
	// refused; on the second it sends itself twelve messages.
	for attempt := 1; attempt <= 2; attempt++ {
		conn, err := net.DialTimeout("tcp", p.Addr(), 10*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		script := "CONNECT\naccept-version:1.2\nhost:/\n\n\x00" +
			"SUBSCRIBE\nid:0\ndestination:/queue/work\nreceipt:sub\n\n\x00"
		for i := 1; i <= 12; i++ {
			script += fmt.Sprintf("SEND\ndestination:/queue/work\n\n%d\x00", i)
		}
		_, _ = io.WriteString(conn, script)
		var bodies []string
		dec := frames.NewDecoder(conn, frames.V12, frames.DefaultLimits())
		for {
			f, err := dec.Decode()
			if err != nil {
				break
			}
			switch f.Command {
			case frames.CmdMessage:
				bodies = append(bodies, string(f.Body))
			case frames.CmdError:
				fmt.Println("messages", bodies)
				fmt.Println("ERROR", f.Header("message"))
			}
		}
		conn.Close()
		fmt.Printf("connection %d closed\n", attempt)
	}
	for _, e := range p.FaultEvents() {
		fmt.Println(e)
	}
	// Output:
	// connection 1 closed
	// messages [1 2 3 4 5 6 7 8 9]
	// ERROR rehearsal
	// connection 2 closed
	// conn 1: refused (RefuseAccept) on accept
	// conn 2: error (SendError) at frame 11 (MESSAGE)
}

// The proxy keeps what its faults did: here a non-fatal ERROR frame is
// slipped in before the first MESSAGE the broker (a simulator, so that the
// example runs) sends, and the connection goes on.
func ExampleProxy_FaultEvents() {
	b, err := sim.NewBroker()
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	p, err := sim.NewProxy(b.Addr(), sim.Plan{
		{Name: "hiccup", Kind: sim.SendError, OnCommand: frames.CmdMessage, Message: "try again"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	conn, err := net.DialTimeout("tcp", p.Addr(), 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00"+
		"SUBSCRIBE\nid:0\ndestination:/topic/t\nreceipt:sub\n\n\x00"+
		"SEND\ndestination:/topic/t\n\nhello\x00"+
		"DISCONNECT\nreceipt:bye\n\n\x00")
	if err != nil {
		log.Fatal(err)
	}
	dec := frames.NewDecoder(conn, frames.V12, frames.DefaultLimits())
	for {
		f, err := dec.Decode()
		if err != nil {
			break
		}
		switch f.Command {
		case frames.CmdMessage:
			fmt.Println(f.Command, string(f.Body))
		case frames.CmdReceipt:
			fmt.Println(f.Command, f.Header("receipt-id"))
		case frames.CmdError:
			fmt.Println(f.Command, f.Header("message"))
		default:
			fmt.Println(f.Command)
		}
	}
	for _, e := range p.FaultEvents() {
		fmt.Println(e)
	}
	// Output:
	// CONNECTED
	// RECEIPT sub
	// ERROR try again
	// MESSAGE hello
	// RECEIPT bye
	// conn 1: hiccup (SendError) at frame 2 (MESSAGE)
}

// Validate explains what is wrong with a plan before a broker or proxy
// runs it: a fault triggered by a command acts on frames, not on bytes.
func ExamplePlan_Validate() {
	plan := sim.Plan{{Name: "cut", Kind: sim.DropConn, OnCommand: frames.CmdMessage, AfterBytes: 100}}
	fmt.Println(plan.Validate())
	// Output: sim: fault "cut": frame faults cannot trigger by AfterBytes
}

// A fault timed by After (or lasting Delay) runs on the wall clock, and
// nothing can fast-forward it. Rather than sleeping past it and hoping, a
// test waits for the fault itself: a hook hands each event to a buffered
// channel without ever blocking the connection, and the test receives from
// it under a deadline, so a fault that never fires fails the test instead
// of hanging it. Polling FaultEvents under a deadline (require.Eventually,
// say) does the same without a hook.
func ExampleWithFaultHook() {
	fired := make(chan sim.FaultEvent, 16)
	b, err := sim.NewBroker(
		sim.WithListenAddr(""), // ServePipe only
		sim.WithPlan(sim.Plan{{Name: "outage", Kind: sim.DropConn, After: 50 * time.Millisecond}}),
		sim.WithFaultHook(func(e sim.FaultEvent) {
			select {
			case fired <- e:
			default: // the hook must not block the connection
			}
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	conn, err := b.ServePipe()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00"); err != nil {
		log.Fatal(err)
	}
	dec := frames.NewDecoder(conn, frames.V12, frames.DefaultLimits())
	if f, err := dec.Decode(); err == nil {
		fmt.Println(f.Command)
	}

	// Wait for the outage, however long the machine takes to reach it.
	select {
	case e := <-fired:
		fmt.Printf("%s (%v) fired on conn %d\n", e.Fault, e.Kind, e.Conn)
	case <-time.After(10 * time.Second):
		log.Fatal("the fault never fired")
	}
	if _, err := dec.Decode(); err != nil {
		fmt.Println("connection closed")
	}
	// Output:
	// CONNECTED
	// outage (DropConn) fired on conn 1
	// connection closed
}
