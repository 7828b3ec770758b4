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

// pubFrames are what a raw publisher writes, all built before its meter
// starts, so that its measured window builds and allocates nothing: the
// SEND repeated into a chunk (without receipts), and the SEND with a
// receipt id of fixed width, patched in place for each message that
// waits for its RECEIPT, the last one included.
type pubFrames struct {
	chunk []byte // nil with receipts
	per   int    // SENDs in chunk
	send  []byte
	off   int // of send's id digits, for patchID
}

// newPubFrames builds a publisher's frames. A chunk given is shared (it
// is only read); the receipted SEND is the publisher's own, since each
// patches its id.
func newPubFrames(p Params, chunk []byte, per int) *pubFrames {
	send, off := receiptSend(p)
	f := &pubFrames{send: send, off: off}
	if !p.Receipts {
		if chunk == nil {
			chunk, per = chunkOf(sendFrame(p, ""))
		}
		f.chunk, f.per = chunk, per
	}
	return f
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
	f := newPubFrames(p, nil, 0)
	m := startMeter()
	n, err := rawPublishLoop(ctx, rc, f, m.wall.Add(p.Duration), p.Messages)
	if err != nil {
		return Measure{}, err
	}
	return m.stop(n, p.Size), nil
}

// rawPublishLoop is rawPublish's loop, shared with the pub→sub reference:
// it publishes f's frames until deadline or budget (0: none) and returns
// how many messages went out, the last one confirmed by a RECEIPT. It
// builds and allocates nothing.
func rawPublishLoop(ctx context.Context, rc *rawConn, f *pubFrames, deadline time.Time, budget int64) (int64, error) {
	more := func(n int64) bool {
		return ctx.Err() == nil && time.Now().Before(deadline) && (budget == 0 || n < budget-1)
	}
	// The id the last receipted SEND carries, which its RECEIPT names:
	// it aliases f.send, and is compared before the next patch.
	id := f.send[f.off-len(receiptPrefix) : f.off+idDigits]
	var n int64
	if f.chunk == nil {
		// Every SEND waits for its own RECEIPT.
		for ; more(n); n++ {
			patchID(f.send, f.off, n)
			if err := rc.write(f.send); err != nil {
				return n, err
			}
			if _, err := rc.await("RECEIPT", id); err != nil {
				return n, err
			}
		}
	} else {
		one := len(f.chunk) / f.per
		for more(n) {
			k := int64(f.per)
			if budget > 0 {
				k = min(k, budget-1-n)
			}
			if err := rc.write(f.chunk[:int(k)*one]); err != nil {
				return n, err
			}
			n += k
		}
	}
	// The last SEND asks for a receipt, with an id no SEND before it had.
	patchID(f.send, f.off, n)
	if err := rc.write(f.send); err != nil {
		return n, err
	}
	if _, err := rc.await("RECEIPT", id); err != nil {
		return n, err
	}
	return n + 1, nil
}
