package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"time"
)

// subscribeFrame is the SUBSCRIBE of the raw consumers, with the firehose
// headers and, when receipt is set, a receipt.
func subscribeFrame(p Params, ack string, firehose bool, receipt string) []byte {
	s := "SUBSCRIBE\nid:0\ndestination:" + p.Destination + "\nack:" + ack + "\n"
	if firehose {
		s += HdrSize + ":" + strconv.Itoa(p.Size) + "\n" + HdrCount + ":" + strconv.FormatInt(p.Messages, 10) + "\n" +
			HdrInflight + ":" + strconv.FormatInt(p.Inflight, 10) + "\n"
	}
	if receipt != "" {
		s += "receipt:" + receipt + "\n"
	}
	return []byte(s + "\n\x00")
}

// rawConsumer returns the reference for consuming the firehose in the
// given ack mode: a loop that reads with a large buffer, splits frames and
// counts MESSAGEs; in client-individual mode it also writes an ACK for
// each, in one write per read.
func rawConsumer(ack string) func(context.Context, *Target, Params) (Measure, error) {
	return func(ctx context.Context, t *Target, p Params) (Measure, error) {
		rc, err := rawDial(ctx, t, p.Timeout)
		if err != nil {
			return Measure{}, err
		}
		defer rc.close()
		// Built before the meter: the SUBSCRIBE, and room for a frame.
		sub := subscribeFrame(p, ack, true, "")
		rc.sp.room(p.Size)
		m := startMeter()
		if err := rc.write(sub); err != nil {
			return Measure{}, err
		}
		n, err := rawCount(ctx, rc, ack, m.wall.Add(p.Duration), p.Messages, nil, nil)
		if err != nil {
			return Measure{}, err
		}
		return m.stop(n, p.Size), nil
	}
}

// rawCount reads MESSAGE frames until deadline or until budget of them
// (0: no budget) arrived, acknowledging each in client-individual mode.
// It calls got (when set) with each batch counted. With ids, a MESSAGE
// whose message-id it had already is not counted but given to ids.dup.
// Closing the connection ends it too, without an error but ctx's.
func rawCount(ctx context.Context, rc *rawConn, ack string, deadline time.Time, budget int64, got func(int64), ids *dedup) (int64, error) {
	// ctx's end closes rc (rawDial), which ends the reads and the ACK
	// writes alike.
	if err := rc.c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	var acks []byte
	var n, pending int64
	rc.sp.beforeRead = func() error {
		if got != nil && pending > 0 {
			got(pending)
			pending = 0
		}
		if len(acks) == 0 {
			return nil
		}
		err := rc.write(acks)
		acks = acks[:0]
		return err
	}
	defer func() { rc.sp.beforeRead = nil }()
	for budget == 0 || n < budget {
		f, err := rc.sp.next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || isClosed(err) {
				break
			}
			return n, err
		}
		switch string(command(f)) {
		case "MESSAGE":
			if ack == "client-individual" {
				acks = append(acks, "ACK\nid:"...)
				acks = append(acks, rawHeader(f, "ack")...)
				acks = append(acks, "\n\n\x00"...)
			}
			if ids != nil && !ids.set.addBytes(rawHeader(f, "message-id")) {
				ids.dups.Add(1)
				continue
			}
			n++
			pending++
		case "ERROR":
			return n, peerError(f)
		}
	}
	if got != nil && pending > 0 {
		got(pending)
	}
	return n, ctx.Err()
}

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
