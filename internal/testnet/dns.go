package testnet

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// DNS returns a resolver that asks no server of the machine: each query
// goes over an in-process pipe to answer, which gets the name asked
// (without the trailing dot) and returns the IPv4 addresses to give; none
// is NXDOMAIN ("no such host"). Only A and AAAA questions come (an AAAA
// question gets no answer, NOERROR). The test's cleanup waits for the
// pipes' goroutines.
func DNS(t testing.TB, answer func(name string) []netip.Addr) *net.Resolver {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	done := false
	t.Cleanup(func() {
		mu.Lock()
		done = true
		for c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil, net.ErrClosed
		}
		open[server] = struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				_ = server.Close()
				mu.Lock()
				delete(open, server)
				mu.Unlock()
			}()
			serveDNS(server, answer)
		}()
		return client, nil
	}}
}

// serveDNS answers the queries of one stream (a 2-byte length before each
// message, RFC 1035 4.2.2) until the client closes it.
func serveDNS(c net.Conn, answer func(string) []netip.Addr) {
	for {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		rep := dnsReply(q, answer)
		if rep == nil {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(rep)))); err != nil {
			return
		}
		if _, err := c.Write(rep); err != nil {
			return
		}
	}
}

// dnsReply builds the reply to query q, or nil when q is not a query of
// one question.
func dnsReply(q []byte, answer func(string) []netip.Addr) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if n > 63 || i+1+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[12 : i+5] // the name, its 0, type and class
	qtype := binary.BigEndian.Uint16(q[i+1:])
	all := answer(strings.ToLower(strings.Join(labels, ".")))
	var addrs []netip.Addr
	for _, a := range all {
		if a.Is4() && qtype == 1 {
			addrs = append(addrs, a)
		}
	}
	flags := uint16(0x8180) // a response, recursion desired and available
	if len(all) == 0 {
		flags |= 3 // NXDOMAIN
	}
	rep := append([]byte(nil), q[0:2]...) // the query's id
	rep = binary.BigEndian.AppendUint16(rep, flags)
	rep = binary.BigEndian.AppendUint16(rep, 1)
	rep = binary.BigEndian.AppendUint16(rep, uint16(len(addrs)))
	rep = append(rep, 0, 0, 0, 0) // no authority, no additional records
	rep = append(rep, question...)
	for _, a := range addrs {
		rep = append(rep, 0xc0, 12)       // the name: a pointer to the question's
		rep = append(rep, 0, 1, 0, 1)     // type A, class IN
		rep = append(rep, 0, 0, 0, 60)    // TTL 60 s
		rep = append(rep, 0, 4)           // 4 bytes of data
		rep = append(rep, a.AsSlice()...) // the address
	}
	return rep
}
