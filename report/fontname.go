package report

import (
	"crypto/sha256"
	"path/filepath"
	"strings"
)

// SubsetFontName is the name under which a subset of the font at path is
// embedded: a six-letter tag, "+" and the font's name (ISO 32000-1, 9.6.4:
// "the tag shall consist of exactly six uppercase letters" and mark a
// subset). gopdf writes the family name it is given as /BaseFont and
// /FontName, so the family carries the tag. The tag is derived from the
// name, so the same report gives the same bytes.
func SubsetFontName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' || strings.ContainsRune("()<>[]{}/%#+", r) {
			return -1 // not allowed in a PDF name, or the tag separator
		}
		return r
	}, name)
	if name == "" {
		name = "Font"
	}
	sum := sha256.Sum256([]byte(name))
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag) + "+" + name
}

// CJKFont is the family name, with its subset tag, under which the
// annual report and the holder's printable copy embed their font: the
// same for every document, so it is computed once.
var CJKFont = SubsetFontName("cjk")
