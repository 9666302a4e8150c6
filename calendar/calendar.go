// Package calendar counts Chinese working days: Monday to Friday, minus the
// official public holidays, plus the make-up working days (调休上班) that the
// State Council announces each year.
//
// The holiday data comes from github.com/6tail/lunar-go's HolidayUtil, which
// carries every notice since 2001-12-29 (2026 and 2027 included). Years past the
// data fall back to plain weekends; Covers reports whether a year is known, so
// callers can warn before a deadline lands in an unannounced year. A Calendar
// may carry corrections on top of the data, for a notice that arrives before a
// library update.
//
// All functions are pure: they read only their arguments and the embedded data,
// and look at the calendar date of a time.Time in its own location, never at
// the time of day.
package calendar

import (
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// A Calendar answers working-day questions. The zero value uses the official
// data without corrections.
type Calendar struct {
	// Overrides corrects the official data: a date ("2006-01-02") mapped to
	// true is a working day, to false a day off, whatever the data says.
	Overrides map[string]bool
}

// Default is the calendar of the official data without corrections.
var Default = Calendar{}

// IsWorkday reports whether the date of t is a working day in the official calendar.
func IsWorkday(t time.Time) bool { return Default.IsWorkday(t) }

// AddWorkdays returns the date n working days after the date of t in the
// official calendar; see Calendar.AddWorkdays.
func AddWorkdays(t time.Time, n int) time.Time { return Default.AddWorkdays(t, n) }

// WorkdaysBetween counts working days after the date of from up to and
// including the date of to in the official calendar; see Calendar.WorkdaysBetween.
func WorkdaysBetween(from, to time.Time) int { return Default.WorkdaysBetween(from, to) }

// Covers reports whether the official data includes the holiday notice for
// year. For a year it does not cover, only weekends count as days off.
func Covers(year int) bool {
	load()
	return covered[year]
}

// IsWorkday reports whether the date of t is a working day.
func (c Calendar) IsWorkday(t time.Time) bool {
	key := t.Format(time.DateOnly)
	if work, ok := c.Overrides[key]; ok {
		return work
	}
	load()
	if work, ok := days[key]; ok {
		return work
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays returns midnight (in t's location) of the date n working days
// after the date of t. The date of t itself never counts, so a deadline of
// "10 working days" from a Friday afternoon starts counting on the next
// working day. For n == 0 it returns the date of t; for n < 0 it counts
// backwards.
func (c Calendar) AddWorkdays(t time.Time, n int) time.Time {
	d := midnight(t)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween counts the working days after the date of from up to and
// including the date of to; it is negative when to is before from. It is the
// inverse of AddWorkdays: WorkdaysBetween(t, AddWorkdays(t, n)) == n.
func (c Calendar) WorkdaysBetween(from, to time.Time) int {
	a, b := midnight(from), midnight(to.In(from.Location()))
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

var (
	loadOnce sync.Once
	// days maps "2006-01-02" to true for a make-up working day and to
	// false for a public holiday.
	days    map[string]bool
	covered map[int]bool
)

// load reads the whole holiday table once. HolidayUtil answers each lookup by
// scanning its data string, which is too slow for day-by-day counting.
func load() {
	loadOnce.Do(func() {
		days = make(map[string]bool)
		covered = make(map[int]bool)
		for year := 2001; year <= time.Now().Year()+5; year++ {
			l := HolidayUtil.GetHolidaysByYear(year)
			for e := l.Front(); e != nil; e = e.Next() {
				h := e.Value.(*HolidayUtil.Holiday)
				days[h.GetDay()] = h.IsWork()
				// A notice can list a day of the next year (e.g. a
				// New Year's Day holiday); count the year of the target.
				if len(h.GetTarget()) >= 4 && h.GetTarget()[:4] == h.GetDay()[:4] {
					covered[year] = true
				}
			}
		}
	})
}
