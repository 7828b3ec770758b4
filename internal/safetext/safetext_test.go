package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestTextEscapesControlsAndCuts: every C0 control, DEL, C1 control, line
// separator, bidi override or isolate, other format character and byte
// that is not UTF-8 comes out as its Go escape; printable text (quotes,
// backslashes, accents, CJK), space separators and the zero-width
// joiners are kept; a cut falls on a character boundary and says so.
func TestTextEscapesControlsAndCuts(t *testing.T) {
	cases := map[string]string{
		"plain":                          "plain",
		`a "quoted" C:\path`:             `a "quoted" C:\path`,
		"caf\u00e9 \u6771\u4eac":         "caf\u00e9 \u6771\u4eac",
		"a\nb\r\tc":                      `a\nb\r\tc`,
		"\x1b]0;pwned\x07":               `\x1b]0;pwned\a`,
		"\x00\x7f":                       `\x00\x7f`,
		"c1\u0085\u009b":                 `c1\u0085\u009b`,
		"sep\u2028\u2029":                `sep\u2028\u2029`,
		"bidi\u202etxt":                  `bidi\u202etxt`,
		"bad\xff\xc3":                    `bad\xff\xc3`,
		"nbsp\u00a0\u202f\u3000":         "nbsp\u00a0\u202f\u3000",
		"zw\u200c\u200d":                 "zw\u200c\u200d",
		"isolate\u2066\u2069\u202a":      `isolate\u2066\u2069\u202a`,
		"zwsp\u200b\ufeff\u200e":         `zwsp\u200b\ufeff\u200e`,
		"level=INFO\nmsg=\"forged\"\x1b": `level=INFO\nmsg="forged"\x1b`,
	}
	for in, want := range cases {
		assert.Equal(t, want, Text(in, 100), "%q", in)
	}
	assert.Equal(t, "abc...", Text("abcdef", 3))
	assert.Equal(t, "abc", Text("abc", 3))
	assert.Equal(t, "ab...", Text("ab\u00e9", 3), "the cut never splits a character")
	assert.Equal(t, `\n\n...`, Text("\n\n\n\n", 2))
	assert.Equal(t, "...", Text("abc", 0))
	assert.Equal(t, `"a\nb"`, Quote("a\nb", 10))
	assert.Equal(t, `"ab"...`, Quote("ab\u00e9", 3))

	// Whatever the input, the result holds no raw control and is bounded.
	for _, in := range []string{strings.Repeat("\x1b", 1000), strings.Repeat("\u0085", 1000), strings.Repeat("\xff", 1000)} {
		out := Text(in, Max)
		assert.True(t, utf8.ValidString(out))
		assert.LessOrEqual(t, len(out), 4*Max+3)
		for _, r := range out {
			assert.True(t, Safe(r), "%q in %q", r, out)
		}
	}
}

// TestTextOfCleanTextDoesNotAllocate: the common case, a message with
// nothing to escape, is returned as it is.
func TestTextOfCleanTextDoesNotAllocate(t *testing.T) {
	s := "Access refused for user 'guest' \u00e9"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Text(s, Max) }))
}

func FuzzText(f *testing.F) {
	f.Add("a\nb\x1b\xff\u0085", 10)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 1000
		out := Text(s, max)
		if !utf8.ValidString(out) {
			t.Fatalf("not UTF-8: %q", out)
		}
		for _, r := range out {
			if !Safe(r) {
				t.Fatalf("raw %q in %q", r, out)
			}
		}
		if max >= 0 && len(out) > 4*max+3 {
			t.Fatalf("%d bytes for max %d", len(out), max)
		}
	})
}
