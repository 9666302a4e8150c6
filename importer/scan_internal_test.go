package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"testing"
)

func readCSV(r io.Reader) (recs [][]string, errs int) {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1
	for {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			return recs, errs
		}
		if err != nil {
			errs++
			recs = append(recs, nil)
			continue
		}
		recs = append(recs, rec)
	}
}

// FuzzLimiterMatchesCSV checks that the limiter finds the records
// encoding/csv finds, on any bytes: with limits out of reach it changes
// nothing, and with tight limits it still notes exactly one entry per
// record csv returns, so that offsets and cuts land on the right row.
func FuzzLimiterMatchesCSV(f *testing.F) {
	f.Add([]byte("a,b\n\"c\"\"d\",e\r\n\r\n\n\"multi\nline\",x\n"))
	f.Add([]byte("a\"b,\"c\nd\n\"e\"x,f\n\"open"))
	f.Add([]byte("\r\n\"a\"\r\nb\r"))
	f.Add([]byte("x,\"\"\"\n\"\"\",\"a\"\rb\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, _ := readCSV(bytes.NewReader(in))
		l := newLimiter(bytes.NewReader(in), 0, 1<<30, 1<<30)
		got, _ := readCSV(l)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("records differ:\n got %q\nwant %q", got, want)
		}
		if len(l.done) != len(want) {
			t.Fatalf("limiter noted %d records, csv read %d", len(l.done), len(want))
		}
		for maxRow := 1; maxRow <= 8; maxRow *= 2 {
			l := newLimiter(bytes.NewReader(in), 0, maxRow, maxRow/2+1)
			got, _ := readCSV(l)
			if len(l.done) != len(got) {
				t.Fatalf("limits %d: limiter noted %d records, csv read %d: %q", maxRow, len(l.done), len(got), got)
			}
		}
	})
}
