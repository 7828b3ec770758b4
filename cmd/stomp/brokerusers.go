package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// readUsersFile reads `stomp broker --users-file`: one login:passcode a
// line, blank lines and lines starting with '#' skipped, so that the
// passcodes stay out of argv (ps, shell history). A UTF-8 byte-order mark
// at the start (Windows editors write one) and a CR before each LF are
// dropped. A bad line is named by its number only: it may be a passcode.
// A file with no account is a usage error: whoever names one wants logins
// checked, and no account would let any login in.
func readUsersFile(path string) ([][2]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--users-file: %v", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		l, p, ok := strings.Cut(line, ":")
		if !ok || l == "" {
			return nil, usagef("--users-file %s: line %d: want login:passcode", path, n)
		}
		out = append(out, [2]string{l, p})
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("--users-file %s: %v", path, err)
	}
	if len(out) == 0 {
		return nil, usagef("--users-file %s: no account in it (want login:passcode lines); leave --users-file out for a broker that takes any login", path)
	}
	return out, nil
}

// listensBeyondLoopback reports whether a --listen address may take
// connections from other machines: any host but a loopback address or
// localhost (an empty host, 0.0.0.0 and :: listen everywhere).
func listensBeyondLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// warnOpenBroker says on stderr that a broker reachable from other
// machines accepts any login.
func warnOpenBroker(stderr io.Writer, listen string) {
	fmt.Fprintf(stderr, "stomp: WARNING: listening on %s, which other machines may reach, with no --user or --users-file: any login is accepted\n", listen)
}
