package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

func (r *fzRun) nextBody() string {
	r.bodySeq++
	return "body-" + strconv.Itoa(r.bodySeq)
}

// clientStep runs one call; true ends the program (Close).
func (r *fzRun) clientStep(op byte) bool {
	s, p := r.s, r.p
	bound := r.timeout
	switch op % 16 {
	case 0, 1: // Subscribe
		mode := []AckMode{AckAuto, AckClient, AckClientIndividual}[p.n(3)]
		manual := p.n(2) == 1 && mode != AckAuto
		opts := SubscribeOptions{AckMode: mode, ManualAck: manual, QueueSize: 1 + p.n(4), OnFull: FullPolicy(p.n(3))}
		if manual {
			opts.Handler = func(e *MessageInEvent) {
				r.event("MessageIn(manual)")
				r.mu.Lock()
				r.manual = append(r.manual, e)
				r.mu.Unlock()
			}
		}
		if p.n(3) == 0 {
			opts.ID = []string{"s1", "s2", "dup"}[p.n(3)]
		}
		_ = r.call("Subscribe "+string(mode), bound, func() error {
			_, err := s.SubscribeWith(context.Background(), "/q/"+strconv.Itoa(p.n(3)), opts)
			return err
		})
	case 2: // Unsubscribe
		subs := s.Subscriptions()
		id := "nope"
		if len(subs) > 0 && p.n(4) != 0 {
			id = subs[p.n(len(subs))].ID
		}
		_ = r.call("Unsubscribe "+id, bound, func() error { return s.Unsubscribe(id) })
	case 3, 4: // SendMessage (receipts per RequestReceipts)
		body := r.nextBody()
		rr := s.RequestReceipts()
		err := r.call("SendMessage "+body, 2*bound, func() error { return s.SendMessage("/q/0", body) })
		if err == nil && rr && !r.alo {
			r.confirmed("SendMessage", body)
		}
	case 5: // Send with receipts asked through a context deadline
		body := r.nextBody()
		err := r.call("SendWithReceipt "+body, 2*bound, func() error {
			old := s.RequestReceipts()
			_ = s.SetRequestReceipts(true)
			defer func() { _ = s.SetRequestReceipts(old) }()
			return s.SendData("/q/1", []byte(body))
		})
		if err == nil && !r.alo {
			r.confirmed("SendData(receipt)", body)
		}
	case 6: // SendAsync with done
		body := r.nextBody()
		r.async.Add(1)
		r.asyncCalls.Add(1)
		var once atomic.Bool
		err := r.call("SendMessageAsync "+body, 2*bound, func() error {
			return s.SendMessageAsync(context.Background(), "/q/2", body, func(err error) {
				if !once.CompareAndSwap(false, true) {
					r.violate("SendMessageAsync %s: done called twice", body)
					return
				}
				r.checkErr("SendMessageAsync done", err)
				if err == nil {
					r.confirmed("SendMessageAsync", body)
				}
				r.asyncDone.Add(1)
				r.async.Done()
			})
		})
		if err != nil {
			r.async.Done()
			r.asyncDone.Add(1)
		}
	case 7: // Ack or Nack a manual message
		r.mu.Lock()
		var ev *MessageInEvent
		if len(r.manual) > 0 {
			i := p.n(len(r.manual))
			ev = r.manual[i]
			if p.n(2) == 0 {
				r.manual = append(r.manual[:i], r.manual[i+1:]...)
			}
		}
		r.mu.Unlock()
		if ev != nil {
			nack := p.n(2) == 1
			_ = r.call(fmt.Sprintf("Ack(nack=%v) %s", nack, ev.MessageID), 2*bound, func() error {
				if nack {
					return s.Nack(context.Background(), ev)
				}
				return s.Ack(context.Background(), ev)
			})
		}
	case 8: // Begin
		id := "tx" + strconv.Itoa(p.n(2))
		_ = r.call("Begin "+id, bound, func() error { return s.BeginTransaction(id) })
	case 9: // Commit or Abort
		id := "tx" + strconv.Itoa(p.n(2))
		if p.n(2) == 0 {
			_ = r.call("Commit "+id, bound, func() error { return s.CommitTransaction(id) })
		} else {
			_ = r.call("Abort "+id, bound, func() error { return s.AbortTransaction(id) })
		}
	case 10: // Disconnect
		_ = r.call("Disconnect", 2*bound, s.Disconnect)
	case 11: // Connect again
		_ = r.call("Connect", bound, func() error { return s.Connect(r.b.host, r.b.port) })
	case 12: // toggle receipts
		on := p.n(2) == 1
		_ = r.call(fmt.Sprintf("SetRequestReceipts(%v)", on), bound, func() error { return s.SetRequestReceipts(on) })
	case 13: // broker receipts on/off
		r.b.autoReceipt.Store(p.n(2) == 0)
		r.b.note("autoReceipt=%v", r.b.autoReceipt.Load())
	case 14: // send in a transaction
		body := r.nextBody()
		id := "tx" + strconv.Itoa(p.n(2))
		_ = r.call("Send tx "+id, 2*bound, func() error {
			return s.Send(context.Background(), "/q/0", []byte(body), SendOptions{TransactionID: id})
		})
	case 15:
		switch p.n(6) {
		case 0:
			return true // Close now
		case 1: // a Pull subscription
			mode := []AckMode{AckAuto, AckClient, AckClientIndividual}[p.n(3)]
			_ = r.call("Subscribe pull "+string(mode), bound, func() error {
				_, err := s.SubscribeWith(context.Background(), "/q/p", SubscribeOptions{AckMode: mode, Pull: true, QueueSize: 1 + p.n(3)})
				return err
			})
			return false
		case 2: // Receive on some subscription
			subs := s.Subscriptions()
			id := "nope"
			if len(subs) > 0 {
				id = subs[p.n(len(subs))].ID
			}
			_ = r.call("Receive "+id, bound, func() error {
				ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
				defer cancel()
				ev, err := s.Receive(ctx, id)
				if err == nil && ev != nil {
					r.mu.Lock()
					r.manual = append(r.manual, ev)
					r.mu.Unlock()
				}
				return err
			})
			return false
		case 3:
			_ = r.call("Interrupt", bound, func() error { s.Interrupt(); return nil })
			return false
		}
		_ = r.call("Stats/props", bound, func() error {
			_ = s.Subscriptions()
			_ = s.OpenTransactions()
			_ = s.ErrorHeaders()
			_ = s.ParsedHeaders()
			_ = s.ProtocolVersion()
			return nil
		})
	}
	return false
}

