package bench

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// sendFrame encodes the SEND the client's SendData would write for p: a
// destination, a content-length and the body, plus a receipt when
// receipt is not empty.
func sendFrame(p Params, receipt string) []byte {
	f := frames.New(frames.CmdSend, frames.HdrDestination, p.Destination)
	if receipt != "" {
		f.Headers.Add(frames.HdrReceipt, receipt)
	}
	f.Body = Body(p.Size)
	b, _ := frames.AppendFrame(nil, f, frames.V12) // a SEND with plain headers always encodes
	return b
}

// receiptPrefix starts the receipt ids of the raw publisher's SENDs,
// which end in idDigits digits.
const receiptPrefix = "r-"

// receiptSend encodes the SEND of sendFrame with a receipt id of
// receiptPrefix and idDigits zeros, and returns it with the offset of the
// digits, for patchID.
func receiptSend(p Params) ([]byte, int) {
	zeros := receiptPrefix + strings.Repeat("0", idDigits)
	b := sendFrame(p, zeros)
	return b, bytes.Index(b, []byte(frames.HdrReceipt+":"+zeros)) + len(frames.HdrReceipt+":"+receiptPrefix)
}

// chunkOf repeats one frame to about batchBytes: what one write carries.
func chunkOf(one []byte) ([]byte, int) {
	per := max(batchBytes/len(one), 1)
	return bytes.Repeat(one, per), per
}

// rawPublish writes pre-encoded SEND frames, a chunk per write, until the
// time or the message budget is spent, then one more with a receipt and
// waits for its RECEIPT. With p.Receipts every SEND waits for its own.
func rawPublish(ctx context.Context, t *Target, p Params) (Measure, error) {
	rc, err := rawDial(ctx, t, p.Timeout)
	if err != nil {
		return Measure{}, err
	}
	defer rc.close()
	m := startMeter()
	n, err := rawPublishLoop(ctx, rc, p, m.wall.Add(p.Duration), p.Messages)
	if err != nil {
		return Measure{}, err
	}
	return m.stop(n, p.Size), nil
}

// rawPublishLoop is rawPublish's loop, shared with the pub→sub reference:
// it publishes until deadline or budget (0: none) and returns how many
// messages went out, the last one confirmed by a RECEIPT.
func rawPublishLoop(ctx context.Context, rc *rawConn, p Params, deadline time.Time, budget int64) (int64, error) {
	more := func(n int64) bool {
		return ctx.Err() == nil && time.Now().Before(deadline) && (budget == 0 || n < budget-1)
	}
	var n int64
	if p.Receipts {
		// One SEND, encoded once, with a receipt id of fixed width whose
		// digits are patched in place for each message (as the
		// firehose's ids are): the loop builds and allocates nothing per
		// message.
		send, off := receiptSend(p)
		id := send[off-len(receiptPrefix) : off+idDigits]
		for ; more(n); n++ {
			patchID(send, off, n)
			if err := rc.write(send); err != nil {
				return n, err
			}
			if _, err := rc.await("RECEIPT", id); err != nil {
				return n, err
			}
		}
	} else {
		chunk, per := chunkOf(sendFrame(p, ""))
		one := len(chunk) / per
		for more(n) {
			k := int64(per)
			if budget > 0 {
				k = min(k, budget-1-n)
			}
			if err := rc.write(chunk[:int(k)*one]); err != nil {
				return n, err
			}
			n += k
		}
	}
	if err := rc.write(sendFrame(p, "last")); err != nil {
		return n, err
	}
	if _, err := rc.await("RECEIPT", []byte("last")); err != nil {
		return n, err
	}
	return n + 1, nil
}
