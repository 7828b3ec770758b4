package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stompactor/stompactor/api"
)

// connFlags are the connection flags of the commands that connect to a
// broker (send, subscribe, demo): only those take them, so that broker
// and proxy refuse --server, --tls and the like rather than ignore them
// (bench takes the few it honours: benchConn).
type connFlags struct {
	servers   []string
	login     string
	passcode  string
	version   string
	heartbeat string
	configs   []string
	connectHs []string
	timeout   time.Duration
	debug     bool
	reconnect bool
	secure    secureFlags
}

func (f *connFlags) register(cmd *cobra.Command) {
	p := cmd.Flags()
	p.StringArrayVar(&f.servers, "server", nil, "broker URL stomp://user:pass@host:port/vhost, stomp+ssl://..., or ws://user:pass@host:port/path and wss://... for STOMP over WebSocket\n"+
		"(the path is the HTTP path: the vhost is then \"/\", or --config VirtualHost=NAME); repeat for failover: tried in order;\n"+
		"in a user or password write / ? # @ % as %2F %3F %23 %40 %25")
	p.StringVar(&f.login, "login", "", "login (default $STOMP_LOGIN)")
	p.StringVar(&f.passcode, "passcode", "", "passcode (default $STOMP_PASSCODE; never echoed)")
	p.StringVar(&f.version, "stomp-version", "", "STOMP protocol version to offer: 1.0, 1.1 or 1.2 (default all three)")
	// The flag's old name: `stomp --version` is now the program's version.
	p.StringVar(&f.version, "version", "", "old name of --stomp-version")
	_ = p.MarkDeprecated("version", "use --stomp-version (stomp --version prints the program's version)")
	p.StringVar(&f.heartbeat, "heartbeat", "0,0", "heart-beats wanted, out,in in milliseconds (each 0 to 2147483647)")
	p.StringArrayVar(&f.configs, "config", nil, "any configuration setting, Name=value (repeatable)")
	p.StringArrayVar(&f.connectHs, "connect-header", nil, "extra CONNECT header name:value (repeatable), sent on every connect and reconnect,\n"+
		"e.g. client-id:NAME, which ActiveMQ needs for a durable subscription; not one the client writes itself\n"+
		"(login, passcode, host, heart-beat, accept-version: use the URL and flags)")
	p.DurationVar(&f.timeout, "timeout", 30*time.Second, "bound on each blocking call (more than 0)")
	p.BoolVar(&f.debug, "debug", false, "log every frame to stderr (values of headers named like secrets redacted)")
	p.BoolVar(&f.reconnect, "reconnect", false, "reconnect by itself when the connection is lost, through every --server in turn, and go on:\n"+
		"subscribe keeps its subscriptions, send sends each message at least once (copies possible: see send --help);\n"+
		"each retry (the first connect's too) is reported on stderr")
	f.secure.register(cmd)
}

