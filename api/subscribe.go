package api

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Subscribe subscribes to destination and returns the subscription's id.
// Its messages go to the OnMessageIn handler. With requireAcks the broker
// waits for an acknowledgement of each message (ack mode
// client-individual, or client on STOMP 1.0), which the handler's return
// sends (see MessageInEvent.Ack); without, the ack mode is auto. With
// RequestSubscriptionReceipts it waits for the broker's RECEIPT. It is
// bounded by Timeout.
func (s *STOMP) Subscribe(destination string, requireAcks bool) (string, error) {
	return s.SubscribeContext(context.Background(), destination, requireAcks)
}

// SubscribeContext is Subscribe bounded by ctx as well.
func (s *STOMP) SubscribeContext(ctx context.Context, destination string, requireAcks bool) (string, error) {
	mode := AckAuto
	if requireAcks {
		mode = AckClientIndividual
		if eng, err := s.connected(); err == nil {
			if info, ok := eng.Info(); ok && info.Version == frames.V10 {
				mode = AckClient
			}
		}
	}
	return s.SubscribeWith(ctx, destination, SubscribeOptions{AckMode: mode})
}

// SubscribeWith subscribes with every choice of SubscribeOptions and
// returns the subscription's id. It is bounded by ctx and Timeout; with
// Timeout 0 and no deadline on ctx it returns the id at once and reports
// a failure with OnError.
func (s *STOMP) SubscribeWith(ctx context.Context, destination string, opts SubscribeOptions) (string, error) {
	if destination == "" {
		return "", invalid("Subscribe needs a destination")
	}
	eng, err := s.connected()
	if err != nil {
		return "", err
	}
	info, _ := eng.Info()
	switch opts.AckMode {
	case "":
		opts.AckMode = AckAuto
	case AckAuto, AckClient:
	case AckClientIndividual:
		if info.Version == frames.V10 {
			return "", invalid("ack mode client-individual needs STOMP 1.1 or later (this connection speaks 1.0)")
		}
	default:
		return "", invalid("unknown ack mode %q", string(opts.AckMode))
	}
	if opts.QueueSize < 0 {
		return "", invalid("QueueSize must not be negative")
	}
	if opts.MaxDeliveries < 0 {
		return "", invalid("MaxDeliveries must not be negative")
	}
	if opts.QueueBytes < 0 {
		return "", invalid("QueueBytes must not be negative")
	}
	if opts.Lent && opts.ManualAck && !opts.Pull {
		return "", invalid("Lent and ManualAck do not go together: a lent message is gone once its handler returns")
	}
	if opts.Pull && (opts.Handler != nil || opts.MaxDeliveries > 0 || opts.DeadLetter != nil) {
		return "", invalid("a Pull subscription takes no Handler, MaxDeliveries or DeadLetter: Receive takes its messages")
	}
	if opts.Lent && !opts.Pull && s.tracer.Load() != nil {
		return "", invalid("Lent does not go with tracing: spans keep a message's ids after its handler")
	}
	id := opts.ID
	if id == "" {
		id = s.autoID(eng)
	}
	if err := checkSubscribe(info.Version, destination, id, opts.Headers); err != nil {
		return "", err
	}
	cfg := s.snapshot()
	prefetch, room, err := prefetchFor(opts, cfg.prefetch)
	if err != nil {
		return "", err
	}
	sub := &subscriber{s: s, id: id, manualAck: opts.ManualAck, handler: opts.Handler, tracer: s.tracer.Load()}
	if opts.Lent && !opts.Pull {
		sub.lent = new(MessageInEvent)
	}
	spec := actors.SubscribeSpec{
		Destination: destination,
		ID:          id,
		Mode:        actors.AckMode(opts.AckMode),
		Headers:     toFrameHeaders(opts.Headers),
		Handler:     sub.handle,
		Prefetch:    prefetch,
		QueueSize:   room,
		QueueBytes:  opts.QueueBytes,
		OnFull:      opts.OnFull.engine(),

		MaxDeliveries: opts.MaxDeliveries,
		KeyHeader:     opts.KeyHeader,
		Lent:          opts.Lent,
		Pull:          opts.Pull,
		// A handler that ends its goroutine is settled by process, as
		// a panicking one is (ManualAck, an Ack made in the handler,
		// AckTransactionId and receipts all count).
		SettlesExits: true,
	}
	if opts.Pull {
		spec.Handler = nil
	}
	if dl := opts.DeadLetter; dl != nil {
		spec.DeadLetter = func(m actors.Message) {
			ev := sub.event(&m)
			ev.settled.Store(true) // the client acknowledges it
			s.runDeadLetter(dl, ev)
		}
	}
	// The closure takes the two settings it needs, not the whole config
	// (which would then be copied to the heap).
	timeout, receipted := cfg.timeout, cfg.requestSubscriptionReceipts
	err = s.callCausing(ctx, "Subscribe", timeout, nil, CodeOther, subscribeCauses, func(ctx context.Context) error {
		if receipted {
			spec.Receipt = receiptWait(ctx, timeout)
		}
		_, err := eng.Subscribe(ctx, spec)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// autoID is the next automatic subscription id, "sub-N", passing over
// the ids in use: one a program chose in that form is never taken (nor
// the leftovers of such a Pull subscription). Each number is used once,
// and only as many are passed over as such ids are in use.
func (s *STOMP) autoID(eng *actors.Conn) string {
	for {
		id := "sub-" + strconv.FormatUint(s.subSeq.Add(1), 10)
		if !eng.SubscriptionIDInUse(id) {
			return id
		}
	}
}

// Unsubscribe ends the subscription id. With RequestSubscriptionReceipts it
// waits for the broker's RECEIPT. It is bounded by Timeout. While the
// client reconnects (Reconnect) it ends the subscription at once, with
// nothing to send: the next connection does not restore it. Of a Pull
// subscription a Disconnect ended, it drops the messages still left to
// Receive (see Disconnect; counted in Stats.Dropped), connected or not.
//
// Messages the client already received for the subscription and has not
// yet handed to the handler: on an auto subscription the broker counted
// them consumed when it sent them, so they are handed to the handler all
// the same, in order, on the subscription's goroutine as before. Unsubscribe
// does not wait for them (nor for a handler that runs): the handler may
// still be called after Unsubscribe returned, until those messages are
// handled; so a handler may call Unsubscribe for its own subscription.
// A Subscribe with the same id meanwhile (to change the selector, say)
// does not wait for them either: its subscription is made at once and
// its messages are queued (within its queue's bounds), but its handler
// gets none until the old subscription's handover ended, so the handler
// calls of one id never overlap and the old messages come first.
// A Disconnect waits for them as for the live subscriptions' (bounded by
// DisconnectTimeout); when the connection ends for good first (Close,
// Interrupt, a loss without Reconnect) the ones left are dropped and
// counted in Stats.Dropped by the time Close returns (a handler that
// runs then still returns, as Close does not wait for it). Messages that
// need an acknowledgement (the client ack modes) whose delivery to the
// handler had not begun when Unsubscribe ended the subscription are not
// handled: the broker delivers them again once the subscription ended
// (to another subscription), and Stats.Dropped counts them here. (The one
// message whose delivery was under way then may reach the handler just
// after Unsubscribe returned; its ACK or NACK is sent as usual.) A message that
// arrives after Unsubscribe, which the broker sent before it read the
// UNSUBSCRIBE, is dropped and counted too. On a Pull subscription,
// Receive takes no message once it ended: the ones it still holds, of
// any ack mode, are dropped and counted in Stats.Dropped.
func (s *STOMP) Unsubscribe(id string) error {
	return s.UnsubscribeContext(context.Background(), id)
}

// UnsubscribeContext is Unsubscribe bounded by ctx as well.
func (s *STOMP) UnsubscribeContext(ctx context.Context, id string) error {
	if id == "" {
		return invalid("Unsubscribe needs a subscription id")
	}
	eng, err := s.engine()
	if err != nil {
		return err
	}
	if eng == nil {
		return ErrNotConnected
	}
	if eng.State() == actors.Disconnected {
		// Nothing to end but what a Pull subscription left to Receive.
		if eng.Unsubscribe(ctx, id, 0) == nil {
			return nil
		}
		return ErrNotConnected
	}
	cfg := s.snapshot()
	return s.callCausing(ctx, "Unsubscribe", cfg.timeout, nil, CodeOther, unsubscribeCauses, func(ctx context.Context) error {
		var receipt = receiptWait(ctx, cfg.timeout)
		if !cfg.requestSubscriptionReceipts {
			receipt = 0
		}
		return eng.Unsubscribe(ctx, id, receipt)
	})
}

// Subscriptions lists the live subscriptions, oldest first (by id for ids
// the program chose). It is empty when not connected: subscriptions end
// with their connection.
func (s *STOMP) Subscriptions() []Subscription {
	eng, err := s.engine()
	if err != nil || eng == nil {
		return nil
	}
	list := eng.Subscriptions()
	out := make([]Subscription, len(list))
	for i, x := range list {
		out[i] = Subscription{ID: x.ID, Destination: x.Destination, AckMode: AckMode(x.Mode), Delivered: x.Delivered}
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// idLess orders "sub-2" before "sub-10", and other ids by text.
func idLess(a, b string) bool {
	na, oka := subNumber(a)
	nb, okb := subNumber(b)
	switch {
	case oka && okb:
		return na < nb
	case oka != okb:
		return oka
	}
	return a < b
}

func subNumber(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, "sub-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

// version is the negotiated protocol version, or 0 when not connected.
func (s *STOMP) version() frames.Version {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return info.Version
		}
	}
	return 0
}
