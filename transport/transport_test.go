package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return ln
}

func TestTCPDialsWithOptions(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := TCP(TCPOptions{
		LocalHost: "127.0.0.1", NoDelay: true,
		KeepAlive: true, KeepAliveTime: 30 * time.Second, KeepAliveInterval: 5 * time.Second,
		Linger: true, LingerTime: time.Second, ReadBuffer: 64 << 10, WriteBuffer: 64 << 10, IPv6: "never",
	})
	c, err := dial(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	local := c.LocalAddr().(*net.TCPAddr)
	require.Equal(t, "127.0.0.1", local.IP.String())
}

// Clients with the same socket options share a dialer; other options
// get one of their own, which dials with them.
func TestTCPSharesTheDialerOfTheSameOptions(t *testing.T) {
	// A func value points to its closure; reflect would give the code.
	same := func(a, b Dialer) bool {
		return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
	}
	o := TCPOptions{NoDelay: true, Linger: true}
	a, b := TCP(o), TCP(o)
	require.True(t, same(a, b))
	o.LocalHost = "127.0.0.1"
	c := TCP(o)
	require.False(t, same(a, c))
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := c(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.Equal(t, "127.0.0.1", conn.LocalAddr().(*net.TCPAddr).IP.String())
}

// same must look at every option: a field it missed would let clients
// with different settings share a dialer.
func TestTCPOptionsSameSeesEveryField(t *testing.T) {
	var base TCPOptions
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		other := base
		v := reflect.ValueOf(&other).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Int, reflect.Int64:
			v.SetInt(1)
		default:
			t.Fatalf("field %s: kind %s not handled by this test", f.Name, v.Kind())
		}
		require.False(t, base.same(&other), "same ignores %s", f.Name)
	}
}

func TestTCPLocalHostByName(t *testing.T) {
	ln := listen(t)
	c, err := TCP(TCPOptions{LocalHost: "localhost", IPv6: "never"})(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestTCPBadLocalHost(t *testing.T) {
	ln := listen(t)
	_, err := TCP(TCPOptions{LocalHost: "no-such-host.invalid"})(context.Background(), "tcp", ln.Addr().String())
	require.ErrorContains(t, err, "local host")
}

func TestTCPRefused(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err := TCP(TCPOptions{})(context.Background(), "tcp", addr)
	require.Error(t, err)
}

func TestTCPContextBoundsDial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := TCP(TCPOptions{})(ctx, "tcp", "127.0.0.1:1")
	require.Error(t, err)
}

func TestHostPort(t *testing.T) {
	require.Equal(t, "[::1]:61613", HostPort("::1", 61613))
	require.Equal(t, "broker:61613", HostPort("broker", 61613))
}

// A LingerTime under a second asks for a graceful close that waits a
// little for unsent data; it must not become SO_LINGER 0, which resets
// the connection.
func TestTCPSubSecondLingerIsNotAReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, c)
		got <- err
	}()
	d := TCP(TCPOptions{NoDelay: true, Linger: true, LingerTime: 500 * time.Millisecond})
	c, err := d(ctxFor(t, 10*time.Second), "tcp", ln.Addr().String())
	require.NoError(t, err)
	_, err = c.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	err = <-got
	require.False(t, errors.Is(err, syscall.ECONNRESET), "the close reset the connection: %v", err)
	require.NoError(t, err)
}
