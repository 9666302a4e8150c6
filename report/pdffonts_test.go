package report_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao/font"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// TestAnnualPDFSubsetTag reads the embedded font back with poppler's
// pdffonts: it is an embedded subset, and its name carries the six-letter
// subset tag that the PDF specification requires (ISO 32000-1, 9.6.4).
func TestAnnualPDFSubsetTag(t *testing.T) {
	font := font.Subset()
	if _, err := exec.LookPath("pdffonts"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdffonts is missing: scripts/test installs poppler-utils")
		}
		t.Skip("pdffonts (poppler-utils) is not installed")
	}
	var b bytes.Buffer
	if err := report.WriteAnnualPDF(&b, annual(), font); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdffonts", in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 { // header, rule, one font
		t.Fatalf("want one font:\n%s", out)
	}
	f := strings.Fields(lines[2])
	// name type... encoding emb sub uni object ID
	if !regexp.MustCompile(`^[A-Z]{6}\+\S+$`).MatchString(f[0]) {
		t.Errorf("font name %q lacks the ABCDEF+ subset tag:\n%s", f[0], out)
	}
	if n := len(f); n < 6 || f[n-5] != "yes" || f[n-4] != "yes" {
		t.Errorf("want an embedded subset (emb yes, sub yes):\n%s", out)
	}
}
