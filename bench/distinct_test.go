package bench

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The id set tells a message-id seen in its window from a new one,
// allocates nothing per id, and takes an empty id as new each time.
func TestIDSetCountsEachMessageIDOnce(t *testing.T) {
	s := newIDSet()
	for i := range 20000 {
		assert.True(t, s.addString("m-"+strconv.Itoa(i)))
		if i >= idWindow-1 {
			assert.False(t, s.addString("m-"+strconv.Itoa(i-(idWindow-1))), "a copy %d ids late", idWindow-1)
		}
		assert.False(t, s.addBytes([]byte("m-"+strconv.Itoa(i))), i)
	}
	assert.True(t, s.addString(""))
	assert.True(t, s.addString(""))
	big := newIDSet()
	id := []byte("message-0000")
	allocs := testing.AllocsPerRun(100, func() {
		id[len(id)-1]++
		big.addBytes(id)
	})
	assert.Zero(t, allocs)
}
