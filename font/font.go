// Package font holds the CJK TrueType font that printable copies and PDF
// reports embed when no other font is configured: a subset of LXGW WenKai
// (SIL Open Font License 1.1, see OFL.txt) with ASCII, GB2312 levels 1 and 2
// and the characters of the library's own pages, renamed "Zhengzhao WenKai
// Subset" as the licence requires of a modified font. scripts/subset-font
// rebuilds it. A rarer character of a holder's name is drawn as a blank
// glyph; configure a full font (serve --font) for production.
package font

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/signintech/gopdf"
)

//go:embed ZhengzhaoWenKaiSubset-Regular.ttf
var subset []byte

// Subset returns the embedded subset font. The slice is shared: callers
// must not change it.
func Subset() []byte { return subset }

// Load returns the TrueType font at path, or the embedded subset when path
// is empty. It checks that the PDF writer can use the font: TrueType with
// glyf outlines (.ttf); CFF-based .otf and .ttc collections are refused.
func Load(path string) ([]byte, error) {
	if path == "" {
		return subset, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	if err := check(b); err != nil {
		return nil, fmt.Errorf("font %s: not a TrueType font with glyf outlines (.ttf; .otf and .ttc are not supported): %w", path, err)
	}
	return b, nil
}

// check parses b as the PDF writer does.
func check(b []byte) error {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	return pdf.AddTTFFontData("check", b)
}