// client builds an api.STOMP from the flags, for the given server.
func (f *connFlags) client(sv server, stderr io.Writer, extra ...api.Option) (*api.STOMP, error) {
	opts := []api.Option{api.WithTimeout(f.timeout)}
	if f.debug {
		opts = append(opts, api.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))), api.WithLogLevel(3))
	}
	login, pass := sv.Login, sv.Passcode
	if f.login != "" {
		login = f.login
	} else if login == "" {
		login = os.Getenv("STOMP_LOGIN")
	}
	if f.passcode != "" {
		pass = f.passcode
	} else if pass == "" {
		pass = os.Getenv("STOMP_PASSCODE")
	}
	if login != "" {
		opts = append(opts, api.WithUser(login))
	}
	if pass != "" {
		opts = append(opts, api.WithPassword(pass))
	}
	if sv.HasVHost {
		opts = append(opts, api.WithVirtualHost(sv.VHost))
	}
	if f.version != "" {
		switch f.version {
		case "1.0", "1.1", "1.2":
			opts = append(opts, api.WithSupportedVersions(f.version))
		default:
			return nil, usagef("--stomp-version must be 1.0, 1.1 or 1.2, not %q", f.version)
		}
	}
	out, in, err := parseHeartbeat(f.heartbeat)
	if err != nil {
		return nil, err
	}
	opts = append(opts, api.WithOutgoingHeartbeat(out), api.WithIncomingHeartbeat(in))
	for _, h := range f.connectHs {
		k, v, ok := strings.Cut(h, ":")
		if !ok || k == "" {
			return nil, usagef("--connect-header %q: want name:value", h)
		}
		opts = append(opts, api.WithConnectHeader(k, v))
	}
	if sv.Scheme == "ws" && (f.secure.tls || f.secure.tlsCert != "" || f.secure.tlsInsecure || len(f.secure.tlsCA) > 0) {
		return nil, usagef("--server ws:// is plain: use wss:// for TLS")
	}
	sec, err := f.secure.options(sv.Scheme == "stomp+ssl" || sv.Scheme == "stomp+tls" || sv.Scheme == "ssl")
	if err != nil {
		return nil, err
	}
	opts = append(opts, sec...)
	if sv.WSURL != "" {
		opts = append(opts, api.WithWebSocketURL(sv.WSURL))
	}
	opts = append(opts, extra...)
	s := api.NewSTOMP(opts...)
	for _, c := range f.configs {
		if !strings.Contains(c, "=") {
			s.Close()
			return nil, usagef("--config %q: want Name=value", c)
		}
		if _, err := s.Config(c); err != nil {
			s.Close()
			return nil, &usageError{err: fmt.Errorf("--config %s: %w", strings.SplitN(c, "=", 2)[0], err)}
		}
	}
	f.secure.warnInsecure(stderr)
	return s, nil
}

// connect tries each --server in order and returns the first client that
// connects. The errors of those that did not are joined on one line.
func (f *connFlags) connect(ctx context.Context, stderr io.Writer, extra ...api.Option) (*api.STOMP, server, error) {
	return f.connectWith(ctx, stderr, nil, extra...)
}

// connectWatched is connect with a watch on the client, registered before
// it connects.
func (f *connFlags) connectWatched(ctx context.Context, stderr io.Writer, extra ...api.Option) (*api.STOMP, *watch, error) {
	w := newWatch(stderr)
	s, _, err := f.connectWith(ctx, stderr, w, extra...)
	return s, w, err
}

