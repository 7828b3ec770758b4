package transport

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// fallbackDelay is how long the addresses of the preferred family have
// before those of the other are tried beside them (RFC 8305's "Happy
// Eyeballs" wait, as Go's own dialer uses).
const fallbackDelay = 300 * time.Millisecond

// lookupFunc resolves a host name to its addresses.
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// dialIPv6First dials addr's IPv6 addresses first and its IPv4 ones as
// the fallback: they start when every IPv6 address failed, or after
// fallbackDelay, whichever comes first; the first connection made wins
// and the other attempt is canceled (a late connection of it is closed).
// Go's own dialer prefers the family of the resolver's first address;
// this one always prefers IPv6.
func dialIPv6First(ctx context.Context, d *net.Dialer, lookup lookupFunc, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.DialContext(ctx, "tcp", addr) // a literal: nothing to prefer
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	var v6, v4 []string
	for _, a := range addrs {
		hp := net.JoinHostPort(a.Unmap().String(), port)
		if a.Unmap().Is4() {
			v4 = append(v4, hp)
		} else {
			v6 = append(v6, hp)
		}
	}
	if len(v6) == 0 || len(v4) == 0 {
		return dialSerial(ctx, d, append(v6, v4...), host)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		c        net.Conn
		err      error
		fallback bool
	}
	results := make(chan result, 2)
	start := func(list []string, fallback bool) {
		go func() {
			c, err := dialSerial(ctx, d, list, host)
			results <- result{c, err, fallback}
		}()
	}
	start(v6, false)
	timer := time.NewTimer(fallbackDelay)
	defer timer.Stop()
	var firstErr error
	started, done := 1, 0
	for {
		select {
		case <-timer.C:
			if started == 1 {
				start(v4, true)
				started++
			}
		case r := <-results:
			done++
			if r.err == nil {
				if started > done {
					// Cancel the other attempt and close what it may still make.
					cancel()
					go func() {
						if late := <-results; late.c != nil {
							_ = late.c.Close()
						}
					}()
				}
				return r.c, nil
			}
			if firstErr == nil || !r.fallback {
				firstErr = r.err // the IPv6 error is the one to report
			}
			if started == 1 {
				start(v4, true)
				started++
			} else if done == started {
				return nil, firstErr
			}
		}
	}
}

// dialSerial dials each address in turn, each given an equal share of
// the time left, and returns the first connection made or the first
// error.
func dialSerial(ctx context.Context, d *net.Dialer, addrs []string, host string) (net.Conn, error) {
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "no address found", Addr: host}}
	}
	var firstErr error
	for i, a := range addrs {
		actx := ctx
		if deadline, ok := ctx.Deadline(); ok && i < len(addrs)-1 {
			share := time.Until(deadline) / time.Duration(len(addrs)-i)
			var cancel context.CancelFunc
			actx, cancel = context.WithTimeout(ctx, share)
			defer cancel()
		}
		c, err := d.DialContext(actx, "tcp", a)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}
