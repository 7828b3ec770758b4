package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// negotiate picks the protocol version for a CONNECT or STOMP frame: 1.0
// when it has no accept-version header, otherwise the highest version both
// sides support. It is a pure function of the frame and the configuration,
// so the reader (which must switch its decoder at once) and the owner agree.
func negotiate(cfg *config, f *frames.Frame) (frames.Version, error) {
	offer, ok := f.Headers.Get(frames.HdrAcceptVersion)
	if !ok {
		offer = "1.0"
	}
	var best frames.Version
	for _, s := range strings.Split(offer, ",") {
		v, err := frames.ParseVersion(strings.TrimSpace(s))
		if err != nil || v <= best {
			continue
		}
		for _, have := range cfg.versions {
			if have == v {
				best = v
			}
		}
	}
	if best == 0 {
		return 0, &protoError{msg: "unsupported protocol version",
			detail: "The client accepts " + offer + "; this broker supports " + supportedVersions(cfg) + "."}
	}
	return best, nil
}

// supportedVersions lists the broker's versions for an ERROR's version header.
func supportedVersions(cfg *config) string {
	parts := make([]string, len(cfg.versions))
	for i, v := range cfg.versions {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}

// connect handles CONNECT and STOMP: version, virtual host, login, then
// heart-beats, answered with CONNECTED.
func (st *state) connect(s *session, f *frames.Frame) error {
	if s.state != stateNew {
		return protoErr("already connected", "A connection sends CONNECT once.")
	}
	v, err := negotiate(st.cfg, f)
	if err != nil {
		pe := err.(*protoError)
		e := errorFrame(pe.msg, f.Header(frames.HdrReceipt), pe.detail)
		e.Headers.Add(frames.HdrVersion, supportedVersions(st.cfg))
		st.counters.Errors++
		st.send(s, outItem{kind: itemFrame, frame: e, close: true})
		st.end(s)
		return nil
	}
	if f.Command == frames.CmdStomp && v == frames.V10 {
		return protoErr("STOMP frame needs 1.1", "The STOMP command exists from protocol 1.1 on; send CONNECT.")
	}
	host, hasHost := f.Headers.Get(frames.HdrHost)
	if len(st.cfg.vhosts) > 0 {
		if !hasHost && v >= frames.V11 {
			return protoErr("missing host header", "STOMP %s requires a host header naming the virtual host.", v)
		}
		if hasHost && !contains(st.cfg.vhosts, host) {
			return protoErr("unknown virtual host", "This broker does not serve virtual host %q.", host)
		}
	}
	login := f.Header(frames.HdrLogin)
	if st.cfg.users != nil {
		pass, known := st.cfg.users[login]
		if !known || f.Header(frames.HdrPasscode) != pass {
			st.counters.AuthFailures++
			return protoErr("access refused", "Bad login or passcode for user %q.", login)
		}
	}
	cx, cy := time.Duration(0), time.Duration(0)
	if v >= frames.V11 {
		if hb, ok := f.Headers.Get(frames.HdrHeartBeat); ok {
			if cx, cy, err = parseHeartbeat(hb); err != nil {
				return err
			}
		}
	}
	s.state, s.version, s.host, s.login = stateConnected, v, host, login
	s.hbSend = negotiateInterval(st.cfg.hbSend, cy)
	s.hbRecv = negotiateInterval(cx, st.cfg.hbRecv)
	if s.hbRecv > 0 {
		s.c.setReadTimeout(time.Duration(float64(s.hbRecv) * st.cfg.hbTolerance))
	}
	reply := frames.New(frames.CmdConnected,
		frames.HdrVersion, v.String(),
		frames.HdrSession, s.id,
		frames.HdrServer, st.cfg.serverName)
	if v >= frames.V11 {
		reply.Headers.Add(frames.HdrHeartBeat, formatMillis(st.cfg.hbSend)+","+formatMillis(st.cfg.hbRecv))
	}
	st.send(s, outItem{kind: itemFrame, frame: reply, version: v, hb: s.hbSend})
	return nil
}

// negotiateInterval applies the heart-beat rule to one direction: none if
// either side says 0, else the larger of what the sender can do and what
// the receiver wants.
func negotiateInterval(canSend, wants time.Duration) time.Duration {
	if canSend == 0 || wants == 0 {
		return 0
	}
	return max(canSend, wants)
}

// parseHeartbeat parses a heart-beat header "cx,cy" in milliseconds.
func parseHeartbeat(s string) (time.Duration, time.Duration, error) {
	a, b, ok := strings.Cut(s, ",")
	x, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 31)
	y, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 31)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, protoErr("invalid heart-beat header", "The heart-beat header %q is not two comma-separated numbers of milliseconds.", s)
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond, nil
}

func formatMillis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// disconnect handles DISCONNECT: the session ends, a receipt is answered
// before the connection closes, and the socket closes once the writer has
// sent everything queued before it.
func (st *state) disconnect(s *session, f *frames.Frame) {
	st.end(s)
	if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
		st.send(s, outItem{kind: itemFrame, frame: frames.New(frames.CmdReceipt, frames.HdrReceiptID, id), close: true})
		return
	}
	st.send(s, outItem{kind: itemClose})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
