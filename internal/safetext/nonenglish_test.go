package safetext

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOrdinaryNonEnglishSpacesAndJoinersPassUnescaped: ordinary text in
// languages other than English holds characters unicode.IsPrint refuses
// but that neither break a line nor drive a terminal: the ideographic
// space U+3000 of Japanese and Chinese text, the no-break spaces French
// puts before ':' (U+00A0, U+202F), the zero-width joiner of emoji
// sequences and the zero-width non-joiner of Persian. Text keeps them as
// the peer wrote them.
func TestOrdinaryNonEnglishSpacesAndJoinersPassUnescaped(t *testing.T) {
	for _, s := range []string{
		"キューが見つかりません\u3000/queue/a",                       // Japanese, ideographic space
		"Accès refusé\u202f: utilisateur",                 // French, narrow no-break space
		"Accès refusé\u00a0: utilisateur",                 // French, no-break space
		"team \U0001F468\u200d\U0001F469\u200d\U0001F467", // emoji ZWJ sequence
		"می\u200cخواهم",                                   // Persian, ZWNJ
	} {
		assert.Equal(t, s, Text(s, Max), "%q", s)
	}
}
