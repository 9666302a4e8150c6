package library_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/importer"
)

var update = flag.Bool("update", false, "rewrite golden files")

// importType is the license type of the import tests: a business license
// with a number, a date, an enum and a text face field.
func importType(issuer string) *zhengzhao.LicenseType {
	return &zhengzhao.LicenseType{
		Code: issuer[:18] + "201", Name: "营业执照", HolderKind: zhengzhao.HolderOrganization,
		Level: zhengzhao.LevelMunicipal, Public: true, CollectSince: "2000-01-01", Issuers: []string{issuer},
		Fields: []zhengzhao.FieldSpec{
			{Key: "legal_representative", Label: "法定代表人", Type: zhengzhao.FieldString, Required: true},
			{Key: "registered_capital", Label: "注册资本（万元）", Type: zhengzhao.FieldNumber},
			{Key: "entity_type", Label: "类型", Type: zhengzhao.FieldEnum, Values: []string{"有限责任公司", "股份有限公司"}},
			{Key: "established_on", Label: "成立日期", Type: zhengzhao.FieldDate},
		},
	}
}

// importEnv is a library with an issuer and the import type.
type importEnv struct {
	*env
	issuer context.Context
	typ    *zhengzhao.LicenseType
}

func newImportEnv(tb testing.TB) *importEnv {
	tb.Helper()
	e := newEnv(tb)
	ctx := e.unit(tb, codeA, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
	typ := importType(codeA)
	if err := e.lib.Catalog.CreateLicenseType(ctx, typ); err != nil {
		tb.Fatal(err)
	}
	return &importEnv{env: e, issuer: ctx, typ: typ}
}

// holderID returns the nth valid organization holder code.
func holderID(n int) string { return demo.USCC(fmt.Sprintf("91310115%09d", n)) }

// licenses returns every license of the issuer, by ID.
func (e *importEnv) licenses(tb testing.TB) map[string]*zhengzhao.License {
	tb.Helper()
	out := map[string]*zhengzhao.License{}
	f := zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}}
	for {
		ls, _, next, err := e.lib.Licenses.FindLicenses(e.admin, f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range ls {
			if out[l.ID] != nil {
				tb.Fatalf("license %s listed twice", l.ID)
			}
			out[l.ID] = l
		}
		if next == "" {
			return out
		}
		f.Cursor = next
	}
}

func (e *importEnv) report(tb testing.TB, id string) string {
	tb.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(importer.ReportHeader)
	err := e.lib.Aggregation.ImportReport(e.issuer, id, func(p *zhengzhao.ImportProblem) error { return w.Write(importer.ReportRecord(p)) })
	if err != nil {
		tb.Fatal(err)
	}
	w.Flush()
	return b.String()
}