// connectWith is connect, with w (when not nil) registered on each client
// before it connects. With --reconnect the client's retries are reported
// on stderr as they happen, the first connect's included.
func (f *connFlags) connectWith(ctx context.Context, stderr io.Writer, w *watch, extra ...api.Option) (*api.STOMP, server, error) {
	if len(f.servers) == 0 {
		return nil, server{}, usagef("no --server given")
	}
	if err := f.check(); err != nil {
		return nil, server{}, err
	}
	var rs *reconnectStatus
	if f.reconnect {
		rs = newReconnectStatus(stderr)
		if w != nil {
			w.status = rs
		}
	}
	var errs []error
	// refused are the addresses the proxy cannot carry (serverRefusal):
	// left out of the failover lists, so that a client for another
	// server is not refused for them.
	var refused map[string]bool
	for i := 0; i < len(f.servers); i++ {
		raw := f.servers[i]
		sv, err := parseServer(raw)
		if err != nil {
			return nil, server{}, &usageError{err: err}
		}
		opts := extra
		if f.reconnect {
			opts = append(append([]api.Option(nil), extra...), api.WithReconnect(api.Reconnect{Enabled: true}), api.WithFailoverServers(f.failover(sv, refused)...))
		}
		s, err := f.client(sv, stderr, opts...)
		if err != nil {
			return nil, server{}, err
		}
		if w != nil {
			w.register(s)
		}
		if rs != nil {
			rs.register(s)
		}
		cctx, cancel := context.WithTimeout(ctx, f.timeout)
		err = s.ConnectContext(cctx, sv.Host, sv.Port)
		// The client's own connect timer (Timeout, the same --timeout)
		// and this context's run out together: either says the wait ran out.
		timedOut := (errors.Is(cctx.Err(), context.DeadlineExceeded) || errors.Is(err, api.ErrTimeout)) && ctx.Err() == nil
		cancel()
		if err == nil {
			return s, sv, nil
		}
		if target, ok := refusedTarget(err); ok && f.reconnect && !refused[target] {
			if refused == nil {
				refused = map[string]bool{}
			}
			refused[target] = true
			if target != net.JoinHostPort(sv.Host, strconv.Itoa(sv.Port)) {
				// A failover address of this client's was refused,
				// not this server: try it again without that address.
				s.Close()
				i--
				continue
			}
		}
		if uerr, ok := asUsage(err); ok {
			// A setting or argument the library refused before dialing,
			// whatever the server: every server would refuse it too.
			s.Close()
			return nil, server{}, uerr
		}
		if timedOut {
			// Say which wait ran out, and why it did not connect before.
			err = fmt.Errorf("no CONNECTED within %s (--timeout)%s", f.timeout, rs.lastCause())
		}
		s.Close()
		errs = append(errs, fmt.Errorf("%s: %w", sv, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, server{}, joinServerErrors(errs)
}

// serverErrors are the errors of every --server tried, shown on one line,
// each named by its server.
type serverErrors []error

func (e serverErrors) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return strings.Join(parts, "; ")
}

func (e serverErrors) Unwrap() []error { return e }

// joinServerErrors returns the one error, or all of them as serverErrors.
func joinServerErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return serverErrors(errs)
}

// failover lists the other stomp:// servers as host:port, for reconnecting.
func (f *connFlags) failover(current server, refused map[string]bool) []string {
	var out []string
	for _, raw := range f.servers {
		sv, err := parseServer(raw)
		if err != nil || sv.Scheme != current.Scheme || (sv.Host == current.Host && sv.Port == current.Port) {
			continue
		}
		if addr := net.JoinHostPort(sv.Host, strconv.Itoa(sv.Port)); !refused[addr] {
			out = append(out, addr)
		}
	}
	return out
}

func parseHeartbeat(s string) (time.Duration, time.Duration, error) {
	a, b, ok := strings.Cut(s, ",")
	x, err1 := strconv.Atoi(strings.TrimSpace(a))
	y, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || x < 0 || y < 0 {
		return 0, 0, usagef("--heartbeat %q: want out,in in milliseconds, e.g. 10000,10000", s)
	}
	if x > maxHeartbeatMillis || y > maxHeartbeatMillis {
		return 0, 0, usagef("--heartbeat %q: each of out,in takes 0 to %d milliseconds", s, maxHeartbeatMillis)
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond, nil
}

// reconnectStatus reports a --reconnect client's retries on stderr, keeps
// the last cause for the error that ends a first connect, and says when
// the client gave up.
type reconnectStatus struct {
	stderr io.Writer
	last   atomic.Pointer[string] // the cause of the last retry
	gaveUp chan string            // the client gave up: why
	// changed says the connection was lost or restored since it was last
	// read (one signal for any number of changes: the reader asks the
	// client whether it is connected now).
	changed chan struct{}
}

func newReconnectStatus(stderr io.Writer) *reconnectStatus {
	return &reconnectStatus{stderr: stderr, gaveUp: make(chan string, 1), changed: make(chan struct{}, 1)}
}

func (r *reconnectStatus) register(s *api.STOMP) {
	s.OnConnectionStatus(func(e *api.ConnectionStatusEvent) {
		switch e.ConnectionEvent {
		case "lost", "reconnecting", "reconnected":
			select {
			case r.changed <- struct{}{}:
			default:
			}
		}
		switch e.ConnectionEvent {
		case "retrying", "reconnecting", "reconnected":
			fmt.Fprintf(r.stderr, "stomp: %s: %s\n", e.ConnectionEvent, oneLine(strings.TrimPrefix(e.Description, "stomp: ")))
			if _, cause, ok := strings.Cut(e.Description, " after: "); ok {
				cause = strings.TrimPrefix(cause, "stomp: ")
				r.last.Store(&cause)
			}
		case "gave up":
			select {
			case r.gaveUp <- strings.TrimPrefix(e.Description, "stomp: "):
			default:
			}
		}
	})
}

// lastCause is "; last error: CAUSE", or "" when there was none (or r is
// nil).
func (r *reconnectStatus) lastCause() string {
	if r == nil {
		return ""
	}
	if c := r.last.Load(); c != nil {
		return "; last error: " + *c
	}
	return ""
}
