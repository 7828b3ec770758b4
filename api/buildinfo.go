package api

import (
	"reflect"
	"runtime/debug"
	"strings"
)

// modulePath is this module's path, from the package's own.
var modulePath = strings.TrimSuffix(reflect.TypeOf(STOMP{}).PkgPath(), "/api")

// BuildInfo describes the build of this module in the program: its path
// and version ("(devel)" when it is the program's own module, with the
// VCS revision when the build recorded one; the replacement when go.mod
// replaces it) and the Go version that built the program. It is the
// BuildInfo setting.
func BuildInfo() string {
	bi, ok := debug.ReadBuildInfo()
	return describeBuild(bi, ok)
}

func describeBuild(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return modulePath + " (no build information: the program was built without module support)"
	}
	version := ""
	if bi.Main.Path == modulePath {
		version = bi.Main.Version
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			version += " revision " + rev
			if modified == "true" {
				version += " (modified)"
			}
		}
	} else {
		for _, m := range bi.Deps {
			if m.Path != modulePath {
				continue
			}
			version = m.Version
			if r := m.Replace; r != nil {
				version += " => " + strings.TrimSpace(r.Path+" "+r.Version)
			}
			break
		}
	}
	if version == "" {
		version = "(version unknown)"
	}
	return modulePath + " " + version + ", built with " + bi.GoVersion
}