// mixedCSV is a file of good, bad and historically miscoded rows.
func mixedCSV(typ string) string {
	id := func(serial string) string {
		return zhengzhao.LicenseID{TypeCode: typ, IssuerCode: codeA, Serial: serial, Version: 1}.String()
	}
	good := id("HIST0001")
	wrong := id("HIST0002")
	wrong = wrong[:len(wrong)-1] + string(otherChar(wrong[len(wrong)-1]))
	foreign := zhengzhao.LicenseID{TypeCode: typ, IssuerCode: codeB, Serial: "HIST0003", Version: 1}.String()
	rows := [][]string{
		{"id", "number", "holder_id", "holder_name", "issued_on", "valid_until", "legal_representative", "registered_capital", "entity_type", "provenance"},
		{good, "310000000000001", holderID(1), "上海甲有限公司", "2015-03-01", "2035-02-28", "张三", "100", "有限责任公司", "digitised_checked"},
		{wrong, "310000000000002", holderID(2), "上海乙有限公司", "2016-04-01", "", "李四", "50.5", "", ""},
		{"", "310000000000003", holderID(3), "上海丙有限公司", "2017-05-01", "长期", "王五", "", "股份有限公司", "born_digital"},
		{"", "310000000000004", "91310115000000000X", "上海丁有限公司", "2017-13-01", "", "", "一百", "合资", ""},
		{foreign, "310000000000005", holderID(5), "上海戊有限公司", "2018-01-01", "", "赵六", "", "", ""},
		{"", "310000000000003", holderID(3), "上海丙有限公司", "2017-05-01", "", "王五", "", "", ""},
		{"", "JY-2019/0007", holderID(7), "上海庚有限公司", "2019-07-07", "2018-01-01", "钱七", "", "", "scanned"},
		{"", "310000000000008", holderID(8), "上海辛有限公司", "2020-08-08", "", "孙八", "1e3", "", ""},
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	b.WriteString("short,row\n")
	return b.String()
}

func otherChar(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

// TestImportReport imports a file of good, bad and historically miscoded
// rows and checks the job's counts, the stored licenses and the report,
// which must match the file exactly (golden file).
func TestImportReport(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		file := mixedCSV(e.typ.Code)
		job, err := e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatCSV, Key: "mixed"}, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		want := zhengzhao.ImportJob{Status: zhengzhao.ImportDone, Rows: 9, Imported: 4, Findings: 1, Duplicates: 1, Rejected: 4}
		got := zhengzhao.ImportJob{Status: job.Status, Rows: job.Rows, Imported: job.Imported, Findings: job.Findings, Duplicates: job.Duplicates, Rejected: job.Rejected}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("job counts (-want +got):\n%s", d)
		}
		if job.Encoding != zhengzhao.EncodingUTF8 || job.Provenance != zhengzhao.ProvenanceDigitisedUnchecked || job.BytesRead != int64(len(file)) {
			t.Errorf("job encoding %q provenance %q bytes %d", job.Encoding, job.Provenance, job.BytesRead)
		}

		report := e.report(t, job.ID)
		golden := filepath.Join("testdata", "import_report.golden")
		if *update {
			if err := os.WriteFile(golden, []byte(report), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want2, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want2), report); d != "" {
			t.Errorf("report (-want +got):\n%s", d)
		}

		ls := e.licenses(t)
		if len(ls) != 4 {
			t.Fatalf("%d licenses stored, want 4", len(ls))
		}
		var miscoded *zhengzhao.License
		for _, l := range ls {
			if len(l.Quality) > 0 {
				miscoded = l
			}
			doc, _ := json.Marshal(l)
			res, err := e.lib.Licenses.VerifyLicense(context.Background(), doc)
			if err != nil || !res.Checks.Signature || !res.Checks.IssuerTrusted || !res.Checks.Current {
				t.Errorf("imported license %s does not verify: %+v %v", l.ID, res, err)
			}
		}
		if miscoded == nil || miscoded.Quality[0].Code != zhengzhao.FindingWrongCheckChar || miscoded.Provenance != zhengzhao.ProvenanceDigitisedUnchecked {
			t.Fatalf("miscoded license: %+v", miscoded)
		}
		// The issuer's identifier is kept as given, wrong check character and all.
		if !strings.Contains(file, miscoded.ID) {
			t.Errorf("miscoded license stored as %s, not as in the file", miscoded.ID)
		}
		// Dropping the finding breaks the signature: it is signed.
		tampered := *miscoded
		tampered.Quality = nil
		doc, _ := json.Marshal(&tampered)
		if res, _ := e.lib.Licenses.VerifyLicense(context.Background(), doc); res.Checks.Signature {
			t.Error("a license without its signed finding still verifies")
		}
		// Derived serial: a number that is not serial-shaped is hashed.
		if l := ls[zhengzhao.LicenseID{TypeCode: e.typ.Code, IssuerCode: codeA, Serial: "310000000000003", Version: 1}.String()]; l == nil ||
			l.ValidUntil != nil || l.Provenance != zhengzhao.ProvenanceBornDigital {
			t.Errorf("row 3: %+v", l)
		}

		// One audit entry per imported license.
		entries, _, _, err := e.lib.Audit.FindAuditEntries(e.admin, zhengzhao.AuditFilter{Page: zhengzhao.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		audited := map[string]int{}
		for _, en := range entries {
			if en.Action == zhengzhao.ActionLicenseImport {
				audited[en.License]++
				if en.Details["job"] != job.ID || en.Details["digest"] == "" {
					t.Errorf("audit entry %+v", en)
				}
			}
		}
		for id := range ls {
			if audited[id] != 1 {
				t.Errorf("license %s has %d import audit entries", id, audited[id])
			}
		}
	})
}

