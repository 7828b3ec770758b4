package api

// parsedHeaders is the ParsedHeaders property: a copy of the headers of
// the last message handed to a MessageIn handler, in memory the client
// reuses from message to message. A copy, so that the property keeps no
// message alive (an idle client would otherwise hold its last message,
// body and all, or the whole chunk of memory it was decoded into), and
// so that a Lent message's headers outlive it.
type parsedHeaders struct {
	text []byte
	ends []int // where each key, then its value, ends in text
}

// maxKeptHeaderText is how much header text a client keeps room for
// between messages: a larger buffer, grown by one large message, is
// dropped at the next smaller one.
const maxKeptHeaderText = 4 << 10

// set copies hs. It fills local slices and stores them once: p lives on
// the heap, and each store of a slice into it is a write barrier while
// the collector runs (a dozen a message, when it stored on every append).
func (p *parsedHeaders) set(hs []Header) {
	n := 0
	for _, h := range hs {
		n += len(h.Key) + len(h.Value)
	}
	text, ends := p.text[:0], p.ends[:0]
	if cap(text) > maxKeptHeaderText && n <= maxKeptHeaderText {
		text, ends = nil, nil
	}
	for _, h := range hs {
		text = append(text, h.Key...)
		ends = append(ends, len(text))
		text = append(text, h.Value...)
		ends = append(ends, len(text))
	}
	p.text, p.ends = text, ends
}

// headers returns a list of the headers of its own.
func (p *parsedHeaders) headers() []Header {
	if len(p.ends) == 0 {
		return nil
	}
	text := string(p.text)
	out := make([]Header, len(p.ends)/2)
	at := 0
	for i := range out {
		k, v := p.ends[2*i], p.ends[2*i+1]
		out[i] = Header{Key: text[at:k], Value: text[k:v]}
		at = v
	}
	return out
}
