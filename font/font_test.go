package font_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signintech/gopdf/fontmaker/core"

	"github.com/zhengzhao-project/zhengzhao/font"
)

// TestSubsetCovers checks that the embedded subset parses and has a glyph
// for ASCII, for GB2312 characters of both levels and for characters the
// demo and the pages use.
func TestSubsetCovers(t *testing.T) {
	b, err := font.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 4<<20 {
		t.Errorf("the subset is %d bytes; keep it under 4 MiB", len(b))
	}
	cmap := unicodeCmap(t, b)
	for _, r := range "AZaz09@ 证照库营业执照上海市浦东新区企业服务中心冯晓诺鑫琛按时归集率（）·—《》" {
		if !cmap[r] {
			t.Errorf("no glyph for %q", r)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ttf")
	if err := os.WriteFile(bad, []byte("not a font"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := font.Load(bad); err == nil || !strings.Contains(err.Error(), "glyf") {
		t.Fatalf("a non-font loads: %v", err)
	}
	if _, err := font.Load(filepath.Join(dir, "missing.ttf")); err == nil || !strings.Contains(err.Error(), "missing.ttf") {
		t.Fatalf("a missing font: %v", err)
	}
}

// unicodeCmap reads the font's character map with the PDF writer's own
// parser: the runes it can draw.
func unicodeCmap(t *testing.T, b []byte) map[rune]bool {
	t.Helper()
	var p core.TTFParser
	if err := p.ParseFontData(b); err != nil {
		t.Fatal(err)
	}
	m := map[rune]bool{}
	for r, g := range p.Chars() {
		if g != 0 {
			m[rune(r)] = true
		}
	}
	return m
}
