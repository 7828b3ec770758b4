package bench

import "os"

// selfExecutable names the running program's image for exec. On Linux
// that is /proc/self/exe, which the child resolves while it still runs
// this image: the same program even when the file at os.Executable()'s
// path was replaced (an upgrade in place, `go install`) or removed while
// a bench ran, where that path would start whatever is there now. Without
// /proc (not mounted), the path.
func selfExecutable() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err == nil {
		return self, nil
	}
	return os.Executable()
}
