package transport

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// wsConn is a net.Conn over a WebSocket.
type wsConn struct {
	ws      *websocket.Conn
	raw     net.Conn
	url     string
	typ     websocket.MessageType
	limit   int64
	closeIn time.Duration

	rd, wr wsHalf

	msg io.Reader // the message being read; guarded by rd.mu
	eof bool      // the server closed normally; guarded by rd.mu

	closeOnce sync.Once
	closed    atomic.Bool
	broken    atomic.Bool // a read or write failed: Close skips the handshake
}

// wsHalf is the deadline state of one direction, the way
// websocket.NetConn keeps it: mu is held by the call in progress, so a
// deadline that passes during one cancels ctx (which closes the
// WebSocket) and one that passes between calls only marks the half
// expired.
type wsHalf struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	timer   *time.Timer
	expired atomic.Bool // a deadline passed between calls
	fired   atomic.Bool // a deadline cut a call short
}

func (h *wsHalf) init() {
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.timer = time.AfterFunc(math.MaxInt64, h.expire)
	h.timer.Stop()
}

func (h *wsHalf) expire() {
	if h.mu.TryLock() {
		h.expired.Store(true)
		h.mu.Unlock()
		return
	}
	h.fired.Store(true)
	h.cancel()
}

func (h *wsHalf) setDeadline(t time.Time) {
	h.timer.Stop()
	h.expired.Store(false)
	switch d := time.Until(t); {
	case t.IsZero():
	case d <= 0:
		h.expire()
	default:
		h.timer.Reset(d)
	}
}

// err maps an error of the half's call, preferring the deadline that
// cut it short.
func (h *wsHalf) err(op string, err error) error {
	if err != nil && h.fired.Load() {
		return &net.OpError{Op: op, Net: "websocket", Err: os.ErrDeadlineExceeded}
	}
	return err
}

func newWSConn(ws *websocket.Conn, raw net.Conn, shown string, opts WSOptions, limit int64) *wsConn {
	c := &wsConn{ws: ws, raw: raw, url: shown, typ: websocket.MessageBinary, limit: limit, closeIn: opts.CloseTimeout}
	if opts.Text {
		c.typ = websocket.MessageText
	}
	if c.closeIn <= 0 {
		c.closeIn = DefaultWSCloseTimeout
	}
	c.rd.init()
	c.wr.init()
	return c
}

// Subprotocol is the subprotocol the server chose ("" if none).
func (c *wsConn) Subprotocol() string { return c.ws.Subprotocol() }

// NetConn returns the connection the WebSocket runs over (a *tls.Conn
// for wss://, perhaps wrapped).
func (c *wsConn) NetConn() net.Conn { return c.raw }

func (c *wsConn) Read(p []byte) (int, error) {
	c.rd.mu.Lock()
	defer c.rd.mu.Unlock()
	if c.rd.expired.Load() {
		return 0, &net.OpError{Op: "read", Net: "websocket", Err: os.ErrDeadlineExceeded}
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.eof {
			return 0, io.EOF
		}
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
		if c.msg == nil {
			_, r, err := c.ws.Reader(c.rd.ctx)
			if err != nil {
				return 0, c.readErr(err)
			}
			c.msg = r
		}
		n, err := c.msg.Read(p)
		if err == io.EOF {
			c.msg, err = nil, nil
		}
		if n > 0 || err != nil {
			return n, c.readErr(err)
		}
	}
}

func (c *wsConn) readErr(err error) error {
	if err == nil {
		return nil
	}
	c.broken.Store(true)
	switch {
	case errors.Is(err, websocket.ErrMessageTooBig):
		return &WSError{URL: c.url, Kind: WSTooLarge, Msg: "an incoming message is over " + strconv.FormatInt(c.limit, 10) + " bytes", Err: err}
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		c.eof = true
		return io.EOF
	}
	if c.closed.Load() && !c.rd.fired.Load() {
		return net.ErrClosed
	}
	return c.rd.err("read", err)
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wr.mu.Lock()
	defer c.wr.mu.Unlock()
	if c.wr.expired.Load() {
		return 0, &net.OpError{Op: "write", Net: "websocket", Err: os.ErrDeadlineExceeded}
	}
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if err := c.ws.Write(c.wr.ctx, c.typ, p); err != nil {
		c.broken.Store(true)
		return 0, c.wr.err("write", err)
	}
	return len(p), nil
}

// Close runs the close handshake, bounded by the close timeout (skipped
// once a read or write has failed), and drops the connection. Calls
// blocked in Read or Write return.
func (c *wsConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		c.closed.Store(true)
		c.rd.timer.Stop()
		c.wr.timer.Stop()
		if c.broken.Load() {
			_ = c.ws.CloseNow()
			c.rd.cancel()
			c.wr.cancel()
			_ = c.raw.Close()
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		}()
		t := time.NewTimer(c.closeIn)
		select {
		case <-done:
		case <-t.C:
			// The server does not answer: cut the handshake short.
			_ = c.raw.Close()
			<-done
		}
		t.Stop()
		c.rd.cancel()
		c.wr.cancel()
		_ = c.raw.Close()
	})
	return err
}

func (c *wsConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

func (c *wsConn) SetDeadline(t time.Time) error {
	c.rd.setDeadline(t)
	c.wr.setDeadline(t)
	return nil
}

func (c *wsConn) SetReadDeadline(t time.Time) error  { c.rd.setDeadline(t); return nil }
func (c *wsConn) SetWriteDeadline(t time.Time) error { c.wr.setDeadline(t); return nil }
