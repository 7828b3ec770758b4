package api

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// runQueue runs jobs one at a time, in the order they were posted, on a
// goroutine that exists only while jobs wait (or, in manual mode, on the
// goroutine that calls drain). Its queue is bounded, grows only as far as
// it is used, and gives its memory back once empty; post never blocks.
// A client has two: its events and its calls that do not wait.
type runQueue[T any] struct {
	run func(T)
	max int

	// weigh, when set (bound), gives the bytes a job holds, and maxBytes
	// bounds their sum over the jobs waiting (bytes).
	weigh    func(T) int
	maxBytes int

	mu      sync.Mutex
	buf     []T // a ring of len(buf) slots
	head, n int
	bytes   int  // what the waiting jobs weigh (weigh)
	running bool // a goroutine or a drain is running jobs
	manual  bool // jobs wait for drain
	closed  bool
	wake    chan struct{} // tells a waiting drain that a job came; made by the first drain
	wg      sync.WaitGroup

	// ran is closed (and dropped) once the queue's goroutine finished a
	// job; made by whoever waits for that (afterNextJob).
	ran chan struct{}

	// turned is closed (and dropped) once manual mode starts; made by
	// whoever waits for a job and must stop when only drain would run it
	// (whenManual).
	turned chan struct{}

	// unfinished counts the jobs posted and not yet finished (waiting or
	// running), read without the lock by busy.
	unfinished atomic.Int64
}

// init sets the queue's bound and what runs its jobs.
func (q *runQueue[T]) init(max int, run func(T)) { q.run, q.max = run, max }

// bound gives the queue a byte budget: weigh says what a job holds (0 for
// a job not counted), and post refuses a job that would take the bytes of
// the jobs waiting past maxBytes. weigh must give a job the same weight
// each time it is asked.
func (q *runQueue[T]) bound(maxBytes int, weigh func(T) int) {
	q.weigh, q.maxBytes = weigh, maxBytes
}

// post queues job; quarters is how full (in quarters of max) the queue
// may be for it to be taken: 4 for jobs that must be kept while there is
// room, 3 for jobs that give way to those, 0 for jobs whose number the
// caller bounds otherwise. A job that weighs more than the byte budget
// has left (bound) is refused too. It reports whether the job was queued.
func (q *runQueue[T]) post(job T, quarters int) bool {
	w := 0
	if q.weigh != nil {
		w = q.weigh(job)
	}
	q.mu.Lock()
	if q.closed || (quarters > 0 && q.n >= q.max*quarters/4) || (w > 0 && q.bytes+w > q.maxBytes) {
		q.mu.Unlock()
		return false
	}
	q.bytes += w
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = job
	q.n++
	q.unfinished.Add(1)
	start := !q.manual && !q.running
	if start {
		q.running = true
		q.wg.Add(1)
	}
	wake := q.wake
	q.mu.Unlock()
	if start {
		go q.loop()
	}
	if wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	return true
}

