package importer_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/importer"
)

var csvOpts = importer.Options{Format: zhengzhao.FormatCSV}

// TestDamagedUTF8NotReadAsGB18030: one bad byte in a UTF-8 file used to
// make the whole file decode as GB18030 (张三丰 became mojibake and was
// signed). The file stays UTF-8, the damaged row is refused naming its
// column and byte offsets, and every other row reads as written.
func TestDamagedUTF8NotReadAsGB18030(t *testing.T) {
	names := []string{"张三丰", "李四光", "王五\xff六", "赵六"}
	var b strings.Builder
	b.WriteString("number,holder_id,holder_name,issued_on\n")
	var rowStart int
	for i, n := range names {
		if i == 2 {
			rowStart = b.Len()
		}
		fmt.Fprintf(&b, "%d,11010519491231002X,%s,2020-01-02\n", i+1, n)
	}
	rd, rows := readAll(t, strings.NewReader(b.String()), csvOpts)
	if rd.Encoding() != zhengzhao.EncodingUTF8 {
		t.Fatalf("encoding %s, want utf-8", rd.Encoding())
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, row := range rows {
		if i == 2 {
			if len(row.Problems) != 1 || row.Problems[0].Field != "holder_name" || row.Has("holder_name") {
				t.Fatalf("damaged row: %+v %v", row.Problems, row.Values)
			}
			msg := row.Problems[0].Message
			want := fmt.Sprintf("is not valid UTF-8 at byte 6 of the cell (the row starts at byte %d of the file)", rowStart)
			if msg != want {
				t.Fatalf("message %q, want %q", msg, want)
			}
			continue
		}
		if len(row.Problems) > 0 || row.Values["holder_name"] != names[i] {
			t.Fatalf("row %d: %q %+v", row.Num, row.Values["holder_name"], row.Problems)
		}
	}
}

// TestUnreadableFileRefused: bytes that are neither UTF-8 nor GB18030 and
// no declared encoding refuse the file, naming the byte and the row.
func TestUnreadableFileRefused(t *testing.T) {
	in := "number,holder_name\n1,a\n2,\xff\xff\xff\n"
	_, err := importer.NewReader(strings.NewReader(in), csvOpts, known)
	var ze *zhengzhao.Error
	if !errors.As(err, &ze) || ze.Code != zhengzhao.EINVALID || len(ze.Fields) != 1 ||
		ze.Fields[0].Field != "encoding" || !strings.Contains(ze.Fields[0].Message, "byte 25 of the file (row 2)") {
		t.Fatalf("got %v %+v", err, ze.Fields)
	}
}

// TestDeclaredGB18030BadBytes: in a file declared GB18030, a cell with a
// byte sequence that is not GB18030 used to become U+FFFD silently; it is
// refused.
func TestDeclaredGB18030BadBytes(t *testing.T) {
	in := "number,holder_name\n1,\xd5\xc5\xc8\xfd\n2,\xd5\xc5\xff\n"
	_, rows := readAll(t, strings.NewReader(in), importer.Options{Format: zhengzhao.FormatCSV, Encoding: "gb18030"})
	if len(rows) != 2 || rows[0].Values["holder_name"] != "张三" || len(rows[0].Problems) > 0 {
		t.Fatalf("row 1: %+v", rows)
	}
	if len(rows[1].Problems) != 1 || rows[1].Problems[0].Field != "holder_name" ||
		!strings.Contains(rows[1].Problems[0].Message, "not valid GB18030") {
		t.Fatalf("row 2: %+v", rows[1])
	}
}

// bigCell reads as a CSV file whose second row has a quoted cell of n
// bytes (with quotes and newlines in it), generated, never held in memory.
func bigCell(n int64) io.Reader {
	head := "number,holder_id,holder_name,issued_on\n1,110105194912310021,甲,2020-01-02\n2,110105194912310021,\""
	tail := "\",2020-01-02\n3,110105194912310021,乙,2020-01-02\n"
	return io.MultiReader(strings.NewReader(head), io.LimitReader(repeat("ab\"\"c\n张"), n), strings.NewReader(tail))
}

type repeat string

func (r repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

// TestCellLimit: a cell over MaxCellBytes refuses its row, naming the
// column and where the row starts, and the rows after it read normally.
func TestCellLimit(t *testing.T) {
	_, rows := readAll(t, bigCell(10<<20), csvOpts)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	p := rows[1].Problems
	want := fmt.Sprintf("cell longer than %d bytes (the row starts at byte 75 of the file)", importer.MaxCellBytes)
	if len(p) != 1 || p[0].Field != "holder_name" || p[0].Message != want {
		t.Fatalf("row 2 problems %+v, want holder_name: %s", p, want)
	}
	if rows[2].Num != 3 || rows[2].Values["holder_name"] != "乙" || len(rows[2].Problems) > 0 {
		t.Fatalf("row 3: %+v", rows[2])
	}
}

// TestRowLimit: a row over MaxRowBytes whose cells are each within the
// cell limit is refused as a whole.
func TestRowLimit(t *testing.T) {
	in := "number,holder_name\n1," + strings.Repeat("x", 60) + "\n2," + strings.Repeat("y", 100) + "\n3,z\n"
	_, rows := readAll(t, strings.NewReader(in), importer.Options{Format: zhengzhao.FormatCSV, MaxRowBytes: 100, MaxCellBytes: 80})
	if len(rows) != 3 || len(rows[0].Problems) > 0 || rows[2].Values["holder_name"] != "z" {
		t.Fatalf("rows %+v", rows)
	}
	p := rows[1].Problems
	if len(p) != 1 || p[0].Field != "holder_name" || !strings.HasPrefix(p[0].Message, "cell longer than 80 bytes") {
		t.Fatalf("row 2: %+v", p)
	}
	in = "number,holder_name\n" + strings.Repeat("1", 60) + "," + strings.Repeat("y", 60) + "\n"
	_, rows = readAll(t, strings.NewReader(in), importer.Options{Format: zhengzhao.FormatCSV, MaxRowBytes: 100, MaxCellBytes: 80})
	if p := rows[0].Problems; len(p) != 1 || p[0].Field != "" || !strings.HasPrefix(p[0].Message, "row longer than 100 bytes (the row starts at byte 19 ") {
		t.Fatalf("row 1: %+v", p)
	}
}

// TestLargeCellMemoryFlat reads a file with a 200 MiB cell and measures
// what the reader allocates: a bounded amount, not the cell (it used to
// hold the whole cell, several times over).
func TestLargeCellMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200 MiB")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, rows := readAll(t, bigCell(200<<20), csvOpts)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("200 MiB cell: %d KiB allocated in all", alloc>>10)
	if len(rows) != 3 || len(rows[1].Problems) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	if alloc > 8<<20 {
		t.Fatalf("reading a 200 MiB cell allocated %d MiB", alloc>>20)
	}
}

func BenchmarkLargeCell(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(16 << 20)
	for range b.N {
		rd, err := importer.NewReader(bigCell(16<<20), csvOpts, known)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
	}
}

// TestJSONLinesCellLimit: a JSON string member over MaxCellBytes is the
// row's problem, named by its column.
func TestJSONLinesCellLimit(t *testing.T) {
	in := `{"number":"1","holder_name":"` + strings.Repeat("x", 200) + `"}` + "\n"
	_, rows := readAll(t, bytes.NewReader([]byte(in)), importer.Options{Format: zhengzhao.FormatJSONL, MaxCellBytes: 100})
	if p := rows[0].Problems; len(p) != 1 || p[0].Field != "holder_name" || rows[0].Has("holder_name") {
		t.Fatalf("%+v", rows[0])
	}
}

// BenchmarkNormalRows is BenchmarkLargeCell's baseline: the same number
// of bytes as ordinary rows.
func BenchmarkNormalRows(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(16 << 20)
	row := "2,110105194912310021,张三丰,2020-01-02\n"
	for range b.N {
		in := io.MultiReader(strings.NewReader("number,holder_id,holder_name,issued_on\n"), io.LimitReader(repeat(row), 16<<20))
		rd, err := importer.NewReader(in, csvOpts, known)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
	}
}
