package api

import (
	"math/rand"
	"os"
	"strconv"
	"testing"
)

// hostileSeeds are the seeds TestRandomHostileBrokerPrograms runs by
// default, a second's worth: chosen among the first 400 so that, between
// them, they take every broker step and every client call of the harness
// while connected, on every protocol version (and a broker that names
// none), with receipts of every kind on and off, at-least-once,
// Reconnect and heart-beats.
var hostileSeeds = []int64{289, 365, 206, 117, 258, 360, 122, 70}

// hostileProgram is the program of seed sd.
func hostileProgram(sd int64) []byte {
	rng := rand.New(rand.NewSource(sd))
	data := make([]byte, 40+rng.Intn(200))
	rng.Read(data)
	return data
}

// TestRandomHostileBrokerPrograms runs seeded random programs against the
// hostile broker (hostile_broker_harness_test.go), checking the harness's
// invariants after every step. By default it runs hostileSeeds;
// STOMPACTOR_FZ_SEED picks a first seed and STOMPACTOR_FZ_RUNS how many
// from it (20 by default) instead, and STOMPACTOR_FZ_TRACE=1 prints every
// step and the wire:
//
//	STOMPACTOR_FZ_SEED=100 STOMPACTOR_FZ_RUNS=300 go test -p 1 -run TestRandomHostileBrokerPrograms ./api
func TestRandomHostileBrokerPrograms(t *testing.T) {
	seeds := hostileSeeds
	if v, err := strconv.ParseInt(os.Getenv("STOMPACTOR_FZ_SEED"), 10, 64); err == nil {
		runs := 20
		if n, err := strconv.Atoi(os.Getenv("STOMPACTOR_FZ_RUNS")); err == nil {
			runs = n
		}
		seeds = nil
		for i := range runs {
			seeds = append(seeds, v+int64(i))
		}
	}
	for _, sd := range seeds {
		t.Run(strconv.FormatInt(sd, 10), func(t *testing.T) { runFz(t, hostileProgram(sd)) })
	}
}

// FuzzHostileBroker runs the same programs from the fuzzer; without
// -fuzz only its seed corpus (two of hostileSeeds' programs) runs:
//
//	go test -run '^$' -fuzz '^FuzzHostileBroker$' -fuzztime 4m -parallel 1 ./api
//
// Each program runs a real client (0.3-1 s), so fuzzing finds little per
// minute; the seeded runs above cover more ground for the time.
func FuzzHostileBroker(f *testing.F) {
	for _, sd := range hostileSeeds[:2] {
		f.Add(hostileProgram(sd))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 400 {
			return
		}
		runFz(t, data)
	})
}