// grow doubles the ring, from 8 slots; q.mu is held.
func (q *runQueue[T]) grow() {
	size := max(8, 2*len(q.buf))
	nb := make([]T, size)
	for i := range q.n {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

// pop takes the next job; q.mu is held and q.n > 0. The ring is given
// back once it is empty.
func (q *runQueue[T]) pop() T {
	var zero T
	job := q.buf[q.head]
	q.buf[q.head] = zero
	if q.weigh != nil {
		q.bytes -= q.weigh(job)
	}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 {
		q.buf, q.head = nil, 0
	}
	return job
}

func (q *runQueue[T]) loop() {
	ended := false
	defer func() {
		if !ended {
			// A job ended the goroutine (runtime.Goexit in a
			// handler): the next ones run on another, which takes
			// over this one's place in wg.
			q.unfinished.Add(-1)
			go q.loop()
			return
		}
		q.wg.Done()
	}()
	finished := false
	for {
		q.mu.Lock()
		if finished && q.ran != nil {
			close(q.ran)
			q.ran = nil
		}
		if q.n == 0 || (q.manual && !q.closed) {
			q.running = false
			q.mu.Unlock()
			ended = true
			return
		}
		job := q.pop()
		q.mu.Unlock()
		q.run(job)
		q.unfinished.Add(-1)
		finished = true
	}
}

// afterNextJob returns a channel that is closed once the queue's own
// goroutine has finished a job that it had not finished yet (in manual
// mode, where drain runs the jobs, it is closed only if that mode ends).
func (q *runQueue[T]) afterNextJob() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ran == nil {
		q.ran = make(chan struct{})
	}
	return q.ran
}

// setManual switches between running jobs on the queue's own goroutine
// (false) and leaving them for drain (true). Jobs waiting when manual mode
// ends start running at once.
func (q *runQueue[T]) setManual(on bool) {
	q.mu.Lock()
	q.manual = on
	if on && q.turned != nil {
		close(q.turned)
		q.turned = nil
	}
	start := !on && !q.running && q.n > 0 && !q.closed
	if start {
		q.running = true
		q.wg.Add(1)
	}
	q.mu.Unlock()
	if start {
		go q.loop()
	}
}

// drain runs the waiting jobs on the caller's goroutine, first waiting up
// to wait for one when none waits, or until done closes. It returns how
// many ran, or -1 when another goroutine was running jobs for the whole
// wait.
func (q *runQueue[T]) drain(wait time.Duration, done <-chan struct{}) int {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		q.mu.Lock()
		if !q.running && (q.n > 0 || timeout == nil) {
			break
		}
		if q.running && timeout == nil {
			q.mu.Unlock()
			return -1
		}
		if q.wake == nil {
			q.wake = make(chan struct{}, 1)
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-timeout:
			return 0
		case <-done:
			return 0
		}
	}
	q.running = true
	ran := 0
	returned := false
	defer func() {
		if !returned {
			// A job ended the caller's goroutine (runtime.Goexit in
			// a handler): the queue is left for the next drain.
			q.unfinished.Add(-1)
			q.mu.Lock()
			q.running = false
			restart := !q.manual && q.n > 0
			q.mu.Unlock()
			if restart {
				q.setManual(false)
			}
		}
	}()
	for q.n > 0 {
		job := q.pop()
		q.mu.Unlock()
		q.run(job)
		q.unfinished.Add(-1)
		ran++
		q.mu.Lock()
	}
	q.running = false
	restart := !q.manual && q.n > 0
	q.mu.Unlock()
	if restart {
		q.setManual(false)
	}
	returned = true
	return ran
}

// whenManual returns a channel that is closed once manual mode starts,
// and manual true (with no channel) when it has started already.
func (q *runQueue[T]) whenManual() (turned <-chan struct{}, manual bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.manual {
		return nil, true
	}
	if q.turned == nil {
		q.turned = make(chan struct{})
	}
	return q.turned, false
}

// draining reports whether a drain (DoEvents, in manual mode) runs jobs
// now.
func (q *runQueue[T]) draining() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.manual && q.running
}

// busy reports whether a job waits or runs. It takes no lock: a job
// posted (or finished) by another goroutine at the same time may or may
// not be seen, but one posted by the caller's goroutine before is.
func (q *runQueue[T]) busy() bool { return q.unfinished.Load() > 0 }

// waiting counts the jobs waiting to run.
func (q *runQueue[T]) waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// close refuses new jobs; the queued ones still run (in manual mode they
// are dropped). With wait it returns once the queue's goroutine ended,
// or once ctx ended, with its error: the goroutine then ends by itself
// after its last job.
func (q *runQueue[T]) close(ctx context.Context, wait bool) error {
	q.mu.Lock()
	q.closed = true
	if q.manual && !q.running {
		q.unfinished.Add(int64(-q.n))
		q.buf, q.head, q.n = nil, 0, 0
	}
	q.mu.Unlock()
	if !wait {
		return nil
	}
	if ctx.Done() == nil { // never ends
		q.wg.Wait()
		return nil
	}
	ended := make(chan struct{})
	go func() { // ends with the queue's goroutine
		q.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
	}
	// Closed: no job comes now. With none waiting or running, the
	// queue's goroutine is ending, which is not worth an error.
	if q.busy() {
		select {
		case <-ended:
			return nil
		default:
			return ctx.Err()
		}
	}
	<-ended
	return nil
}
