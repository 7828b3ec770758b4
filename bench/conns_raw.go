package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"
)

// rawIdle is the reference for an idle subscribed connection: a socket
// and one goroutine reading into a small buffer, counting the NULs that
// end the MESSAGE frames. It is as little as a STOMP client can be.
type rawIdle struct {
	c    net.Conn
	done chan struct{}
}

func (r *rawIdle) close() {
	_ = r.c.Close()
	<-r.done
}

// rawIdleClient connects with heart-beats off and subscribes to topic,
// waiting for the SUBSCRIBE's RECEIPT, then counts deliveries.
func rawIdleClient(ctx context.Context, t *Target, topic string, onMessage func()) (idleClient, error) {
	connect, err := t.rawConnect()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	hello := connect + "SUBSCRIBE\ndestination:" + topic + "\nid:0\nack:auto\nreceipt:r\n\n\x00"
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	// ctx's end (an interrupt, another connection's failure) ends the
	// handshake at once; the idle client that follows is closed by
	// MeasureConns.
	unwatch := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	if _, err := c.Write([]byte(hello)); err != nil {
		unwatch()
		_ = c.Close()
		return nil, interrupted(ctx, err)
	}
	// CONNECTED and RECEIPT: two frames, two NULs. An ERROR ends it.
	var buf [512]byte
	var seen []byte
	for nuls := 0; nuls < 2; {
		n, err := c.Read(buf[:])
		if err != nil {
			unwatch()
			_ = c.Close()
			return nil, interrupted(ctx, fmt.Errorf("raw subscribe: %w", err))
		}
		seen = append(seen, buf[:n]...)
		nuls = bytes.Count(seen, []byte{0})
		if bytes.Contains(seen, []byte("ERROR\n")) {
			unwatch()
			_ = c.Close()
			return nil, fmt.Errorf("raw subscribe: the broker sent ERROR: %q", seen)
		}
	}
	if !unwatch() {
		// ctx ended as the handshake did: its deadline may be set.
		_ = c.Close()
		return nil, interrupted(ctx, ctx.Err())
	}
	_ = c.SetDeadline(time.Time{})
	r := &rawIdle{c: c, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var b [512]byte
		for {
			n, err := c.Read(b[:])
			for _, x := range b[:n] {
				if x == 0 {
					onMessage()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return r, nil
}
