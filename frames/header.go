package frames

// Well-known header names.
const (
	HdrAcceptVersion  = "accept-version"
	HdrAck            = "ack"
	HdrContentLength  = "content-length"
	HdrContentType    = "content-type"
	HdrDestination    = "destination"
	HdrHeartBeat      = "heart-beat"
	HdrHost           = "host"
	HdrID             = "id"
	HdrLogin          = "login"
	HdrMessage        = "message"
	HdrMessageID      = "message-id"
	HdrPasscode       = "passcode"
	HdrReceipt        = "receipt"
	HdrReceiptID      = "receipt-id"
	HdrServer         = "server"
	HdrSession        = "session"
	HdrSubscription   = "subscription"
	HdrTransaction    = "transaction"
	HdrVersion        = "version"
	HdrRedelivered    = "redelivered"
	HdrPrefetchCount  = "prefetch-count"
	HdrClientID       = "client-id"
	HdrPersistent     = "persistent"
	HdrReplyTo        = "reply-to"
	HdrExpires        = "expires"
	HdrPriority       = "priority"
	HdrSubscriptionID = HdrSubscription
)

// Header is one header line: a key and its value, both unescaped.
type Header struct {
	Key   string
	Value string
}

// String renders the header as "key:value", with the value of a secret
// header (named like a secret: passcode, authorization, x-auth-token...;
// IsSecretHeader) redacted.
func (h Header) String() string {
	if IsSecretHeader(h.Key) {
		return h.Key + ":<redacted>"
	}
	return h.Key + ":" + h.Value
}

// Headers is an ordered list of headers. Repeated keys are kept in order;
// lookups return the first, as the STOMP specification requires.
type Headers []Header

// Get returns the value of the first header named key.
func (h Headers) Get(key string) (string, bool) {
	for i := range h {
		if h[i].Key == key {
			return h[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of the first header named key, or "".
func (h Headers) Value(key string) string {
	v, _ := h.Get(key)
	return v
}

// Has reports whether a header named key is present.
func (h Headers) Has(key string) bool {
	_, ok := h.Get(key)
	return ok
}

// Values returns every value of key, in order.
func (h Headers) Values(key string) []string {
	var out []string
	for i := range h {
		if h[i].Key == key {
			out = append(out, h[i].Value)
		}
	}
	return out
}

// Add appends a header, keeping any earlier header with the same key.
func (h *Headers) Add(key, value string) {
	*h = append(*h, Header{Key: key, Value: value})
}

// Set replaces the first header named key and removes any later repeats,
// or appends the header when none is present.
func (h *Headers) Set(key, value string) {
	s := *h
	for i := range s {
		if s[i].Key == key {
			s[i].Value = value
			*h = append(s[:i+1], s[i+1:].without(key)...)
			return
		}
	}
	*h = append(s, Header{Key: key, Value: value})
}

// Del removes every header named key.
func (h *Headers) Del(key string) {
	*h = (*h).without(key)
}

// without returns h minus every header named key, filtering in place.
func (h Headers) without(key string) Headers {
	out := h[:0]
	for _, x := range h {
		if x.Key != key {
			out = append(out, x)
		}
	}
	for i := len(out); i < len(h); i++ {
		h[i] = Header{}
	}
	return out
}

// Clone returns a copy of h that shares no memory with it.
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	out := make(Headers, len(h))
	copy(out, h)
	return out
}
