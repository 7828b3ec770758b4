package testnet

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A forwarding server in front of an echo server echoes; the test's end
// leaves no goroutine (goleak), even with a connection still open.
func TestServeAndForward(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, echo, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
		}
	})
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, front, func(c net.Conn) {
		back, err := net.Dial("tcp", echo.Addr().String())
		if err != nil {
			return
		}
		Forward(c, back)
	})
	c, err := net.Dial("tcp", front.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "hello\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// DNS answers the names it is given and says "no such host" for the
// others, without asking the machine's DNS.
func TestDNSAnswersWhatItIsTold(t *testing.T) {
	r := DNS(t, func(name string) []netip.Addr {
		if name == "broker.test" {
			return []netip.Addr{netip.MustParseAddr("192.0.2.7")}
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip4", "broker.test")
	if err != nil || len(ips) != 1 || ips[0] != netip.MustParseAddr("192.0.2.7") {
		t.Fatalf("broker.test: %v, %v", ips, err)
	}
	_, err = r.LookupNetIP(ctx, "ip4", "broker-b.invalid")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Fatalf("broker-b.invalid: want a not-found *net.DNSError, got %v", err)
	}
}
