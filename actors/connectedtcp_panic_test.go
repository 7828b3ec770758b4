package actors

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// User code that panics as the session reports the socket it just took
// from the dial ("connected-tcp": the event's sink, or the logger's
// handler) ends the attempt, and the socket is closed with it: the
// listener sees its one connection end.
func TestAPanicOnConnectedTCPClosesTheSocket(t *testing.T) {
	for _, where := range []string{"sink", "logger"} {
		t.Run(where, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { _ = ln.Close() })
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				_, _ = io.Copy(io.Discard, conn) // until the client closes it
			}()

			rec := newRecorder()
			opts := ConnOptions{}
			switch where {
			case "sink":
				opts.Sink = func(e Event) {
					if s, ok := e.(*ConnectionStatusEvent); ok && s.Status == "connected-tcp" {
						panic("status handler")
					}
					rec.add(e)
				}
			case "logger":
				opts.Logger = slog.New(panickyHandler{})
			}
			c, _ := newTestClient(t, opts)
			_, err = c.Connect(testCtx(t), ConnectConfig{Addr: ln.Addr().String()})
			require.Error(t, err)
			recv(t, closed, "the client to close its socket")
			require.Equal(t, Disconnected, c.State())
		})
	}
}

// panickyHandler is a slog.Handler that panics on the "connected-tcp"
// line and drops the rest.
type panickyHandler struct{}

func (panickyHandler) Enabled(context.Context, slog.Level) bool { return true }
func (panickyHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "connected-tcp") {
		panic("logger")
	}
	return nil
}
func (h panickyHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panickyHandler) WithGroup(string) slog.Handler      { return h }
