// Package bench measures stompactor's messaging paths against what the
// socket itself can carry.
//
// Every scenario is measured twice in the same run: by a raw reference (a
// minimal loop writing or reading the same bytes with a large buffer) and
// by the client through the public api package; each result is reported
// with its ratio to the reference, the process's CPU time and heap
// allocations per message (from getrusage and runtime.MemStats), and for
// latency the p50/p90/p99/p99.9/max of a Histogram. The raw loops write
// pre-encoded frames and only find the boundaries of those they read: they
// are a minimal reference loop, not a client and not a hard ceiling (at
// large bodies the client, which writes on a goroutine of its own beside
// the caller's, can come out ahead of the raw loop's one goroutine). The scenarios (publish,
// consume-auto, consume-client-individual, pubsub, latency, latency-pull,
// connections) are a registry: see Scenario and Register. Each declares
// the settings of Config it uses (Scenario.Settings, Setting), gets only
// those, and `stomp bench` refuses a flag none of the chosen scenarios
// uses.
//
// The peers are built in: a frame-parsing Sink, a Firehose of MESSAGE
// frames that can hold back until it is acknowledged, the sim broker, or
// any broker by address (Config.Broker). They run in this process or, for
// figures worth quoting, in processes of their own (Config.PeerProcess,
// ServePeer), so that client and peer do not share a scheduler. The
// connections scenario, which measures the memory and goroutines of the
// process it runs in, always has its simulator in another process: when
// neither Config.PeerProcess nor Config.ClientProcess says how, the
// running program's own executable is run again to serve it
// (Scenario.OwnPeer).
//
// Running the program again works through an init function of this
// package: a process whose environment has STOMPACTOR_BENCH_SELF_PEER=1
// serves a peer (with the --kind, --listen and --until-stdin-closed
// arguments Run gives it) and exits, in place of its main. Run sets the
// variable only in the child's environment, so no program is taken over
// unless it already has the variable, but then any program that links
// this package is, the stomp CLI included (`STOMPACTOR_BENCH_SELF_PEER=1
// stomp version` serves a peer and prints no version): the name is
// reserved to this package; do not set it. In the child, the init
// functions of the packages initialised before this one run again, so a
// program whose inits have side effects (opening a database, registering
// with a service) has them twice; set Config.PeerProcess (or
// Config.ClientProcess) to a command of your own, and Run does not run
// the program again. On Linux the child is /proc/self/exe, the image
// that runs, even if the file at the program's path was replaced or
// removed meanwhile; elsewhere it is os.Executable()'s path, so a file
// replaced there during a run (an upgrade in place) is what starts. In a
// c-shared or c-archive library the executable is the host program (a
// Python interpreter, say), which does not serve a peer: the scenario
// fails with an error that shows what the host printed or that no address
// came (set Config.PeerProcess there). The child ends when its
// standard input closes, so it does not outlive the bench.
//
// Run returns a Report, which writes itself as text tables (WriteTable),
// Markdown tables (WriteMarkdown), JSON (WriteJSON) and charts
// (WriteCharts). `stomp bench` drives it:
//
//	go run ./cmd/stomp bench --peer-process --charts docs/bench
//
// The go test benchmarks of this package measure the facade alone. One
// of them, BenchmarkFleetReconnect, times a whole fleet of clients coming
// back after losing its broker, seconds an operation: leave it out of a
// run of the others (-skip), and run it on its own, once an operation:
//
//	go test -run '^$' -bench . -skip FleetReconnect -benchtime 20000x ./bench
//	go test -run '^$' -bench FleetReconnect -benchtime 1x -count 5 ./bench
package bench
