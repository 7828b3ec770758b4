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

// set copies hs.
func (p *parsedHeaders) set(hs []Header) {
	n := 0
	for _, h := range hs {
		n += len(h.Key) + len(h.Value)
	}
	if cap(p.text) > maxKeptHeaderText && n <= maxKeptHeaderText {
		p.text, p.ends = nil, nil
	}
	p.text, p.ends = p.text[:0], p.ends[:0]
	for _, h := range hs {
		p.text = append(p.text, h.Key...)
		p.ends = append(p.ends, len(p.text))
		p.text = append(p.text, h.Value...)
		p.ends = append(p.ends, len(p.text))
	}
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
