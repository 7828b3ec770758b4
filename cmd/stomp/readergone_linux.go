//go:build linux

package main

import (
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollIn   = 0x1
	pollErr  = 0x8
	pollHup  = 0x10
	pollNval = 0x20
)

// watchReader returns a channel closed once the reader of w has gone,
// when w is the write end of a pipe (as in `stomp subscribe ... | head`):
// a quiet subscription would otherwise never write again, so never learn
// it. It waits in poll(2) for POLLERR on the pipe, as GNU tail -f does.
// stop ends the watch and returns once its goroutine has. Where w is not a
// pipe the channel is nil (never ready).
func watchReader(w io.Writer) (gone <-chan struct{}, stop func()) {
	f, ok := w.(*os.File)
	if !ok {
		return nil, func() {}
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, func() {}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, func() {}
	}
	out := -1
	if rc.Control(func(fd uintptr) { out = int(fd) }) != nil || out < 0 {
		return nil, func() {}
	}
	// stop closes the write end of this pipe: the poll sees its read
	// end hang up and returns.
	var wake [2]int
	if syscall.Pipe2(wake[:], syscall.O_CLOEXEC) != nil {
		return nil, func() {}
	}
	ch := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			fds := [2]pollFd{{fd: int32(out)}, {fd: int32(wake[0]), events: pollIn}}
			_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 2, 0, 0, 0, 0)
			switch {
			case errno == syscall.EINTR || errno == syscall.EAGAIN:
				continue
			case errno != 0, fds[1].revents != 0, fds[0].revents&pollNval != 0:
				return
			case fds[0].revents&(pollErr|pollHup) != 0:
				close(ch)
				return
			}
		}
	}()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			_ = syscall.Close(wake[1])
			<-done
			_ = syscall.Close(wake[0])
		})
	}
}
