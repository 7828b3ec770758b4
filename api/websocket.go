package api

import (
	"errors"
	"slices"
	"strings"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/transport"
)

// STOMP over WebSocket: the WebSocketURL setting, its option, and the
// dialer Connect builds from it.

// WithWebSocketURL sets WebSocketURL: when not "", Connect speaks STOMP
// over a WebSocket to this ws:// or wss:// URL (RabbitMQ's Web-STOMP is
// ws://host:15674/ws) instead of raw TCP. The URL's host and port then
// become RemoteHost and RemotePort, and Connect's arguments are not used
// (pass "" and 0); proxies apply as for TCP; wss:// runs TLS with the SSL
// properties and settings (verification, client certificate, events)
// whether or not SSLEnabled is set, and SSLEnabled with a ws:// URL is an
// error. The URL must not hold user information: the login is User and
// Password (a URL that holds some, or does not parse, is
// ErrInvalidArgument, quoted as transport.RedactURL gives it, without
// the user and password). The subprotocols offered follow SupportedVersions
// (v12.stomp, v11.stomp, v10.stomp). Default "": raw TCP.
func WithWebSocketURL(url string) Option {
	return setOpt("WebSocketURL", (*config).setWebSocketURL, url)
}

func (c *config) setWebSocketURL(u string) error {
	u = strings.TrimSpace(u)
	if u != "" {
		if _, err := transport.ParseWSURL(u); err != nil {
			var we *transport.WSError
			if errors.As(err, &we) {
				return invalid("WebSocketURL %s: %s", we.URL, we.Msg)
			}
			return invalid("WebSocketURL: %v", err)
		}
	}
	c.secW().webSocketURL = u
	return nil
}

// webSocketSettings are the WebSocket rows of the configuration table.
var webSocketSettings = []setting{
	{name: "WebSocketURL", connect: true,
		get: configGet(func(c *config) string { return c.sec.webSocketURL }),
		set: (*config).setWebSocketURL},
}

// webSocketTarget is the parsed WebSocketURL, or ok false when STOMP
// goes over raw TCP.
func (c *config) webSocketTarget() (u transport.WSURL, ok bool) {
	if c.sec.webSocketURL == "" {
		return transport.WSURL{}, false
	}
	u, err := transport.ParseWSURL(c.sec.webSocketURL)
	return u, err == nil // setWebSocketURL checked it
}

// subprotocols are the WebSocket subprotocols of the versions offered,
// newest first.
func subprotocols(vs []frames.Version) []string {
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(a, b frames.Version) int { return strings.Compare(b.String(), a.String()) })
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, "v"+strings.ReplaceAll(v.String(), ".", "")+".stomp")
	}
	return out
}
