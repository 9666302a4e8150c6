package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao/calendar"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsWorkday(t *testing.T) {
	tests := map[string]bool{
		"2025-01-01": false, // New Year's Day, a Wednesday
		"2025-01-02": true,
		"2025-01-26": true,  // Sunday, make-up day for the Spring Festival
		"2025-01-28": false, // Spring Festival eve
		"2025-02-04": false, // last day of the Spring Festival holiday
		"2025-02-05": true,
		"2025-02-08": true,  // Saturday, make-up day
		"2025-02-09": false, // plain Sunday
		"2025-09-28": true,  // Sunday, make-up day for National Day
		"2025-10-08": false, // National Day and Mid-Autumn combined
		"2025-10-09": true,
		"2025-10-11": true, // Saturday, make-up day
		"2026-01-02": false,
		"2026-01-04": true, // Sunday, make-up day
		"2026-02-14": true, // Saturday, make-up day
		"2026-02-16": false,
		"2026-02-23": false, // a Monday inside the Spring Festival holiday
		"2026-02-24": true,
		"2026-02-28": true, // Saturday, make-up day
		"2026-05-09": true,
		"2026-09-20": true,
		"2026-09-25": false, // Mid-Autumn, a Friday
		"2026-10-07": false,
		"2026-10-08": true,
		"2026-10-10": true,  // Saturday, make-up day
		"2026-10-11": false, // plain Sunday
		"2026-11-30": true,  // plain Monday
		"2027-01-31": true,  // Sunday, make-up day
		"2027-10-09": true,
	}
	for date, want := range tests {
		if got := calendar.IsWorkday(day(date)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", date, got, want)
		}
	}
}

func TestIsWorkdayIgnoresTimeOfDay(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	// 2026-10-08 00:30 in Shanghai is still 2026-10-07 in UTC; the date in
	// the time's own location decides.
	ts := time.Date(2026, 10, 8, 0, 30, 0, 0, shanghai)
	if !calendar.IsWorkday(ts) {
		t.Errorf("IsWorkday(%v) = false, want true", ts)
	}
	if calendar.IsWorkday(ts.UTC()) {
		t.Errorf("IsWorkday(%v) = true, want false", ts.UTC())
	}
}

func TestAddWorkdays(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"plain week", "2026-11-23", 5, "2026-11-30"},
		{"zero", "2026-10-03", 0, "2026-10-03"},
		{"from Friday", "2026-11-27", 1, "2026-11-30"},
		{"across National Day 2026", "2026-09-29", 3, "2026-10-09"},
		{"make-up Saturday counts", "2026-10-08", 2, "2026-10-10"},
		{"10 days across Spring Festival 2026", "2026-02-10", 10, "2026-03-02"},
		{"across Spring Festival 2025", "2025-01-24", 2, "2025-01-27"},
		{"make-up Sunday 2025-09-28 counts", "2025-09-26", 3, "2025-09-30"},
		{"across National Day 2025", "2025-09-30", 1, "2025-10-09"},
		{"backwards", "2026-10-08", -1, "2026-09-30"},
		{"start on a holiday", "2026-10-03", 1, "2026-10-08"},
		{"into 2027", "2026-12-31", 1, "2027-01-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := calendar.AddWorkdays(day(tt.from), tt.n)
			if got.Format(time.DateOnly) != tt.want {
				t.Fatalf("AddWorkdays(%s, %d) = %s, want %s", tt.from, tt.n, got.Format(time.DateOnly), tt.want)
			}
			if back := calendar.WorkdaysBetween(day(tt.from), got); back != tt.n && calendar.IsWorkday(day(tt.from)) {
				t.Fatalf("WorkdaysBetween(%s, %s) = %d, want %d", tt.from, tt.want, back, tt.n)
			}
		})
	}
}

func TestAddWorkdaysKeepsLocation(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	got := calendar.AddWorkdays(time.Date(2026, 9, 30, 16, 45, 0, 0, shanghai), 1)
	want := time.Date(2026, 10, 8, 0, 0, 0, 0, shanghai)
	if !got.Equal(want) || got.Location() != shanghai {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestWorkdaysBetween(t *testing.T) {
	// October 2026: 8, 9, the make-up Saturday 10, then three full weeks.
	from, to := day("2026-09-30"), day("2026-10-31")
	want := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if calendar.IsWorkday(d) {
			want++
		}
	}
	if got := calendar.WorkdaysBetween(from, to); got != want || got != 18 {
		t.Fatalf("WorkdaysBetween = %d, want %d (18)", got, want)
	}
	if got := calendar.WorkdaysBetween(to, from); got != -want {
		t.Fatalf("WorkdaysBetween reversed = %d, want %d", got, -want)
	}
}

func TestOverrides(t *testing.T) {
	c := calendar.Calendar{Overrides: map[string]bool{
		"2026-11-30": false, // an extra day off
		"2026-11-29": true,  // a Sunday made a working day
	}}
	if c.IsWorkday(day("2026-11-30")) || !c.IsWorkday(day("2026-11-29")) {
		t.Fatal("overrides not applied")
	}
	if got := c.AddWorkdays(day("2026-11-27"), 2); got.Format(time.DateOnly) != "2026-12-01" {
		t.Fatalf("AddWorkdays with overrides = %s, want 2026-12-01", got.Format(time.DateOnly))
	}
	if !calendar.IsWorkday(day("2026-11-30")) {
		t.Fatal("overrides leaked into the default calendar")
	}
}

func TestCovers(t *testing.T) {
	for _, y := range []int{2025, 2026, 2027} {
		if !calendar.Covers(y) {
			t.Errorf("Covers(%d) = false", y)
		}
	}
	if calendar.Covers(2099) {
		t.Error("Covers(2099) = true")
	}
}

func ExampleAddWorkdays() {
	filed := time.Date(2026, 9, 29, 10, 0, 0, 0, time.UTC)
	// Ten working days across the National Day holiday.
	fmt.Println(calendar.AddWorkdays(filed, 10).Format(time.DateOnly))
	// Output: 2026-10-19
}
