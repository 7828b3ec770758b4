package api

import (
	"context"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// valuesOf returns the values of f's headers named key, in frame order.
func valuesOf(f *frames.Frame, key string) []string {
	var out []string
	for _, h := range f.Headers {
		if h.Key == key {
			out = append(out, h.Value)
		}
	}
	return out
}

// The reference's custom headers are a list (HeaderCount, HeaderKey[i],
// HeaderValue[i]) and every entry goes out with each message. Two
// entries with the same key are two headers on the SEND frame, in their
// order, and a broker takes the first (STOMP 1.2: the first of repeated
// headers wins). Headers() lists both; the frame carries both.
func TestRepeatedCustomHeaderKeysAreAllSentInOrder(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	require.NoError(t, s.AddHeader("x-tag", "first"))
	require.NoError(t, s.AddHeader("x-tag", "second"))
	require.Len(t, s.Headers(), 2)
	require.NoError(t, s.SendMessage("/queue/a", "hi"))
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"first", "second"}, valuesOf(f, "x-tag"), "the SEND frame's x-tag headers: %v", f.Headers)
}

// What goes out when custom headers, ContentType and a Send call's own
// headers name the same key: the first custom content-type replaces
// ContentType (later ones follow it), and a key of SendOptions.Headers
// replaces every custom header of that key, its own repeats all sent.
func TestCustomHeadersAgainstContentTypeAndTheMessagesOwn(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithHeader("x-tag", "a"), WithHeader("x-tag", "b"), WithHeader("x-other", "o"))
	require.NoError(t, s.SetContentType("text/x-prop"))
	ctx := context.Background()

	require.NoError(t, s.SendMessage("/queue/a", "1"))
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"text/x-prop"}, valuesOf(f, "content-type"), "%v", f.Headers)
	assert.Equal(t, []string{"a", "b"}, valuesOf(f, "x-tag"), "%v", f.Headers)

	require.NoError(t, s.Send(ctx, "/queue/a", []byte("2"), SendOptions{Headers: []Header{{Key: "x-tag", Value: "m1"}, {Key: "x-tag", Value: "m2"}}}))
	waitFor(t, "second SEND", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
	f = waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"m1", "m2"}, valuesOf(f, "x-tag"), "the message's own replace the custom ones: %v", f.Headers)
	assert.Equal(t, []string{"o"}, valuesOf(f, "x-other"), "%v", f.Headers)
	assert.Equal(t, []string{"text/x-prop"}, valuesOf(f, "content-type"), "%v", f.Headers)

	require.NoError(t, s.AddHeader("content-type", "text/x-custom"))
	require.NoError(t, s.AddHeader("content-type", "text/x-custom2"))
	require.NoError(t, s.SendMessage("/queue/a", "3"))
	waitFor(t, "third SEND", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 3 })
	f = waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"text/x-custom", "text/x-custom2"}, valuesOf(f, "content-type"),
		"the first custom content-type replaces ContentType: %v", f.Headers)

	require.NoError(t, s.Send(ctx, "/queue/a", []byte("4"), SendOptions{ContentType: "text/x-own"}))
	waitFor(t, "fourth SEND", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 4 })
	f = waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"text/x-own"}, valuesOf(f, "content-type"), "SendOptions.ContentType replaces them all: %v", f.Headers)
	assert.Equal(t, []string{"a", "b"}, valuesOf(f, "x-tag"), "%v", f.Headers)
}
