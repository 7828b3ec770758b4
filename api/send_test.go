package api

import (
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendMessageAndData(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			msgs := collect(s.OnMessageIn)
			out := collect(s.OnMessageOut)
			_, err := s.Subscribe("/queue/a", false)
			require.NoError(t, err)

			require.NoError(t, s.SendMessage("/queue/a", "hello"))
			m := recv(t, msgs)
			assert.Equal(t, "hello", m.Text())
			assert.Equal(t, "text/plain", m.ContentType, "SendMessage's default content type")
			assert.Equal(t, "/queue/a", m.Destination)
			assert.NotEmpty(t, m.MessageID)
			mo := recv(t, out)
			assert.Equal(t, "/queue/a", mo.Destination)
			assert.Equal(t, 5, mo.Size)
			assert.Equal(t, "text/plain", headerValue(mo.Headers, "content-type"))

			data := []byte{0, 1, 2, 0, 255}
			require.NoError(t, s.SendData("/queue/a", data))
			m = recv(t, msgs)
			assert.Equal(t, data, m.Data)
			assert.Equal(t, "", m.ContentType, "SendData sends no content type by default")

			require.NoError(t, s.SetContentType("application/json"))
			require.NoError(t, s.SendMessage("/queue/a", "{}"))
			assert.Equal(t, "application/json", recv(t, msgs).ContentType)
			require.NoError(t, s.SendData("/queue/a", []byte("{}")))
			assert.Equal(t, "application/json", recv(t, msgs).ContentType)
		})
	}
}

func TestSendCustomHeaders(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithHeader("from-option", "1"))
	require.NoError(t, s.AddHeader("priority", "5"))
	require.NoError(t, s.AddHeader("content-type", "text/override"))
	assert.Equal(t, []Header{{Key: "from-option", Value: "1"}, {Key: "priority", Value: "5"}, {Key: "content-type", Value: "text/override"}}, s.Headers())
	assert.ErrorIs(t, s.AddHeader("", "x"), ErrInvalidArgument)
	assert.ErrorIs(t, s.AddHeader("a:b", "x"), ErrInvalidArgument)

	require.NoError(t, s.SendMessage("/queue/h", "x"))
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, "5", f.Header("priority"))
	assert.Equal(t, "1", f.Header("from-option"))
	assert.Equal(t, "text/override", f.Header("content-type"), "custom headers override the client's")

	s.ResetHeaders()
	assert.Empty(t, s.Headers())
	require.NoError(t, s.SendMessage("/queue/h", "y"))
	waitFor(t, "second SEND", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
	f = received(t, b, 1, frames.CmdSend)[1]
	assert.False(t, f.Headers.Has("priority"))
	assert.Equal(t, "text/plain", f.Header("content-type"))
}

func TestSendValidation(t *testing.T) {
	s := newClient(t)
	assert.ErrorIs(t, s.SendMessage("/queue/a", "x"), ErrNotConnected)
	assert.ErrorIs(t, s.SendData("/queue/a", nil), ErrNotConnected)
	b := newBroker(t)
	s = connectTo(t, b, "1.2")
	assert.ErrorIs(t, s.SendMessage("", "x"), ErrInvalidArgument)
}

func TestRequestReceipts(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	receiptsOut := collect(s.OnReceiptOut)
	receiptsIn := collect(s.OnReceiptIn)
	require.NoError(t, s.SetRequestReceipts(true))
	assert.True(t, s.RequestReceipts())
	require.NoError(t, s.SendMessage("/queue/r", "x"))
	ro := recv(t, receiptsOut)
	assert.Equal(t, "SEND", ro.Command)
	assert.NotEmpty(t, ro.ReceiptID)
	assert.Equal(t, ro.ReceiptID, recv(t, receiptsIn).ReceiptID)
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, ro.ReceiptID, f.Header("receipt"))
}

func TestReceiptTimeout(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no-receipt", Kind: sim.WithholdReceipt}}))
	s := connectTo(t, b, "1.2", WithRequestReceipts(true), WithTimeout(time.Second))
	err := s.SendMessage("/queue/r", "x")
	assert.ErrorIs(t, err, ErrReceiptTimeout)
}

func TestSendWithTimeoutZeroWouldBlockThenReadyToSend(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "slow-reader", Kind: sim.StopReading, Dir: sim.ToServer, AfterBytes: 1000, Delay: 300 * time.Millisecond}}))
	s := connectTo(t, b, "1.2", WithBufferSizes(0, 4096))
	require.NoError(t, s.SetTimeout(0))
	ready := collect(s.OnReadyToSend)
	body := make([]byte, 4<<10)
	blocked := false
	for range 4096 {
		err := s.SendData("/queue/big", body)
		if err != nil {
			require.ErrorIs(t, err, ErrWouldBlock)
			blocked = true
			break
		}
	}
	require.True(t, blocked, "the outgoing queue never filled")
	recv(t, ready)
	waitFor(t, "ReadyToSend", s.ReadyToSend)
}

func TestSendCustomFrame(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	raw := hex.EncodeToString([]byte("SEND\ndestination:/queue/raw\ncustom:yes\n\nbody\x00"))
	out, err := s.Config("SendCustomFrame=" + raw)
	require.NoError(t, err)
	assert.Equal(t, "", out)
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Equal(t, "yes", f.Header("custom"))
	assert.Equal(t, "body", string(f.Body))

	_, err = s.Config("SendCustomFrame=zz")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = s.Config("SendCustomFrame")
	assert.ErrorIs(t, err, ErrSettingAccess)
}

// SendData's data is the caller's again once it returns, whichever way
// the message goes: encoded into the writer's buffer at once, copied by
// the engine (OnMessageOut makes the writer see every SEND), waited for
// with a receipt, sent later by a call that Timeout 0 does not wait for,
// or kept in the at-least-once outbox.
func TestSendDataCopiesData(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		setup func(t *testing.T, s *STOMP)
	}{
		{name: "encoded at once"},
		{name: "with OnMessageOut", setup: func(t *testing.T, s *STOMP) { s.OnMessageOut(func(*MessageOutEvent) {}) }},
		{name: "with receipts", opts: []Option{WithRequestReceipts(true)}},
		{name: "with receipts and Timeout 0", opts: []Option{WithRequestReceipts(true)}, setup: func(t *testing.T, s *STOMP) {
			require.NoError(t, s.SetTimeout(0))
		}},
		{name: "at least once", opts: []Option{WithAtLeastOnce(AtLeastOnce{Enabled: true})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(256))
			s := connectTo(t, b, "1.2", tc.opts...)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			const n = 20
			data := []byte("payload-00")
			for i := range n {
				copy(data, fmt.Sprintf("payload-%02d", i))
				require.NoError(t, s.SendData("/queue/copy", data))
				copy(data, "overwrite!")
			}
			waitFor(t, "every SEND at the broker", func() bool { return len(received(t, b, 1, frames.CmdSend)) == n })
			for i, f := range received(t, b, 1, frames.CmdSend) {
				assert.Equal(t, fmt.Sprintf("payload-%02d", i), string(f.Body))
			}
		})
	}
}
