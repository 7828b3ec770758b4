package bench

// batchBytes is how much the raw loops and the firehose write per call:
// large enough that a system call per batch costs little.
const batchBytes = 256 << 10

// Body returns a message body of n bytes (letters, so text-safe).
func Body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}