// TestImportTwice: importing the same file again adds nothing, with the
// same key (the job is done) or another (every row is a duplicate).
func TestImportTwice(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		file := genCSV(e.typ.Code, 2500, nil)
		spec := func(key string) *zhengzhao.ImportSpec {
			return &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatCSV, Key: key}
		}
		first, err := e.lib.Aggregation.Import(e.issuer, spec("k1"), strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if first.Imported != 2500 || first.Rows != 2500 {
			t.Fatalf("first import: %+v", first)
		}
		before := e.licenses(t)
		again, err := e.lib.Aggregation.Import(e.issuer, spec("k1"), strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.Imported != 2500 {
			t.Fatalf("same key: %+v", again)
		}
		other, err := e.lib.Aggregation.Import(e.issuer, spec("k2"), strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if other.Imported != 0 || other.Duplicates != 2500 {
			t.Fatalf("other key: %+v", other)
		}
		after := e.licenses(t)
		if len(after) != len(before) {
			t.Fatalf("%d licenses after importing twice, %d before", len(after), len(before))
		}
		for id, l := range before {
			if after[id] == nil || after[id].SignedAt != l.SignedAt {
				t.Fatalf("license %s changed", id)
			}
		}
		// The same key with other options is refused.
		s := spec("k1")
		s.Provenance = zhengzhao.ProvenanceBornDigital
		if _, err := e.lib.Aggregation.Import(e.issuer, s, strings.NewReader(file)); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("same key, other options: %v", err)
		}
	})
}

// genCSV returns a file of n valid rows, numbered from 1; bad lists rows
// to make invalid.
func genCSV(typ string, n int, bad map[int]bool) string {
	var b strings.Builder
	b.WriteString("number,holder_id,holder_name,issued_on,legal_representative,registered_capital\n")
	for i := 1; i <= n; i++ {
		date := "2020-01-02"
		if bad[i] {
			date = "2020-02-30"
		}
		fmt.Fprintf(&b, "3100%011d,%s,上海第%d有限公司,%s,法人%d,%d\n", i, holderID(i), i, date, i, i%1000)
	}
	return b.String()
}

// failingReader fails after n bytes, like a process that dies mid-file.
type failingReader struct {
	r io.Reader
	n int
}

var errCut = errors.New("cut")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errCut
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// TestImportResume interrupts an import at several points and resumes it
// with the same key: the end state is exactly the file's valid rows.
func TestImportResume(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		bad := map[int]bool{7: true, 1500: true, 2999: true}
		file := genCSV(e.typ.Code, 3200, bad)
		spec := &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatCSV, Key: "resume"}
		var rows []int64
		for _, cut := range []int{10, 70000, 150000, 150001, 200000} {
			job, err := e.lib.Aggregation.Import(e.issuer, spec, &failingReader{r: strings.NewReader(file), n: cut})
			if !errors.Is(err, errCut) {
				t.Fatalf("cut at %d: %v (%+v)", cut, err, job)
			}
			j, _, _, err := e.lib.Aggregation.FindImportJobs(e.issuer, zhengzhao.ImportJobFilter{})
			if err != nil || len(j) > 1 {
				t.Fatalf("jobs: %v %v", j, err)
			}
			if len(j) == 1 { // none when the cut is inside the header
				rows = append(rows, j[0].Rows)
			}
		}
		job, err := e.lib.Aggregation.Import(e.issuer, spec, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("checkpoints after the cuts: %v", rows)
		if job.Status != zhengzhao.ImportDone || job.Imported != 3197 || job.Rejected != 3 || job.Duplicates != 0 {
			t.Fatalf("resumed job: %+v", job)
		}
		if n := len(e.licenses(t)); n != 3197 {
			t.Fatalf("%d licenses, want 3197", n)
		}
		if r := e.report(t, job.ID); strings.Count(r, "\n") != 4 || !strings.Contains(r, "\n7,issued_on,") || !strings.Contains(r, "\n2999,issued_on,") {
			t.Fatalf("report:\n%s", r)
		}
	})
}

