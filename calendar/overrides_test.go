package calendar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseOverrides(t *testing.T) {
	in := `# 2031, not in the data yet
2031-01-01 off
2031-01-04 work   # a Saturday

2031-10-08 休
2031-10-11 班
`
	got, err := ParseOverrides(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"2031-01-01": false, "2031-01-04": true, "2031-10-08": false, "2031-10-11": true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	for name, bad := range map[string]string{
		"no kind":    "2031-01-01\n",
		"bad date":   "2031-02-30 off\n",
		"bad kind":   "2031-01-01 holiday\n",
		"twice":      "2031-01-01 off\n2031-01-01 work\n",
		"extra word": "2031-01-01 off now\n",
	} {
		if _, err := ParseOverrides(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoadFileCorrectsTheData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calendar.txt")
	// 2031-01-01 is a Wednesday, 2031-01-04 a Saturday.
	if err := os.WriteFile(path, []byte("2031-01-01 off\n2031-01-04 work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if c.IsWorkday(day("2031-01-01")) || !c.IsWorkday(day("2031-01-04")) || !c.IsWorkday(day("2031-01-02")) {
		t.Fatal("overrides not applied")
	}
	// From Tuesday 2030-12-31: Thu 01-02, Fri 01-03, Sat 01-04 (make-up).
	if got := c.AddWorkdays(day("2030-12-31"), 3); !got.Equal(day("2031-01-04")) {
		t.Fatalf("AddWorkdays: %s", got.Format(time.DateOnly))
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
}