// brokerStep writes one hostile (or valid) thing.
func (r *fzRun) brokerStep(op byte) {
	b, p := r.b, r.p
	b.mu.Lock()
	subs := append([]string(nil), b.subs...)
	receipts := append([]string(nil), b.receipts...)
	b.msgs++
	mid := "m" + strconv.Itoa(b.msgs)
	b.mu.Unlock()
	pickSub := func() string {
		switch k := p.n(4); {
		case k == 0 || len(subs) == 0:
			return []string{"ghost", "", "s1", "dup"}[p.n(4)]
		default:
			return subs[p.n(len(subs))]
		}
	}
	pickReceipt := func() string {
		switch k := p.n(5); {
		case k == 0 || len(receipts) == 0:
			return []string{"r-1-1", "r-1-2", "r-2-1", "disconnect-1", "bogus", ""}[p.n(6)]
		case k == 1:
			return receipts[len(receipts)-1]
		default:
			return receipts[p.n(len(receipts))]
		}
	}
	var cuts []int
	cut := func(s string) []int {
		if p.n(3) != 0 {
			return nil
		}
		n := 1 + p.n(4)
		for range n {
			cuts = append(cuts, p.n(len(s)+1))
		}
		for i := 1; i < len(cuts); i++ {
			for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
				cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
			}
		}
		return cuts
	}
	switch op % 16 {
	case 0, 1, 2: // MESSAGE, valid or with odd headers
		sub := pickSub()
		h := "destination:/q/0\nmessage-id:" + mid + "\n"
		if sub != "" || p.n(2) == 0 {
			h += "subscription:" + sub + "\n"
		}
		h += "ack:" + mid + "\n"
		body := "hello " + mid
		switch p.n(8) {
		case 0:
			h += "x-dup:1\nx-dup:2\nmessage-id:other\nsubscription:ghost\n"
		case 1:
			h += "x-huge:" + strings.Repeat("v", 1<<p.n(18)) + "\n"
		case 2:
			h = strings.Replace(h, "message-id:"+mid+"\n", "", 1)
		case 3:
			h += "content-length:" + strconv.Itoa(len(body)+4) + "\n"
			body += "\x00\x00ab" // NUL inside the body
		case 4:
			h += "x-esc:a\\cb\\nc\\\\d\\re\n" // escapes (1.0: literal; \r only 1.2)
		case 5:
			h += "x-bad:a\\tb\n" // an undefined escape
		case 6:
			h += "content-type:text/plain;charset=utf-8\n"
		}
		f := "MESSAGE\n" + h + "\n" + body + "\x00"
		if p.n(4) == 0 {
			f += strings.Repeat("\n", p.n(3)) + strings.Repeat("\r\n", p.n(2))
		}
		b.write(nil, f, cut(f))
	case 3, 4: // RECEIPT
		id := pickReceipt()
		f := "RECEIPT\nreceipt-id:" + id + "\n\n\x00"
		if p.n(3) == 0 {
			f = strings.Repeat(f, 2) // sent twice
		}
		b.write(nil, f, cut(f))
	case 5: // ERROR, with or without receipt-id
		h := "message:oops\n"
		if p.n(2) == 0 {
			h += "receipt-id:" + pickReceipt() + "\n"
		}
		body := "details"
		if p.n(3) == 0 {
			h += "content-length:" + strconv.Itoa(len(body)) + "\n"
		}
		f := "ERROR\n" + h + "\n" + body + "\x00"
		b.write(nil, f, cut(f))
		if p.n(3) == 0 {
			b.closeConn()
		}
	case 6: // CONNECTED again
		f := b.connected.Load().(string)
		b.write(nil, f, cut(f))
	case 7: // content-length lie, longer
		f := "MESSAGE\nsubscription:" + pickSub() + "\nmessage-id:" + mid + "\ndestination:/q/0\ncontent-length:" + strconv.Itoa(5+p.n(40)) + "\n\nabc\x00"
		b.write(nil, f, cut(f))
	case 8: // content-length lie, shorter
		f := "MESSAGE\nsubscription:" + pickSub() + "\nmessage-id:" + mid + "\ndestination:/q/0\ncontent-length:1\n\nabc\x00"
		b.write(nil, f, cut(f))
	case 9: // heart-beat EOLs
		f := []string{"\n", "\r\n", "\n\n\n", "\r", "\r\r\n"}[p.n(5)]
		b.write(nil, f, nil)
	case 10: // partial frame, then close
		f := "MESSAGE\nsubscription:" + pickSub() + "\nmessage-id:" + mid + "\n\nabc\x00"
		b.write(nil, f[:p.n(len(f))], nil)
		b.closeConn()
	case 11: // raw bytes
		raw := p.bytes(24)
		b.write(nil, string(raw), nil)
	case 12: // close
		b.closeConn()
	case 13: // a frame of another command (client-only commands)
		cmd := []string{"SEND", "SUBSCRIBE", "ACK", "NACK", "BEGIN", "DISCONNECT", "STOMP", "CONNECT", "message", "RECEIPT\r"}[p.n(10)]
		f := cmd + "\nreceipt-id:" + pickReceipt() + "\n\n\x00"
		b.write(nil, f, cut(f))
	case 14: // a MESSAGE for the subscription the client just ended
		b.mu.Lock()
		var gone string
		for id := range b.unsubs {
			gone = id
			break
		}
		b.mu.Unlock()
		f := "MESSAGE\nsubscription:" + gone + "\nmessage-id:" + mid + "\ndestination:/q/0\nack:" + mid + "\n\nlate\x00"
		b.write(nil, f, cut(f))
	case 15: // RECEIPT naming the next receipt the client will use
		id := "r-1-1"
		if len(receipts) > 0 {
			last := receipts[len(receipts)-1]
			if i := strings.LastIndexByte(last, '-'); i > 0 {
				n, _ := strconv.Atoi(last[i+1:])
				id = last[:i+1] + strconv.Itoa(n+1+p.n(2))
			}
		}
		b.write(nil, "RECEIPT\nreceipt-id:"+id+"\n\n\x00", nil)
	}
}
