package api

import (
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Extra CONNECT headers: what a broker reads from CONNECT beyond the
// login, the virtual host, the versions and the heart-beats, such as
// ActiveMQ's client-id, which names the client of its durable topic
// subscriptions.

// WithConnectHeader adds an extra header to the CONNECT frame of every
// connection attempt: the first Connect, and each reconnect and failover
// attempt of a Reconnect policy (the ConnectHeaders setting). Call it once
// per header; a key given twice is sent twice, in order (a STOMP 1.2
// broker reads the first). Default: none. The value is sent as given: a
// space at its start is part of it, as STOMP reads "client-id: app"
// (value " app"); the ConnectHeaders setting trims the names of its
// lines, not their values.
//
// ActiveMQ keys a durable topic subscription by the CONNECT header
// client-id together with the SUBSCRIBE header activemq.subscriptionName
// (SubscribeOptions.Headers). Without a client-id it uses the
// connection's id, which is new at every reconnect, so the messages
// published while the client was away are kept for a subscription that
// nobody resumes. With WithConnectHeader("client-id", "my-app") the
// automatic resubscription after a reconnect resumes the same durable
// subscription, and receives them. ActiveMQ refuses a second connection
// with the same client-id while the first is up: give each client its own.
//
// The headers CONNECT carries from other settings are refused with
// ErrInvalidArgument, in any case ("Host" too), naming the setting to use
// instead: accept-version
// (SupportedVersions), host (VirtualHost), login (User or
// WithCredentials), passcode (Password or WithCredentials) and heart-beat
// (IncomingHeartbeat and OutgoingHeartbeat); so are the headers the client
// writes on other frames (receipt, content-length, destination and the
// others AddHeader lists), which CONNECT does not take. So is a header
// CONNECT cannot carry: CONNECT's headers are never escaped, so a name
// holding a colon, a line break or a NUL, or a value holding a line break
// or a NUL, cannot be sent in any version. Frame logs (LogLevel 3) show
// these headers as they show every frame's, with the value of a header
// named like a secret redacted: a name that contains, in any case,
// passcode, password, passwd, passphrase, secret, token, auth, cookie,
// credential, apikey, api-key, api_key or jwt (X-Authorization,
// access-token, x-auth-token, X-API-Key...; frames.IsSecretHeader). Such
// a value (and, for "Bearer xyz", xyz alone) is scrubbed from every log
// line and error as Password is. The ConnectHeaders setting reads back
// every value in clear, as FirewallPassword does.
func WithConnectHeader(key, value string) Option {
	return setOpt("ConnectHeader", (*config).addConnectHeader, Header{Key: key, Value: value})
}

// connectOwnHints names where each header the client writes on CONNECT
// comes from.
var connectOwnHints = map[string]string{
	frames.HdrAcceptVersion: "SupportedVersions",
	frames.HdrHost:          "VirtualHost",
	frames.HdrLogin:         "User (or WithCredentials)",
	frames.HdrPasscode:      "Password (or WithCredentials)",
	frames.HdrHeartBeat:     "IncomingHeartbeat and OutgoingHeartbeat",
}

// checkConnectHeader checks an extra CONNECT header when it is given.
func checkConnectHeader(where string, h Header) error {
	// In any case: "Host" or "ACCEPT-VERSION" is a mistake for the
	// client's own header, never a header of its own.
	if hint, ok := connectOwnHints[strings.ToLower(h.Key)]; ok {
		return invalid("%s: header %q is set by the client from %s; an extra header cannot replace it (in any case)", where, h.Key, hint)
	}
	if actors.OwnHeader(h.Key) {
		return invalid("%s: header %q is one the client writes on the frames that carry it; CONNECT takes none", where, h.Key)
	}
	if h.Key == "" {
		return invalid("%s: a header needs a name", where)
	}
	// CONNECT is never escaped: the codec refuses a colon or a line
	// break in the name and a line break in the value, in every version.
	return checkHeader(where, frames.CmdConnect, frames.V12, h.Key, h.Value)
}

func (c *config) addConnectHeader(h Header) error {
	if err := checkConnectHeader("extra CONNECT headers", h); err != nil {
		return err
	}
	r := c.rareW()
	r.connectHeaders = append(append([]Header(nil), r.connectHeaders...), h)
	return nil
}

// setConnectHeaders replaces the extra CONNECT headers with those of v,
// one "key:value" a line (the setting's form), or with none for "". A bad
// header leaves the list as it was.
func (c *config) setConnectHeaders(v string) error {
	var hs []Header
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, val, ok := strings.Cut(line, ":")
		if !ok {
			return invalid("ConnectHeaders: line %d is not key:value", i+1)
		}
		// The name is trimmed, as setting names are around '=': in
		// Config("ConnectHeaders = client-id:app") the space is not part
		// of it. The value is kept as given: STOMP keeps a space after
		// the colon as part of the value.
		h := Header{Key: strings.TrimSpace(k), Value: val}
		if err := checkConnectHeader("ConnectHeaders", h); err != nil {
			return err
		}
		hs = append(hs, h)
	}
	c.rareW().connectHeaders = hs
	return nil
}

// connectHeadersSetting is the ConnectHeaders setting: the extra CONNECT
// headers, one "key:value" a line, read by Connect.
var connectHeadersSetting = setting{name: "ConnectHeaders", connect: true,
	get: configGet(func(c *config) string {
		lines := make([]string, len(c.rare.connectHeaders))
		for i, h := range c.rare.connectHeaders {
			lines[i] = h.Key + ":" + h.Value
		}
		return strings.Join(lines, "\n")
	}),
	set: (*config).setConnectHeaders}

// connectSecrets appends the values of the extra CONNECT headers named
// like secrets (frames.IsSecretHeader), which are scrubbed as Password is,
// and of a value "scheme credentials" (Bearer, Basic...) the credentials
// alone too, which a broker may echo without the scheme.
func (c *config) connectSecrets(out []string) []string {
	for _, h := range c.rare.connectHeaders {
		if frames.IsSecretHeader(h.Key) {
			out = append(out, h.Value)
			if _, cred, ok := strings.Cut(strings.TrimSpace(h.Value), " "); ok {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	return out
}
