package report_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/font"
	"github.com/zhengzhao-project/zhengzhao/report"
)

func annual() *zhengzhao.AnnualReport {
	r := &zhengzhao.AnnualReport{Year: 2026, Unit: zhengzhao.Party{Code: "11310000MB2F38611K", Name: "上海市市场监督管理局"},
		GeneratedAt: time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC),
		Figures: zhengzhao.UnitFigures{Issued: 1200, IssuedOnTime: 1100, OnTimeRate: 0.917, ObjectionsFiled: 3, ObjectionsAnswered: 2,
			AvgAnswerWorkdays: 4.5, CatalogTypes: 2, TypesWithLicenses: 1, CatalogCompleteness: 0.5, Contacts: 1},
		Contacts: []*zhengzhao.UnitContact{(&zhengzhao.UnitContact{Name: "王小明", Title: "处长", Phone: "13812345678"}).Mask()},
		Checks: []*zhengzhao.RandomCheck{{ID: "chk-1", Kind: zhengzhao.CheckLicenses, CreatedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			Items: make([]zhengzhao.CheckItem, 10), Reviewed: 10, Failed: 1}},
	}
	for m := 1; m <= 12; m++ {
		r.Monthly = append(r.Monthly, zhengzhao.SeriesPoint{Period: time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"),
			Issued: int64(m * 10), Used: int64(m * 7)})
	}
	return r
}

func TestAnnualCSV(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteAnnualCSV(&b, annual()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 BOM")
	}
	r := csv.NewReader(bytes.NewReader(b.Bytes()[3:]))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{"上海市市场监督管理局", "91.7%", "王**", "138****5678", "2026-12,120,84", "chk-1"} {
		if !strings.Contains(text, want) {
			t.Errorf("CSV lacks %q", want)
		}
	}
	if len(rows) < 30 {
		t.Errorf("%d rows", len(rows))
	}
}

func TestCatalogCSV(t *testing.T) {
	c := &zhengzhao.PublicCatalog{Total: 1, Issuers: []zhengzhao.CatalogIssuer{{Issuer: zhengzhao.Party{Code: "X", Name: "上海市民政局"},
		Levels: []zhengzhao.CatalogLevel{{Level: zhengzhao.LevelMunicipal, Types: []zhengzhao.CatalogEntry{{Code: "T001", Name: "结婚证",
			HolderKind: zhengzhao.HolderPerson, CollectSince: "2020-01-01",
			Fields: []zhengzhao.CatalogField{{Key: "spouse", Label: "配偶"}, {Key: "date", Label: "登记日期, 时间"}}}}}}}}}
	var b bytes.Buffer
	if err := report.WriteCatalogCSV(&b, c); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"上海市民政局", "X", "市级 municipal", "T001", "结婚证", "自然人 person", "2020-01-01", "配偶、登记日期, 时间", "spouse;date"}
	if len(rows) != 2 || strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Fatalf("rows %q", rows)
	}
}

// TestAnnualPDF writes the report with the built-in font, so it runs on
// any machine.
func TestAnnualPDF(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteAnnualPDF(&b, annual(), font.Subset()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || b.Len() > 2<<20 {
		t.Fatalf("not a small PDF: %d bytes, %q", b.Len(), b.Bytes()[:8])
	}
	// With poppler-utils at hand, the text must come back out.
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"年度电子证照工作考核报告", "上海市市场监督管理局", "Licenses issued", "1200", "91.7%"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
}

func TestAnnualPDFBadFont(t *testing.T) {
	if err := report.WriteAnnualPDF(&bytes.Buffer{}, annual(), []byte("not a font")); err == nil {
		t.Fatal("no error for a bad font")
	}
}
