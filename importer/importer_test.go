package importer_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/importer"
)

var cols = []string{"number", "holder_id", "holder_name", "issued_on"}

func known(c string) bool {
	for _, k := range cols {
		if k == c {
			return true
		}
	}
	return false
}

func readAll(t testing.TB, r io.Reader, o importer.Options) (*importer.Reader, []*importer.Row) {
	t.Helper()
	rd, err := importer.NewReader(r, o, known)
	if err != nil {
		t.Fatal(err)
	}
	var rows []*importer.Row
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestEncodingDetection(t *testing.T) {
	text := "证照编号,名称\n310000000000001,上海甲有限公司\n"
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String(text)
	o := importer.Options{Format: zhengzhao.FormatCSV, Mapping: map[string]string{"证照编号": "number", "名称": "holder_name"}}
	for name, c := range map[string]struct {
		in, enc, want string
	}{
		"utf-8":       {text, "", zhengzhao.EncodingUTF8},
		"utf-8 BOM":   {"\ufeff" + text, "", zhengzhao.EncodingUTF8},
		"gb18030":     {gb, "", zhengzhao.EncodingGB18030},
		"gbk given":   {gb, "GBK", zhengzhao.EncodingGB18030},
		"utf-8 given": {text, "UTF-8", zhengzhao.EncodingUTF8},
	} {
		t.Run(name, func(t *testing.T) {
			o := o
			o.Encoding = c.enc
			rd, rows := readAll(t, strings.NewReader(c.in), o)
			if rd.Encoding() != c.want || len(rows) != 1 || rows[0].Values["holder_name"] != "上海甲有限公司" {
				t.Fatalf("encoding %s, rows %+v", rd.Encoding(), rows)
			}
		})
	}
	// A multi-byte character cut by the 64 KiB detection window is still
	// UTF-8.
	long := "number,holder_name\n" + strings.Repeat("1,"+strings.Repeat("证", 1000)+"\n", 30)
	if rd, _ := readAll(t, strings.NewReader(long), importer.Options{Format: "csv"}); rd.Encoding() != zhengzhao.EncodingUTF8 {
		t.Fatalf("long UTF-8 file detected as %s", rd.Encoding())
	}
}

func TestHeaderErrors(t *testing.T) {
	for name, in := range map[string]string{
		"unknown":   "number,colour\n",
		"duplicate": "number,number\n",
		"unnamed":   "number,,holder_id\n",
		"empty":     "",
	} {
		_, err := importer.NewReader(strings.NewReader(in), importer.Options{Format: "csv"}, known)
		if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestJSONLinesLimits(t *testing.T) {
	in := `{"number":"1"}` + "\n" + `{"number":"` + strings.Repeat("9", importer.MaxLineBytes) + `"}` + "\n" + `{"number":"3"}` + "\r\n"
	_, rows := readAll(t, strings.NewReader(in), importer.Options{Format: "jsonl"})
	if len(rows) != 3 || rows[0].Values["number"] != "1" || len(rows[1].Problems) != 1 || rows[2].Values["number"] != "3" {
		t.Fatalf("rows %+v", rows)
	}
}

// FuzzParseCSV writes records with encoding/csv and reads them back: every
// cell comes back as written (empty cells left out), rows numbered in
// order, and the reader never fails on any input.
func FuzzParseCSV(f *testing.F) {
	f.Add("310000000000001", "9131011500000000X1", "上海 \"甲\", 有限公司", "2020-01-02")
	f.Add("", "\n", "\r\n", "a\x00b")
	f.Add("证", "\ufeff", "\"", ",")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(cols)
		recs := [][]string{{a, b, c, d}, {d, c, b, a}}
		w.WriteAll(recs)
		rd, err := importer.NewReader(bytes.NewReader(buf.Bytes()), importer.Options{Format: "csv", Encoding: "utf-8"}, known)
		if err != nil {
			t.Fatal(err)
		}
		for i, rec := range recs {
			row, err := rd.Next()
			if err != nil {
				t.Fatalf("row %d: %v", i+1, err)
			}
			if row.Num != int64(i+1) {
				t.Fatalf("row number %d, want %d", row.Num, i+1)
			}
			if len(row.Problems) > 0 {
				// Only text that is not UTF-8 or that csv cannot round-trip
				// (a lone \r) is refused, and never silently altered.
				continue
			}
			for j, col := range cols {
				want := rec[j]
				got, ok := row.Values[col]
				if want == "" && ok || want != "" && got != want && !strings.Contains(want, "\r") {
					t.Fatalf("row %d %s: got %q, want %q", i+1, col, got, want)
				}
			}
		}
		if _, err := rd.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last row: %v", err)
		}
	})
}

// FuzzParseJSONL encodes an object per line and reads it back; arbitrary
// bytes never make the reader fail.
func FuzzParseJSONL(f *testing.F) {
	f.Add("310000000000001", "上海", []byte(`{"number":1}`))
	f.Add("", "\u2028", []byte("\xff\n{"))
	f.Fuzz(func(t *testing.T, number, name string, raw []byte) {
		line, _ := json.Marshal(map[string]string{"number": number, "holder_name": name})
		var obj map[string]string // as JSON has it: invalid UTF-8 becomes U+FFFD
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatal(err)
		}
		in := append(append(line, '\n'), raw...)
		rd, err := importer.NewReader(bytes.NewReader(in), importer.Options{Format: "jsonl"}, known)
		if err != nil {
			t.Fatal(err)
		}
		row, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(row.Problems) == 0 {
			for k, v := range obj {
				got, ok := row.Values[k]
				if v == "" && ok || v != "" && got != v {
					t.Fatalf("%s: got %q, want %q", k, got, v)
				}
			}
		} else {
			t.Fatalf("a line json.Marshal wrote was refused: %v", row.Problems)
		}
		for {
			if _, err := rd.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	})
}
