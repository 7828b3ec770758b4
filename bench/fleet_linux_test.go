package bench

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listenBacklog listens on addr (an IPv4 "host:port"; port 0 picks one)
// with a listen backlog of backlog connections, as a broker configured
// with one does (RabbitMQ's default is 128), rather than the system's
// maximum, which Go's net.Listen asks for. It sets SO_REUSEADDR, as
// net.Listen does, so a restarted broker binds its address again.
func listenBacklog(addr string, backlog int) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close() // FileListener dups it
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		return nil, err
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return nil, err
	}
	return net.FileListener(f)
}

// tcpStorm reads the system's counts of SYNs its listeners dropped for a
// full accept queue (TcpExt ListenOverflows) and of TCP segments sent
// again (Tcp RetransSegs): what a storm of connections costs on the
// wire. They count every process of the machine.
func tcpStorm() (overflows, retrans int64, ok bool) {
	o, ok1 := procNetCounter("/proc/net/netstat", "TcpExt:", "ListenOverflows")
	r, ok2 := procNetCounter("/proc/net/snmp", "Tcp:", "RetransSegs")
	return o, r, ok1 && ok2
}

// procNetCounter reads counter name of the table whose lines start with
// prefix in file (a line of names, then a line of values).
func procNetCounter(file, prefix, name string) (int64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	var names []string
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != prefix {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == name && i < len(fields) {
				v, err := strconv.ParseInt(fields[i], 10, 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	return 0, false
}
