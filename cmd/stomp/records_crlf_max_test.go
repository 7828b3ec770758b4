package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// (2a3fe2e) "maxRecord bounds one record of send --lines: a longer one
// ends the run", and a CRLF newline's CR "is part of the newline", not of
// the record. A record of exactly the bound is taken with an LF newline,
// so it is taken with a CRLF one too, and one byte more is refused with
// either. The bound is set small here (the reader's max), once below and
// once above the 64 KiB read buffer, so that the record is assembled from
// several reads; newRecordReader's bound is maxRecord.
func TestARecordOfTheMaximumSizeWithACRLFNewlineIsTaken(t *testing.T) {
	require.Equal(t, maxRecord, newRecordReader(bytes.NewReader(nil), '\n').max)
	for _, max := range []int{1000, 64 << 10, 200 << 10} {
		for _, nl := range []string{"\n", "\r\n"} {
			rec := bytes.Repeat([]byte{'a'}, max)
			in := io.MultiReader(bytes.NewReader(rec), bytes.NewReader([]byte(nl+"b"+nl)))
			rr := newRecordReader(in, '\n')
			rr.max = max
			got, ok, err := rr.next()
			require.NoError(t, err, "newline %q: a record of %d bytes, not longer", nl, max)
			require.True(t, ok)
			require.Len(t, got, max)
			got, ok, err = rr.next()
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, "b", string(got))

			// One byte more is refused, whatever the newline.
			over := append(bytes.Repeat([]byte{'a'}, max+1), nl...)
			rr = newRecordReader(bytes.NewReader(over), '\n')
			rr.max = max
			_, _, err = rr.next()
			require.ErrorContains(t, err, "record 1 is longer than", "newline %q, %d bytes", nl, max+1)
		}
	}
}