func TestImportEncodingsAndJSONLines(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		utf := "证照编号,统一社会信用代码,名称,发证日期,法定代表人\n" +
			"310000000000101," + holderID(101) + ",上海壹号有限公司,2021-01-01,周一\n"
		gb, err := simplifiedchinese.GB18030.NewEncoder().String(utf)
		if err != nil {
			t.Fatal(err)
		}
		mapping := map[string]string{"证照编号": "number", "统一社会信用代码": "holder_id", "名称": "holder_name", "发证日期": "issued_on", "法定代表人": "legal_representative"}
		job, err := e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatCSV, Mapping: mapping}, strings.NewReader(gb))
		if err != nil {
			t.Fatal(err)
		}
		if job.Encoding != zhengzhao.EncodingGB18030 || job.Imported != 1 {
			t.Fatalf("GB18030 job: %+v", job)
		}
		l, err := e.lib.Licenses.FindLicenseByID(e.issuer, zhengzhao.LicenseID{TypeCode: e.typ.Code, IssuerCode: codeA, Serial: "310000000000101", Version: 1}.String())
		if err != nil || l.Holder.Name != "上海壹号有限公司" || l.Fields["legal_representative"] != "周一" {
			t.Fatalf("GB18030 license: %+v %v", l, err)
		}

		jsonl := fmt.Sprintf(`{"number":"310000000000102","holder_id":%q,"holder_name":"上海贰号有限公司","issued_on":"2021-01-02","legal_representative":"吴二","registered_capital":12.50}`+"\n\n"+
			`{"number":"310000000000103","holder_id":%q,"holder_name":"x","issued_on":"2021-01-02","legal_representative":"郑三","colour":"red"}`+"\n"+
			`not json`+"\n", holderID(102), holderID(103))
		job, err = e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatJSONL}, strings.NewReader(jsonl))
		if err != nil {
			t.Fatal(err)
		}
		if job.Imported != 1 || job.Rejected != 2 || job.Rows != 3 {
			t.Fatalf("JSON Lines job: %+v\n%s", job, e.report(t, job.ID))
		}
		l, err = e.lib.Licenses.FindLicenseByID(e.issuer, zhengzhao.LicenseID{TypeCode: e.typ.Code, IssuerCode: codeA, Serial: "310000000000102", Version: 1}.String())
		if err != nil || l.Fields["registered_capital"] != json.Number("12.50") {
			t.Fatalf("JSON Lines license: %+v %v", l, err)
		}
	})
}

func TestImportRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		other := e.unit(t, codeB, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
		file := genCSV(e.typ.Code, 1, nil)
		for name, c := range map[string]struct {
			ctx  context.Context
			spec zhengzhao.ImportSpec
			file string
			code string
		}{
			"another issuer's type": {other, zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, file, zhengzhao.EFORBIDDEN},
			"for another issuer":    {other, zhengzhao.ImportSpec{Issuer: codeA, Type: e.typ.Code, Format: "csv"}, file, zhengzhao.EFORBIDDEN},
			"anonymous":             {context.Background(), zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, file, zhengzhao.EUNAUTHENTICATED},
			"admin without issuer":  {e.admin, zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, file, zhengzhao.EINVALID},
			"unknown type":          {e.issuer, zhengzhao.ImportSpec{Type: codeA + "999", Format: "csv"}, file, zhengzhao.ENOTFOUND},
			"bad format":            {e.issuer, zhengzhao.ImportSpec{Type: e.typ.Code, Format: "xlsx"}, file, zhengzhao.EINVALID},
			"unknown column":        {e.issuer, zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, "number,colour\n1,red\n", zhengzhao.EINVALID},
			"empty file":            {e.issuer, zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, "", zhengzhao.EINVALID},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.lib.Aggregation.Import(c.ctx, &c.spec, strings.NewReader(c.file))
				if got := zhengzhao.ErrorCode(err); got != c.code {
					t.Fatalf("got %v (%s), want %s", err, got, c.code)
				}
			})
		}
		// The administrator imports for an issuer, signed with the issuer's key.
		job, err := e.lib.Aggregation.Import(e.admin, &zhengzhao.ImportSpec{Issuer: codeA, Type: e.typ.Code, Format: "csv"}, strings.NewReader(file))
		if err != nil || job.Imported != 1 || job.Actor != "admin" {
			t.Fatalf("admin import: %+v %v", job, err)
		}
	})
}
