package library

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTruncateByRunes checks that text is cut between characters, never
// inside one: "证照" is six bytes, two characters.
func TestTruncateByRunes(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"证照", 2, "证照"},
		{"证照库", 2, "证照"},
		{"a证照", 2, "a证"},
		{strings.Repeat("错", 600), 500, strings.Repeat("错", 500)},
	} {
		got := truncate(c.in, c.n)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
