package calendar

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ParseOverrides reads corrections of the official data, for a year whose
// notice the data does not have yet, or a change announced late. Each line
// is a date and what it is:
//
//	# 2028 Spring Festival (国务院办公厅通知 …)
//	2028-01-26 off
//	2028-01-29 work
//
// "off" (also 休) makes the date a day off, "work" (also 班) a working day.
// Blank lines and text after # are ignored. A date given twice is an
// error, so that a file cannot contradict itself.
func ParseOverrides(r io.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want a date and off or work", n)
		}
		d, err := time.Parse(time.DateOnly, f[0])
		if err != nil || d.Format(time.DateOnly) != f[0] {
			return nil, fmt.Errorf("line %d: %q is not a date YYYY-MM-DD", n, f[0])
		}
		var work bool
		switch strings.ToLower(f[1]) {
		case "work", "班", "上班":
			work = true
		case "off", "休", "休息":
		default:
			return nil, fmt.Errorf("line %d: %q is neither off nor work", n, f[1])
		}
		if _, dup := out[f[0]]; dup {
			return nil, fmt.Errorf("line %d: %s is given twice", n, f[0])
		}
		out[f[0]] = work
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadFile returns the calendar of the official data corrected by the
// overrides in the file at path (see ParseOverrides).
func LoadFile(path string) (*Calendar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer f.Close()
	o, err := ParseOverrides(f)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", path, err)
	}
	return &Calendar{Overrides: o}, nil
}
