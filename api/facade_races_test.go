package api

import (
	"errors"
	"testing"
	"time"
)

// Helpers of the tests of one STOMP shared by goroutines, whose calls
// race on one subscription id, on the handler table, on Connect.

// raceBound is how long any one call of these tests may take.
const raceBound = 15 * time.Second

// runWithin runs fn on its own goroutine and fails the test when it does
// not return within bound.
func runWithin(t *testing.T, what string, bound time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(bound):
		t.Fatalf("%s did not return within %v", what, bound)
	}
}

// typedOrNil reports whether err is nil or an *Error.
func typedOrNil(err error) bool {
	if err == nil {
		return true
	}
	var e *Error
	return errors.As(err, &e)
}
