package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// TestCatalogCSVFormulaInjection: catalog cells beginning with '=', '+',
// '-', '@', a tab or a carriage return were exported as they are, and a
// spreadsheet ran them. They come out with a leading apostrophe; plain
// numbers and ordinary text are untouched.
func TestCatalogCSVFormulaInjection(t *testing.T) {
	c := &zhengzhao.PublicCatalog{Total: 1, Issuers: []zhengzhao.CatalogIssuer{{Issuer: zhengzhao.Party{Code: "X", Name: "=HYPERLINK(\"http://x\")"},
		Levels: []zhengzhao.CatalogLevel{{Level: "+cmd|' /C calc'!A0", Types: []zhengzhao.CatalogEntry{{Code: "-2+3", Name: "@SUM(A1)",
			HolderKind: zhengzhao.HolderPerson, CollectSince: "\t=1",
			Fields: []zhengzhao.CatalogField{{Key: "-1.5", Label: "\r=2"}}}}}}}}}
	var b bytes.Buffer
	if err := report.WriteCatalogCSV(&b, c); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`'=HYPERLINK("http://x")`, "X", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "自然人 person", "'\t=1", "'=2", "-1.5"} // the CRLF writer drops a lone "\r"
	if len(rows) != 2 || strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Fatalf("row %q,\nwant %q", rows[1], want)
	}
}

func TestNeutraliseCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "张三": "张三", "a=b": "a=b", "=1+1": "'=1+1", "@x": "'@x", "+86 21 5555": "'+86 21 5555",
		"-3": "-3", "+1.5": "+1.5", "-2%": "-2%", "-": "'-", "\tx": "'\tx", "\rx": "'\rx", "'=x": "'=x",
	} {
		if got := report.NeutraliseCell(in); got != want {
			t.Errorf("NeutraliseCell(%q) = %q, want %q", in, got, want)
		}
	}
}
