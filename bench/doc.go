// Package bench measures stompactor end to end: the api facade against the
// embedded simulator (or a real broker named by STOMPACTOR_BENCH_ADDR),
// publishing and consuming through one connection each, with throughput
// and latency percentiles reported as benchmark metrics.
//
//	go test -run '^$' -bench . -benchtime 20000x ./bench
package bench
