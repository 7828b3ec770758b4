package main

import (
	"encoding/base64"
	"unicode/utf8"
)

// encodeHeaderStrings keeps every byte of the strings of j that come from
// headers: encoding/json would replace bytes that are not valid UTF-8
// (which STOMP 1.0 allows, and brokers pass through) with U+FFFD. When
// one of them is not valid UTF-8, all of them (Subscription, MessageID,
// Destination, ContentType, and the names and values of Headers) become
// base64 and HeaderEncoding says so; otherwise j is left as it is, the
// shape of a message with text headers.
func encodeHeaderStrings(j *jsonMessage) {
	valid := utf8.ValidString(j.Subscription) && utf8.ValidString(j.MessageID) &&
		utf8.ValidString(j.Destination) && utf8.ValidString(j.ContentType)
	for k, v := range j.Headers {
		valid = valid && utf8.ValidString(k) && utf8.ValidString(v)
	}
	if valid {
		return
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	j.Subscription, j.MessageID, j.Destination = b64(j.Subscription), b64(j.MessageID), b64(j.Destination)
	if j.ContentType != "" {
		j.ContentType = b64(j.ContentType)
	}
	if j.Headers != nil {
		h := make(map[string]string, len(j.Headers))
		for k, v := range j.Headers {
			h[b64(k)] = b64(v)
		}
		j.Headers = h
	}
	j.HeaderEncoding = bodyBase64
}
